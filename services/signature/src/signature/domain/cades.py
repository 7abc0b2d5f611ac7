"""Detached CAdES-BES signatures (CMS ``SignedData``) in the three steps of the EU DSS framework.

1. :func:`prepare` – the server builds the signed attributes; their DER ``SET OF`` encoding is the data
   to sign.
2. The signer's key signs that data outside the server (WebCrypto or the DSTU signer in the browser, a CLI
   signer).
3. :func:`assemble` – the server checks the signature value and wraps everything into a detached
   ``SignedData``.

The hash follows the signer's key: SHA-256 for ECDSA and RSA; for a Ukrainian qualified key (DSTU 4145) GOST
34.311 — of the document (message-digest), of the certificate (signing-certificate-v2) and of the signed
attributes — with the signature value r‖s little-endian, as Ukrainian verifiers expect.

:func:`verify` checks such a signature (ours or anyone's CAdES-BES of these kinds) against a document digest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding

from . import dstu4145
from .certificates import (
    CertificateCheck,
    CertificateInfo,
    TrustStore,
    certificate_sha256,
    check_certificate,
    dstu_public_key,
)
from .gost34311 import gost34311

_SHA256_SIZE = 32
_DIGEST_SIZE = 32  # SHA-256 and GOST 34.311 alike
# RFC 5652 §11.3: signing-time is UTCTime for 1950..2049, GeneralizedTime otherwise.
_UTC_TIME_YEARS = range(1950, 2050)
# signatureAlgorithm values accepted on verification, by key type (plain rsaEncryption is common in CMS).
_ECDSA_ALGORITHMS = frozenset({"sha256_ecdsa"})
_RSA_ALGORITHMS = frozenset({"sha256_rsa", "rsassa_pkcs1v15"})
_SINGLE_VALUED_ATTRIBUTES = frozenset(
    {"content_type", "message_digest", "signing_time", "signing_certificate_v2"}
)


class SignatureFailure(StrEnum):
    """Why a signature is refused; the values are stable codes shown to clients."""

    MALFORMED = "malformed"
    UNSUPPORTED_ALGORITHM = "unsupported_algorithm"
    SIGNER_CERTIFICATE_MISSING = "signer_certificate_missing"
    SIGNING_CERTIFICATE_MISMATCH = "signing_certificate_mismatch"
    MESSAGE_DIGEST_MISMATCH = "message_digest_mismatch"
    SIGNATURE_INVALID = "signature_invalid"


class SignatureError(Exception):
    def __init__(self, reason: SignatureFailure, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason


@dataclass(frozen=True, slots=True)
class PreparedSignature:
    """Step 1's result. Only ``data_to_sign`` needs storing: :meth:`from_data_to_sign` recovers the rest."""

    data_to_sign: bytes
    #: SHA-256 or GOST 34.311, as the signer's key wants (see :func:`document_digest`)
    document_digest: bytes
    signing_time: datetime
    certificate_digest: bytes

    @classmethod
    def from_data_to_sign(cls, data_to_sign: bytes) -> PreparedSignature:
        try:
            attributes = _SignedAttributes.read(cms.CMSAttributes.load(data_to_sign, strict=True))
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            raise SignatureError(SignatureFailure.MALFORMED, f"not signed attributes: {exc}") from exc
        if attributes.signing_time is None:
            raise SignatureError(SignatureFailure.MALFORMED, "signing-time attribute missing")
        return cls(
            data_to_sign, attributes.message_digest, attributes.signing_time, attributes.certificate_digest
        )


@dataclass(frozen=True, slots=True)
class VerifiedSignature:
    """A signature whose mathematics and attributes are right; ``certificate_check`` says if its signer is."""

    certificate: x509.Certificate
    certificate_check: CertificateCheck
    signing_time: datetime | None

    @property
    def signer(self) -> CertificateInfo:
        return self.certificate_check.info


def is_dstu(certificate: x509.Certificate) -> bool:
    """Whether the certificate's key is DSTU 4145 (its signatures hash with GOST 34.311)."""
    return certificate.public_key_algorithm_oid.dotted_string in dstu4145.SIGNATURE_ALGORITHMS


