"""The machine-readable RES bus contract (docs/res-bus-contract.asyncapi.json): what the generator makes from the
message models, valid AsyncAPI 3.0, and a description of the messages the services really send and take."""

from __future__ import annotations

import json
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest

from shared.contracts.asyncapi import ANSWERS, CONTRACT, SENT, document, render
from shared.contracts.billing import PaymentAccepted, PaymentRefused
from shared.contracts.res import PaymentReceived
from shared.testing import payload_validator

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "docs" / "res-bus-contract.asyncapi.json"
ASYNCAPI_3_SCHEMA = json.loads((Path(__file__).parent / "data" / "asyncapi-3.0.0.json").read_text(encoding="utf-8"))


def test_the_committed_document_is_what_the_models_make() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == render(), (
        "docs/res-bus-contract.asyncapi.json is out of date: run `make res-contract` and commit it")


def test_the_document_is_valid_asyncapi_3() -> None:
    validator = jsonschema.Draft7Validator(ASYNCAPI_3_SCHEMA)
    assert [error.message for error in validator.iter_errors(document())] == []
    # the official schema is strict enough to notice a mistake
    broken = document()
    broken["operations"]["sendAnswers"]["action"] = "publish"
    assert list(validator.iter_errors(broken))


def test_every_message_of_the_contract_is_described_once() -> None:
    contract = document()
    described = sorted(message["name"] for message in contract["components"]["messages"].values())
    assert described == sorted(model.message_type() for model in CONTRACT)
    addresses = {channel["address"] for channel in contract["channels"].values()}
    assert {f"{model.message_type()}.{{resSystem}}" for model in SENT} <= addresses
    answered = contract["operations"]["sendAnswers"]["messages"]
    assert len(answered) == len(ANSWERS)


def test_what_the_services_send_and_take_fits_the_documents_schemas() -> None:
    payment = PaymentReceived(
        res_payment_id="DON-1", account_number="0789", amount=Decimal("376.1"), paid_on=date(2013, 7, 31),
        payer_iban="UA263351060000026007233566001", bank="Ощадбанк", mfo="335106", purpose="оплата",
        document_number="1")
    payload_validator(document(), PaymentReceived.message_type()).validate(json.loads(payment.model_dump_json()))
    accepted = PaymentAccepted(
        res_payment_id="DON-1", payment_id=uuid.uuid4(), consumer_id=uuid.uuid4(), account_number="0789",
        amount=Decimal("376.1"), allocations=(), credit=Decimal("376.1"), saldo=Decimal(-376))
    body = json.loads(accepted.model_dump_json())
    assert (body["type"], body["amount"], body["saldo"]) == ("billing.payment_accepted.v1", "376.10", "-376.00")
    payload_validator(document(), PaymentAccepted.message_type()).validate(body)
    refused = PaymentRefused(res_payment_id=None, message_id=None, reason="invalid", errors=("body: Invalid JSON",))
    payload_validator(document(), PaymentRefused.message_type()).validate(json.loads(refused.model_dump_json()))


@pytest.mark.parametrize("amount", ["-5.00", "abc", "0.001", "0.00", "1e3", "5,00", -5, 0])
def test_an_amount_the_cabinet_refuses_breaks_the_documents_schema_too(amount: object) -> None:
    body = {"res_payment_id": "DON-1", "account_number": "0789", "amount": amount, "paid_on": "2013-07-31",
            "payer_iban": "UA263351060000026007233566001", "bank": "Ощадбанк", "mfo": "335106",
            "purpose": "оплата", "document_number": "1"}
    errors = list(payload_validator(document(), PaymentReceived.message_type()).iter_errors(body))
    assert [list(error.path) for error in errors] == [["amount"]]
    with pytest.raises(ValueError, match="amount"):
        PaymentReceived.model_validate(body)
