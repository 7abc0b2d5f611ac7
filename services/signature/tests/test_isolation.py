"""A consumer sees and signs only their own consumer's documents, by every route of the API: another consumer's
document answers as a missing one does (404), whether this service has heard of it yet or not."""

from __future__ import annotations

import uuid

import sqlalchemy as sa


async def test_consumer_a_cannot_touch_consumer_bs_document_by_any_route(cabinet) -> None:
    alice = cabinet.trust.key_of("consumer")
    alices_certificate = await cabinet.register(cabinet.consumer_a, alice)
    bob = cabinet.trust.issue("32855961")
    bobs_certificate = await cabinet.register(cabinet.consumer_b, bob)
    bs_document = await cabinet.store_document(cabinet.consumer_b.consumer_id, document_type="invoice")
    # a document of B's this service has not heard of (yet): the documents service answers A with 404
    unheard_of = await cabinet.store_document(cabinet.consumer_b.consumer_id, document_type="act")
    await cabinet.heard_of(unheard_of["id"])
    async with cabinet.signature.state.database.transaction() as session:
        await session.execute(sa.text("DELETE FROM documents WHERE id = :id"), {"id": unheard_of["id"]})
    for answer in (
        await cabinet.prepare(cabinet.consumer_a, unheard_of["id"], alices_certificate["id"]),
        await cabinet.api(cabinet.consumer_a).get(f"/api/v1/documents/{unheard_of['id']}/status"),
    ):
        assert answer.status_code == 404 and answer.json()["detail"]["code"] == "document_not_found", answer.text
    # B's document signed by B and by the seal: there are signatures and a container to ask for
    bobs_prepared = (await cabinet.prepare(cabinet.consumer_b, bs_document["id"], bobs_certificate["id"])).json()
    await cabinet.eventually(lambda: cabinet.scalar("SELECT count(*) FROM signatures WHERE party = 'supplier'"))
    signed = await cabinet.finalize_with(cabinet.consumer_b, bobs_prepared, bob)
    assert signed.status_code == 201, signed.text
    signature_id = signed.json()["signature"]["id"]
    p7s_document_id = signed.json()["signature"]["p7s_document_id"]
    # and one more signing of B's in progress, for A to try to finalize
    other_document = await cabinet.store_document(cabinet.consumer_b.consumer_id, document_type="act")
    pending = (await cabinet.prepare(cabinet.consumer_b, other_document["id"], bobs_certificate["id"])).json()
    api = cabinet.api(cabinet.consumer_a)
    document_id = bs_document["id"]

    answers = {
        "prepare": await cabinet.prepare(cabinet.consumer_a, document_id, alices_certificate["id"]),
        "prepare with B's certificate": await cabinet.prepare(cabinet.consumer_a, document_id, bobs_certificate["id"]),
        "finalize B's signing": await cabinet.finalize_with(cabinet.consumer_a, pending, alice),
        "status": await api.get(f"/api/v1/documents/{document_id}/status"),
        "reject": await api.post(f"/api/v1/documents/{document_id}/rejection", json={"reason": "не моє"}),
        "p7s": await api.get(f"/api/v1/signatures/{signature_id}/p7s"),
        "container": await api.get(f"/api/v1/documents/{document_id}/container"),
        "status of B's .p7s": await api.get(f"/api/v1/documents/{p7s_document_id}/status"),
        "withdraw B's certificate": await api.delete(f"/api/v1/certificates/{bobs_certificate['id']}"),
    }
    listing = await api.get("/api/v1/documents", params={"consumer_id": str(cabinet.consumer_b.consumer_id)})
    own_listing = await api.get("/api/v1/documents")

    assert {name: answer.status_code for name, answer in answers.items()} == dict.fromkeys(answers, 404)
    assert listing.status_code == 403 and listing.json()["detail"]["code"] == "other_consumer"
    assert own_listing.status_code == 200 and own_listing.json() == []
    # nothing changed for B
    status = await cabinet.status(document_id, cabinet.consumer_b)
    assert status["status"] == "signed_by_both" and len(status["signatures"]) == 2
    assert (await cabinet.api(cabinet.consumer_b).get("/api/v1/certificates")).json()[0]["revoked_at"] is None
    assert await cabinet.scalar("SELECT count(*) FROM signings WHERE id = :id", id=uuid.UUID(pending["signing_id"]))


async def test_the_listing_shows_a_consumer_their_own_and_staff_what_awaits_the_supplier(cabinet) -> None:
    olha = cabinet.trust.key_of("staff")
    staff_certificate = await cabinet.register(cabinet.staff, olha)
    a_act = await cabinet.store_document(cabinet.consumer_a.consumer_id, document_type="act")
    a_signed = await cabinet.store_document(cabinet.consumer_a.consumer_id, document_type="act")
    b_act = await cabinet.store_document(cabinet.consumer_b.consumer_id, document_type="act")
    for document in (a_act, a_signed, b_act):
        await cabinet.status(document["id"])  # known here now
    assert (await cabinet.sign(cabinet.staff, a_signed["id"], olha, staff_certificate["id"])).status_code == 201

    async def listed(principal, params) -> list[dict]:
        response = await cabinet.api(principal).get("/api/v1/documents", params=params)
        assert response.status_code == 200, response.text
        return response.json()

    own = await listed(cabinet.consumer_a, {})
    awaiting_supplier = await listed(cabinet.staff, {"awaiting": "supplier"})
    awaiting_a = await listed(cabinet.consumer_a, {"awaiting": "consumer"})
    chosen = await listed(
        cabinet.staff, [("document_id", a_act["id"]), ("document_id", b_act["id"]), ("status", "not_signed")]
    )
    nothing = await listed(cabinet.staff, {"awaiting": "supplier", "status": "signed_by_supplier"})

    assert {item["document_id"] for item in own} == {a_act["id"], a_signed["id"]}
    assert {item["document_id"] for item in awaiting_supplier} == {a_act["id"], b_act["id"]}
    assert {(item["document_id"], item["status"]) for item in awaiting_a} == {
        (a_act["id"], "not_signed"), (a_signed["id"], "signed_by_supplier"),
    }
    assert {item["document_id"] for item in chosen} == {a_act["id"], b_act["id"]}
    assert nothing == []
    assert own[0].keys() == {"document_id", "consumer_id", "type", "title", "issued_on", "status", "signers",
                             "awaiting", "status_changed_at"}
    assert {(item["document_id"], tuple(item["awaiting"])) for item in own} == {
        (a_act["id"], ("consumer", "supplier")), (a_signed["id"], ("consumer",)),
    }