def document_digest(certificate: x509.Certificate, content: bytes) -> bytes:
    """The digest of ``content`` a signature by this certificate's key carries."""
    key = dstu_public_key(certificate)
    if key is not None:
        return gost34311(content, sbox=key.domain.sbox)
    return hashlib.sha256(content).digest()


def prepare(
    document_digest: bytes, certificate: x509.Certificate, signing_time: datetime
) -> PreparedSignature:
    """Build the signed attributes for a detached signature of the document with this digest (SHA-256, or GOST
    34.311 for a DSTU 4145 certificate: :func:`document_digest`)."""
    if len(document_digest) != _DIGEST_SIZE:
        raise ValueError("document_digest must be a 32-byte digest")
    if signing_time.tzinfo is None:
        raise ValueError("signing_time must be timezone-aware")
    # The attribute has whole seconds only; keep the value that will be read back.
    signing_time = signing_time.astimezone(UTC).replace(microsecond=0)
    cert_id: dict[str, object] = {"issuer_serial": _issuer_serial(certificate)}
    if is_dstu(certificate):
        cert_hash = _certificate_gost34311(certificate)
        cert_id["hash_algorithm"] = {"algorithm": dstu4145.GOST34311}
    else:
        # hashAlgorithm is left out: SHA-256 is its DEFAULT, and DER omits defaults.
        cert_hash = certificate_sha256(certificate)
    cert_id["cert_hash"] = cert_hash
    attributes = cms.CMSAttributes(
        [
            cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
            cms.CMSAttribute({"type": "message_digest", "values": [document_digest]}),
            cms.CMSAttribute({"type": "signing_time", "values": [_cms_time(signing_time)]}),
            cms.CMSAttribute({"type": "signing_certificate_v2", "values": [{"certs": [cert_id]}]}),
        ]
    )
    # The SET OF encoding (tag 0x31, DER-sorted) is what RFC 5652 §5.4 says the signature covers.
    return PreparedSignature(attributes.dump(), document_digest, signing_time, cert_hash)


def assemble(
    prepared: PreparedSignature,
    signature_value: bytes,
    certificate: x509.Certificate,
    chain: Sequence[x509.Certificate] = (),
) -> bytes:
    """Check ``signature_value`` over the prepared data and return the detached CMS ``SignedData`` (DER).

    ECDSA values may come raw (r||s, IEEE P1363, as WebCrypto gives them) or DER-encoded; RSA is PKCS#1 v1.5;
    DSTU 4145 r‖s little-endian (as jkurwa and IIT give it) or that in an OCTET STRING (Bouncy Castle's form).
    """
    if _certificate_digest(certificate, dstu=is_dstu(certificate)) != prepared.certificate_digest:
        raise SignatureError(
            SignatureFailure.SIGNING_CERTIFICATE_MISMATCH,
            "the data to sign was prepared for another certificate",
        )
    digest_name = "sha256"
    if is_dstu(certificate):
        signature_value = _verified_dstu(certificate, signature_value, prepared.data_to_sign)
        signature_algorithm, digest_name = dstu4145.DSTU4145_LE, dstu4145.GOST34311
    elif isinstance(public_key := certificate.public_key(), ec.EllipticCurvePublicKey):
        signature_value = _verified_ecdsa_der(public_key, signature_value, prepared.data_to_sign)
        signature_algorithm = "sha256_ecdsa"
    elif isinstance(public_key, rsa.RSAPublicKey):
        _verify_rsa(public_key, signature_value, prepared.data_to_sign)
        signature_algorithm = "sha256_rsa"
    else:
        raise SignatureError(SignatureFailure.UNSUPPORTED_ALGORITHM, "only ECDSA, RSA and DSTU 4145 keys can sign")

    digest_algorithm = algos.DigestAlgorithm({"algorithm": digest_name})
    signer_info = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                {
                    "issuer_and_serial_number": {
                        "issuer": _asn1_name(certificate.issuer),
                        "serial_number": certificate.serial_number,
                    }
                }
            ),
            "digest_algorithm": digest_algorithm,
            "signed_attrs": cms.CMSAttributes.load(prepared.data_to_sign),
            "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": signature_algorithm}),
            "signature": signature_value,
        }
    )
    signed_data = cms.SignedData(
        {
            "version": "v1",
            "digest_algorithms": [digest_algorithm],
            "encap_content_info": {"content_type": "data"},
            "certificates": [
                asn1_x509.Certificate.load(item.public_bytes(Encoding.DER)) for item in (certificate, *chain)
            ],
            "signer_infos": [signer_info],
        }
    )
    return cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump()


