"""DSTU 4145-2002, the Ukrainian digital signature on binary elliptic curves, as qualified keys use it:
"little-endian" keys and signatures (OID 1.2.804.2.1.1.1.1.3.1.1), GOST 34.311 hashes, the S-box "ДКЕ" in the key
parameters.

The arithmetic is OpenSSL's (:mod:`.binary_curves`); what is DSTU's is here: the standard's named curves, its point
compression (x with the trace of y/x in the lowest bit), the signature (r = trunc(h·x(eP)), s = e + d·r mod n,
public key Q = -dP) and the encodings of keys and signatures in certificates and CMS.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar

from asn1crypto import core

from .binary_curves import BinaryCurve, CurveError, Point
from .gost28147 import DKE_1, SBox

DSTU4145_LE = "1.2.804.2.1.1.1.1.3.1.1"
DSTU4145_BE = "1.2.804.2.1.1.1.1.3.1"
GOST34311 = "1.2.804.2.1.1.1.1.2.1"
# the signature algorithm of a DSTU 4145 signature over a GOST 34.311 hash (certificates, CRLs, CMS)
SIGNATURE_ALGORITHMS = frozenset({DSTU4145_LE, DSTU4145_BE})
_NAMED_CURVE_PREFIX = DSTU4145_LE + ".2."


class DstuError(ValueError):
    """A DSTU 4145 key, parameter set or signature that cannot be used."""


def _hex(value: str) -> int:
    return int(value.replace(" ", ""), 16)


# DSTU 4145-2002 Table C.1 (the curves named 1.2.804.2.1.1.1.1.3.1.1.2.0 … .9): m, the polynomial's middle
# exponents, A, B, n, the base point (x, y)
_NAMED_CURVES = (
    (163, (3, 6, 7), 1, "5FF6108462A2DC8210AB403925E638A19C1455D21", "400000000000000000002BEC12BE2262D39BCF14D",
     "2E2F85F5DD74CE983A5C4237229DAF8A3F35823BE", "3826F008A8C51D7B95284D9D03FF0E00CE2CD723A"),
    (167, (6,), 1, "6EE3CEEB230811759F20518A0930F1A4315A827DAC", "3FFFFFFFFFFFFFFFFFFFFFB12EBCC7D7F29FF7701F",
     "7A1F6653786A68192803910A3D30B2A2018B21CD54", "5F49EB26781C0EC6B8909156D98ED435E45FD59918"),
    (173, (1, 2, 10), 0, "108576C80499DB2FC16EDDF6853BBB278F6B6FB437D9",
     "800000000000000000000189B4E67606E3825BB2831", "4D41A619BCC6EADF0448FA22FAD567A9181D37389CA",
     "10B51CC12849B234C75E6DD2028BF7FF5C1CE0D991A1"),
    (179, (1, 2, 4), 1, "4A6E0856526436F2F88DD07A341E32D04184572BEB710",
     "3FFFFFFFFFFFFFFFFFFFFFFB981960435FE5AB64236EF", "6BA06FE51464B2BD26DC57F48819BA9954667022C7D03",
     "25FBC363582DCEC065080CA8287AAFF09788A66DC3A9E"),
    (191, (9,), 1, "7BC86E2102902EC4D5890E8B6B4981FF27E0482750FEFC03",
     "40000000000000000000000069A779CAC1DABC6788F7474F", "714114B762F2FF4A7912A6D2AC58B9B5C2FCFE76DAEB7129",
     "29C41E568B77C617EFE5902F11DB96FA9613CD8D03DB08DA"),
    (233, (1, 4, 9), 1, "06973B15095675534C7CF7E64A21BD54EF5DD3B8A0326AA936ECE454D2C",
     "1000000000000000000000000000013E974E72F8A6922031D2603CFE0D7",
     "3FCDA526B6CDF83BA1118DF35B3C31761D3545F32728D003EEB25EFE96",
     "9CA8B57A934C54DEEDA9E54A7BBAD95E3B2E91C54D32BE0B9DF96D8D35"),
    (257, (12,), 0, "1CEF494720115657E18F938D7A7942394FF9425C1458C57861F9EEA6ADBE3BE10",
     "800000000000000000000000000000006759213AF182E987D3E17714907D470D",
     "02A29EF207D0E9B6C55CD260B306C7E007AC491CA1B10C62334A9E8DCD8D20FB7",
     "10686D41FF744D4449FCCF6D8EEA03102E6812C93A9D60B978B702CF156D814EF"),
    (307, (2, 4, 8), 1, "393C7F7D53666B5054B5E6C6D3DE94F4296C0C599E2E2E241050DF18B6090BDC90186904968BB",
     "3FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC079C2F3825DA70D390FBBA588D4604022B7B7",
     "216EE8B189D291A0224984C1E92F1D16BF75CCD825A087A239B276D3167743C52C02D6E7232AA",
     "5D9306BACD22B7FAEB09D2E049C6E2866C5D1677762A8F2F2DC9A11C7F7BE8340AB2237C7F2A0"),
    (367, (21,), 1, "43FC8AD242B0B7A6F3D1627AD5654447556B47BF6AA4A64B0C2AFE42CADAB8F93D92394C79A79755437B56995136",
     "40000000000000000000000000000000000000000000009C300B75A3FA824F22428FD28CE8812245EF44049B2D49",
     "324A6EDDD512F08C49A99AE0D3F961197A76413E7BE81A400CA681E09639B5FE12E59A109F78BF4A373541B3B9A1",
     "1AB597A5B4477F59E39539007C7F977D1A567B92B043A49C6B61984C3FE3481AAF454CD41BA1F051626442B3C10"),
    (431, (1, 3, 5), 1,
     "03CE10490F6A708FC26DFE8C3D27C4F94E690134D5BFF988D8D28AAEAEDE975936C66BAC536B18AE2DC312CA493117DAA469C640CAF3",
     "3FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFBA3175458009A8C0A724F02F81AA8A1FCBAF80D90C7A95110504CF",
     "1A62BA79D98133A16BBAE7ED9A8E03C32E0824D57AEF72F88986874E5AAE49C27BED49A2A95058068426C2171E99FD3B43C5947C857D",
     "70B5E1E14031C1F70BBEFE96BDDE66F451754B4CA5F48DA241F331AA396B8D1839A855C1769B1EA14BA53308B5E2723724E090E02DB9"),
)  # fmt: skip
# the curve of almost every qualified key in Ukraine
M257 = _NAMED_CURVE_PREFIX + "6"


@lru_cache(maxsize=16)
def named_curve(oid: str) -> BinaryCurve:
    if not oid.startswith(_NAMED_CURVE_PREFIX) or not oid[len(_NAMED_CURVE_PREFIX) :].isdigit():
        raise DstuError(f"not a DSTU 4145 named curve: {oid}")
    index = int(oid[len(_NAMED_CURVE_PREFIX) :])
    if index >= len(_NAMED_CURVES):
        raise DstuError(f"unknown DSTU 4145 named curve: {oid}")
    m, exponents, a, b, n, x, y = _NAMED_CURVES[index]
    cofactor = 4 if a == 0 else 2
    return BinaryCurve(m, exponents, a, _hex(b), (_hex(x), _hex(y)), _hex(n), cofactor)


# --- ASN.1 of DSTU 4145 parameters (DSTU 4145-2002 Annex; the form certificates' keys carry) -----------------


class _Pentanomial(core.Sequence):
    _fields: ClassVar[list[tuple[Any, ...]]] = [("k", core.Integer), ("j", core.Integer), ("l", core.Integer)]


class _Polynomial(core.Choice):
    _alternatives: ClassVar[list[tuple[Any, ...]]] = [("trinomial", core.Integer), ("pentanomial", _Pentanomial)]


class _BinaryField(core.Sequence):
    _fields: ClassVar[list[tuple[Any, ...]]] = [("m", core.Integer), ("polynomial", _Polynomial)]


class _ECBinary(core.Sequence):
    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("version", core.Integer, {"explicit": 0, "default": 0}),
        ("f", _BinaryField),
        ("a", core.Integer),
        ("b", core.OctetString),  # little-endian
        ("n", core.Integer),
        ("bp", core.OctetString),  # the base point, compressed, little-endian
    ]


class _Curve(core.Choice):
    _alternatives: ClassVar[list[tuple[Any, ...]]] = [("named", core.ObjectIdentifier), ("explicit", _ECBinary)]


class DstuParameters(core.Sequence):
    _fields: ClassVar[list[tuple[Any, ...]]] = [("curve", _Curve), ("dke", core.OctetString, {"optional": True})]


class _KeyAlgorithm(core.Sequence):
    _fields: ClassVar[list[tuple[Any, ...]]] = [("algorithm", core.ObjectIdentifier), ("parameters", core.Any)]


class _SubjectPublicKeyInfo(core.Sequence):
    _fields: ClassVar[list[tuple[Any, ...]]] = [("algorithm", _KeyAlgorithm), ("public_key", core.BitString)]


@dataclass(frozen=True)
class Domain:
    """A key's curve and the S-box its GOST hashes use."""

    curve: BinaryCurve
    sbox: SBox
    named_oid: str | None

    @classmethod
    def named(cls, oid: str = M257, sbox: SBox = DKE_1) -> Domain:
        return cls(named_curve(oid), sbox, oid)

    @classmethod
    def from_parameters(cls, der: bytes) -> Domain:
        return _domain_from_parameters(der)

    def parameters(self) -> DstuParameters:
        if self.named_oid is None:
            raise DstuError("only named curves are written")
        fields: dict[str, object] = {"curve": _Curve(name="named", value=self.named_oid)}
        if self.sbox != DKE_1:
            fields["dke"] = self.sbox.dke()
        return DstuParameters(fields)


