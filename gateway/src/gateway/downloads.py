"""Files from a service handed on to the browser piece by piece, never held whole in the gateway.

A document may be up to 20 MiB and many people download at once, so the gateway passes the bytes through as
they arrive. The service's `Content-Type`, `Content-Disposition` (the file name) and `Content-Length` reach the
browser unchanged.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Final

import httpx
from starlette.background import BackgroundTask
from starlette.responses import StreamingResponse

from shared.auth import Principal
from shared.http import ServiceClient

_PASSED_HEADERS: Final = (
    "content-type",
    "content-disposition",
    "content-length",
    "content-encoding",
    "etag",
    "last-modified",
)


async def stream_to_browser(service: ServiceClient, path: str, principal: Principal) -> StreamingResponse:
    """The service's answer passed on as it arrives; a refusal raises `ServiceCallError` before anything is sent."""
    upstream = await service.open_stream(path, principal)
    headers = {name: upstream.headers[name] for name in _PASSED_HEADERS if name in upstream.headers}
    # both close the service's answer: the generator when the browser reads to the end or goes away
    # mid-way, the background task when the browser left before the first piece
    return StreamingResponse(_pieces(upstream), headers=headers, background=BackgroundTask(upstream.aclose))


async def _pieces(upstream: httpx.Response) -> AsyncIterator[bytes]:
    try:
        # raw: the bytes exactly as the service sent them, matching the passed Content-Length/-Encoding
        async for piece in upstream.aiter_raw():
            yield piece
    finally:
        await upstream.aclose()
