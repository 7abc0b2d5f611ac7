"""The test CA's files are what the browser signer and the signature service will be given."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asn1crypto import keys, pem
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives.padding import PKCS7

from devtools.testca import CRL_FILE, encrypted_private_key_pem, ensure_local_trust, load_ca, main, reissue_crl
from signature.domain.certificates import CertificateFailure, TrustStore, check_certificate, load_certificate
from signature.seal import Seal
from signature.settings import SignatureSettings

PASSWORD = "довга фраза-пароль 2026"


def decrypt_like_webcrypto(pem_bytes: bytes, password: str) -> bytes:
    """Only the steps WebCrypto offers: PBKDF2-HMAC-SHA256 → AES-256-CBC decrypt → a PKCS#8 for importKey."""
    kind, _, der = pem.unarmor(pem_bytes)
    assert kind == "ENCRYPTED PRIVATE KEY"
    encrypted = keys.EncryptedPrivateKeyInfo.load(der)
    algorithm = encrypted["encryption_algorithm"]
    assert algorithm["algorithm"].native == "pbes2"
    kdf = algorithm["parameters"]["key_derivation_func"]
    assert kdf["algorithm"].native == "pbkdf2"
    assert kdf["parameters"]["prf"]["algorithm"].native == "sha256"
    scheme = algorithm["parameters"]["encryption_scheme"]
    assert scheme["algorithm"].native == "aes256_cbc"

    key = PBKDF2HMAC(
        algorithm=hashes.SHA256(),
        length=32,
        salt=kdf["parameters"]["salt"].native,
        iterations=kdf["parameters"]["iteration_count"].native,
    ).derive(password.encode())
    decryptor = Cipher(algorithms.AES(key), modes.CBC(scheme["parameters"].native)).decryptor()
    padded = decryptor.update(encrypted["encrypted_data"].native) + decryptor.finalize()
    unpadder = PKCS7(128).unpadder()  # WebCrypto's AES-CBC strips PKCS#7 padding the same way
    return unpadder.update(padded) + unpadder.finalize()


def test_signer_key_file_decrypts_with_webcrypto_primitives(signer) -> None:
    key_file = encrypted_private_key_pem(signer.key, PASSWORD.encode())

    pkcs8 = decrypt_like_webcrypto(key_file, PASSWORD)

    decrypted = serialization.load_der_private_key(pkcs8, password=None)
    assert decrypted.public_key() == signer.key.public_key()
    with pytest.raises(ValueError):
        serialization.load_pem_private_key(key_file, password=b"wrong password")


def test_command_line_issues_and_revokes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ca_dir = tmp_path / "ca"
    main(["init", "--dir", str(ca_dir)])
    common = ["--dir", str(ca_dir), "--org", "ТОВ «Енергозбут»", "--edrpou", "23456789"]
    common += ["--name", "Коваль Ольга", "--password", PASSWORD]
    main(["issue", "--out", str(tmp_path / "manager"), "--title", "Менеджер", *common])
    main(["issue", "--out", str(tmp_path / "old"), "--validity", "expired", *common])
    main(["issue", "--out", str(tmp_path / "odd"), "--wrong-key-usage", *common])
    main(["revoke", "--dir", str(ca_dir), str(tmp_path / "old.pem")])
    assert "wrote" in capsys.readouterr().out

    trust = TrustStore.load([(ca_dir / "ca.pem").read_bytes()], [(ca_dir / CRL_FILE).read_bytes()])
    now = datetime.now(UTC)

    def failures(name: str) -> set[CertificateFailure]:
        certificate = load_certificate((tmp_path / f"{name}.pem").read_bytes())
        return set(check_certificate(certificate, trust, at=now, expected_edrpou="23456789").failures)

    assert failures("manager") == set()
    assert failures("old") == {CertificateFailure.EXPIRED, CertificateFailure.REVOKED}
    assert failures("odd") == {CertificateFailure.KEY_USAGE}
    assert decrypt_like_webcrypto((tmp_path / "manager.key.pem").read_bytes(), PASSWORD)
    assert (tmp_path / "manager.key.pem").stat().st_mode & 0o077 == 0


def test_command_line_refuses_a_malformed_edrpou(tmp_path: Path) -> None:
    main(["init", "--dir", str(tmp_path)])
    with pytest.raises(SystemExit):
        main(["issue", "--dir", str(tmp_path), "--out", str(tmp_path / "x"), "--name", "N", "--org", "O",
              "--edrpou", "1234", "--password", PASSWORD])  # fmt: skip


def test_local_trust_is_made_once_and_is_what_the_service_accepts(tmp_path: Path) -> None:
    first = ensure_local_trust(tmp_path)
    files_before = {path: path.read_bytes() for path in (tmp_path / "trust").iterdir()}

    again = ensure_local_trust(tmp_path)

    assert again == first
    assert {path: path.read_bytes() for path in (tmp_path / "trust").iterdir()} == files_before
    settings = SignatureSettings(
        service_token_secret="x" * 32,
        **{key.removeprefix("CABINET_").lower(): value for key, value in first.items() if key.startswith("CABINET_")},
    )
    seal = Seal.load(settings)
    assert seal is not None
    trust = TrustStore.load([Path(first["CABINET_TRUST_CA_FILES"]).read_bytes()],
                            [Path(first["CABINET_TRUST_CRL_FILES"]).read_bytes()])
    now = datetime.now(UTC)
    assert check_certificate(seal.certificate, trust, at=now, expected_edrpou="31793056").ok
    for who, edrpou in (("consumer", "12345678"), ("staff", "31793056")):
        certificate = load_certificate(Path(first[f"demo_{who}_cert_file"]).read_bytes())
        assert check_certificate(certificate, trust, at=now, expected_edrpou=edrpou).ok
        password = Path(first[f"demo_{who}_key_password_file"]).read_text()
        key = serialization.load_pem_private_key(Path(first[f"demo_{who}_key_file"]).read_bytes(), password.encode())
        assert key.public_key() == certificate.public_key()
        assert decrypt_like_webcrypto(Path(first[f"demo_{who}_key_file"]).read_bytes(), password)
        assert Path(first[f"demo_{who}_key_file"]).stat().st_mode & 0o077 == 0


def test_local_trust_renews_a_crl_near_its_end(tmp_path: Path) -> None:
    environment = ensure_local_trust(tmp_path)
    ca = load_ca(tmp_path / "trust")
    now = datetime.now(UTC)
    stale = reissue_crl(ca, this_update=now - timedelta(days=30), next_update=now + timedelta(hours=2))
    Path(environment["CABINET_TRUST_CRL_FILES"]).write_bytes(stale.crl.public_bytes(serialization.Encoding.PEM))

    ensure_local_trust(tmp_path)

    renewed = load_ca(tmp_path / "trust").crl
    assert renewed.next_update_utc is not None and renewed.next_update_utc > now + timedelta(days=29)