@lru_cache(maxsize=64)
def _domain_from_parameters(der: bytes) -> Domain:
    try:
        parameters = DstuParameters.load(der, strict=True)
        curve = parameters["curve"]
        dke = parameters["dke"].native
        sbox = SBox.from_dke(dke) if dke is not None else DKE_1
        if curve.name == "named":
            return Domain(named_curve(curve.chosen.dotted), sbox, curve.chosen.dotted)
        return Domain(_explicit_curve(curve.chosen), sbox, None)
    except (ValueError, TypeError, KeyError) as exc:
        raise DstuError(f"unusable DSTU 4145 parameters: {exc}") from exc


def _explicit_curve(params: _ECBinary) -> BinaryCurve:
    field = params["f"]
    polynomial = field["polynomial"]
    exponents = (
        (polynomial.chosen.native,) if polynomial.name == "trinomial"
        else tuple(sorted(polynomial.chosen.native.values()))
    )  # fmt: skip
    m, a, n = field["m"].native, params["a"].native, params["n"].native
    if a not in (0, 1):
        raise DstuError("DSTU 4145 curves have A = 0 or 1")
    b = int.from_bytes(params["b"].native, "little")
    # the base point needs the curve to be decompressed: a provisional curve with any point of it first
    cofactor = 4 if a == 0 else 2
    provisional = BinaryCurve(m, exponents, a, b, _any_point(m, exponents, a, b), n, cofactor)
    base = decompress(provisional, params["bp"].native)
    return BinaryCurve(m, exponents, a, b, base, n, cofactor)


