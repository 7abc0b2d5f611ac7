"""The signature API under Schemathesis (shared.api_fuzzing): no request, fitting its schema or not, as staff or as
a consumer, gets a server error or an answer its schema does not describe."""

from __future__ import annotations

from typing import Any

from shared.api_fuzzing import fuzz_api


async def test_no_request_gets_a_server_error_or_an_undocumented_answer(cabinet: Any) -> None:
    consumer = cabinet.consumer_a
    alice = cabinet.trust.key_of("consumer")
    certificate = await cabinet.register(consumer, alice)
    signed = await cabinet.store_document(consumer.consumer_id)
    unsigned = await cabinet.store_document(consumer.consumer_id, document_type="invoice")
    answer = (await cabinet.sign(consumer, signed["id"], alice, certificate["id"])).json()
    report = await fuzz_api(
        cabinet.signature, cabinet.tokens, {"staff": cabinet.staff, "consumer": consumer},
        known={"consumer_id": [str(consumer.consumer_id)], "document_id": [signed["id"], unsigned["id"]],
               "certificate_id": [certificate["id"]], "signature_id": [answer["signature"]["id"]]},
        max_examples=6,
    )
    report.assert_clean()
