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
from shared.errors import ServiceCallError
from shared.http import ServiceClient

_PASSED_HEADERS: Final = (
    "content-type",
    "content-disposition",
    "content-length",
    "content-encoding",
    "etag",
    "last-modified",
)


class StreamingServiceClient(ServiceClient):
    """A service client that can also stream an answer (the JSON calls share its connections)."""

    async def stream(self, path: str, principal: Principal) -> StreamingResponse:
        request = self._client.build_request(
            "GET", path, headers={"Authorization": f"Bearer {self._tokens.issue(principal)}"}
        )
        upstream = await self._client.send(request, stream=True)
        if upstream.status_code >= 400:
            try:
                await upstream.aread()  # a refusal is a short JSON body
            finally:
                await upstream.aclose()
            raise ServiceCallError(upstream.status_code, _refusal_detail(upstream))
        headers = {name: upstream.headers[name] for name in _PASSED_HEADERS if name in upstream.headers}
        # both close the service's answer: the generator when the browser reads to the end or goes away
        # mid-way, the background task when the browser left before the first piece
        return StreamingResponse(
            _pieces(upstream), headers=headers, background=BackgroundTask(upstream.aclose)
        )


async def _pieces(upstream: httpx.Response) -> AsyncIterator[bytes]:
    try:
        # raw: the bytes exactly as the service sent them, matching the passed Content-Length/-Encoding
        async for piece in upstream.aiter_raw():
            yield piece
    finally:
        await upstream.aclose()


def _refusal_detail(response: httpx.Response) -> dict[str, object]:
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = None
    if isinstance(detail, dict):
        return detail
    return {"code": "error", "message": str(detail or response.text[:500])}