def _any_point(m: int, exponents: tuple[int, ...], a: int, b: int) -> Point:
    # x = 0 gives y² = b, whose root is b^(2^(m-1)); it lies on every curve of this form
    polynomial = (1 << m) | sum(1 << exponent for exponent in exponents) | 1
    y = b
    for _ in range(m - 1):
        y = _square(y, polynomial, m)
    return 0, y


def _square(value: int, polynomial: int, m: int) -> int:
    result = 0
    bit = 0
    while value:
        if value & 1:
            result |= 1 << (2 * bit)
        value >>= 1
        bit += 1
    for degree in range(result.bit_length() - 1, m - 1, -1):
        if result >> degree & 1:
            result ^= polynomial << (degree - m)
    return result


# --- points ----------------------------------------------------------------------------------------------------


def compress(curve: BinaryCurve, point: Point) -> bytes:
    """DSTU 4145's compression, little-endian as keys carry it: x, its lowest bit replaced by Tr(y/x)."""
    x, y = point
    value = x
    if x:
        value = (x & ~1) | curve.trace(curve.divide(y, x))
    return value.to_bytes(curve.field_bytes, "little")


def decompress(curve: BinaryCurve, data: bytes) -> Point:
    """The point of DSTU 4145 §6.9 from its compressed little-endian form."""
    value = int.from_bytes(data, "little")
    if value >> curve.m:
        raise DstuError("a compressed point is longer than the field")
    wanted_trace = value & 1
    # the lowest bit carried Tr(y/x); x's own is the one that makes Tr(x) = A, as for every point of order n
    x = value & ~1
    if curve.trace(x) != curve.a:
        x |= 1
    if x == 0:
        raise DstuError("a public key cannot have x = 0")
    try:
        candidate = curve.solve_compressed(x, 0)
    except CurveError as exc:
        raise DstuError(f"not a point of the curve: {exc}") from exc
    if curve.trace(curve.divide(candidate[1], x)) != wanted_trace:
        # the other root: y + x, whose y/x is one more and so of the other trace (m is odd)
        candidate = (x, candidate[1] ^ x)
    return candidate


