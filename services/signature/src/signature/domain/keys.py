"""A signer's private key as CAs hand it out (encrypted PKCS#8 PEM), and the signature value it makes over the
prepared data (step 2 of :mod:`.cades`) — for the signers that are not a browser: the supplier's seal and the
command-line signer."""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

SigningKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


class UnusableKey(ValueError):
    """The key file cannot be read with the password given, or holds a key that cannot sign here."""


def load_signing_key(pem: bytes, password: bytes) -> SigningKey:
    try:
        key = serialization.load_pem_private_key(pem, password=password)
    except (ValueError, TypeError) as exc:
        raise UnusableKey(f"the key cannot be read with this password: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise UnusableKey("only ECDSA and RSA keys can sign")
    return key


def sign(key: SigningKey, data_to_sign: bytes) -> bytes:
    """The signature value over the prepared data with SHA-256 (ECDSA DER-encoded, RSA PKCS#1 v1.5)."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data_to_sign, ec.ECDSA(hashes.SHA256()))
    return key.sign(data_to_sign, padding.PKCS1v15(), hashes.SHA256())


def read_password_file(data: bytes) -> bytes:
    """A password kept in a file: the line break an editor or `echo` ends it with is not part of it."""
    return data.rstrip(b"\r\n")
