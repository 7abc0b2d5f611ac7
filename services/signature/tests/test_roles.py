"""Signing by the role inside the consumer: an accountant signs invoices and reconciliation acts, not acts of
readings transfer; an engineer the other way round; a viewer nothing. The signature service refuses itself, before
any data to sign is prepared, whatever the gateway shows."""

from __future__ import annotations

from typing import Any

import pytest

from shared.auth import ConsumerRole


@pytest.mark.parametrize(("document_type", "signs"), [
    ("readings_act", {ConsumerRole.DIRECTOR, ConsumerRole.ENGINEER}),
    ("invoice", {ConsumerRole.DIRECTOR, ConsumerRole.ACCOUNTANT}),
])
async def test_each_role_signs_only_its_kinds_of_documents(
    cabinet: Any, document_type: str, signs: set[ConsumerRole],
) -> None:
    consumer_id = cabinet.consumer_a.consumer_id
    document = await cabinet.store_document(consumer_id, document_type=document_type, signers=["consumer"])
    await cabinet.heard_of(document["id"])
    # one person's certificate; what they may sign is their role's, as the token carries it
    certificate = await cabinet.register(cabinet.consumer_a, cabinet.trust.key_of("consumer"))
    for role in ConsumerRole:
        user = cabinet.consumer_a.model_copy(update={"consumer_role": role})
        prepared = await cabinet.prepare(user, document["id"], certificate["id"])
        refused = prepared.status_code == 403 and prepared.json()["detail"]["code"] == "capability_forbidden"
        assert refused == (role not in signs), (role, prepared.status_code, prepared.text)
        if role not in signs:
            # nor refuses to sign it
            rejection = await cabinet.api(user).post(f"/api/v1/documents/{document['id']}/rejection",
                                                     json={"reason": "—"})
            assert (rejection.status_code, rejection.json()["detail"]["code"]) == (403, "capability_forbidden")
