"""The supplier's electronic seal, and the signed document as one ASiC-E container verifiable offline."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path

import aio_pika
import pytest
import sqlalchemy as sa
from asn1crypto import cms
from cryptography import x509
from prometheus_client import REGISTRY

from devtools.asic import ContainerInvalid, verify_asic_e
from devtools.testca import revoke
from shared.bus import Topology

INVOICE_TITLE = "Рахунок № 0789-5-1 за травень 2024"


def business_count(kind: str) -> float:
    return REGISTRY.get_sample_value(
        "cabinet_business_events_total", {"service": "signature", "kind": kind}
    ) or 0.0


async def test_an_invoice_is_sealed_as_soon_as_it_is_stored(cabinet) -> None:
    sealed_before = business_count("document_sealed")

    invoice = await cabinet.store_document(cabinet.consumer_a.consumer_id, document_type="invoice",
                                           title=INVOICE_TITLE)

    async def sealed() -> dict | None:
        status = await cabinet.status(invoice["id"], cabinet.consumer_a)
        return status if status["status"] == "signed_by_supplier" else None

    status = await cabinet.eventually(sealed)
    [signature] = status["signatures"]
    assert signature["party"] == "supplier" and signature["signer"] == "ПАТ «ДТЕК ПЕМ-Енерговугілля»"
    p7s = await cabinet.api(cabinet.consumer_a).get(f"/api/v1/signatures/{signature['id']}/p7s")
    verified = cabinet.openssl_verify(p7s.content, invoice["content"])
    assert verified.returncode == 0, verified.stderr
    assert business_count("document_sealed") == sealed_before + 1
    [event] = await cabinet.outbox()
    assert (event["status"], event["party"], event["document_type"]) == ("signed_by_supplier", "supplier", "invoice")
    # the seal's certificate is on record, belonging to no user
    assert await cabinet.scalar("SELECT count(*) FROM certificates WHERE user_id IS NULL") == 1


async def test_other_documents_are_not_sealed_unless_asked(cabinet) -> None:
    act = await cabinet.store_document(cabinet.consumer_a.consumer_id, document_type="act")
    await cabinet.heard_of(act["id"])
    assert (await cabinet.status(act["id"]))["status"] == "not_signed"

    by_consumer = await cabinet.api(cabinet.consumer_a).post(f"/api/v1/documents/{act['id']}/seal")
    sealed = await cabinet.api(cabinet.staff).post(f"/api/v1/documents/{act['id']}/seal")
    again = await cabinet.api(cabinet.staff).post(f"/api/v1/documents/{act['id']}/seal")

    assert by_consumer.status_code == 403
    assert sealed.status_code == 201, sealed.text
    assert sealed.json()["document_status"]["status"] == "signed_by_supplier"
    assert again.status_code == 409 and again.json()["detail"]["code"] == "already_signed"


async def test_the_signature_files_are_not_signed_themselves(cabinet) -> None:
    act = await cabinet.store_document(cabinet.consumer_a.consumer_id, document_type="act")
    sealed = (await cabinet.api(cabinet.staff).post(f"/api/v1/documents/{act['id']}/seal")).json()
    p7s_id = sealed["signature"]["p7s_document_id"]

    response = await cabinet.api(cabinet.staff).post(f"/api/v1/documents/{p7s_id}/seal")

    assert response.status_code == 409 and response.json()["detail"]["code"] == "document_not_signable"


async def signed_by_both(cabinet) -> dict:
    alice = cabinet.trust.key_of("consumer")
    certificate = await cabinet.register(cabinet.consumer_a, alice)
    invoice = await cabinet.store_document(cabinet.consumer_a.consumer_id, document_type="invoice",
                                           title=INVOICE_TITLE)
    await cabinet.eventually(lambda: cabinet.scalar("SELECT count(*) FROM signatures WHERE party = 'supplier'"))
    signed = await cabinet.sign(cabinet.consumer_a, invoice["id"], alice, certificate["id"])
    assert signed.json()["document_status"]["status"] == "signed_by_both"
    return invoice


async def test_the_asic_e_container_holds_the_document_and_each_partys_signed_manifest(cabinet) -> None:
    act = await cabinet.store_document(cabinet.consumer_a.consumer_id, document_type="act")
    unsigned = await cabinet.api(cabinet.consumer_a).get(f"/api/v1/documents/{act['id']}/container")
    assert unsigned.status_code == 409 and unsigned.json()["detail"]["code"] == "document_not_signed"
    invoice = await signed_by_both(cabinet)

    response = await cabinet.api(cabinet.consumer_a).get(f"/api/v1/documents/{invoice['id']}/container")

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/vnd.etsi.asic-e+zip"
    assert "filename*=utf-8''%D0%A0%D0%B0%D1%85" in response.headers["content-disposition"]
    assert ".asice" in response.headers["content-disposition"]
    container = response.content
    with zipfile.ZipFile(io.BytesIO(container)) as archive:
        assert archive.namelist() == [
            "mimetype", f"{INVOICE_TITLE}.pdf",
            "META-INF/ASiCManifest-consumer.xml", "META-INF/signature-consumer.p7s",
            "META-INF/ASiCManifest-supplier.xml", "META-INF/signature-supplier.p7s",
        ]
        assert archive.read(f"{INVOICE_TITLE}.pdf") == invoice["content"]
    # checked as an offline verifier does: openssl over each manifest, each manifest's digest of the document
    ca_file = Path(cabinet.trust.environment["CABINET_TRUST_CA_FILES"])
    verified = verify_asic_e(container, ca_file)
    assert [item.manifest for item in verified] == ["META-INF/ASiCManifest-consumer.xml",
                                                    "META-INF/ASiCManifest-supplier.xml"]
    consumer_signer = x509.load_pem_x509_certificate(verified[0].signers.encode())
    assert "Петренко Аліса Іванівна" in consumer_signer.subject.rfc4514_string()
    # the document changed by one byte inside the container no longer matches what both parties signed
    changed = bytearray(invoice["content"])
    changed[-3] ^= 1
    with zipfile.ZipFile(io.BytesIO(container)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    files[f"{INVOICE_TITLE}.pdf"] = bytes(changed)
    repacked = io.BytesIO()
    with zipfile.ZipFile(repacked, "w") as archive:
        archive.writestr("mimetype", files.pop("mimetype"), zipfile.ZIP_STORED)
        for name, content in files.items():
            archive.writestr(name, content)
    with pytest.raises(ContainerInvalid, match="differs from what was signed"):
        verify_asic_e(repacked.getvalue(), ca_file)


async def test_signatures_made_before_manifests_were_signed_come_as_one_asic_s(cabinet) -> None:
    invoice = await signed_by_both(cabinet)
    async with cabinet.signature.state.database.transaction() as session:
        await session.execute(sa.text("UPDATE signatures SET asic_manifest = NULL, asic_signature = NULL "
                                      "WHERE party = 'supplier'"))

    response = await cabinet.api(cabinet.consumer_a).get(f"/api/v1/documents/{invoice['id']}/container")

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/vnd.etsi.asic-s+zip"
    container = response.content
    # ETSI EN 319 162-1: `mimetype` is the first entry, stored, its content right after the local header
    assert container[30:38] == b"mimetype"
    assert container[38:38 + 31] == b"application/vnd.etsi.asic-s+zip"
    with zipfile.ZipFile(io.BytesIO(container)) as archive:
        entries = archive.infolist()
        assert [entry.filename for entry in entries] == ["mimetype", f"{INVOICE_TITLE}.pdf", "META-INF/signature.p7s"]
        assert entries[0].compress_type == zipfile.ZIP_STORED
        signature = archive.read("META-INF/signature.p7s")
    assert len(cms.ContentInfo.load(signature)["content"]["signer_infos"]) == 2
    verified = cabinet.openssl_verify(signature, invoice["content"])
    assert verified.returncode == 0, verified.stderr


async def test_a_seal_that_may_not_sign_sends_the_event_to_the_dead_letters_with_the_reason(cabinet, amqp_url) -> None:
    cabinet.trust.publish_crl(revoke(cabinet.trust.ca, cabinet.signature.state.signature.seal.certificate))
    assert cabinet.signature.state.signature.trust.reload()

    invoice = await cabinet.store_document(cabinet.consumer_a.consumer_id, document_type="invoice")

    topology = Topology(cabinet.settings.bus_namespace, "signature")
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(topology.dead_letter_queue, passive=True)

        async def dead_letter() -> aio_pika.abc.AbstractIncomingMessage | None:
            return await queue.get(no_ack=True, fail=False)

        message = await cabinet.eventually(dead_letter)
    assert message.type == "documents.document_stored.v1"
    assert invoice["id"] in message.body.decode()
    assert "certificate_refused" in message.headers["x-dead-letter-reason"]
    assert "revoked" in message.headers["x-dead-letter-reason"]
    # the document is known (it can still be signed by a settlement manager), but not sealed
    assert (await cabinet.status(invoice["id"]))["status"] == "not_signed"


async def test_a_tax_invoice_is_signed_by_the_supplier_alone(cabinet) -> None:
    alice = cabinet.trust.key_of("consumer")
    certificate = await cabinet.register(cabinet.consumer_a, alice)
    tax_invoice = await cabinet.store_document(cabinet.consumer_a.consumer_id, document_type="tax_invoice",
                                               title="Податкова накладна № 17", signers=["supplier"])

    async def sealed() -> dict | None:
        status = await cabinet.status(tax_invoice["id"], cabinet.consumer_a)
        return status if status["status"] == "signed_by_supplier" else None

    status = await cabinet.eventually(sealed)
    by_consumer = await cabinet.prepare(cabinet.consumer_a, tax_invoice["id"], certificate["id"])
    refused = await cabinet.api(cabinet.consumer_a).post(
        f"/api/v1/documents/{tax_invoice['id']}/rejection", json={"reason": "не згоден"})
    awaiting = await cabinet.api(cabinet.consumer_a).get("/api/v1/documents", params={"awaiting": "consumer"})

    assert (status["signers"], status["awaiting"]) == (["supplier"], [])
    for conflict in (by_consumer, refused):
        assert conflict.status_code == 409, conflict.text
        assert conflict.json()["detail"]["code"] == "signature_not_required"
    assert awaiting.json() == []


async def test_the_seal_does_not_sign_a_back_dated_document_a_person_signs_it(cabinet) -> None:
    invoice = await cabinet.store_document(cabinet.consumer_a.consumer_id, document_type="invoice",
                                           title=INVOICE_TITLE, issued_on=date(2024, 5, 25))
    await cabinet.heard_of(invoice["id"])

    status = await cabinet.status(invoice["id"], cabinet.consumer_a)
    awaiting = await cabinet.api(cabinet.staff).get("/api/v1/documents", params={"awaiting": "supplier"})

    assert (status["status"], status["awaiting"]) == ("not_signed", ["consumer", "supplier"])
    assert [item["document_id"] for item in awaiting.json()] == [invoice["id"]]
    assert awaiting.json()[0]["issued_on"] == "2024-05-25"


async def test_a_record_nobody_signs_waits_for_nobody_and_cannot_be_signed(cabinet) -> None:
    olha = cabinet.trust.key_of("staff")
    staff_certificate = await cabinet.register(cabinet.staff, olha)
    act = await cabinet.store_document(cabinet.consumer_a.consumer_id, signers=[])
    await cabinet.heard_of(act["id"])

    status = await cabinet.status(act["id"], cabinet.consumer_a)
    signed = await cabinet.prepare(cabinet.staff, act["id"], staff_certificate["id"])
    sealed = await cabinet.api(cabinet.staff).post(f"/api/v1/documents/{act['id']}/seal")
    awaiting = [await cabinet.api(principal).get("/api/v1/documents", params={"awaiting": party})
                for principal, party in ((cabinet.consumer_a, "consumer"), (cabinet.staff, "supplier"))]

    assert (status["status"], status["signers"], status["awaiting"]) == ("not_required", [], [])
    for conflict in (signed, sealed):
        assert conflict.status_code == 409 and conflict.json()["detail"]["code"] == "signature_not_required"
    assert [answer.json() for answer in awaiting] == [[], []]
