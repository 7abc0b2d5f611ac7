"""Signers' certificates: registered, listed and withdrawn by their users, and the checks every signature's
certificate passes — trusted (`domain.certificates`: the CAs and their CRLs), a key whose signatures the cabinet
verifies, and its owner's: a consumer's signer carries the consumer's EDRPOU, the supplier's (and the seal) a
supplier branch's."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import NoReturn

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Principal
from shared.errors import Conflict, Invalid, NotFound
from shared.metrics import BUSINESS_EVENTS
from signature.access import Consumers, Signer
from signature.domain import cades
from signature.domain.certificates import (
    CertificateFailure,
    CertificateFormatError,
    CertificateInfo,
    check_certificate,
    dstu_public_key,
    load_certificate,
)
from signature.domain.dstu4145 import DstuError
from signature.domain.statuses import Party
from signature.models import Certificate
from signature.runtime import Runtime

#: a Ukrainian qualified key: DSTU 4145 over GOST 34.311 (the browser signs with its DSTU signer)
DSTU_SIGNATURE_ALGORITHM = "DSTU4145_GOST34311"
#: beyond the certificate checks of `domain.certificates`: a key the cabinet cannot verify signatures of
UNSUPPORTED_KEY = "unsupported_key"
UNREADABLE = "unreadable"
_CURVE_NAMES = {"secp256r1": "P256", "secp384r1": "P384", "secp521r1": "P521"}


class CertificateRefused(Invalid):
    def __init__(self, reasons: Sequence[str]) -> None:
        super().__init__(
            "the certificate cannot be used for signing", code="certificate_refused",
            fields={"certificate": reasons[0]}, extra={"reasons": list(reasons)},
        )


def refuse(reasons: Sequence[str]) -> NoReturn:
    BUSINESS_EVENTS.labels("signature", "certificate_refused").inc()
    raise CertificateRefused(reasons)


class Certificates:
    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.session = session
        self.runtime = runtime
        self.consumers = Consumers(session, runtime)

    async def register(self, principal: Principal, certificate_pem: str) -> Certificate:
        signer = Signer.of(principal)
        try:
            certificate = load_certificate(certificate_pem.encode())
        except (CertificateFormatError, UnicodeError):
            refuse([UNREADABLE])
        if signer.party is Party.CONSUMER:
            await self.consumers.check_signing_allowed(signer)
        reasons = await self.failures(certificate, signer, self.runtime.clock())
        if reasons:
            refuse(reasons)
        registered = Certificate(
            user_id=signer.user_id, consumer_id=signer.consumer_id, party=signer.party,
            der=certificate.public_bytes(Encoding.DER), **certificate_columns(CertificateInfo.of(certificate)),
        )
        self.session.add(registered)
        try:
            await self.session.flush()
        except IntegrityError:
            raise Conflict("this certificate is registered already", code="already_registered") from None
        BUSINESS_EVENTS.labels("signature", "certificate_registered").inc()
        return registered

    async def listing(self, principal: Principal) -> list[Certificate]:
        signer = Signer.of(principal)
        assert signer.user_id is not None  # a signer acting through the API is a user
        return list(await self.session.scalars(
            select(Certificate).where(Certificate.user_id == signer.user_id).order_by(Certificate.registered_at.desc())
        ))

    async def withdraw(self, principal: Principal, certificate_id: uuid.UUID) -> None:
        certificate = await self.own(Signer.of(principal), certificate_id)
        certificate.revoked_at = self.runtime.clock()

    def trusted_authorities(self) -> list[tuple[x509.Certificate, datetime | None]]:
        return [
            (authority.certificate, authority.crl.next_update_utc if authority.crl is not None else None)
            for authority in self.runtime.trust.store.authorities()
        ]

    async def own(self, signer: Signer, certificate_id: uuid.UUID) -> Certificate:
        """The signer's certificate, not withdrawn."""
        certificate = await self.session.get(Certificate, certificate_id)
        if certificate is None or certificate.user_id != signer.user_id or certificate.revoked_at is not None:
            raise NotFound("no such certificate", code="certificate_not_found")
        return certificate

    async def failures(
        self, certificate: x509.Certificate, signer: Signer, at: datetime, *, consumer_id: uuid.UUID | None = None
    ) -> list[str]:
        """Why `certificate` cannot sign for `signer` at `at` (for `consumer_id`'s document; by default the
        signer's own consumer's): nothing when it can."""
        check = check_certificate(certificate, self.runtime.trust.store, at=at, expected_edrpou=None)
        reasons = [failure.value for failure in check.failures]
        if signature_algorithm_or_none(certificate) is None:
            reasons.append(UNSUPPORTED_KEY)
        reasons += await self.ownership_failures(check.info.edrpou, signer, consumer_id or signer.consumer_id)
        return reasons

    async def ownership_failures(
        self, edrpou: str | None, signer: Signer, consumer_id: uuid.UUID | None
    ) -> list[str]:
        """A consumer's signer carries the consumer's EDRPOU; the supplier's (and the seal) a supplier branch's."""
        if signer.party is Party.CONSUMER:
            consumer = await self.consumers.one(consumer_id) if consumer_id else None
            owned = consumer is not None and edrpou == consumer.edrpou
        else:
            owned = edrpou in await self.runtime.identity.branch_edrpous()
        return [] if owned else [CertificateFailure.EDRPOU_MISMATCH.value]


def certificate_columns(info: CertificateInfo) -> dict[str, object]:
    return {
        "subject": info.subject, "common_name": info.common_name, "edrpou": info.edrpou,
        "serial": format(info.serial_number, "x"), "issuer": info.issuer, "not_before": info.not_before,
        "not_after": info.not_after, "fingerprint_sha256": info.sha256_fingerprint,
    }


def signature_algorithm_or_none(certificate: x509.Certificate) -> str | None:
    if cades.is_dstu(certificate):
        try:
            dstu_public_key(certificate)
        except DstuError:
            return None
        return DSTU_SIGNATURE_ALGORITHM
    key = certificate.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey):
        curve = _CURVE_NAMES.get(key.curve.name)
        return f"ECDSA_{curve}_SHA256" if curve else None
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA_PKCS1_SHA256"
    return None


def signature_algorithm(certificate: x509.Certificate) -> str:
    algorithm = signature_algorithm_or_none(certificate)
    assert algorithm is not None  # refused at registration otherwise
    return algorithm
