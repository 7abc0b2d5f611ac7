"""The identity app on a database of its own (real PostgreSQL) and a bus namespace of its own (real RabbitMQ).

`api` calls it over ASGI with service tokens the way the gateway does; `world` sets up two supplier branches
with their staff, an administrator and one consumer account made through the API.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aio_pika
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from identity.app import create_app
from identity.models import UserRole
from identity.settings import IdentitySettings
from identity.staff import Staff, branch_by_name
from shared.auth import Principal, Role, ServiceTokens
from shared.bus import Topology
from shared.db import Database
from shared.testing import ServiceApi

CLIENT_IP = "198.51.100.7"
STRONG_PASSWORD = "vesela-kvitka-na-dnipri-42"
OTHER_STRONG_PASSWORD = "sonyashnyk i hmara nad stepom"


@pytest.fixture
async def settings(
    database_factory: Callable[[str], Awaitable[str]], postgres_url: str, amqp_url: str, bus_namespace: str,
    service_token_secret: str,
) -> IdentitySettings:
    url = make_url(await database_factory("identity"))
    return IdentitySettings(
        postgres_url=postgres_url, database_name=url.database, amqp_url=amqp_url, bus_namespace=bus_namespace,
        service_token_secret=service_token_secret, public_base_url="https://cabinet.test",
        log_format="console",
        # cheap hashes keep the tests fast; the production cost is a setting like these
        password_hash_time_cost=1, password_hash_memory_kib=8 * 1024, password_hash_parallelism=1,
    )


@asynccontextmanager
async def running(settings: IdentitySettings) -> AsyncIterator[FastAPI]:
    """The app as uvicorn runs it: lifespan (migrations, database, bus, housekeeping) around the requests."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
def start_app() -> Callable[[IdentitySettings], AbstractAsyncContextManager[FastAPI]]:
    """For tests that run several instances (replicas, restarts) on one database."""
    return running


@pytest.fixture
async def app(settings: IdentitySettings, amqp_url: str) -> AsyncIterator[FastAPI]:
    async with running(settings) as app:
        yield app
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        await channel.exchange_delete(Topology(settings.bus_namespace, "identity").exchange)


def anonymous(ip: str = CLIENT_IP) -> Principal:
    return Principal(role=Role.ANONYMOUS, ip=ip)


def principal_of(user: dict[str, Any], ip: str = CLIENT_IP) -> Principal:
    """The principal the gateway sends for a signed-in user (as `/sessions/resolve` described them)."""
    consumer, branch = user.get("consumer"), user.get("branch")
    return Principal(
        user_id=uuid.UUID(user["id"]), consumer_id=uuid.UUID(consumer["id"]) if consumer else None,
        role=Role(user["role"]), ip=ip, branch_id=uuid.UUID(branch["id"]) if branch else None,
        consumer_role=user.get("consumer_role"),
    )


def link_token(link_url: str) -> str:
    return link_url.rsplit("/", 1)[1]


def new_consumer_body(branch_id: str, **changes: Any) -> dict[str, Any]:
    return {
        "account_number": "0789", "name": 'Кооператив "Автомобіліст-2"', "edrpou": "12345678",
        "branch_id": branch_id, "agreement_email": "demo@cabinet.local", "billing_day": 25,
        "self_calculation": True, "e_signature": True, **changes,
    }


