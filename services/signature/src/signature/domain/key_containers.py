"""The files Ukrainian qualified keys (DSTU 4145) come in, read and written:

- the key itself: a PKCS#8-shaped ``PrivateKeyInfo`` whose private key is the OCTET STRING of d, little-endian,
  with the key-agreement key in an attribute (IIT's layout, which ``jkurwa`` and every Ukrainian tool read);
- IIT ``Key-6.dat``: that structure encrypted with GOST 28147-89 (ECB) under the password hashed 10,000 times
  with GOST 34.311, with its 4-byte MAC;
- PBES2 (``*.pk8`` of some providers) and PKCS#12 (``*.pfx``/``*.p12``): PBKDF2 with HMAC-GOST 34.311 and
  GOST 28147-89 in CFB mode, the S-box "ДКЕ" in the cipher's parameters;
- a Java KeyStore (``*.jks``, as PrivatBank hands its keys out): the JDK's JKS, each key entry protected by the
  JDK's key protector (a SHA-1 keystream from the password), the whole checked by a keyed SHA-1.

The writers exist for the test CA (``devtools.testca_dstu``), which issues keys in the forms real consumers hold.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any, ClassVar

from asn1crypto import cms, core
from asn1crypto import parser as asn1_parser
from asn1crypto.keys import EncryptedPrivateKeyInfo

from . import gost34311
from .dstu4145 import DSTU4145_LE, Domain, DstuError, DstuParameters, PrivateKey
from .gost28147 import DKE_1, Gost28147

IIT_STORE = "1.3.6.1.4.1.19398.1.1.1.2"
_IIT_KEY_BITS = "1.3.6.1.4.1.19398.1.1.2.3"
_IIT_KEY_CURVE = "1.3.6.1.4.1.19398.1.1.2.2"
GOST34311_HMAC = "1.2.804.2.1.1.1.1.1.2"
GOST28147_CFB = "1.2.804.2.1.1.1.1.1.1.3"
_PBES2 = "1.2.840.113549.1.5.13"
_PBKDF2 = "1.2.840.113549.1.5.12"
_SHROUDED_KEY_BAG = "1.2.840.113549.1.12.10.1.2"
_PBKDF2_ITERATIONS = 10000
_IIT_ITERATIONS = 10000


class UnreadableKeyFile(ValueError):
    """Not a key file of a known kind, or the password does not open it."""


@dataclass(frozen=True)
class KeyFile:
    """What a key file holds: the signing key first, then any other (IIT files add the key-agreement key)."""

    keys: tuple[PrivateKey, ...]


# --- ASN.1 ---------------------------------------------------------------------------------------------------


class _KeyAlgorithm(core.Sequence):
    _fields: ClassVar[list[tuple[Any, ...]]] = [("algorithm", core.ObjectIdentifier), ("parameters", DstuParameters)]


class _KeyAttribute(core.Sequence):
    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("type", core.ObjectIdentifier),
        ("values", core.SetOf, {"spec": core.Any}),
    ]


class _KeyAttributes(core.SequenceOf):
    _child_spec = _KeyAttribute


class DstuPrivateKeyInfo(core.Sequence):
    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("version", core.Integer),
        ("algorithm", _KeyAlgorithm),
        ("private_key", core.OctetString),  # d, little-endian
        ("attributes", _KeyAttributes, {"implicit": 0, "optional": True}),
    ]


class _IitParameters(core.Sequence):
    _fields: ClassVar[list[tuple[Any, ...]]] = [("mac", core.OctetString), ("pad", core.OctetString)]


class _IitAlgorithm(core.Sequence):
    _fields: ClassVar[list[tuple[Any, ...]]] = [("algorithm", core.ObjectIdentifier), ("parameters", _IitParameters)]


class IitStore(core.Sequence):
    _fields: ClassVar[list[tuple[Any, ...]]] = [("algorithm", _IitAlgorithm), ("encrypted", core.OctetString)]


class _Gost28147Parameters(core.Sequence):
    _fields: ClassVar[list[tuple[Any, ...]]] = [("iv", core.OctetString), ("dke", core.OctetString, {"optional": True})]


class _CipherAlgorithm(core.Sequence):
    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("algorithm", core.ObjectIdentifier),
        ("parameters", _Gost28147Parameters),
    ]


class _Prf(core.Sequence):
    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("algorithm", core.ObjectIdentifier),
        ("parameters", core.Null, {"optional": True}),
    ]


class _Pbkdf2Parameters(core.Sequence):
    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("salt", core.OctetString),
        ("iteration_count", core.Integer),
        ("key_length", core.Integer, {"optional": True}),
        ("prf", _Prf),
    ]


class _Kdf(core.Sequence):
    _fields: ClassVar[list[tuple[Any, ...]]] = [("algorithm", core.ObjectIdentifier), ("parameters", _Pbkdf2Parameters)]


class _Pbes2Parameters(core.Sequence):
    _fields: ClassVar[list[tuple[Any, ...]]] = [("key_derivation_func", _Kdf), ("encryption_scheme", _CipherAlgorithm)]


class _Pbes2Algorithm(core.Sequence):
    _fields: ClassVar[list[tuple[Any, ...]]] = [("algorithm", core.ObjectIdentifier), ("parameters", _Pbes2Parameters)]


class Pbes2Container(core.Sequence):
    """``EncryptedPrivateKeyInfo`` with PBES2 over GOST primitives."""

    _fields: ClassVar[list[tuple[Any, ...]]] = [("algorithm", _Pbes2Algorithm), ("encrypted", core.OctetString)]


class _SafeBag(core.Sequence):
    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("bag_id", core.ObjectIdentifier),
        ("bag_value", core.Any),  # [0] EXPLICIT, kept as it is: its contents are the bag's value
        ("bag_attributes", core.SetOf, {"spec": core.Any, "optional": True}),
    ]


class _SafeContents(core.SequenceOf):
    _child_spec = _SafeBag


class _AuthenticatedSafe(core.SequenceOf):
    _child_spec = cms.ContentInfo


class _Pfx(core.Sequence):
    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("version", core.Integer),
        ("auth_safe", cms.ContentInfo),
        ("mac_data", core.Any, {"optional": True}),
    ]


# --- reading -------------------------------------------------------------------------------------------------


def read_key_file(data: bytes, password: bytes) -> KeyFile:
    """The keys of a ``Key-6.dat``, a PBES2, PKCS#12 or JKS file, or an unencrypted key; :class:`UnreadableKeyFile`
    when it is none of them or the password is wrong."""
    for reader in (_read_iit, _read_pbes2, _read_pfx, _read_jks):
        try:
            plain = reader(data, password)
        except (ValueError, TypeError, KeyError, IndexError):
            continue
        return plain
    try:
        return private_key_info_keys(data)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise UnreadableKeyFile("not a DSTU 4145 key file, or the password does not open it") from exc


def private_key_info_keys(der: bytes) -> KeyFile:
    info = DstuPrivateKeyInfo.load(der, strict=True)
    if info["algorithm"]["algorithm"].dotted != DSTU4145_LE:
        raise DstuError("not a DSTU 4145 key")
    domain = Domain.from_parameters(info["algorithm"]["parameters"].dump())
    keys = [PrivateKey(domain, int.from_bytes(info["private_key"].native, "little"))]
    attributes = {attribute["type"].dotted: attribute["values"] for attribute in info["attributes"] or ()}
    if _IIT_KEY_BITS in attributes and _IIT_KEY_CURVE in attributes:
        # the key-agreement key: its d as a BIT STRING (little-endian), its parameters beside it
        bits = core.BitString.load(attributes[_IIT_KEY_BITS][0].dump()).contents[1:]
        second_domain = Domain.from_parameters(attributes[_IIT_KEY_CURVE][0].dump())
        keys.append(PrivateKey(second_domain, int.from_bytes(bits, "little")))
    return KeyFile(tuple(keys))


def _read_iit(data: bytes, password: bytes) -> KeyFile:
    store = IitStore.load(data, strict=True)
    if store["algorithm"]["algorithm"].dotted != IIT_STORE:
        raise ValueError("not an IIT key store")
    encrypted, pad = store["encrypted"].native, store["algorithm"]["parameters"]["pad"].native
    cipher = Gost28147(gost34311.iterated(password, _IIT_ITERATIONS))
    plain = cipher.decrypt_ecb(encrypted + pad)[: len(encrypted)]
    if cipher.mac(plain) != store["algorithm"]["parameters"]["mac"].native:
        raise UnreadableKeyFile("the password does not open this key")
    return private_key_info_keys(plain)


def _decrypt_pbes2(container: Pbes2Container, password: bytes) -> bytes:
    algorithm = container["algorithm"]
    if algorithm["algorithm"].dotted != _PBES2:
        raise ValueError("not PBES2")
    parameters = algorithm["parameters"]
    kdf = parameters["key_derivation_func"]
    cipher = parameters["encryption_scheme"]
    if kdf["algorithm"].dotted != _PBKDF2 or kdf["parameters"]["prf"]["algorithm"].dotted != GOST34311_HMAC:
        raise ValueError("not PBKDF2 with HMAC-GOST 34.311")
    if cipher["algorithm"].dotted != GOST28147_CFB:
        raise ValueError("not GOST 28147-89 CFB")
    key = gost34311.pbkdf2(password, kdf["parameters"]["salt"].native, kdf["parameters"]["iteration_count"].native)
    return Gost28147(key, DKE_1).decrypt_cfb(cipher["parameters"]["iv"].native, container["encrypted"].native)


def _read_pbes2(data: bytes, password: bytes) -> KeyFile:
    return _decrypted_keys(_decrypt_pbes2(Pbes2Container.load(data, strict=True), password))


def _read_pfx(data: bytes, password: bytes) -> KeyFile:
    pfx = _Pfx.load(data, strict=True)
    safe = _AuthenticatedSafe.load(pfx["auth_safe"]["content"].native)
    keys: list[PrivateKey] = []
    for content in safe:
        if content["content_type"].native != "data":
            continue  # certificates (encrypted or not) are the signer's business, not the key's
        for bag in _SafeContents.load(content["content"].native):
            if bag["bag_id"].dotted == _SHROUDED_KEY_BAG:
                keys.extend(_read_pbes2(bag["bag_value"].contents, password).keys)
    if not keys:
        raise ValueError("no key in the PKCS#12 file")
    return KeyFile(tuple(keys))


def _decrypted_keys(plain: bytes) -> KeyFile:
    # CFB has no padding to check: a wrong password shows as bytes that are no key
    try:
        return private_key_info_keys(plain)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise UnreadableKeyFile("the password does not open this key") from exc


# --- writing (the test CA) -------------------------------------------------------------------------------------


#: a Java KeyStore (the JDK's JKS, version 2), as PrivatBank hands its keys out; some tools put 6 bytes before it
_JKS_MAGIC = b"\xfe\xed\xfe\xed\x00\x00\x00\x02"
#: the JDK's own key protection of a JKS private key entry (sun.security.provider.KeyProtector)
_JKS_KEY_PROTECTOR = "1.3.6.1.4.1.42.2.17.1.1"


def _jks_secret(password: bytes) -> bytes:
    """The password as the JDK hashes it: its characters in UTF-16BE."""
    return password.decode().encode("utf-16-be")


def _jks_stream(secret: bytes, salt: bytes, length: int) -> bytes:
    """The JDK key protector's keystream: SHA-1 of the password and the previous block, from the salt."""
    stream, block = bytearray(), salt
    while len(stream) < length:
        block = hashlib.sha1(secret + block).digest()  # noqa: S324 (the format's own, not a choice)
        stream += block
    return bytes(stream[:length])


