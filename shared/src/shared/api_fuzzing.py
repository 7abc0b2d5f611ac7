"""Property-based fuzzing of a service's HTTP API from its own OpenAPI schema (Schemathesis), in process.

Every operation of the schema, reads and writes, gets Schemathesis' boundary cases (each constraint at its edges and
just past them) and Hypothesis-generated requests that fit the schema and that do not, as each principal a test names
(a staff member, a consumer's user...). Every answer must be no server error, with a status the schema documents, in
its content type, with a body that fits its schema; a request that does not fit the schema must be refused. Strings
and integers are now and then replaced by values that have broken services before (`_TROUBLE`). Path parameters are
drawn, half of the time, from ids that exist — those the test names and every id an answer has shown so far — so that
requests get past "not found" into the use cases.

The app runs in the test's event loop as its fixtures started it (a real database, a real bus); Hypothesis runs in a
worker thread and hands each request to that loop. `await fuzz_api(...)` reports everything that failed together,
each with the request that shows it.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import httpx
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from shared.auth import Principal, ServiceTokens

_BASE_URL = "http://service"
#: `negative_data_rejection` looks only at the requests made not to fit the schema
_CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
           negative_data_rejection]
_MODES = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)
_REQUEST_ARGUMENTS = ("method", "url", "headers", "params", "cookies", "json", "data", "files")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
#: offered in place of any generated string or integer one time in ten: characters PostgreSQL cannot store, numbers
#: beyond its integer and numeric types (as numbers and as text), periods and dates that do not exist
_TROUBLE = schemathesis.Config.from_dict({
    "dictionaries": {
        "texts": {"values": [
            "\x00", "a\x00b", "Автомобіліст\x00", "9" * 40, "-" + "9" * 30, "1e400", "NaN", "Infinity", "-0",
            "0.00000001", "2147483648", "9223372036854775808", "2026-13", "0000-01", "9999-12", "2026-02-30", "abc",
            "%00", "../../etc/passwd", "<script>alert(1)</script>", "' OR '1'='1", "\u202e", " ",
        ]},
        "integers": {"values": [2**31, -(2**31) - 1, 2**63, -(2**63) - 1, 2**64, 10**30]},
    },
    "generation": {"dictionaries": {"string": {"dictionary": "texts", "probability": 0.1},
                                    "integer": {"dictionary": "integers", "probability": 0.1}}},
})

Send = Callable[[schemathesis.Case], None]


@dataclass
class FuzzReport:
    requests: int = 0
    seconds: float = 0.0
    by_status: Counter[int] = field(default_factory=Counter)
    #: one text per operation, principal and kind of data that failed, with the request that shows it
    problems: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        """Nothing failed, and the requests got both into the use cases (some succeeded) and refused."""
        assert not self.problems, "\n\n".join(self.problems)
        succeeded = sum(count for status, count in self.by_status.items() if status < 300)
        assert 0 < succeeded < self.requests, f"{self.requests} requests: {dict(self.by_status)}"


async def fuzz_api(
    app: Any, tokens: ServiceTokens, principals: Mapping[str, Principal], *, known: Mapping[str, Sequence[str]],
    max_examples: int,
) -> FuzzReport:
    """Fuzzes every operation of `app`'s schema as each of `principals` (by a name for the report): the boundary
    cases, and `max_examples` generated requests that fit the schema and as many that do not. `known` names ids that
    exist by the path parameter they fill (`consumer_id`)."""
    loop = asyncio.get_running_loop()
    schema = schemathesis.openapi.from_dict(app.openapi(), config=_TROUBLE)
    pool: dict[str, list[str]] = defaultdict(list, {name: list(values) for name, values in known.items()})
    report = FuzzReport()
    started = time.monotonic()
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=_BASE_URL, timeout=60) as client:

        def sender(principal: Principal) -> Send:
            def send(case: schemathesis.Case) -> None:
                arguments = case.as_transport_kwargs(
                    base_url=_BASE_URL, headers={"Authorization": f"Bearer {tokens.issue(principal)}"})
                # requests encodes the body (JSON, a form, multipart) as Schemathesis means it; httpx sends it
                prepared = requests.Request(**{name: arguments[name] for name in _REQUEST_ARGUMENTS
                                               if name in arguments}).prepare()
                body = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
                assert body is None or isinstance(body, bytes)
                headers = {name: value if isinstance(value, str) else value.decode("latin-1")
                           for name, value in prepared.headers.items()}
                call = client.request(prepared.method or "GET", prepared.url or "", headers=headers, content=body)
                try:
                    response = asyncio.run_coroutine_threadsafe(call, loop).result()
                except httpx.InvalidURL:
                    return  # longer than any client sends (and a server takes: uvicorn refuses past 16 KiB)
                report.requests += 1
                report.by_status[response.status_code] += 1
                if response.is_success:
                    _remember_ids(pool, case.path, response)
                case.validate_response(response, checks=_CHECKS)

            return send

        senders = {role: sender(principal) for role, principal in principals.items()}
        for operation in _operations(schema):
            # the boundary cases are many: each goes once, the principals taking turns
            runs: list[tuple[str, Callable[[], None]]] = [
                (f"boundary values as {' and '.join(senders)}",
                 partial(_boundaries, schema, operation, pool, list(senders.values()))),
                *((f"{mode.value} data as {role}", partial(_generated, operation, mode, pool, send, max_examples))
                  for role, send in senders.items() for mode in _MODES),
            ]
            for what, run in runs:
                try:
                    await asyncio.to_thread(run)
                except Unsatisfiable:
                    pass  # nothing of the operation can be made not to fit: no parameters, no body
                except (Exception, FailureGroup) as failure:
                    report.problems.append(f"{operation.method.upper()} {operation.path}, {what}:\n{failure}")
    report.seconds = time.monotonic() - started
    return report


def _operations(schema: Any) -> Iterator[Any]:
    for result in schema.get_all_operations():
        yield result.ok()


def _boundaries(schema: Any, operation: Any, pool: Mapping[str, list[str]], senders: Sequence[Send]) -> None:
    """Schemathesis' coverage cases: each constraint at its edges and just past them (the shortest and longest
    strings, the smallest and largest numbers, wrong types, missing fields), with path parameters that exist where
    they are not what is made wrong; sent by each of `senders` in turn."""
    config = schema.config.generation_for(operation=operation)
    cases = schema.iter_coverage_cases(operation, generation_modes=list(_MODES), generation_config=config)
    for number, case in enumerate(cases):
        path = case.meta.components.get(ParameterLocation.PATH) if case.meta else None
        if path is not None and path.mode.is_positive:
            for name in case.path_parameters:
                if pool.get(name):
                    case.path_parameters[name] = pool[name][0]
        senders[number % len(senders)](case)


def _generated(operation: Any, mode: Any, pool: Mapping[str, list[str]], send: Send, max_examples: int) -> None:
    @settings(max_examples=max_examples, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck), report_multiple_bugs=False)
    @given(case=_cases(operation, mode, pool))
    def example(case: schemathesis.Case) -> None:
        send(case)

    example()


def _cases(operation: Any, mode: Any, pool: Mapping[str, list[str]]) -> st.SearchStrategy[schemathesis.Case]:
    """The operation's cases; half of them with path parameters that exist, where such are known."""
    generated: st.SearchStrategy[schemathesis.Case] = operation.as_strategy(generation_mode=mode)
    names = [parameter.name for parameter in operation.path_parameters]
    if not names or not all(pool.get(name) for name in names):
        return generated
    existing = st.fixed_dictionaries({name: st.sampled_from(pool[name]) for name in names}).flatmap(
        lambda fixed: operation.as_strategy(generation_mode=mode, path_parameters=fixed))
    return st.one_of(generated, existing)


def _remember_ids(pool: dict[str, list[str]], path: str, response: httpx.Response) -> None:
    """The ids an answer shows, under the path parameter they fill: a `consumer_id` as it is, the `id` of what
    `.../points` answers as a `point_id`."""
    try:
        body = response.json()
    except ValueError:
        return
    last = path.rstrip("/").rsplit("/", 1)[-1]
    own = None if "{" in last else re.sub(r"[^a-z]", "_", last.removesuffix("s")) + "_id"
    stack = [body]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            for key, value in item.items():
                name = own if key == "id" else key
                if isinstance(value, dict | list):
                    stack.append(value)
                elif name and name.endswith("_id") and isinstance(value, str) and _UUID.fullmatch(value) \
                        and value not in pool[name]:
                    pool[name].append(value)
