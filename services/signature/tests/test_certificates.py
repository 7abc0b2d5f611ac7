"""Registering certificates: every refusal reason over HTTP, ownership by EDRPOU, the trust files reloaded."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import Encoding
from prometheus_client import REGISTRY

from devtools.testca import Validity, create_ca, issue_certificate, reissue_crl, revoke
from shared.auth import Principal, Role

CONSUMER_EDRPOU = "12345678"


def business_count(kind: str) -> float:
    return REGISTRY.get_sample_value("cabinet_business_events_total", {"service": "signature", "kind": kind}) or 0.0


async def refusal(cabinet, principal, pem: str) -> dict:
    response = await cabinet.api(principal).post("/api/v1/certificates", json={"certificate_pem": pem})
    assert response.status_code == 422, response.text
    detail: dict = response.json()["detail"]
    assert detail["code"] == "certificate_refused"
    assert detail["fields"] == {"certificate": detail["reasons"][0]}
    return detail


def pem_of(issued) -> str:
    return issued.certificate.public_bytes(Encoding.PEM).decode()


@pytest.mark.parametrize(
    ("options", "reasons"),
    [
        ({"validity": Validity.EXPIRED}, ["expired"]),
        ({"validity": Validity.NOT_YET_VALID}, ["not_yet_valid"]),
        ({"wrong_key_usage": True}, ["key_usage"]),
        ({"self_signed": True}, ["untrusted_chain", "self_signed"]),
        ({"edrpou": "87654321"}, ["edrpou_mismatch"]),
        ({"key": ed25519.Ed25519PrivateKey.generate()}, ["unsupported_key"]),
    ],
)
async def test_a_certificate_is_refused_with_its_reasons(cabinet, options, reasons) -> None:
    refused_before = business_count("certificate_refused")
    issued = cabinet.trust.issue(options.pop("edrpou", CONSUMER_EDRPOU), **options)

    detail = await refusal(cabinet, cabinet.consumer_a, pem_of(issued))

    assert detail["reasons"] == reasons
    assert business_count("certificate_refused") == refused_before + 1
    assert await cabinet.scalar("SELECT count(*) FROM certificates") == 0


async def test_a_certificate_of_an_untrusted_ca_is_refused(cabinet) -> None:
    stranger = create_ca("Чужий АЦСК")
    issued = cabinet.trust.issue(CONSUMER_EDRPOU)
    foreign = issue_certificate(stranger, common_name="Хтось", organization="Кооператив", edrpou=CONSUMER_EDRPOU)

    assert (await refusal(cabinet, cabinet.consumer_a, pem_of(foreign)))["reasons"] == ["untrusted_chain"]
    assert (await cabinet.register(cabinet.consumer_a, issued))["edrpou"] == CONSUMER_EDRPOU


@pytest.mark.parametrize(
    "pem", ["", "not a certificate", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"]
)
async def test_an_unreadable_certificate_is_refused(cabinet, pem: str) -> None:
    assert (await refusal(cabinet, cabinet.consumer_a, pem))["reasons"] == ["unreadable"]


async def test_a_revoked_certificate_is_refused_once_the_new_crl_is_loaded(cabinet) -> None:
    issued = cabinet.trust.issue(CONSUMER_EDRPOU)
    registered = await cabinet.register(cabinet.consumer_a, issued)
    document = await cabinet.store_document(cabinet.consumer_a.consumer_id)

    assert (await cabinet.prepare(cabinet.consumer_a, document["id"], registered["id"])).status_code == 201

    cabinet.trust.publish_crl(revoke(cabinet.trust.ca, issued.certificate))

    async def refused_as_revoked() -> bool:
        prepare = await cabinet.prepare(cabinet.consumer_a, document["id"], registered["id"])
        return prepare.status_code == 422 and prepare.json()["detail"]["reasons"] == ["revoked"]

    await cabinet.eventually(refused_as_revoked)  # the service reads the new CRL by itself
    await cabinet.api(cabinet.consumer_a).delete(f"/api/v1/certificates/{registered['id']}")
    assert (await refusal(cabinet, cabinet.consumer_a, pem_of(issued)))["reasons"] == ["revoked"]


async def test_a_certificate_revoked_between_prepare_and_finalize_is_refused(cabinet) -> None:
    issued = cabinet.trust.issue(CONSUMER_EDRPOU)
    registered = await cabinet.register(cabinet.consumer_a, issued)
    document = await cabinet.store_document(cabinet.consumer_a.consumer_id)
    prepared = (await cabinet.prepare(cabinet.consumer_a, document["id"], registered["id"])).json()

    cabinet.trust.publish_crl(revoke(cabinet.trust.ca, issued.certificate))
    cabinet.signature.state.signature.trust.reload()
    response = await cabinet.finalize_with(cabinet.consumer_a, prepared, issued)

    assert response.status_code == 422 and response.json()["detail"]["reasons"] == ["revoked"]
    assert await cabinet.scalar("SELECT count(*) FROM signatures") == 0


async def test_an_out_of_date_crl_refuses_everything_of_its_ca(cabinet) -> None:
    issued = cabinet.trust.issue(CONSUMER_EDRPOU)
    now = datetime.now(UTC)
    cabinet.trust.publish_crl(
        reissue_crl(cabinet.trust.ca, this_update=now - timedelta(days=8), next_update=now - timedelta(hours=1))
    )
    cabinet.signature.state.signature.trust.reload()

    assert (await refusal(cabinet, cabinet.consumer_a, pem_of(issued)))["reasons"] == ["crl_expired"]
    # what the CabinetCrlExpired alert watches
    labels = {"service": "signature", "ca": cabinet.trust.ca.certificate.subject.rfc4514_string()}
    assert REGISTRY.get_sample_value("cabinet_trust_crl_next_update_timestamp_seconds", labels) == (
        cabinet.trust.ca.crl.next_update_utc.timestamp()
    )


async def test_a_ca_without_a_crl_is_not_trusted_to_be_unrevoked(cabinet) -> None:
    second = create_ca("Другий тестовий АЦСК")
    cabinet.trust.add_trusted_ca(second)
    assert cabinet.signature.state.signature.trust.reload()
    issued = issue_certificate(second, common_name="Хтось", organization="Кооператив", edrpou=CONSUMER_EDRPOU)

    assert (await refusal(cabinet, cabinet.consumer_a, pem_of(issued)))["reasons"] == ["crl_unavailable"]
    trust = (await cabinet.api(cabinet.staff).get("/api/v1/trust")).json()
    assert [(item["subject"].split(",")[0], item["crl_next_update"] is None) for item in trust] == [
        ("CN=Cabinet Local Test CA", False), ("CN=Другий тестовий АЦСК", True),
        # the DSTU 4145 test CA, from the CACertificates.p7b bundle
        ("CN=Cabinet Local Test CA (DSTU 4145)", False),
    ]


async def test_unusable_trust_files_keep_the_trust_loaded_before(cabinet) -> None:
    cabinet.trust.write_crl_file(b"-----BEGIN X509 CRL-----\ngarbage\n-----END X509 CRL-----\n")

    assert not cabinet.signature.state.signature.trust.reload()
    assert await cabinet.register(cabinet.consumer_a, cabinet.trust.issue(CONSUMER_EDRPOU))


async def test_trust_is_shown_to_staff_only_and_in_the_metrics(cabinet) -> None:
    trust = await cabinet.api(cabinet.staff).get("/api/v1/trust")
    by_consumer = await cabinet.api(cabinet.consumer_a).get("/api/v1/trust")
    metrics = (await cabinet.api(cabinet.staff).get("/metrics")).text

    assert by_consumer.status_code == 403
    # the ECDSA test CA, then the DSTU 4145 one of the CACertificates.p7b bundle
    ca, dstu_ca = trust.json()
    assert ca["subject"].startswith("CN=Cabinet Local Test CA,")
    assert dstu_ca["subject"].startswith("CN=Cabinet Local Test CA (DSTU 4145)") and dstu_ca["crl_next_update"]
    ca_certificate = cabinet.trust.ca.certificate
    assert datetime.fromisoformat(ca["not_after"]) == ca_certificate.not_valid_after_utc
    assert datetime.fromisoformat(ca["crl_next_update"]) == cabinet.trust.ca.crl.next_update_utc
    label = f'ca="{ca_certificate.subject.rfc4514_string()}",service="signature"'
    assert f"cabinet_trust_ca_not_after_timestamp_seconds{{{label}}} " in metrics
    assert f"cabinet_trust_crl_next_update_timestamp_seconds{{{label}}} " in metrics


async def test_staff_certificates_carry_a_supplier_branch_edrpou(cabinet) -> None:
    # the consumer's EDRPOU is not the supplier's
    assert (await refusal(cabinet, cabinet.staff, pem_of(cabinet.trust.issue(CONSUMER_EDRPOU))))["reasons"] == [
        "edrpou_mismatch"
    ]
    registered = await cabinet.register(cabinet.staff, cabinet.trust.key_of("staff"))
    assert registered["party"] == "supplier" and registered["consumer_id"] is None
    assert registered["user_id"] == str(cabinet.staff.user_id)


async def test_a_consumer_certificate_carries_that_consumers_edrpou(cabinet) -> None:
    alice = cabinet.trust.key_of("consumer")

    refused = await refusal(cabinet, cabinet.consumer_b, pem_of(alice))
    registered = await cabinet.register(cabinet.consumer_a, alice)

    assert refused["reasons"] == ["edrpou_mismatch"]
    assert registered | {"id": None, "registered_at": None} == {
        "id": None, "registered_at": None, "user_id": str(cabinet.consumer_a.user_id),
        "consumer_id": str(cabinet.consumer_a.consumer_id), "party": "consumer",
        "subject": alice.certificate.subject.rfc4514_string(), "common_name": "Петренко Аліса Іванівна",
        "edrpou": CONSUMER_EDRPOU, "serial": format(alice.certificate.serial_number, "x"),
        "issuer": alice.certificate.issuer.rfc4514_string(),
        "not_before": alice.certificate.not_valid_before_utc.isoformat().replace("+00:00", "Z"),
        "not_after": alice.certificate.not_valid_after_utc.isoformat().replace("+00:00", "Z"),
        "fingerprint_sha256": alice.certificate.fingerprint(hashes.SHA256()).hex(),
        "revoked_at": None, "signature_algorithm": "ECDSA_P256_SHA256",
    }


async def test_a_certificate_is_registered_once_and_withdrawn_by_its_owner(cabinet) -> None:
    registered_before = business_count("certificate_registered")
    alice = cabinet.trust.key_of("consumer")
    registered = await cabinet.register(cabinet.consumer_a, alice)
    colleague = cabinet.consumer_user(cabinet.consumer_a.consumer_id)

    twice = await cabinet.api(cabinet.consumer_a).post(
        "/api/v1/certificates", json={"certificate_pem": pem_of(alice)}
    )
    by_colleague = await cabinet.api(colleague).post("/api/v1/certificates", json={"certificate_pem": pem_of(alice)})
    withdrawn_by_colleague = await cabinet.api(colleague).delete(f"/api/v1/certificates/{registered['id']}")
    listed_for_colleague = (await cabinet.api(colleague).get("/api/v1/certificates")).json()

    assert twice.status_code == 409 and twice.json()["detail"]["code"] == "already_registered"
    assert by_colleague.status_code == 409
    assert withdrawn_by_colleague.status_code == 404
    assert listed_for_colleague == []
    assert business_count("certificate_registered") == registered_before + 1

    withdrawn = await cabinet.api(cabinet.consumer_a).delete(f"/api/v1/certificates/{registered['id']}")
    [listed] = (await cabinet.api(cabinet.consumer_a).get("/api/v1/certificates")).json()
    document = await cabinet.store_document(cabinet.consumer_a.consumer_id)
    prepare = await cabinet.prepare(cabinet.consumer_a, document["id"], registered["id"])
    again = await cabinet.api(colleague).post("/api/v1/certificates", json={"certificate_pem": pem_of(alice)})

    assert withdrawn.status_code == 204
    assert listed["id"] == registered["id"] and listed["revoked_at"] is not None
    assert prepare.status_code == 404 and prepare.json()["detail"]["code"] == "certificate_not_found"
    assert again.status_code == 201, "a withdrawn certificate may be registered again"


async def test_a_consumer_without_e_signature_in_the_agreement_cannot_register(cabinet) -> None:
    consumer_id = await cabinet.create_consumer("0791", "14360570", e_signature=False)
    user = cabinet.consumer_user(consumer_id)

    response = await cabinet.api(user).post(
        "/api/v1/certificates", json={"certificate_pem": pem_of(cabinet.trust.issue("14360570"))}
    )

    assert response.status_code == 403 and response.json()["detail"]["code"] == "e_signature_disabled"


async def test_a_consumer_not_heard_of_yet_is_asked_of_identity(cabinet) -> None:
    async with cabinet.signature.state.database.transaction() as session:
        await session.execute(sa.text("DELETE FROM consumers"))

    registered = await cabinet.register(cabinet.consumer_a, cabinet.trust.key_of("consumer"))
    unknown = await cabinet.api(cabinet.consumer_user(uuid.uuid4())).post(
        "/api/v1/certificates", json={"certificate_pem": pem_of(cabinet.trust.issue(CONSUMER_EDRPOU))}
    )

    assert registered["edrpou"] == CONSUMER_EDRPOU
    assert await cabinet.scalar("SELECT edrpou FROM consumers WHERE id = :id", id=cabinet.consumer_a.consumer_id) \
        == CONSUMER_EDRPOU
    assert unknown.status_code == 403 and unknown.json()["detail"]["code"] == "e_signature_disabled"


async def test_only_consumers_and_staff_register_certificates(cabinet) -> None:
    for principal in (Principal(role=Role.SERVICE), Principal(role=Role.ANONYMOUS)):
        response = await cabinet.api(principal).post(
            "/api/v1/certificates", json={"certificate_pem": pem_of(cabinet.trust.issue(CONSUMER_EDRPOU))}
        )
        assert response.status_code == 403 and response.json()["detail"]["code"] == "role_forbidden"
