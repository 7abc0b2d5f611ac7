"""A RES system built from docs/res-bus-contract.md alone, with clients nobody here wrote: Debian's amqp-tools
(`amqp-publish`, `amqp-consume`, C) and pika (Python). The page's own blocks are run as they stand (only the
namespace is the test's), as a broker user with exactly the permissions of the page's section 1, against billing;
its answers queue and another RES system's are declared as operations declare them.

Skipped where `rabbitmqctl` cannot reach the local broker (users and permissions are made with it) or amqp-tools is
not installed (`scripts/bootstrap.sh` installs it).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aio_pika
import pika
import pika.exceptions
import pytest
from fastapi import FastAPI

from shared.bus import Topology
from shared.bus.topology import QUORUM, declare_exchange, res_answers_bindings, res_answers_queue, res_system_access
from shared.testing import wait_for_consumer

PAGE = Path(__file__).resolve().parents[3] / "docs" / "res-bus-contract.md"
#: the RES system of the page's examples, and another one beside it
RES_SYSTEM, OTHER_RES_SYSTEM = "roe-donetsk", "roe-kyiv"
WITHIN = 60.0


def page_block(heading: str, language: str, namespace: str) -> str:
    """The first `language` block under the page's heading, its names in the test's namespace."""
    text = PAGE.read_text(encoding="utf-8")
    found = re.search(rf"^{re.escape(heading)}\n.*?^```{language}\n(.*?)^```", text, re.M | re.S)
    assert found, f"{PAGE.name} has no {language} block under {heading!r}"
    return found.group(1).replace("cabinet.", f"{namespace}.")


async def rabbitmqctl(*arguments: str) -> int:
    """Runs rabbitmqctl (without blocking billing, which runs in this event loop); its exit status."""
    process = await asyncio.create_subprocess_exec("rabbitmqctl", *arguments, stdout=subprocess.DEVNULL,
                                                   stderr=subprocess.DEVNULL)
    async with asyncio.timeout(WITHIN):
        return await process.wait()


@dataclass(frozen=True)
class Integrator:
    """The RES system `roe-donetsk` as an integrator builds it: its URL, and the test's namespace."""

    url: str
    namespace: str
    admin_url: str

    @property
    def exchange(self) -> str:
        return f"{self.namespace}.events"

    def queue(self, res_system: str = RES_SYSTEM) -> str:
        return res_answers_queue(self.namespace, res_system)

    async def run(self, *command: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
        process = await asyncio.create_subprocess_exec(
            *command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env={**os.environ, "AMQP_URL": self.url})
        try:
            async with asyncio.timeout(WITHIN):
                out, err = await process.communicate(stdin)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise
        return subprocess.CompletedProcess(command, process.returncode or 0, out, err)

    async def publish(self, body: str, routing_key: str = f"res.payment_received.v1.{RES_SYSTEM}"
                      ) -> subprocess.CompletedProcess[bytes]:
        """`amqp-publish` with the routing key and body alone."""
        return await self.run("amqp-publish", "--url", self.url, "--exchange", self.exchange,
                              "--routing-key", routing_key, "--body", body)

    async def answer(self) -> dict[str, Any]:
        """The next answer in the RES system's queue, through `amqp-consume`."""
        consumed = await self.run("amqp-consume", "--url", self.url, "--queue", self.queue(), "--count", "1", "cat")
        assert consumed.returncode == 0, consumed.stderr.decode()
        answer: dict[str, Any] = json.loads(consumed.stdout)
        return answer

    async def waiting(self, queue: str) -> int:
        """How many messages wait in a queue (looked at as operations would)."""
        async with await aio_pika.connect(self.admin_url) as connection:
            declared = await (await connection.channel()).declare_queue(queue, passive=True)
            return int(declared.declaration_result.message_count or 0)


def _url(amqp_url: str, user: str, password: str) -> str:
    """The broker of `amqp_url` as another user; the default virtual host spelled so every client reads it."""
    parts = urlsplit(amqp_url)
    vhost = parts.path if parts.path not in ("", "/") else "/%2F"
    return f"amqp://{user}:{password}@{parts.hostname}:{parts.port or 5672}{vhost}"


@pytest.fixture
async def integrator(app: FastAPI, api: Any, amqp_url: str, bus_namespace: str) -> AsyncIterator[Integrator]:
    if shutil.which("amqp-publish") is None or shutil.which("amqp-consume") is None:
        pytest.skip("amqp-tools is not installed (scripts/bootstrap.sh installs it)")
    if shutil.which("rabbitmqctl") is None or await rabbitmqctl("list_users") != 0:
        pytest.skip("rabbitmqctl cannot reach the local broker: no user of a RES system can be made")
    await wait_for_consumer(amqp_url, Topology(bus_namespace, "billing").queue)
    await api.add_consumer("0789")
    user, password = f"{bus_namespace}-{RES_SYSTEM}", secrets.token_hex(16)
    access = res_system_access(bus_namespace, RES_SYSTEM)
    vhost = urlsplit(amqp_url).path.lstrip("/") or "/"
    assert await rabbitmqctl("add_user", user, password) == 0
    integrator = Integrator(_url(amqp_url, user, password), bus_namespace, amqp_url)
    try:
        assert await rabbitmqctl("set_permissions", "-p", vhost, user, access.configure, access.write,
                                 access.read) == 0
        assert await rabbitmqctl("set_topic_permissions", "-p", vhost, user, integrator.exchange,
                                 access.topic_write, access.topic_read) == 0
        # what operations declare for each RES system (deploy/k8s/base/infrastructure/res-systems.yaml)
        async with await aio_pika.connect(amqp_url) as connection:
            channel = await connection.channel()
            exchange = await declare_exchange(channel, Topology(bus_namespace, "operations"))
            for res_system in (RES_SYSTEM, OTHER_RES_SYSTEM):
                queue = await channel.declare_queue(integrator.queue(res_system), durable=True, arguments=QUORUM)
                for binding in res_answers_bindings(res_system):
                    await queue.bind(exchange, binding)
        yield integrator
    finally:
        await rabbitmqctl("delete_user", user)
        async with await aio_pika.connect(amqp_url) as connection:
            channel = await connection.channel()
            for res_system in (RES_SYSTEM, OTHER_RES_SYSTEM):
                await channel.queue_delete(integrator.queue(res_system))


async def test_amqp_tools_as_the_page_tells(integrator: Integrator, api: Any) -> None:
    commands = page_block("#### With amqp-tools", "sh", integrator.namespace)
    done = await integrator.run("bash", "-e", "-c", commands)
    assert done.returncode == 0, done.stderr.decode()
    answer = json.loads(done.stdout)
    assert (answer["type"], answer["res_payment_id"], answer["amount"], answer["credit"]) == (
        "billing.payment_accepted.v1", "DON-2013-0731-000187", "376.10", "376.10")

    # the same bytes again are the same message: handled once, answered once
    [published] = re.findall(r"--body '(.*)'", commands)
    assert (await integrator.publish(published)).returncode == 0
    # a payment the cabinet refuses, answered with where it breaks the contract; then one it cannot read at all
    malformed = json.loads(published) | {"res_payment_id": "DON-2013-0731-000191", "amount": "-5.00"}
    assert (await integrator.publish(json.dumps(malformed))).returncode == 0
    refused = await integrator.answer()
    assert (refused["type"], refused["reason"], refused["res_payment_id"], refused["message_id"]) == (
        "billing.payment_refused.v1", "invalid", "DON-2013-0731-000191", None)
    assert [error.split(":")[0] for error in refused["errors"]] == ["amount"]
    assert (await integrator.publish("оплата 376,10 грн")).returncode == 0
    unreadable = await integrator.answer()
    assert (unreadable["type"], unreadable["reason"], unreadable["res_payment_id"], unreadable["message_id"]) == (
        "billing.payment_refused.v1", "invalid", None, None)
    assert "Invalid JSON" in unreadable["errors"][0]

    # routed as another RES system's, a payment is refused by the broker: it reaches neither billing nor anyone
    impostor = json.loads(published) | {"res_payment_id": "KYIV-2013-0731-000001"}
    sent = await integrator.publish(json.dumps(impostor), routing_key=f"res.payment_received.v1.{OTHER_RES_SYSTEM}")
    assert "ACCESS_REFUSED" in sent.stderr.decode()
    # nor does a header that names another routing key make it another RES system's
    disguised = await integrator.run(
        "amqp-publish", "--url", integrator.url, "--exchange", integrator.exchange,
        "--routing-key", f"res.payment_received.v1.{RES_SYSTEM}", "--body", json.dumps(impostor),
        "--header", f"x-original-routing-key: res.payment_received.v1.{OTHER_RES_SYSTEM}")
    assert disguised.returncode == 0
    taken = await integrator.answer()
    assert (taken["type"], taken["res_payment_id"]) == ("billing.payment_accepted.v1", "KYIV-2013-0731-000001")
    await asyncio.sleep(1.0)
    assert await integrator.waiting(integrator.queue()) == 0  # no answer to the duplicate
    assert await integrator.waiting(integrator.queue(OTHER_RES_SYSTEM)) == 0  # nothing of roe-donetsk's
    assert await api.scalar(
        "SELECT string_agg(res_payment_id || ' ' || res_system, ',' ORDER BY res_payment_id) FROM payments") == (
        "DON-2013-0731-000187 roe-donetsk,KYIV-2013-0731-000001 roe-donetsk")


async def test_pika_as_the_page_tells(integrator: Integrator, api: Any) -> None:
    script = page_block("#### With pika (Python)", "python", integrator.namespace)
    done = await integrator.run(sys.executable, "-c", script)
    assert done.returncode == 0, done.stderr.decode()
    printed_type, body = done.stdout.decode().strip().split(" ", 1)
    answer = json.loads(body)
    assert printed_type == answer["type"] == "billing.payment_accepted.v1"
    assert (answer["res_payment_id"], answer["amount"]) == ("DON-2013-0731-000190", "1000.00")

    # a type property that contradicts the routing key is refused, the refusal carrying the message's id
    message_id = str(uuid.uuid4())
    await asyncio.to_thread(_publish_with_pika, integrator, f"res.payment_received.v1.{RES_SYSTEM}", body=json.dumps(
        {"res_payment_id": "DON-2013-0731-000187", "returned_on": "2013-08-02", "reason": "повернено"}),
        message_id=message_id, type="res.payment_returned.v1")
    refused = await asyncio.to_thread(_answer_with_pika, integrator)
    assert (refused["type"], refused["reason"], refused["message_id"]) == (
        "billing.payment_refused.v1", "invalid", message_id)
    assert "contradicts routing key" in refused["errors"][0]
    # publishing as another RES system closes the channel: confirms or not, nothing is taken
    with pytest.raises(pika.exceptions.ChannelClosedByBroker, match="ACCESS_REFUSED"):
        await asyncio.to_thread(_publish_with_pika, integrator, f"res.payment_received.v1.{OTHER_RES_SYSTEM}",
                                body="{}", message_id=str(uuid.uuid4()), type=None)
    assert await integrator.waiting(integrator.queue(OTHER_RES_SYSTEM)) == 0
    assert await api.scalar("SELECT count(*) FROM payments") == 1


def _publish_with_pika(integrator: Integrator, routing_key: str, *, body: str, message_id: str,
                       type: str | None) -> None:
    with pika.BlockingConnection(pika.URLParameters(integrator.url)) as connection:
        channel = connection.channel()
        channel.confirm_delivery()
        channel.basic_publish(integrator.exchange, routing_key, body.encode(), mandatory=True,
                              properties=pika.BasicProperties(message_id=message_id, type=type,
                                                              content_type="application/json", delivery_mode=2))


def _answer_with_pika(integrator: Integrator) -> dict[str, Any]:
    with pika.BlockingConnection(pika.URLParameters(integrator.url)) as connection:
        channel = connection.channel()
        for method, properties, body in channel.consume(integrator.queue(), inactivity_timeout=WITHIN):
            assert method is not None, "no answer came"
            answer: dict[str, Any] = json.loads(body)
            assert properties.type == answer["type"]
            channel.basic_ack(method.delivery_tag)
            channel.cancel()
            return answer
    raise AssertionError("unreachable")
