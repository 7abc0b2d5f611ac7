"""Writes the event reference page (`docs/events.md`) from the contracts: `python -m shared.contracts.reference`."""

from __future__ import annotations

import json

from shared.contracts import REGISTRY


def render() -> str:
    lines = [
        "# Event reference",
        "",
        "Generated from `shared/src/shared/contracts/` by `make events-doc`; do not edit by hand.",
        "",
        "Every event is published on the topic exchange `<namespace>.events` (`cabinet.events` in production) with",
        "routing key and AMQP `type` both equal to the message type below, `message_id` a unique id (consumers",
        "handle a message id once), `content_type` `application/json`, persistent delivery, and the W3C",
        "`traceparent` header. Bodies are JSON objects; unknown fields are refused. The messages of the RES",
        "contract (`res.*` and billing's answers to them) are routed per RES system, `<message type>.<RES system>`,",
        "and follow docs/res-bus-contract.md.",
        "",
        "| message type | meaning |",
        "|---|---|",
    ]
    events = REGISTRY.all()
    for event in events:
        lines.append(f"| `{event.message_type()}` | {event.summary} |")
    for event in events:
        schema = event.model_json_schema()
        lines += ["", f"## `{event.message_type()}`", "", event.summary, "", "```json",
                  json.dumps(schema, indent=2, ensure_ascii=False), "```"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
