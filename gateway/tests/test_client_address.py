"""Whose address the gateway counts: the connection's peer, or behind trusted proxies what they appended."""

from __future__ import annotations

import ipaddress

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send

from gateway.client_address import ClientAddressMiddleware, client_address
from gateway.settings import GatewaySettings

INGRESS = [ipaddress.ip_network("10.244.0.0/16"), ipaddress.ip_network("127.0.0.1")]


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "client"),
    [
        # not through a trusted proxy: whatever the header says, the peer is the client
        ("203.0.113.5", ["198.51.100.7"], "203.0.113.5"),
        ("203.0.113.5", [], "203.0.113.5"),
        # the ingress appended the address it got the request from
        ("10.244.1.9", ["203.0.113.5"], "203.0.113.5"),
        # ... to whatever the client wrote itself: that stays unread
        ("10.244.1.9", ["198.51.100.7, 192.0.2.1, 203.0.113.5"], "203.0.113.5"),
        ("10.244.1.9", ["198.51.100.7", "203.0.113.5"], "203.0.113.5"),  # one line per proxy
        # proxies behind each other, all trusted: the first address from the right that is not one of them
        ("10.244.1.9", ["198.51.100.7, 203.0.113.5, 10.244.3.3"], "203.0.113.5"),
        # every hop a trusted proxy: the leftmost was the client
        ("10.244.1.9", ["10.244.2.2, 10.244.3.3"], "10.244.2.2"),
        # nothing forwarded, or nothing readable: the last trusted hop is as far as is known
        ("10.244.1.9", [], "10.244.1.9"),
        ("10.244.1.9", ["  ,  "], "10.244.1.9"),
        ("10.244.1.9", ["203.0.113.5, unknown"], "10.244.1.9"),
        ("10.244.1.9", ["203.0.113.5, _hidden, 10.244.3.3"], "10.244.3.3"),
        # addresses as proxies write them: with ports, in brackets, in any spelling of IPv6
        ("10.244.1.9", ["203.0.113.5:50123"], "203.0.113.5"),
        ("10.244.1.9", ["[2001:DB8:0:0::1]:443"], "2001:db8::1"),
        ("10.244.1.9", ["2001:db8::1"], "2001:db8::1"),
        ("::ffff:127.0.0.1", ["203.0.113.5"], "203.0.113.5"),
        ("testclient", ["203.0.113.5"], "testclient"),
    ],
)
def test_the_client_is_the_first_address_from_the_right_that_is_no_trusted_proxy(
    peer: str, forwarded_for: list[str], client: str
) -> None:
    assert client_address(peer, forwarded_for, INGRESS) == client


def test_without_trusted_proxies_the_header_is_never_read() -> None:
    assert client_address("127.0.0.1", ["203.0.113.5"], []) == "127.0.0.1"


async def _seen_address(scope: Scope, receive: Receive, send: Send) -> None:
    client = Request(scope).client
    await PlainTextResponse(f"{client.host}:{client.port}" if client else "none")(scope, receive, send)


@pytest.mark.parametrize(
    ("peer", "seen"),
    [(("10.244.1.9", 50123), "203.0.113.5:0"), (("203.0.113.77", 50123), "203.0.113.77:50123")],
)
async def test_the_middleware_puts_the_client_where_the_pages_read_it(peer: tuple[str, int], seen: str) -> None:
    app = ClientAddressMiddleware(_seen_address, proxies=INGRESS)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=peer), base_url="http://gw") as http:
        response = await http.get("/", headers={"X-Forwarded-For": "198.51.100.7, 203.0.113.5"})
    assert response.text == seen


def test_trusted_proxies_are_read_comma_separated_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CABINET_TRUSTED_PROXIES", "10.244.0.0/16, 127.0.0.1 ,2001:db8::/48")
    assert [str(network) for network in GatewaySettings().trusted_proxies] == [
        "10.244.0.0/16", "127.0.0.1/32", "2001:db8::/48"]
    monkeypatch.setenv("CABINET_TRUSTED_PROXIES", "10.244.0.1/16")  # host bits set: a mistake, said at start
    with pytest.raises(ValueError, match="trusted_proxies"):
        GatewaySettings()
    monkeypatch.delenv("CABINET_TRUSTED_PROXIES")
    assert GatewaySettings().trusted_proxies == ()
