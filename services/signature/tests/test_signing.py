"""Signing in three steps over the HTTP API, with the real documents and identity services behind it: what is
assembled verifies with openssl, and each party signs once."""

from __future__ import annotations

import asyncio
import base64
import uuid

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric import ec

from shared.auth import ServiceTokens
from shared.http import ServiceClient
from signature.clients import DocumentsClient


async def test_a_consumer_signs_and_the_signature_verifies_with_openssl(cabinet) -> None:
    alice = cabinet.trust.key_of("consumer")
    certificate = await cabinet.register(cabinet.consumer_a, alice)
    document = await cabinet.store_document(cabinet.consumer_a.consumer_id)

    response = await cabinet.sign(cabinet.consumer_a, document["id"], alice, certificate["id"])

    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["document_status"]["status"] == "signed_by_consumer"
    signature = answer["signature"]
    assert signature["party"] == "consumer" and signature["signer"] == "Петренко Аліса Іванівна"
    p7s = await cabinet.api(cabinet.consumer_a).get(f"/api/v1/signatures/{signature['id']}/p7s")
    assert p7s.status_code == 200 and p7s.headers["content-type"] == "application/pkcs7-signature"
    verified = cabinet.openssl_verify(p7s.content, document["content"])
    assert verified.returncode == 0, verified.stderr
    changed = bytearray(document["content"])
    changed[10] ^= 1
    assert "content verify error" in cabinet.openssl_verify(p7s.content, bytes(changed)).stderr


async def test_a_signature_by_another_key_is_refused_and_nothing_is_recorded(cabinet) -> None:
    alice = cabinet.trust.key_of("consumer")
    certificate = await cabinet.register(cabinet.consumer_a, alice)
    document = await cabinet.store_document(cabinet.consumer_a.consumer_id)
    prepared = (await cabinet.prepare(cabinet.consumer_a, document["id"], certificate["id"])).json()
    data, manifest = (base64.b64decode(prepared[field]) for field in ("data_to_sign_base64", "manifest_to_sign_base64"))
    assert isinstance(alice.key, ec.EllipticCurvePrivateKey)
    stranger = ec.generate_private_key(ec.SECP256R1())

    by_stranger = await cabinet.finalize(
        cabinet.consumer_a, prepared["signing_id"], cabinet.webcrypto_signature(stranger, data),
        cabinet.webcrypto_signature(stranger, manifest),
    )
    # the document by the right key, its manifest by another: the container's signature would not verify
    manifest_by_stranger = await cabinet.finalize(
        cabinet.consumer_a, prepared["signing_id"], cabinet.webcrypto_signature(alice.key, data),
        cabinet.webcrypto_signature(stranger, manifest),
    )
    # each value over the other's data
    swapped = await cabinet.finalize(
        cabinet.consumer_a, prepared["signing_id"], cabinet.webcrypto_signature(alice.key, manifest),
        cabinet.webcrypto_signature(alice.key, data),
    )

    for response, field in (
        (by_stranger, "signature_value_base64"), (manifest_by_stranger, "manifest_signature_value_base64"),
        (swapped, "signature_value_base64"),
    ):
        assert response.status_code == 422, response.text
        assert response.json()["detail"]["code"] == "signature_invalid"
        assert response.json()["detail"]["fields"] == {field: "signature_invalid"}
    assert (await cabinet.status(document["id"]))["status"] == "not_signed"
    assert await cabinet.scalar("SELECT count(*) FROM signatures") == 0
    assert await cabinet.outbox() == []
    # the prepared data is still there: the right key can still sign it
    right = await cabinet.finalize_with(cabinet.consumer_a, prepared, alice)
    assert right.status_code == 201, right.text


async def test_garbage_signature_values_are_refused(cabinet) -> None:
    alice = cabinet.trust.key_of("consumer")
    certificate = await cabinet.register(cabinet.consumer_a, alice)
    document = await cabinet.store_document(cabinet.consumer_a.consumer_id)
    signing_id = (await cabinet.prepare(cabinet.consumer_a, document["id"], certificate["id"])).json()["signing_id"]

    not_base64 = await cabinet.api(cabinet.consumer_a).post(
        f"/api/v1/signings/{signing_id}/finalize",
        json={"signature_value_base64": "AAAA", "manifest_signature_value_base64": "не base64!"},
    )
    without_manifest = await cabinet.api(cabinet.consumer_a).post(
        f"/api/v1/signings/{signing_id}/finalize", json={"signature_value_base64": "AAAA"}
    )
    short = await cabinet.finalize(cabinet.consumer_a, signing_id, b"\x01" * 10, b"\x01" * 10)

    assert not_base64.status_code == 422
    assert not_base64.json()["detail"]["fields"] == {"manifest_signature_value_base64": "base64_invalid"}
    assert without_manifest.status_code == 422, without_manifest.text
    assert short.status_code == 422 and short.json()["detail"]["code"] == "signature_invalid"
    assert await cabinet.scalar("SELECT count(*) FROM signatures") == 0


