"""A signer's private key as CAs hand it out, and the signature value it makes over the prepared data (step 2 of
:mod:`.cades`) — for the signers that are not a browser: the supplier's seal and the command-line signer.

ECDSA and RSA keys come as encrypted PKCS#8 PEM; Ukrainian qualified keys (DSTU 4145) in their own files — IIT
``Key-6.dat``, PKCS#12, PBES2 (:mod:`.key_containers`) — which may hold two keys: the certificate says which signs.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from . import dstu4145, key_containers
from .certificates import dstu_public_key
from .gost34311 import gost34311

SigningKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | dstu4145.PrivateKey
_PEM_MARKER = b"-----BEGIN"


class UnusableKey(ValueError):
    """The key file cannot be read with the password given, or holds a key that cannot sign here."""


def load_signing_key(data: bytes, password: bytes, certificate: x509.Certificate | None = None) -> SigningKey:
    """The key of a key file; of a DSTU 4145 file the one that is ``certificate``'s (the first without one)."""
    if not data.lstrip().startswith(_PEM_MARKER):
        return _dstu_key(data, password, certificate)
    try:
        key = serialization.load_pem_private_key(data, password=password)
    except (ValueError, TypeError) as exc:
        raise UnusableKey(f"the key cannot be read with this password: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise UnusableKey("only ECDSA, RSA and DSTU 4145 keys can sign")
    return key


def belongs_to(key: SigningKey, certificate: x509.Certificate) -> bool:
    if isinstance(key, dstu4145.PrivateKey):
        try:
            return dstu_public_key(certificate) == key.public_key()
        except dstu4145.DstuError:
            return False
    return bool(certificate.public_key() == key.public_key())


def sign(key: SigningKey, data_to_sign: bytes) -> bytes:
    """The signature value over the prepared data: ECDSA (DER) or RSA PKCS#1 v1.5 with SHA-256, DSTU 4145 (r‖s
    little-endian) with GOST 34.311."""
    if isinstance(key, dstu4145.PrivateKey):
        return key.sign(gost34311(data_to_sign, sbox=key.domain.sbox))
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data_to_sign, ec.ECDSA(hashes.SHA256()))
    return key.sign(data_to_sign, padding.PKCS1v15(), hashes.SHA256())


def read_password_file(data: bytes) -> bytes:
    """A password kept in a file: the line break an editor or `echo` ends it with is not part of it."""
    return data.rstrip(b"\r\n")


def _dstu_key(data: bytes, password: bytes, certificate: x509.Certificate | None) -> dstu4145.PrivateKey:
    try:
        found = key_containers.read_key_file(data, password).keys
    except key_containers.UnreadableKeyFile as exc:
        raise UnusableKey(f"the key cannot be read with this password: {exc}") from exc
    if certificate is None:
        return found[0]
    for key in found:
        if belongs_to(key, certificate):
            return key
    raise UnusableKey("no key of the file is the certificate's")
