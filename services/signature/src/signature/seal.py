"""The supplier's electronic seal: a key the service holds and signs with, through the same three steps as any
signer (prepare → sign → assemble), so a sealed document carries an ordinary CAdES-BES signature."""

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
        try:
            key = keys.load_signing_key(key_file.read_bytes(), keys.read_password_file(password_file.read_bytes()))
        except keys.UnusableKey as exc:
            raise SealConfigurationError(f"the seal key: {exc}") from exc
        certificate = load_certificate(certificate_file.read_bytes())
        if certificate.public_key() != key.public_key():
            raise SealConfigurationError("the seal certificate is not the seal key's")
        return cls(key, certificate)

    def sign(self, data_to_sign: bytes) -> bytes:
        return keys.sign(self.key, data_to_sign)