async def test_each_party_signs_once_whoever_of_it_tries(cabinet) -> None:
    alice = cabinet.trust.key_of("consumer")
    certificate = await cabinet.register(cabinet.consumer_a, alice)
    colleague = cabinet.consumer_user(cabinet.consumer_a.consumer_id)
    bob = cabinet.trust.issue("12345678")
    bobs_certificate = await cabinet.register(colleague, bob)
    document = await cabinet.store_document(cabinet.consumer_a.consumer_id)
    # prepared before the first signature: its finalize comes too late
    early = (await cabinet.prepare(colleague, document["id"], bobs_certificate["id"])).json()

    first = await cabinet.sign(cabinet.consumer_a, document["id"], alice, certificate["id"])
    again = await cabinet.prepare(cabinet.consumer_a, document["id"], certificate["id"])
    by_colleague = await cabinet.prepare(colleague, document["id"], bobs_certificate["id"])
    late = await cabinet.finalize_with(colleague, early, bob)

    assert first.status_code == 201, first.text
    for refused in (again, by_colleague, late):
        assert refused.status_code == 409, refused.text
        assert refused.json()["detail"]["code"] == "already_signed"
    assert await cabinet.scalar("SELECT count(*) FROM signatures") == 1
    assert len(await cabinet.outbox()) == 1


async def test_two_finalizations_at_once_make_one_signature(cabinet) -> None:
    alice = cabinet.trust.key_of("consumer")
    certificate = await cabinet.register(cabinet.consumer_a, alice)
    colleague = cabinet.consumer_user(cabinet.consumer_a.consumer_id)
    bob = cabinet.trust.issue("12345678")
    bobs_certificate = await cabinet.register(colleague, bob)
    document = await cabinet.store_document(cabinet.consumer_a.consumer_id)
    signers = [(cabinet.consumer_a, alice, certificate), (colleague, bob, bobs_certificate)] * 3
    prepared = [(await cabinet.prepare(who, document["id"], cert["id"])).json() for who, _, cert in signers]

    answers = await asyncio.gather(*[
        cabinet.finalize_with(who, signing, issued) for (who, issued, _), signing in zip(signers, prepared, strict=True)
    ])

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201, 409, 409, 409, 409, 409], [answer.text for answer in answers]
    assert {answer.json()["detail"]["code"] for answer in answers if answer.status_code == 409} == {"already_signed"}
    assert await cabinet.scalar("SELECT count(*) FROM signatures") == 1
    # only the winner's .p7s went to the documents service
    p7s_documents = await cabinet.client(cabinet.documents, cabinet.staff).get(
        "/api/v1/documents", params={"type": "signature"}
    )
    assert p7s_documents.json()["total"] == 1
    assert len(await cabinet.outbox()) == 1


async def test_status_goes_from_not_signed_to_signed_by_both_and_every_change_is_published(cabinet) -> None:
    alice = cabinet.trust.key_of("consumer")
    olha = cabinet.trust.key_of("staff")
    consumer_certificate = await cabinet.register(cabinet.consumer_a, alice)
    staff_certificate = await cabinet.register(cabinet.staff, olha)
    assert staff_certificate["party"] == "supplier" and staff_certificate["edrpou"] == "31793056"
    document = await cabinet.store_document(cabinet.consumer_a.consumer_id, document_type="act_of_readings")
    assert (await cabinet.status(document["id"], cabinet.consumer_a))["status"] == "not_signed"

    by_consumer = await cabinet.sign(cabinet.consumer_a, document["id"], alice, consumer_certificate["id"])
    assert by_consumer.json()["document_status"]["status"] == "signed_by_consumer"
    by_supplier = await cabinet.sign(cabinet.staff, document["id"], olha, staff_certificate["id"])
    assert by_supplier.status_code == 201, by_supplier.text

    status = await cabinet.status(document["id"], cabinet.consumer_a)
    assert status["status"] == "signed_by_both"
    assert [item["party"] for item in status["signatures"]] == ["consumer", "supplier"]
    assert status["signatures"][1]["signer"] == "Коваль Ольга Петрівна"
    events = await cabinet.outbox()
    assert [(event["status"], event["party"]) for event in events] == [
        ("signed_by_consumer", "consumer"), ("signed_by_both", "supplier"),
    ]
    assert all(event["document_id"] == document["id"] for event in events)
    assert all(event["consumer_id"] == str(cabinet.consumer_a.consumer_id) for event in events)
    assert all(event["document_type"] == "act_of_readings" for event in events)
    assert [event["signature_id"] for event in events] == [item["id"] for item in status["signatures"]]
    for signature in status["signatures"]:
        p7s = await cabinet.api(cabinet.staff).get(f"/api/v1/signatures/{signature['id']}/p7s")
        verified = cabinet.openssl_verify(p7s.content, document["content"])
        assert verified.returncode == 0, verified.stderr
    # the .p7s files are the consumer's documents in the documents service, with the signed document's title
    stored = (await cabinet.client(cabinet.documents, cabinet.consumer_a).get(
        "/api/v1/documents", params={"type": "signature"}
    )).json()["items"]
    assert sorted(item["title"] for item in stored) == sorted(
        f"{who}: {document['title']}" for who in ("Підпис споживача", "Підпис постачальника")
    )