def _read_jks(data: bytes, password: bytes) -> KeyFile:
    data = data[6:] if data[:1] == b"Q" else data
    if not data.startswith(_JKS_MAGIC):
        raise ValueError("not a Java KeyStore")
    secret = _jks_secret(password)
    body, digest = data[:-20], data[-20:]
    if hashlib.sha1(secret + b"Mighty Aphrodite" + body).digest() != digest:  # noqa: S324
        raise UnreadableKeyFile("the password does not open this key store")
    position = len(_JKS_MAGIC)
    keys: list[PrivateKey] = []

    def take(size: int) -> bytes:
        nonlocal position
        position += size
        if position > len(body):
            raise ValueError("a truncated Java KeyStore")
        return body[position - size:position]

    def number(size: int) -> int:
        return int.from_bytes(take(size), "big")

    for _ in range(number(4)):
        tag = number(4)
        take(number(2))  # the alias
        take(8)  # the time it was made
        if tag == 1:  # a private key, then its certificate chain
            protected = EncryptedPrivateKeyInfo.load(take(number(4)))
            if protected["encryption_algorithm"]["algorithm"].dotted != _JKS_KEY_PROTECTOR:
                raise ValueError("a key protected otherwise than the JDK protects it")
            value = protected["encrypted_data"].native
            salt, encrypted, check = value[:20], value[20:-20], value[-20:]
            plain = bytes(a ^ b for a, b in zip(encrypted, _jks_stream(secret, salt, len(encrypted)), strict=True))
            if hashlib.sha1(secret + plain).digest() != check:  # noqa: S324
                raise UnreadableKeyFile("the password does not open this key")
            keys.extend(private_key_info_keys(plain).keys)
            chain = number(4)
        elif tag == 2:
            chain = 1
        else:
            raise ValueError(f"a Java KeyStore entry of kind {tag}")
        for _ in range(chain):
            take(number(2))  # the certificate's type
            take(number(4))
    if not keys:
        raise ValueError("a Java KeyStore without a key")
    return KeyFile(tuple(keys))


