"""The RabbitMQ permissions of base/infrastructure/rabbitmq.yaml, tried on a real broker: a service's user can do
everything the shared bus does for that service, and cannot touch another service's queues.

Runs against the local RabbitMQ (127.0.0.1:5672) in a virtual host and with users of its own, made and removed
with rabbitmqctl; skipped where rabbitmqctl cannot reach the broker.
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote, unquote

import aio_pika
import pytest
from aio_pika.exceptions import ChannelClosed
from aiormq.exceptions import ChannelAccessRefused
from deploy_manifests import Rendered

from shared.bus.topology import (
    RES_ANSWERING_SERVICES,
    Topology,
    declare_consumer_queues,
    declare_exchange,
    res_answers_bindings,
    res_answers_queue,
    res_system_access,
)

#: what the manifests' regular expressions are written for: CABINET_BUS_NAMESPACE in cabinet-config
NAMESPACE = "cabinet"


@dataclass(frozen=True)
class BrokerUser:
    service: str
    url: str


def rabbitmqctl(*arguments: str) -> None:
    result = subprocess.run(["rabbitmqctl", *arguments], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def users(rendered: dict[str, Rendered]) -> Iterator[dict[str, BrokerUser]]:
    if shutil.which("rabbitmqctl") is None:
        pytest.skip("rabbitmqctl is not installed: no local RabbitMQ to try the permissions on")
    probe = subprocess.run(["rabbitmqctl", "list_vhosts"], capture_output=True, text=True, timeout=60)
    if probe.returncode != 0:
        pytest.skip(f"rabbitmqctl cannot reach the local broker: {probe.stderr.strip()}")
    vhost = f"deploy-test-{uuid.uuid4().hex[:12]}"
    rabbitmqctl("add_vhost", vhost)
    made: dict[str, BrokerUser] = {}
    try:
        for service in ("identity", "billing"):
            permissions = rendered["production"].one("Permission", service)["spec"]["permissions"]
            name, password = f"{vhost}-{service}", secrets.token_hex(16)
            rabbitmqctl("add_user", name, password)
            made[service] = BrokerUser(service, f"amqp://{name}:{password}@127.0.0.1:5672/{quote(vhost, safe='')}")
            rabbitmqctl("set_permissions", "-p", vhost, name,
                        permissions["configure"], permissions["write"], permissions["read"])
        yield made
    finally:
        for user in made.values():
            rabbitmqctl("delete_user", user.url.split("//")[1].split(":")[0])
        rabbitmqctl("delete_vhost", vhost)


def _message(routing_key: str) -> aio_pika.Message:
    return aio_pika.Message(b"{}", message_id=str(uuid.uuid4()), type=routing_key,
                            content_type="application/json", delivery_mode=aio_pika.DeliveryMode.PERSISTENT)


async def test_a_service_can_do_all_the_bus_does_for_it(users: dict[str, BrokerUser]) -> None:
    identity, billing = Topology(NAMESPACE, "identity"), Topology(NAMESPACE, "billing")
    async with await aio_pika.connect(users["identity"].url) as identity_connection, \
            await aio_pika.connect(users["billing"].url) as billing_connection:
        identity_channel = await identity_connection.channel(publisher_confirms=True)
        billing_channel = await billing_connection.channel(publisher_confirms=True)
        # the consumer declares its queues, retry queues and dead-letter queue, bound to what it subscribes to
        queue = await declare_consumer_queues(identity_channel, identity, ["billing.invoice_issued.v1"])
        await declare_consumer_queues(billing_channel, billing, [])
        # the relay of another service publishes to the events exchange; the event reaches identity's queue
        await (await declare_exchange(billing_channel, billing)).publish(
            _message("billing.invoice_issued.v1"), routing_key="billing.invoice_issued.v1")
        delivered = await queue.get(timeout=5)
        await delivered.ack()
        # a failing handling goes to a retry queue through the default exchange and comes back after its delay
        await identity_channel.default_exchange.publish(_message("x.v1"), routing_key=identity.retry_queue(1))
        redelivered = await _get_within(queue, seconds=10)
        await redelivered.ack()
        # the last attempt goes to the dead-letter queue, whose depth the consumer samples passively
        await identity_channel.default_exchange.publish(_message("x.v1"), routing_key=identity.dead_letter_queue)
        for _ in range(50):
            depth = await identity_channel.declare_queue(identity.dead_letter_queue, passive=True)
            if depth.declaration_result.message_count == 1:
                break
            await asyncio.sleep(0.1)
        assert depth.declaration_result.message_count == 1


@pytest.mark.parametrize("trespass", ["declare", "consume", "publish elsewhere"])
async def test_a_service_cannot_touch_what_is_not_its_own(users: dict[str, BrokerUser], trespass: str) -> None:
    billing = Topology(NAMESPACE, "billing")
    async with await aio_pika.connect(users["billing"].url) as connection:
        await declare_consumer_queues(await connection.channel(), billing, [])
    async with await aio_pika.connect(users["identity"].url) as connection:
        channel = await connection.channel(publisher_confirms=True)
        with pytest.raises((ChannelAccessRefused, ChannelClosed)) as refused:
            if trespass == "declare":
                await channel.declare_queue(f"{NAMESPACE}.notify", durable=True)
            elif trespass == "consume":
                queue = await channel.declare_queue(billing.queue, passive=True)
                await queue.get(timeout=5, fail=False)
            else:
                exchange = await channel.get_exchange("amq.topic")
                await exchange.publish(_message("x.v1"), routing_key="x.v1")
        assert "ACCESS_REFUSED" in str(refused.value)


async def _get_within(queue: aio_pika.abc.AbstractQueue, seconds: float) -> aio_pika.abc.AbstractIncomingMessage:
    async with asyncio.timeout(seconds):
        while True:
            message = await queue.get(fail=False)
            if message is not None:
                return message
            await asyncio.sleep(0.2)


# RES systems (res-systems.yaml; docs/res-bus-contract.md, section 1)

def res_systems(rendered: Rendered) -> list[str]:
    """The RES systems the manifests set up, by their answers queues."""
    prefix, suffix = f"{NAMESPACE}.res.", ".answers"
    return [queue["spec"]["name"].removeprefix(prefix).removesuffix(suffix) for queue in rendered.of_kind("Queue")
            if queue["spec"]["name"].startswith(prefix)]


@pytest.mark.parametrize("overlay", ["local", "production"])
def test_each_res_systems_objects_are_what_the_contract_says(rendered: dict[str, Rendered], overlay: str) -> None:
    manifests = rendered[overlay]
    assert res_systems(manifests) == ["roe-donetsk"]
    for system in res_systems(manifests):
        access = res_system_access(NAMESPACE, system)
        name = f"res-{system}"
        assert manifests.one("User", name)["spec"]["importCredentialsSecret"] == {"name": f"{name}-amqp"}
        permission = manifests.one("Permission", name)["spec"]
        assert (permission["vhost"], permission["userReference"]) == ("cabinet", {"name": name})
        assert permission["permissions"] == {"configure": access.configure, "write": access.write,
                                             "read": access.read}
        topic = manifests.one("TopicPermission", name)["spec"]
        assert (topic["vhost"], topic["userReference"]) == ("cabinet", {"name": name})
        assert topic["permissions"] == {"exchange": f"{NAMESPACE}.events", "write": access.topic_write,
                                        "read": access.topic_read}
        queue = manifests.one("Queue", f"{name}-answers")["spec"]
        assert (queue["name"], queue["vhost"], queue["type"], queue["durable"]) == (
            res_answers_queue(NAMESPACE, system), "cabinet", "quorum", True)
        bindings = [manifests.one("Binding", f"{name}-{service}-answers")["spec"]
                    for service in RES_ANSWERING_SERVICES]
        assert {(binding["source"], binding["destination"], binding["destinationType"], binding["routingKey"])
                for binding in bindings} == {(f"{NAMESPACE}.events", queue["name"], "queue", key)
                                             for key in res_answers_bindings(system)}
    exchange = manifests.one("Exchange", "cabinet-events")["spec"]
    assert (exchange["name"], exchange["type"], exchange["durable"], exchange["autoDelete"]) == (
        f"{NAMESPACE}.events", "topic", True, False)


async def test_a_res_systems_user_publishes_its_own_messages_and_reads_its_own_answers_only(
        rendered: dict[str, Rendered], users: dict[str, BrokerUser]) -> None:
    """The production manifests' permissions on a real broker: what the contract page promises a RES system."""
    vhost = users["billing"].url.rsplit("/", 1)[1]
    system, other = "roe-donetsk", "roe-kyiv"
    permission = rendered["production"].one("Permission", f"res-{system}")["spec"]["permissions"]
    topic = rendered["production"].one("TopicPermission", f"res-{system}")["spec"]["permissions"]
    name, password = f"{vhost}-res", secrets.token_hex(16)
    rabbitmqctl("add_user", name, password)
    try:
        rabbitmqctl("set_permissions", "-p", unquote(vhost), name,
                    permission["configure"], permission["write"], permission["read"])
        rabbitmqctl("set_topic_permissions", "-p", unquote(vhost), name, topic["exchange"], topic["write"],
                    topic["read"])
        async with await aio_pika.connect(users["billing"].url) as connection:
            channel = await connection.channel()
            exchange = await declare_exchange(channel, Topology(NAMESPACE, "billing"))
            # billing's own queue, bound as billing binds it, stands in for billing
            await declare_consumer_queues(channel, Topology(NAMESPACE, "billing"), ["res.payment_received.v1.*"])
        # the local administrator plays the operator (in this test's own virtual host)
        rabbitmqctl("set_permissions", "-p", unquote(vhost), "guest", ".*", ".*", ".*")
        async with await aio_pika.connect(f"amqp://guest:guest@127.0.0.1:5672/{vhost}") as admin:
            admin_channel = await admin.channel()
            for res_system in (system, other):
                answers = await admin_channel.declare_queue(res_answers_queue(NAMESPACE, res_system), durable=True,
                                                            arguments={"x-queue-type": "quorum"})
                for binding in res_answers_bindings(res_system):
                    await answers.bind(exchange.name, binding)
        async with await aio_pika.connect(f"amqp://{name}:{password}@127.0.0.1:5672/{vhost}") as connection:
            channel = await connection.channel(publisher_confirms=True)
            events = await channel.get_exchange(f"{NAMESPACE}.events")  # passively: it may
            await events.publish(_message("res.payment_received.v1"), f"res.payment_received.v1.{system}",
                                 mandatory=True)
            async with await aio_pika.connect(users["billing"].url) as billing:
                payments = await (await billing.channel()).get_queue(Topology(NAMESPACE, "billing").queue)
                assert (await _get_within(payments, seconds=5)).routing_key == f"res.payment_received.v1.{system}"
            own = await channel.get_queue(res_answers_queue(NAMESPACE, system))
            assert await own.get(fail=False) is None  # it may read its own answers (none yet)
            for trespass in (f"res.payment_received.v1.{other}", f"billing.payment_accepted.v1.{system}",
                             "billing.invoice_issued.v1", "declare", "bind", "read another's answers"):
                channel = await connection.channel(publisher_confirms=True)
                with pytest.raises((ChannelAccessRefused, ChannelClosed)) as refused:
                    if trespass == "declare":
                        await channel.declare_exchange(f"{NAMESPACE}.events", aio_pika.ExchangeType.TOPIC,
                                                       durable=True)
                    elif trespass == "bind":
                        await own.bind(f"{NAMESPACE}.events", "#")
                    elif trespass == "read another's answers":
                        await (await channel.get_queue(res_answers_queue(NAMESPACE, other))).get(fail=False)
                    else:
                        events = await channel.get_exchange(f"{NAMESPACE}.events")
                        await events.publish(_message(trespass), trespass)
                        await channel.get_exchange(f"{NAMESPACE}.events")  # the refusal closes the channel
                assert "ACCESS_REFUSED" in str(refused.value), trespass
    finally:
        rabbitmqctl("delete_user", name)