# --- keys and signatures ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicKey:
    domain: Domain
    point: Point

    @classmethod
    def from_subject_public_key_info(cls, parameters_der: bytes, key_bits: bytes) -> PublicKey:
        """From a certificate's key: the parameters' DER and the BIT STRING's bytes (an OCTET STRING)."""
        domain = Domain.from_parameters(parameters_der)
        return cls(domain, _decoded_point(domain.curve, key_bits))

    @classmethod
    def from_subject_public_key_info_der(cls, der: bytes) -> PublicKey:
        try:
            info = _SubjectPublicKeyInfo.load(der, strict=True)
            if info["algorithm"]["algorithm"].dotted not in SIGNATURE_ALGORITHMS:
                raise DstuError("not a DSTU 4145 key")
            return cls.from_subject_public_key_info(
                info["algorithm"]["parameters"].dump(), info["public_key"].contents[1:]
            )
        except (ValueError, TypeError, KeyError) as exc:
            raise DstuError(f"unusable DSTU 4145 key: {exc}") from exc

    def encoded(self) -> bytes:
        """The BIT STRING's content of a SubjectPublicKeyInfo: an OCTET STRING of the compressed point."""
        return core.OctetString(compress(self.domain.curve, self.point)).dump()

    def verify(self, digest: bytes, signature: bytes) -> bool:
        """Check a signature over a GOST 34.311 ``digest`` in either of its encodings (:func:`signature_values`)."""
        return self.verified_values(digest, signature) is not None

    def verified_values(self, digest: bytes, signature: bytes) -> tuple[int, int] | None:
        """The (r, s) of the reading of ``signature`` that verifies, if one does."""
        curve = self.domain.curve
        h = hash_to_field(curve, digest)
        for r, s in signature_values(curve, signature):
            if _verify_values(curve, self.point, h, r, s):
                return r, s
        return None


@dataclass(frozen=True)
class PrivateKey:
    domain: Domain
    d: int

    def __post_init__(self) -> None:
        if not 0 < self.d < self.domain.curve.order:
            raise DstuError("the private key is out of range")

    @classmethod
    def generate(cls, domain: Domain) -> PrivateKey:
        return cls(domain, secrets.randbelow(domain.curve.order - 1) + 1)

    def public_key(self) -> PublicKey:
        curve = self.domain.curve
        point = curve.combine(curve.order - self.d)  # Q = -dP
        assert point is not None  # 0 < d < n
        return PublicKey(self.domain, point)

    def sign(self, digest: bytes) -> bytes:
        """The signature over a GOST 34.311 ``digest``: r‖s little-endian, as Ukrainian CMS carries it."""
        curve = self.domain.curve
        h = hash_to_field(curve, digest)
        while True:
            e = secrets.randbelow(curve.order - 1) + 1
            r, s = sign_values(curve, self.d, h, e)
            if r and s:
                return encode_signature(curve, r, s)


def hash_to_field(curve: BinaryCurve, digest: bytes) -> int:
    """The hash as a field element: its bytes read little-endian, cut to m bits, 1 if that is 0."""
    value = int.from_bytes(digest, "little") & ((1 << curve.m) - 1)
    return value or 1


def sign_values(curve: BinaryCurve, d: int, h: int, e: int) -> tuple[int, int]:
    """(r, s) for the random ``e``; a zero value means "choose another e" (DSTU 4145 §7.5)."""
    point = curve.combine(e)
    if point is None or point[0] == 0:
        return 0, 0
    r = _truncate(curve, curve.multiply(h, point[0]))
    return r, (e + d * r) % curve.order


def encode_signature(curve: BinaryCurve, r: int, s: int) -> bytes:
    size = (curve.order.bit_length() + 7) // 8
    return r.to_bytes(size, "little") + s.to_bytes(size, "little")


def signature_values(curve: BinaryCurve, signature: bytes) -> list[tuple[int, int]]:
    """Every plausible reading of a signature: r‖s little-endian as in CMS, or that wrapped in an OCTET STRING
    as in certificates and CRLs (and as Bouncy Castle's ``Signature`` gives it)."""
    readings = [signature]
    if len(signature) > 2 and signature[0] == 0x04 and signature[1] == len(signature) - 2:
        readings.append(signature[2:])
    values = []
    for reading in readings:
        if not reading or len(reading) % 2 or len(reading) > 2 * curve.field_bytes + 2:
            continue
        half = len(reading) // 2
        values.append((int.from_bytes(reading[:half], "little"), int.from_bytes(reading[half:], "little")))
    return values


def _verify_values(curve: BinaryCurve, q: Point, h: int, r: int, s: int) -> bool:
    if not (0 < r < curve.order and 0 < s < curve.order):
        return False
    point = curve.combine(s, q, r)  # sP + rQ = eP for the right key
    if point is None:
        return False
    return _truncate(curve, curve.multiply(h, point[0])) == r


def _truncate(curve: BinaryCurve, value: int) -> int:
    return value & ((1 << (curve.order.bit_length() - 1)) - 1)


def _decoded_point(curve: BinaryCurve, key_bits: bytes) -> Point:
    try:
        compressed = core.OctetString.load(key_bits, strict=True).native
    except ValueError as exc:
        raise DstuError(f"a DSTU 4145 public key is an OCTET STRING: {exc}") from exc
    # on the curve (decompression sees to it); whether n·Q = O is left to the CA that certified the key, as
    # Bouncy Castle and jkurwa do: a verifier holds no secret a key outside the subgroup could draw out
    return decompress(curve, compressed)