def java_key_store(plain: bytes, certificate_der: bytes, password: bytes, *, alias: str = "key") -> bytes:
    """A JKS file of one private key entry (``plain``, a PKCS#8 structure) with its certificate, protected as the
    JDK protects it: the keystream of :func:`_jks_stream` from a 20-byte salt, the SHA-1 of password and key after
    it; the file ends with the SHA-1 of the password, "Mighty Aphrodite" and all before."""
    secret, salt = _jks_secret(password), secrets.token_bytes(20)
    protected = (salt + bytes(a ^ b for a, b in zip(plain, _jks_stream(secret, salt, len(plain)), strict=True))
                 + hashlib.sha1(secret + plain).digest())  # noqa: S324
    encrypted = EncryptedPrivateKeyInfo({"encryption_algorithm": {"algorithm": _JKS_KEY_PROTECTOR},
                                         "encrypted_data": protected}).dump()

    def text(value: str) -> bytes:
        encoded = value.encode()
        return len(encoded).to_bytes(2, "big") + encoded

    body = (_JKS_MAGIC + (1).to_bytes(4, "big") + (1).to_bytes(4, "big") + text(alias)
            + int(time.time() * 1000).to_bytes(8, "big") + len(encrypted).to_bytes(4, "big") + encrypted
            + (1).to_bytes(4, "big") + text("X.509") + len(certificate_der).to_bytes(4, "big") + certificate_der)
    return body + hashlib.sha1(secret + b"Mighty Aphrodite" + body).digest()  # noqa: S324


