"""What every service takes from outside before an endpoint sees it: text PostgreSQL can store, integers it can hold.

PostgreSQL's text refuses the NUL character, and Python's UTF-8 encoder a lone surrogate (what JSON's `"\\ud800"`
escape makes); an integer past its bigint overflows it; each would fail deep in a query as a server error.
`refuse_unstorable_input` runs before every route of a service (`shared.service`) and refuses them with a 422 that
names the field, wherever they come: text in the path, the query, a JSON body (its keys too) or a form's fields (an
uploaded file's bytes are the file's own business), integers in a JSON body.

Parameters that arrive as text are bounded where they are declared: `Offset` for the paging of lists; `IsoDate` for
a date written as the schema says (pydantic would take a number for a Unix time).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Annotated, Any

from fastapi import Query, Request
from pydantic import BeforeValidator

from shared.errors import Invalid

#: PostgreSQL's bigint, what OFFSET and an integer column take at most
MAX_BIGINT = 2**63 - 1
MIN_BIGINT = -(2**63)
#: how far into a list a page starts
Offset = Annotated[int, Query(ge=0, le=MAX_BIGINT)]
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def _written_as_iso_date(value: Any) -> Any:
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        return value
    raise ValueError("a date is written YYYY-MM-DD")


#: a calendar date as `YYYY-MM-DD` (the schema's `format: date`), nothing else
IsoDate = Annotated[date, BeforeValidator(_written_as_iso_date)]
#: the reason codes: a field holding such characters, an integer past bigint
INVALID_CHARACTERS = "invalid_characters"
OUT_OF_RANGE = "out_of_range"


def storable(text: str) -> bool:
    """Whether PostgreSQL can store the text: no NUL, and UTF-8 can encode it (no lone surrogate)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


async def refuse_unstorable_input(request: Request) -> None:
    """A dependency of every route: 422 `invalid` with `fields: {<field>: "invalid_characters" | "out_of_range"}`
    for each field (dotted as the validation errors name them: `readings.0.value`) that PostgreSQL cannot store."""
    found = unstorable_in_address(request)
    for field, value in await _body_values(request):
        if isinstance(value, str) and not storable(value):
            found[field] = INVALID_CHARACTERS
        elif isinstance(value, int) and not MIN_BIGINT <= value <= MAX_BIGINT:
            found[field] = OUT_OF_RANGE
    if found:
        raise Invalid("the request holds what cannot be stored", fields=found)


def unstorable_in_address(request: Request) -> dict[str, str]:
    """The path and query parameters whose text PostgreSQL cannot store (the gateway checks its pages' addresses
    with it), each with the reason code."""
    texts = [*_named(request.path_params.items()), *_named(request.query_params.multi_items())]
    return {field: INVALID_CHARACTERS for field, text in texts if not storable(text)}


def _named(pairs: Iterable[tuple[str, Any]], unnamed: str = "query") -> Iterator[tuple[str, str]]:
    """Each name and its text value, with the field they are reported as (`unnamed` for a name that is itself
    unstorable: it cannot be echoed back)."""
    for name, value in pairs:
        field = name if storable(name) else unnamed
        yield field, name
        if isinstance(value, str):
            yield field, value


async def _body_values(request: Request) -> list[tuple[str, str | int]]:
    """Every text (and, of JSON, integer) of the body the route takes, with its field; FastAPI has already read and
    parsed the body (these calls return what it cached), and a route without a body has none to look into."""
    if getattr(request.scope.get("route"), "body_field", None) is None:
        return []
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        # an uploaded file (not a str) is skipped: its bytes are the file's own business
        return list(_named((await request.form()).multi_items(), unnamed="body"))
    if not await request.body():
        return []
    try:
        body = await request.json()
    except ValueError:  # not JSON: the route's own validation refuses it
        return []
    return list(_values_in(body))


def _values_in(document: Any) -> Iterator[tuple[str, str | int]]:
    """The strings (keys too) and integers of a JSON document, each with the dotted path of where it is."""
    stack: list[tuple[Any, str]] = [(document, "")]
    while stack:
        item, at = stack.pop()
        if isinstance(item, str | int) and not isinstance(item, bool):
            yield at or "body", item
        elif isinstance(item, dict):
            for key, inner in item.items():
                yield at or "body", key
                stack.append((inner, f"{at}.{key}" if at else key) if storable(key) else (inner, at or "body"))
        elif isinstance(item, list):
            stack.extend((inner, f"{at}.{index}" if at else str(index)) for index, inner in enumerate(item))
