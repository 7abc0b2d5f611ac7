"""Calling another service: the caller's principal travels as a fresh service token; errors come back typed."""

from __future__ import annotations

from typing import Any

import httpx

from shared.auth import Principal, ServiceTokens
from shared.errors import ServiceCallError


class ServiceClient:
    def __init__(self, base_url: str, tokens: ServiceTokens, *, timeout: float = 10.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._tokens = tokens
        self._client = httpx.AsyncClient(
            base_url=base_url, timeout=timeout, transport=transport,
            # httpcore scans every pooled connection for each request, so a pool of hundreds costs more CPU than
            # the calls (bench/gateway_load.py: 200 users, twice the page views with 32 instead of 200), and a
            # replica, one process, gains nothing from more calls in flight. All are kept alive, and idle ones
            # are dropped before uvicorn's 5 s keep-alive closes them under a request being sent.
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=32, keepalive_expiry=4.0),
        )

    async def request(self, method: str, path: str, principal: Principal, *, json: Any = None,
                      params: dict[str, Any] | None = None, data: dict[str, Any] | None = None,
                      files: dict[str, Any] | None = None) -> httpx.Response:
        """`data` with `files` sends a multipart form (an uploaded file passed on), else `json` is the body."""
        response = await self._client.request(
            method, path, json=json, params=params, data=data, files=files,
            headers={"Authorization": self._authorization(principal)},
        )
        if response.status_code >= 400:
            raise ServiceCallError(response.status_code, error_detail(response))
        return response

    async def open_stream(self, path: str, principal: Principal) -> httpx.Response:
        """GET whose body is read piece by piece (large files); the caller closes the answer."""
        request = self._client.build_request("GET", path, headers={"Authorization": self._authorization(principal)})
        response = await self._client.send(request, stream=True)
        if response.status_code >= 400:
            try:
                await response.aread()  # a refusal is a short JSON body
            finally:
                await response.aclose()
            raise ServiceCallError(response.status_code, error_detail(response))
        return response

    def _authorization(self, principal: Principal) -> str:
        return f"Bearer {self._tokens.issue(principal)}"

    async def get(self, path: str, principal: Principal, **kwargs: Any) -> Any:
        return (await self.request("GET", path, principal, **kwargs)).json()

    async def post(self, path: str, principal: Principal, **kwargs: Any) -> Any:
        response = await self.request("POST", path, principal, **kwargs)
        return response.json() if response.content else None

    async def delete(self, path: str, principal: Principal, **kwargs: Any) -> None:
        await self.request("DELETE", path, principal, **kwargs)

    async def aclose(self) -> None:
        await self._client.aclose()


def error_detail(response: httpx.Response) -> dict[str, Any]:
    """The `detail` of a service's error answer, or a stand-in when the body is not ours (a proxy's page)."""
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = None
    if isinstance(detail, dict):
        return detail
    return {"code": "error", "message": str(detail or response.text[:500])}