def private_key_info(key: PrivateKey, agreement_key: PrivateKey | None = None) -> bytes:
    """The unencrypted key structure; with ``agreement_key`` in IIT's attributes, as ``Key-6.dat`` holds it."""
    fields: dict[str, object] = {
        "version": 0,
        "algorithm": {"algorithm": DSTU4145_LE, "parameters": key.domain.parameters()},
        "private_key": key.d.to_bytes(key.domain.curve.field_bytes, "little"),
    }
    if agreement_key is not None:
        bits = core.BitString.load(
            b"\x03" + bytes([agreement_key.domain.curve.field_bytes + 1, 0])
            + agreement_key.d.to_bytes(agreement_key.domain.curve.field_bytes, "little")
        )
        fields["attributes"] = [
            {"type": _IIT_KEY_CURVE, "values": [core.Any.load(agreement_key.domain.parameters().dump())]},
            {"type": _IIT_KEY_BITS, "values": [core.Any.load(bits.dump())]},
        ]
    return DstuPrivateKeyInfo(fields).dump()


def iit_key6(key: PrivateKey, agreement_key: PrivateKey, password: bytes) -> bytes:
    """A ``Key-6.dat``: the keys under the password hashed 10,000 times, GOST 28147-89 ECB, the MAC beside."""
    plain = private_key_info(key, agreement_key)
    cipher = Gost28147(gost34311.iterated(password, _IIT_ITERATIONS))
    padded = plain + secrets.token_bytes(-len(plain) % 8)
    encrypted = cipher.encrypt_ecb(padded)
    store = IitStore(
        {
            "algorithm": {
                "algorithm": IIT_STORE,
                "parameters": {"mac": cipher.mac(plain), "pad": encrypted[len(plain) :]},
            },
            "encrypted": encrypted[: len(plain)],
        }
    )
    return store.dump()