def verify(
    cms_der: bytes,
    *,
    document_sha256: bytes | None = None,
    document_gost34311: bytes | None = None,
    trust: TrustStore,
    at: datetime,
    expected_edrpou: str | None = None,
) -> VerifiedSignature:
    """Verify a detached CAdES-BES signature of the document with these digests (the one the signature's digest
    algorithm names must be given: SHA-256, or GOST 34.311 for DSTU 4145 signatures).

    Raises :class:`SignatureError` when the signature itself is wrong; problems of the signer's certificate
    (trust, validity at ``at``, revocation, EDRPOU) are reported in the result's ``certificate_check``.
    """
    parsed = _ParsedSignature.read(cms_der)
    dstu = parsed.digest_algorithm == dstu4145.GOST34311
    expected_digest = {"sha256": document_sha256, dstu4145.GOST34311: document_gost34311}.get(
        parsed.digest_algorithm
    )
    if expected_digest is None:
        raise SignatureError(SignatureFailure.UNSUPPORTED_ALGORITHM, f"digest {parsed.digest_algorithm}")
    if parsed.attributes.content_type != parsed.content_type:
        raise SignatureError(
            SignatureFailure.MALFORMED, "content-type attribute differs from the content type"
        )
    if parsed.attributes.message_digest != expected_digest:
        raise SignatureError(SignatureFailure.MESSAGE_DIGEST_MISMATCH, "the signature is of another document")
    if (
        parsed.attributes.certificate_digest_algorithm != parsed.digest_algorithm
        or _certificate_digest(parsed.certificate, dstu=dstu) != parsed.attributes.certificate_digest
    ):
        raise SignatureError(
            SignatureFailure.SIGNING_CERTIFICATE_MISMATCH, "signing-certificate-v2 names another certificate"
        )

    if dstu:
        if not is_dstu(parsed.certificate) or parsed.signature_algorithm not in dstu4145.SIGNATURE_ALGORITHMS:
            raise SignatureError(SignatureFailure.UNSUPPORTED_ALGORITHM, f"signature {parsed.signature_algorithm}")
        _verified_dstu(parsed.certificate, parsed.signature, parsed.signed_bytes)
    elif is_dstu(parsed.certificate):
        raise SignatureError(SignatureFailure.UNSUPPORTED_ALGORITHM, "a DSTU 4145 key signs GOST 34.311 hashes")
    elif isinstance(public_key := parsed.certificate.public_key(), ec.EllipticCurvePublicKey) and (
        parsed.signature_algorithm in _ECDSA_ALGORITHMS
    ):
        try:
            public_key.verify(parsed.signature, parsed.signed_bytes, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature as exc:
            raise SignatureError(
                SignatureFailure.SIGNATURE_INVALID, "ECDSA signature does not verify"
            ) from exc
    elif isinstance(public_key, rsa.RSAPublicKey) and parsed.signature_algorithm in _RSA_ALGORITHMS:
        _verify_rsa(public_key, parsed.signature, parsed.signed_bytes)
    else:
        raise SignatureError(
            SignatureFailure.UNSUPPORTED_ALGORITHM, f"signature {parsed.signature_algorithm}"
        )

    check = check_certificate(parsed.certificate, trust, at=at, expected_edrpou=expected_edrpou)
    return VerifiedSignature(parsed.certificate, check, parsed.attributes.signing_time)


def ecdsa_raw_to_der(raw: bytes, curve: ec.EllipticCurve) -> bytes:
    """Convert an IEEE P1363 ECDSA signature (r||s, fixed width) to the DER ``ECDSA-Sig-Value`` CMS needs."""
    size = (curve.key_size + 7) // 8
    if len(raw) != 2 * size:
        raise SignatureError(
            SignatureFailure.MALFORMED, f"raw {curve.name} signature must be {2 * size} bytes"
        )
    return encode_dss_signature(int.from_bytes(raw[:size], "big"), int.from_bytes(raw[size:], "big"))


@dataclass(frozen=True, slots=True)
class _SignedAttributes:
    content_type: str
    message_digest: bytes
    signing_time: datetime | None
    certificate_digest: bytes
    certificate_digest_algorithm: str

    @classmethod
    def read(cls, attributes: cms.CMSAttributes) -> _SignedAttributes:
        values: dict[str, core.Asn1Value] = {}
        for attribute in attributes:
            name = attribute["type"].native
            # RFC 5652 §11 and RFC 5035: the attributes read here are single-valued and occur once.
            if name in _SINGLE_VALUED_ATTRIBUTES:
                if name in values or len(attribute["values"]) != 1:
                    raise SignatureError(
                        SignatureFailure.MALFORMED, f"attribute {name} must occur once, one value"
                    )
                values[name] = attribute["values"][0]
        missing = {"content_type", "message_digest", "signing_certificate_v2"} - values.keys()
        if missing:
            raise SignatureError(SignatureFailure.MALFORMED, f"signed attributes missing: {sorted(missing)}")
        # RFC 5035: the first ESSCertIDv2 identifies the signer's certificate.
        signer_cert_id = values["signing_certificate_v2"]["certs"][0]
        hash_algorithm = signer_cert_id["hash_algorithm"]["algorithm"].native
        if hash_algorithm not in ("sha256", dstu4145.GOST34311):
            raise SignatureError(SignatureFailure.UNSUPPORTED_ALGORITHM, "signing-certificate-v2 hash")
        signing_time = values.get("signing_time")
        return cls(
            content_type=values["content_type"].native,
            message_digest=values["message_digest"].native,
            signing_time=signing_time.native if signing_time is not None else None,
            certificate_digest=signer_cert_id["cert_hash"].native,
            certificate_digest_algorithm=hash_algorithm,
        )


@dataclass(frozen=True, slots=True)
class _ParsedSignature:
    content_type: str
    certificate: x509.Certificate
    attributes: _SignedAttributes
    signed_bytes: bytes
    digest_algorithm: str
    signature_algorithm: str
    signature: bytes

    @classmethod
    def read(cls, cms_der: bytes) -> _ParsedSignature:
        # asn1crypto parses lazily, so malformed input can fail at any access below.
        try:
            content_info = cms.ContentInfo.load(cms_der, strict=True)
            if content_info["content_type"].native != "signed_data":
                raise SignatureError(SignatureFailure.MALFORMED, "not a CMS SignedData")
            signed_data = content_info["content"]
            signer_infos = signed_data["signer_infos"]
            if len(signer_infos) != 1:
                raise SignatureError(SignatureFailure.MALFORMED, "exactly one signer is expected")
            signer_info = signer_infos[0]
            if not isinstance(signer_info["signed_attrs"], cms.CMSAttributes):
                raise SignatureError(SignatureFailure.MALFORMED, "CAdES needs signed attributes")
            # Taken before anything is read: asn1crypto re-encodes values once their .native was asked for.
            signed_bytes = _signed_bytes(signer_info)
            return cls(
                content_type=signed_data["encap_content_info"]["content_type"].native,
                certificate=_signer_certificate(signed_data, signer_info["sid"]),
                attributes=_SignedAttributes.read(signer_info["signed_attrs"]),
                signed_bytes=signed_bytes,
                digest_algorithm=signer_info["digest_algorithm"]["algorithm"].native,
                signature_algorithm=signer_info["signature_algorithm"]["algorithm"].native,
                signature=signer_info["signature"].native,
            )
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            raise SignatureError(SignatureFailure.MALFORMED, f"not a CMS signature: {exc}") from exc


def _signer_certificate(signed_data: cms.SignedData, sid: cms.SignerIdentifier) -> x509.Certificate:
    for choice in signed_data["certificates"] or ():
        if choice.name != "certificate":
            continue
        candidate = x509.load_der_x509_certificate(choice.chosen.dump())
        if sid.name == "issuer_and_serial_number":
            # Encodings are compared, as OpenSSL does, rather than normalised names.
            matches = (
                candidate.serial_number == sid.chosen["serial_number"].native
                and candidate.issuer.public_bytes() == sid.chosen["issuer"].dump()
            )
        else:
            matches = _subject_key_identifier(candidate) == sid.chosen.native
        if matches:
            return candidate
    raise SignatureError(
        SignatureFailure.SIGNER_CERTIFICATE_MISSING, "the signer's certificate is not included"
    )


def _subject_key_identifier(certificate: x509.Certificate) -> bytes | None:
    try:
        return certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        return None


def _signed_bytes(signer_info: cms.SignerInfo) -> bytes:
    # The signature covers the attributes encoded as a SET OF (tag 0x31), not with their [0] IMPLICIT tag;
    # swapping the one tag byte keeps the signer's exact bytes instead of re-encoding them.
    return b"\x31" + signer_info["signed_attrs"].dump()[1:]


def _verified_ecdsa_der(public_key: ec.EllipticCurvePublicKey, value: bytes, data: bytes) -> bytes:
    # A 64-byte value for P-256 may be raw r||s or (rarely) DER, so each plausible reading is tried.
    candidates = []
    size = (public_key.curve.key_size + 7) // 8
    if len(value) == 2 * size:
        candidates.append(ecdsa_raw_to_der(value, public_key.curve))
    if _is_der_ecdsa(value):
        candidates.append(value)
    for candidate in candidates:
        try:
            public_key.verify(candidate, data, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            continue
        return candidate
    raise SignatureError(SignatureFailure.SIGNATURE_INVALID, "the signature is not by the certificate's key")


def _is_der_ecdsa(value: bytes) -> bool:
    try:
        r, s = decode_dss_signature(value)
    except ValueError:
        return False
    return encode_dss_signature(r, s) == value


def _verified_dstu(certificate: x509.Certificate, value: bytes, data: bytes) -> bytes:
    """The signature value as CMS carries it (r‖s little-endian, fixed width) once it verifies."""
    try:
        key = dstu_public_key(certificate)
    except dstu4145.DstuError as exc:
        raise SignatureError(SignatureFailure.UNSUPPORTED_ALGORITHM, str(exc)) from exc
    assert key is not None  # is_dstu
    values = key.verified_values(gost34311(data, sbox=key.domain.sbox), value)
    if values is None:
        raise SignatureError(SignatureFailure.SIGNATURE_INVALID, "the signature is not by the certificate's key")
    return dstu4145.encode_signature(key.domain.curve, *values)


def _certificate_digest(certificate: x509.Certificate, *, dstu: bool) -> bytes:
    return _certificate_gost34311(certificate) if dstu else certificate_sha256(certificate)


def _certificate_gost34311(certificate: x509.Certificate) -> bytes:
    return _gost34311_of_certificate(certificate.public_bytes(Encoding.DER))


@lru_cache(maxsize=4096)
def _gost34311_of_certificate(der: bytes) -> bytes:
    # a signer's certificate is hashed for every signature it makes: once is enough (GOST 34.311 in Python costs
    # a few milliseconds for a certificate)
    return gost34311(der)


def _verify_rsa(public_key: rsa.RSAPublicKey, value: bytes, data: bytes) -> None:
    try:
        public_key.verify(value, data, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature as exc:
        raise SignatureError(
            SignatureFailure.SIGNATURE_INVALID, "the signature is not by the certificate's key"
        ) from exc


def _cms_time(moment: datetime) -> cms.Time:
    if moment.year in _UTC_TIME_YEARS:
        return cms.Time({"utc_time": moment})
    return cms.Time({"generalized_time": moment})


def _asn1_name(name: x509.Name) -> asn1_x509.Name:
    return asn1_x509.Name.load(name.public_bytes())


def _issuer_serial(certificate: x509.Certificate) -> tsp.IssuerSerial:
    return tsp.IssuerSerial(
        {
            "issuer": [asn1_x509.GeneralName({"directory_name": _asn1_name(certificate.issuer)})],
            "serial_number": certificate.serial_number,
        }
    )
