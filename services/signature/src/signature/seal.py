"""The supplier's electronic seal: a key the service holds and signs with, through the same three steps as any
signer (prepare → sign → assemble), so a sealed document carries an ordinary CAdES-BES signature. The key is
ECDSA or RSA (encrypted PKCS#8 PEM) or a Ukrainian qualified DSTU 4145 key in its own file (``Key-6.dat``,
PKCS#12, PBES2)."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509

from signature.domain import keys
from signature.domain.certificates import load_certificate
from signature.settings import SignatureSettings


class SealConfigurationError(ValueError):
    """The seal's key, password or certificate are unusable."""


@dataclass(frozen=True)
class Seal:
    key: keys.SigningKey
    certificate: x509.Certificate

    @classmethod
    def load(cls, settings: SignatureSettings) -> Seal | None:
        """The configured seal, or None when there is none."""
        key_file, password_file, certificate_file = (
            settings.seal_key_file, settings.seal_key_password_file, settings.seal_cert_file
        )
        if key_file is None or password_file is None or certificate_file is None:
            return None
        certificate = load_certificate(certificate_file.read_bytes())
        try:
            key = keys.load_signing_key(
                key_file.read_bytes(), keys.read_password_file(password_file.read_bytes()), certificate
            )
        except keys.UnusableKey as exc:
            raise SealConfigurationError(f"the seal key: {exc}") from exc
        if not keys.belongs_to(key, certificate):
            raise SealConfigurationError("the seal certificate is not the seal key's")
        return cls(key, certificate)

    def sign(self, data_to_sign: bytes) -> bytes:
        return keys.sign(self.key, data_to_sign)