def pbes2(plain: bytes, password: bytes, *, iterations: int = _PBKDF2_ITERATIONS) -> bytes:
    """``plain`` encrypted under PBES2 with PBKDF2-HMAC-GOST 34.311 and GOST 28147-89 CFB."""
    salt, iv = secrets.token_bytes(32), secrets.token_bytes(8)
    key = gost34311.pbkdf2(password, salt, iterations)
    container = Pbes2Container(
        {
            "algorithm": {
                "algorithm": _PBES2,
                "parameters": {
                    "key_derivation_func": {
                        "algorithm": _PBKDF2,
                        "parameters": {
                            "salt": salt, "iteration_count": iterations,
                            "prf": {"algorithm": GOST34311_HMAC, "parameters": core.Null()},
                        },
                    },
                    "encryption_scheme": {
                        "algorithm": GOST28147_CFB, "parameters": {"iv": iv, "dke": DKE_1.dke()},
                    },
                },
            },
            "encrypted": Gost28147(key, DKE_1).encrypt_cfb(iv, plain),
        }
    )  # fmt: skip
    return container.dump()


def pkcs12(key: PrivateKey, certificate_der: bytes, password: bytes) -> bytes:
    """A ``.pfx``: the key in a shrouded key bag (PBES2 as above), the certificate in a certificate bag."""
    key_bag = _safe_bag(_SHROUDED_KEY_BAG, pbes2(private_key_info(key), password))
    certificate_bag = _safe_bag(
        "1.2.840.113549.1.12.10.1.3",
        _CertBag({"cert_id": "1.2.840.113549.1.9.22.1", "cert_value": certificate_der}).dump(),
    )
    # as providers write them (and jkurwa reads them): the key bag in plain data, the certificates encrypted
    certificates = Pbes2Container.load(pbes2(_sequence(certificate_bag), password))
    encrypted_content_info = _sequence(
        core.ObjectIdentifier("1.2.840.113549.1.7.1").dump()
        + certificates["algorithm"].dump()
        + asn1_parser.emit(2, 0, 0, certificates["encrypted"].native)  # [0] IMPLICIT OCTET STRING
    )
    encrypted_data = _sequence(core.Integer(0).dump() + encrypted_content_info)
    contents = [
        cms.ContentInfo({"content_type": "data", "content": _sequence(key_bag)}),
        cms.ContentInfo.load(
            _sequence(core.ObjectIdentifier("1.2.840.113549.1.7.6").dump() + asn1_parser.emit(2, 1, 0, encrypted_data))
        ),
    ]
    authenticated_safe = _AuthenticatedSafe(contents).dump()
    pfx = _Pfx({"version": 3, "auth_safe": {"content_type": "data", "content": authenticated_safe}})
    return _long_lengths(pfx)


def _safe_bag(bag_id: str, value: bytes) -> bytes:
    # SafeBag ::= SEQUENCE { bagId, bagValue [0] EXPLICIT }: written by hand, asn1crypto has no open type here
    return _sequence(core.ObjectIdentifier(bag_id).dump() + asn1_parser.emit(2, 1, 0, value))


def _sequence(contents: bytes) -> bytes:
    return asn1_parser.emit(0, 1, 16, contents)


class _CertBag(core.Sequence):
    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("cert_id", core.ObjectIdentifier),
        ("cert_value", core.OctetString, {"explicit": 0}),
    ]


def _long_lengths(pfx: _Pfx) -> bytes:
    """The PFX with its first headers in their two-byte length form: readers of Ukrainian PFX files (``jkurwa``
    among them) skip a fixed 30-byte prefix to reach the authenticated safe."""
    content = pfx["auth_safe"]["content"].native

    def header(tag: int, length: int) -> bytes:
        if length > 0xFFFF:
            raise ValueError("the PKCS#12 file is too large")
        return bytes([tag, 0x82]) + length.to_bytes(2, "big")

    octets = header(0x04, len(content)) + content
    explicit = header(0xA0, len(octets)) + octets
    content_info = header(0x30, 11 + len(explicit)) + core.ObjectIdentifier("1.2.840.113549.1.7.1").dump() + explicit
    body = core.Integer(3).dump() + content_info
    return header(0x30, len(body)) + body

