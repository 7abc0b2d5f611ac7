"""The RES bus contract as an AsyncAPI 3.0 document, generated from the message models the services use.

`python -m shared.contracts.asyncapi > docs/res-bus-contract.asyncapi.json` (`make res-contract`); a test keeps the
committed document equal to this and valid against the official AsyncAPI 3.0.0 JSON Schema, and
docs/res-bus-contract.md shows the same schemas (`schemas()`), so nothing of the contract is written twice.

The document describes the cabinet: it *receives* what RES systems send (routing key
`res.<message>.v<n>.<RES system>` on the `cabinet.events` exchange) and *sends* its answers, which reach the RES
system's own answers queue only.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic.json_schema import models_json_schema

from shared.bus.topology import res_answers_bindings
from shared.contracts.base import Event
from shared.contracts.billing import PaymentAccepted, PaymentParked, PaymentRefused, PaymentReversed
from shared.contracts.metering import ReadingsRefused, ReadingsTaken
from shared.contracts.res import PaymentReceived, PaymentReturned, ReadingsSubmitted

#: what a RES system sends
SENT: tuple[type[Event], ...] = (PaymentReceived, PaymentReturned, ReadingsSubmitted)
#: what billing answers a RES system about its payments and returns, and metering about its readings
ANSWERS: tuple[type[Event], ...] = (PaymentAccepted, PaymentParked, PaymentRefused, PaymentReversed, ReadingsTaken,
                                    ReadingsRefused)
#: every message of the public RES contract, in the order of the page
CONTRACT: tuple[type[Event], ...] = (*SENT, *ANSWERS)

NAMESPACE = "cabinet"
EXCHANGE = f"{NAMESPACE}.events"
VHOST = "cabinet"
AMQP_BINDING_VERSION = "0.3.0"
_RES_SYSTEM = "{resSystem}"


def schemas() -> dict[str, dict[str, Any]]:
    """The JSON schema of every message and of what they contain, by name: what a RES system may send as it is
    read (validation), what billing answers as it is written (serialization)."""
    _, found = models_json_schema(
        [(model, "validation" if model in SENT else "serialization") for model in CONTRACT],
        ref_template="#/components/schemas/{model}",
    )
    return dict(sorted(found["$defs"].items()))


def _name(model: type[Event]) -> str:
    return model.__name__[0].lower() + model.__name__[1:]


def _message(model: type[Event]) -> dict[str, Any]:
    return {
        "name": model.message_type(),
        "title": model.message_type(),
        "summary": model.summary,
        "contentType": "application/json",
        "payload": {"$ref": f"#/components/schemas/{model.__name__}"},
        "bindings": {"amqp": {"messageType": model.message_type(), "bindingVersion": AMQP_BINDING_VERSION}},
    }


_EXCHANGE_BINDING = {
    "is": "routingKey",
    "exchange": {"name": EXCHANGE, "type": "topic", "durable": True, "autoDelete": False, "vhost": VHOST},
    "bindingVersion": AMQP_BINDING_VERSION,
}
_RES_SYSTEM_PARAMETER = {
    "description": "The RES system's name, as operations issued it with its broker user (e.g. `roe-donetsk`): "
                   "lower-case letters, digits, `-` and `_`. The broker lets each RES system's user publish with "
                   "its own name only, and read its own answers queue only.",
    "examples": ["roe-donetsk"],
}


def _sent_channel(model: type[Event]) -> dict[str, Any]:
    return {
        "address": model.routing_key(_RES_SYSTEM),
        "title": f"{model.message_type()} from a RES system",
        "description": f"Published to `{EXCHANGE}` with this routing key: the message type, then the sender.",
        "messages": {_name(model): {"$ref": f"#/components/messages/{_name(model)}"}},
        "parameters": {"resSystem": {"$ref": "#/components/parameters/resSystem"}},
        "bindings": {"amqp": _EXCHANGE_BINDING},
    }


def document() -> dict[str, Any]:
    answers_queue = f"{NAMESPACE}.res.{_RES_SYSTEM}.answers"
    channels: dict[str, Any] = {_name(model): _sent_channel(model) for model in SENT}
    channels["answers"] = {
        "address": answers_queue,
        "title": "A RES system's answers queue",
        "description": (
            f"A durable quorum queue that operations declare for each RES system, bound to `{EXCHANGE}` with "
            f"{' and '.join(f'`{key}`' for key in res_answers_bindings(_RES_SYSTEM))}: billing (payments) and "
            "metering (readings) publish each answer with the routing key "
            "`<answer type>.<RES system>`, so a RES system's queue receives its own answers only. The RES system "
            "consumes it (acknowledging each answer once recorded); it declares nothing."),
        "messages": {_name(model): {"$ref": f"#/components/messages/{_name(model)}"} for model in ANSWERS},
        "parameters": {"resSystem": {"$ref": "#/components/parameters/resSystem"}},
        "bindings": {"amqp": {
            "is": "queue",
            "queue": {"name": answers_queue, "durable": True, "exclusive": False, "autoDelete": False,
                      "vhost": VHOST},
            "bindingVersion": AMQP_BINDING_VERSION,
        }},
    }
    operations: dict[str, Any] = {
        f"receive{model.__name__}": {
            "action": "receive",
            "title": f"The cabinet takes {model.message_type()}",
            "summary": model.summary,
            "channel": {"$ref": f"#/channels/{_name(model)}"},
            "messages": [{"$ref": f"#/channels/{_name(model)}/messages/{_name(model)}"}],
        }
        for model in SENT
    }
    operations["sendAnswers"] = {
        "action": "send",
        "title": "Billing answers each payment and return",
        "summary": "One answer to every res.payment_received.v1 and res.payment_returned.v1, and to what staff "
                   "do with a parked payment; to the RES system that sent the payment alone.",
        "channel": {"$ref": "#/channels/answers"},
        "messages": [{"$ref": f"#/channels/answers/messages/{_name(model)}"} for model in ANSWERS],
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Business energy cabinet: RES bus contract",
            "version": "1",
            "description": (
                "How a RES system (a district energy-sales office's own system) sends payments, payment returns "
                "and substation meter readings to the business energy cabinet over RabbitMQ, and receives an "
                "answer about every payment and return. The page docs/res-bus-contract.md explains it in words; "
                "both are generated from the same message models."),
        },
        "defaultContentType": "application/json",
        "servers": {
            "production": {
                "host": "{broker}:5671",
                "protocol": "amqps",
                "protocolVersion": "0.9.1",
                "pathname": f"/{VHOST}",
                "title": "The supplier's RabbitMQ",
                "description": "Host given by the supplier's operations team with the RES system's user.",
                "variables": {"broker": {"description": "the broker's host name, from operations"}},
            },
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": schemas(),
            "messages": {_name(model): _message(model) for model in CONTRACT},
            "parameters": {"resSystem": _RES_SYSTEM_PARAMETER},
        },
    }


def render() -> str:
    return json.dumps(document(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    print(render(), end="")
