"""Who the client is: the peer of the connection, unless that peer is a trusted proxy (`trusted_proxies`).

Each proxy appends to `X-Forwarded-For` the address it got the request from; everything to the left of what the
trusted proxies appended was written by the client and may say anything. So the header is read from the right,
past the addresses of trusted proxies, and the first address that is not one is the client's — as nginx does with
`real_ip_recursive on` and ingress-nginx with `proxy-real-ip-cidr`. When every address is a trusted proxy, the
leftmost is the client (it was a proxy too). The address feeds identity's throttling of guesses (the `ip` of the
service token), so this is the only place the gateway learns it; uvicorn runs with `--no-proxy-headers`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from starlette.types import ASGIApp, Receive, Scope, Send

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Networks = Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]


def _address(text: str) -> IPAddress | None:
    """An address as proxies write it: bare, `[v6]` or `[v6]:port`, `v4:port`; None for anything else."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: IPAddress, proxies: Networks) -> bool:
    return any(address in network for network in proxies)


def client_address(peer: str, forwarded_for: Sequence[str], proxies: Networks) -> str:
    """The client's address, given the connection's peer and the `X-Forwarded-For` lines in order of arrival."""
    hop = _address(peer)
    if hop is None or not _trusted(hop, proxies):
        return peer
    hops = [entry for line in forwarded_for for entry in line.split(",") if entry.strip()]
    for entry in reversed(hops):
        address = _address(entry)
        if address is None:
            # a trusted proxy passed on something that is not an address: the client is as far as it can be known
            break
        hop = address
        if not _trusted(hop, proxies):
            break
    return str(hop)


class ClientAddressMiddleware:
    """Puts the client's address into the scope, where `request.client` (and so every page) reads it."""

    def __init__(self, app: ASGIApp, proxies: Networks) -> None:
        self.app = app
        self._proxies = proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._proxies and scope["type"] in ("http", "websocket") and scope.get("client"):
            peer, _ = scope["client"]
            forwarded_for = [value.decode("latin-1") for name, value in scope["headers"] if name == b"x-forwarded-for"]
            client = client_address(peer, forwarded_for, self._proxies)
            if client != peer:
                # the port is the proxy's, not the client's: none is known (uvicorn's own proxy headers say 0 too)
                scope["client"] = (client, 0)
        await self.app(scope, receive, send)