class Api(ServiceApi):
    """The identity API as the gateway calls it, and a look into the service's database."""

    STRONG_PASSWORD = STRONG_PASSWORD
    OTHER_STRONG_PASSWORD = OTHER_STRONG_PASSWORD
    anonymous = staticmethod(anonymous)
    principal_of = staticmethod(principal_of)
    link_token = staticmethod(link_token)
    new_consumer_body = staticmethod(new_consumer_body)

    def __init__(self, app: FastAPI, tokens: ServiceTokens) -> None:
        super().__init__(app, tokens, "identity")

    async def outbox_types(self) -> list[str]:
        async with self.database.sessionmaker() as session:
            return list((await session.scalars(sa.text("SELECT message_type FROM outbox ORDER BY id"))).all())

    async def execute(self, sql: str, **params: Any) -> None:
        async with self.database.transaction() as session:
            await session.execute(sa.text(sql), params)

    async def snapshot(self) -> dict[str, int]:
        """Row counts of the tables a refused request must leave alone."""
        tables = ("users", "consumer_accounts", "activation_codes", "registration_links", "sessions",
                  "email_changes", "outbox")
        return {table: int(await self.scalar(f"SELECT count(*) FROM {table}")) for table in tables}  # noqa: S608

    async def register(
        self, world: World, login: str = "avtomobilist", password: str = STRONG_PASSWORD, *,
        token: str | None = None, code: str | None = None, ip: str = CLIENT_IP,
    ) -> dict[str, Any]:
        """Complete registration (by default with the world's link and code); the new user."""
        answer = await self.ok("POST", "/registration/complete", anonymous(ip), json={
            "token": token or world.link_token, "activation_code": code or world.activation_code, "login": login,
            "password": password, "password_confirmation": password,
        })
        user: dict[str, Any] = answer["user"]
        return user

    async def sign_in(self, login: str, password: str = STRONG_PASSWORD) -> dict[str, Any]:
        answer: dict[str, Any] = await self.ok("POST", "/sessions", json={"login": login, "password": password})
        return answer


@pytest.fixture
async def api(app: FastAPI, service_token_secret: str) -> AsyncIterator[Api]:
    api = Api(app, ServiceTokens(service_token_secret, issuer="gateway"))
    async with api.client:
        yield api


@dataclass
class World:
    branch_a: dict[str, Any]
    branch_b: dict[str, Any]
    staff_a: Principal
    staff_b: Principal
    admin: Principal
    consumer: dict[str, Any]
    activation_code: str
    #: the token of the registration link e-mailed with the first code
    link_token: str


async def add_staff(database: Database, app: FastAPI, login: str, role: UserRole, branch_name: str | None) -> Principal:
    async with database.transaction() as session:
        branch = await branch_by_name(session, branch_name) if branch_name else None
        user = await Staff(session, app.state.identity).create_staff_user(
            login=login, email=f"{login}@cabinet.local", password=STRONG_PASSWORD, role=role, branch=branch
        )
        return Principal(user_id=user.id, role=Role(role), ip=CLIENT_IP)


async def add_branch(database: Database, app: FastAPI, name: str, edrpou: str) -> None:
    async with database.transaction() as session:
        await Staff(session, app.state.identity).create_branch(
            name=name, edrpou=edrpou, iban="UA213052990000000026001234567", address="Київ", phone="+380440000000",
            email="res@cabinet.local",
        )


@pytest.fixture
async def world(api: Api, app: FastAPI) -> World:
    database = api.database
    await add_branch(database, app, "ПАТ «ДТЕК ПЕМ-Енерговугілля»", "31793056")
    await add_branch(database, app, "ТОВ «Інша РЕС»", "00131268")
    staff_a = await add_staff(database, app, "manager", UserRole.STAFF, "ПАТ «ДТЕК ПЕМ-Енерговугілля»")
    staff_b = await add_staff(database, app, "stranger", UserRole.STAFF, "ТОВ «Інша РЕС»")
    admin = await add_staff(database, app, "administrator", UserRole.ADMIN, None)
    branches = {branch["name"]: branch for branch in await api.ok("GET", "/branches", staff_a)}
    branch_a, branch_b = branches["ПАТ «ДТЕК ПЕМ-Енерговугілля»"], branches["ТОВ «Інша РЕС»"]
    created = await api.ok("POST", "/consumers", staff_a, json=new_consumer_body(branch_a["id"]))
    [issued] = await api.outbox("identity.registration_link_issued.v1")
    return World(
        branch_a=branch_a, branch_b=branch_b, staff_a=staff_a, staff_b=staff_b, admin=admin,
        consumer=created["consumer"], activation_code=created["activation_code"],
        link_token=link_token(issued["link_url"]),
    )