async def test_an_expired_signing_is_gone(cabinet) -> None:
    alice = cabinet.trust.key_of("consumer")
    certificate = await cabinet.register(cabinet.consumer_a, alice)
    document = await cabinet.store_document(cabinet.consumer_a.consumer_id)
    prepared = (await cabinet.prepare(cabinet.consumer_a, document["id"], certificate["id"])).json()
    async with cabinet.signature.state.database.transaction() as session:
        await session.execute(sa.text("UPDATE signings SET expires_at = now() - interval '1 second'"))

    response = await cabinet.finalize_with(cabinet.consumer_a, prepared, alice)

    assert response.status_code == 410 and response.json()["detail"]["code"] == "signing_expired"


async def test_a_refused_document_says_why_and_cannot_be_signed(cabinet) -> None:
    alice = cabinet.trust.key_of("consumer")
    certificate = await cabinet.register(cabinet.consumer_a, alice)
    document = await cabinet.store_document(cabinet.consumer_a.consumer_id)
    prepared = (await cabinet.prepare(cabinet.consumer_a, document["id"], certificate["id"])).json()
    api = cabinet.api(cabinet.consumer_a)

    blank = await api.post(f"/api/v1/documents/{document['id']}/rejection", json={"reason": "   "})
    too_long = await api.post(f"/api/v1/documents/{document['id']}/rejection", json={"reason": "я" * 1001})
    refused = await api.post(
        f"/api/v1/documents/{document['id']}/rejection", json={"reason": "  Обсяг не відповідає показанням  "}
    )
    again = await cabinet.api(cabinet.staff).post(
        f"/api/v1/documents/{document['id']}/rejection", json={"reason": "ще раз"}
    )
    prepare = await cabinet.prepare(cabinet.consumer_a, document["id"], certificate["id"])
    finalize = await cabinet.finalize_with(cabinet.consumer_a, prepared, alice)

    assert blank.status_code == 422 and blank.json()["detail"]["fields"] == {"reason": "required"}
    assert too_long.status_code == 422 and too_long.json()["detail"]["fields"] == {"reason": "too_long"}
    assert refused.status_code == 200, refused.text
    assert refused.json() | {"signatures": []} == {
        "document_id": document["id"], "status": "rejected", "signers": ["consumer", "supplier"], "awaiting": [],
        "rejected_by": "consumer", "rejected_reason": "Обсяг не відповідає показанням", "signatures": [],
    }
    for conflict in (again, prepare, finalize):
        assert conflict.status_code == 409 and conflict.json()["detail"]["code"] == "document_rejected", conflict.text
    assert await cabinet.scalar("SELECT count(*) FROM signatures") == 0
    [event] = await cabinet.outbox()
    assert event | {"occurred_at": None} == {
        "occurred_at": None, "document_id": document["id"], "consumer_id": str(cabinet.consumer_a.consumer_id),
        "document_type": "act", "status": "rejected", "party": "consumer", "signature_id": None,
        "rejected_reason": "Обсяг не відповідає показанням",
        # the person who refused, for the consumer's audit trail (identity's)
        "actor": {"user_id": str(cabinet.consumer_a.user_id), "via": "page"},
    }


async def test_a_party_that_signed_cannot_refuse_afterwards(cabinet) -> None:
    olha = cabinet.trust.key_of("staff")
    certificate = await cabinet.register(cabinet.staff, olha)
    document = await cabinet.store_document(cabinet.consumer_a.consumer_id)
    assert (await cabinet.sign(cabinet.staff, document["id"], olha, certificate["id"])).status_code == 201

    by_staff = await cabinet.api(cabinet.staff).post(
        f"/api/v1/documents/{document['id']}/rejection", json={"reason": "передумали"}
    )
    by_consumer = await cabinet.api(cabinet.consumer_a).post(
        f"/api/v1/documents/{document['id']}/rejection", json={"reason": "Не згодні з сумою"}
    )

    assert by_staff.status_code == 409 and by_staff.json()["detail"]["code"] == "already_signed"
    assert by_consumer.status_code == 200 and by_consumer.json()["rejected_by"] == "consumer"
    assert by_consumer.json()["status"] == "rejected"


async def test_when_documents_cannot_be_reached_nothing_is_prepared(cabinet) -> None:
    alice = cabinet.trust.key_of("consumer")
    certificate = await cabinet.register(cabinet.consumer_a, alice)
    runtime = cabinet.signature.state.signature
    unreachable = ServiceClient("http://127.0.0.1:9", ServiceTokens("s" * 32), timeout=2.0)
    reachable, runtime.documents = runtime.documents, DocumentsClient(unreachable)
    try:
        response = await cabinet.prepare(cabinet.consumer_a, uuid.uuid4(), certificate["id"])
    finally:
        runtime.documents = reachable
        await unreachable.aclose()

    assert response.status_code == 503 and response.json()["detail"]["code"] == "upstream_unavailable"
    assert await cabinet.scalar("SELECT count(*) FROM signings") == 0
