import asyncio
import base64
import json
import secrets
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding
from fastapi import FastAPI
from minio import Minio

from devtools.testca import (
    CertificationAuthority,
    IssuedCertificate,
    create_ca,
    ensure_local_trust,
    issue_certificate,
    load_ca,
)
from documents.app import create_app as create_documents_app
from documents.settings import DocumentsSettings
from identity.app import create_app as create_identity_app
from identity.demo import DemoData, create_demo_data
from identity.settings import IdentitySettings
from shared.auth import ConsumerRole, Principal, Role, ServiceTokens
from shared.bus import Topology
from shared.bus.tables import OUTBOX
from shared.testing import delete_bus, eventually, wait_for_consumer
from signature.app import create_app
from signature.domain.certificates import TrustStore
from signature.settings import SignatureSettings

CONSUMER_EDRPOU = "12345678"

TrustOf = Callable[..., TrustStore]
IssueConsumer = Callable[..., IssuedCertificate]


@pytest.fixture(scope="session")
def consumer_edrpou() -> str:
    return CONSUMER_EDRPOU


@pytest.fixture(scope="session")
def trust_of() -> TrustOf:
    def load(*authorities: CertificationAuthority) -> TrustStore:
        """A trust store loaded the way the service loads its configuration: from PEM bytes."""
        return TrustStore.load(
            [authority.certificate.public_bytes(Encoding.PEM) for authority in authorities],
            [authority.crl.public_bytes(Encoding.PEM) for authority in authorities],
        )

    return load


@pytest.fixture(scope="session")
def issue_consumer() -> IssueConsumer:
    def issue(ca: CertificationAuthority, **options: Any) -> IssuedCertificate:
        return issue_certificate(
            ca,
            common_name="Петренко Аліса Іванівна",
            organization="Кооператив Автомобіліст-2",
            edrpou=CONSUMER_EDRPOU,
            title="Голова правління",
            **options,
        )

    return issue


@pytest.fixture(scope="session")
def ca() -> CertificationAuthority:
    return create_ca()


@pytest.fixture(scope="session")
def trust(ca: CertificationAuthority, trust_of: TrustOf) -> TrustStore:
    return trust_of(ca)


@pytest.fixture(scope="session")
def signer(ca: CertificationAuthority, issue_consumer: IssueConsumer) -> IssuedCertificate:
    return issue_consumer(ca)


@pytest.fixture
def now() -> datetime:
    return datetime.now(UTC)


# ---------------------------------------------------------------------------------------------------------------
# Integration: the signature service with real PostgreSQL and RabbitMQ, the real documents service (on moto's S3
# server) and the real identity service, all in this process on a bus namespace and databases of the test's own.
# The signature service reaches documents and identity through in-process transports; the CLI test also serves
# them over HTTP, with the gateway in front.
# ---------------------------------------------------------------------------------------------------------------

S3_ACCESS_KEY = "cabinet-test"
S3_SECRET_KEY = "cabinet-test-secret"
STAFF_PASSWORD = "vesela-kvitka-na-dnipri-42"
#: consumer B's EDRPOU (consumer A is the demo consumer № 0789, EDRPOU 12345678)
OTHER_EDRPOU = "32855961"


def free_socket() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


@dataclass
class LocalTrust:
    """The files `devtools.testca.ensure_local_trust` made, and the CA to issue more certificates with."""

    directory: Path
    environment: dict[str, str]
    ca: CertificationAuthority

    def key_of(self, who: str) -> IssuedCertificate:
        """The demo signer `consumer` or `staff`, read back from its files."""
        password = Path(self.environment[f"demo_{who}_key_password_file"]).read_bytes()
        key = serialization.load_pem_private_key(
            Path(self.environment[f"demo_{who}_key_file"]).read_bytes(), password=password
        )
        certificate = x509.load_pem_x509_certificate(Path(self.environment[f"demo_{who}_cert_file"]).read_bytes())
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        return IssuedCertificate(key, certificate)

    def issue(self, edrpou: str, **options: Any) -> IssuedCertificate:
        return issue_certificate(
            self.ca, common_name="Гнатюк Марія Степанівна", organization="Тестова організація", edrpou=edrpou,
            **options,
        )

    def publish_crl(self, ca: CertificationAuthority) -> None:
        """Replaces the CRL file, as an operator does when the CA publishes a new one."""
        self.ca = ca
        self.write_crl_file(ca.crl.public_bytes(Encoding.PEM))

    def write_crl_file(self, content: bytes) -> None:
        Path(self.environment["CABINET_TRUST_CRL_FILES"]).write_bytes(content)

    def add_trusted_ca(self, ca: CertificationAuthority) -> None:
        """Another CA certificate in the bundle of trusted CAs (and no CRL of it)."""
        bundle = Path(self.environment["CABINET_TRUST_CA_FILES"])
        bundle.write_bytes(bundle.read_bytes() + ca.certificate.public_bytes(Encoding.PEM))


@pytest.fixture(scope="session")
def dstu_trust_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The DSTU 4145 half of a local trust, made once: its Key-6.dat files take seconds of GOST hashing each."""
    directory = tmp_path_factory.mktemp("dstu-trust")
    ensure_local_trust(directory)
    return [path for path in (directory / "trust").iterdir() if "dstu" in path.name]


@pytest.fixture
def local_trust(tmp_path: Path, dstu_trust_files: list[Path]) -> LocalTrust:
    (tmp_path / "trust").mkdir()
    for path in dstu_trust_files:  # found still valid, they are kept
        shutil.copy2(path, tmp_path / "trust" / path.name)
    environment = ensure_local_trust(tmp_path)
    return LocalTrust(tmp_path / "trust", environment, load_ca(tmp_path / "trust"))


def pdf(label: str = "") -> bytes:
    """Bytes the documents service takes for a PDF; different for every call."""
    return f"%PDF-1.4\n% Рахунок {label} {uuid.uuid4()}\n".encode() * 20


def webcrypto_signature(key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    """ECDSA P-256 / SHA-256 as the browser's `crypto.subtle.sign` returns it: raw r‖s."""
    r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


@dataclass
class Cabinet:
    """The running services and the test's ways into them."""

    signature: FastAPI
    documents: FastAPI
    identity: FastAPI
    settings: SignatureSettings
    tokens: ServiceTokens
    trust: LocalTrust
    consumer_a: Principal
    consumer_b: Principal
    staff: Principal
    staff_login: str
    #: the demo data of identity: consumer № 0789 (consumer A), its activation code, the staff login
    demo: DemoData
    identity_settings: IdentitySettings
    documents_settings: DocumentsSettings
    clients: list[httpx.AsyncClient] = field(default_factory=list)

    def client(self, app: FastAPI, principal: Principal) -> httpx.AsyncClient:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://service",
            headers={"Authorization": f"Bearer {self.tokens.issue(principal, ttl=600)}"},
        )
        self.clients.append(client)
        return client

    def api(self, principal: Principal) -> httpx.AsyncClient:
        """The signature API as the gateway calls it for `principal`."""
        return self.client(self.signature, principal)

    webcrypto_signature = staticmethod(webcrypto_signature)
    eventually = staticmethod(eventually)

    def openssl_verify(self, signature: bytes, document: bytes) -> subprocess.CompletedProcess[str]:
        """`openssl cms -verify` of a detached DER signature of `document`, trusting the test CA."""
        openssl = shutil.which("openssl")
        assert openssl, "openssl must be installed"
        directory = Path(tempfile.mkdtemp(dir=self.trust.directory))
        (directory / "signature.p7s").write_bytes(signature)
        (directory / "document.bin").write_bytes(document)
        command = [
            openssl, "cms", "-verify", "-binary", "-inform", "DER",
            "-in", str(directory / "signature.p7s"), "-content", str(directory / "document.bin"),
            "-CAfile", self.trust.environment["CABINET_TRUST_CA_FILES"], "-purpose", "any",
            "-out", str(directory / "verified.bin"),
        ]  # fmt: skip
        return subprocess.run(command, capture_output=True, text=True, check=False, timeout=30)

    async def finalize_with(
        self, principal: Principal, prepared: dict[str, Any], issued: IssuedCertificate
    ) -> httpx.Response:
        """Step 2 as the browser does it, and step 3."""
        assert isinstance(issued.key, ec.EllipticCurvePrivateKey)
        document, manifest = (
            webcrypto_signature(issued.key, base64.b64decode(prepared[field]))
            for field in ("data_to_sign_base64", "manifest_to_sign_base64")
        )
        return await self.finalize(principal, prepared["signing_id"], document, manifest)

    @staticmethod
    def consumer_user(consumer_id: uuid.UUID) -> Principal:
        """Another signed-in user of that consumer."""
        return Principal(user_id=uuid.uuid4(), consumer_id=consumer_id, role=Role.CONSUMER,
                         consumer_role=ConsumerRole.DIRECTOR)

    async def store_document(
        self, consumer_id: uuid.UUID, *, document_type: str = "act", content: bytes | None = None,
        title: str = "Акт приймання-передавання електричної енергії за травень 2024",
        issued_on: date | None = None, signers: list[str] | None = None,
    ) -> dict[str, Any]:
        """A document stored through the documents API, as billing would store it; `signers` and `issued_on` as its
        producer says (unsaid: the type's rule, and the day it is stored)."""
        content = content if content is not None else pdf(document_type)
        said = {"issued_on": issued_on.isoformat()} if issued_on else {}
        if signers is not None:
            said["signers"] = signers
        response = await self.client(self.documents, Principal(role=Role.SERVICE, issuer="billing")).post(
            "/api/v1/documents", json={
                "consumer_id": str(consumer_id), "type": document_type, "period": "2024-05", "title": title,
                "file_name": f"{title}.pdf", "content_type": "application/pdf",
                "content_base64": base64.b64encode(content).decode(), **said,
            },
        )
        assert response.status_code == 201, response.text
        stored: dict[str, Any] = response.json()
        stored["content"] = content
        return stored

    async def register(self, principal: Principal, issued: IssuedCertificate) -> dict[str, Any]:
        response = await self.api(principal).post(
            "/api/v1/certificates", json={"certificate_pem": issued.certificate.public_bytes(Encoding.PEM).decode()}
        )
        assert response.status_code == 201, response.text
        registered: dict[str, Any] = response.json()
        return registered

    async def prepare(self, principal: Principal, document_id: Any, certificate_id: Any) -> httpx.Response:
        return await self.api(principal).post(
            f"/api/v1/documents/{document_id}/signings", json={"certificate_id": str(certificate_id)}
        )

    async def finalize(
        self, principal: Principal, signing_id: Any, value: bytes, manifest_value: bytes
    ) -> httpx.Response:
        return await self.api(principal).post(f"/api/v1/signings/{signing_id}/finalize", json={
            "signature_value_base64": base64.b64encode(value).decode(),
            "manifest_signature_value_base64": base64.b64encode(manifest_value).decode(),
        })

    async def sign(
        self, principal: Principal, document_id: Any, issued: IssuedCertificate, certificate_id: Any
    ) -> httpx.Response:
        """Prepare, sign as the browser does, finalize; the finalize answer."""
        prepared = await self.prepare(principal, document_id, certificate_id)
        assert prepared.status_code == 201, prepared.text
        return await self.finalize_with(principal, prepared.json(), issued)

    async def status(self, document_id: Any, principal: Principal | None = None) -> dict[str, Any]:
        response = await self.api(principal or self.staff).get(f"/api/v1/documents/{document_id}/status")
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    async def outbox(self, message_type: str = "signature.document_status_changed.v1") -> list[dict[str, Any]]:
        async with self.signature.state.database.sessionmaker() as session:
            rows = (await session.execute(sa.select(OUTBOX.c.message_type, OUTBOX.c.body).order_by(OUTBOX.c.id))).all()
        return [json.loads(row.body) for row in rows if row.message_type == message_type]

    async def heard_of(self, document_id: Any) -> None:
        """Waits until the documents service's event about the document has been handled here."""
        await eventually(lambda: self.scalar("SELECT count(*) FROM documents WHERE id = :id", id=document_id))

    async def scalar(self, sql: str, **parameters: Any) -> Any:
        async with self.signature.state.database.sessionmaker() as session:
            return (await session.execute(sa.text(sql), parameters)).scalar()

    async def documents_knows(self, count: int) -> bool:
        async with self.documents.state.database.sessionmaker() as session:
            return bool((await session.execute(sa.text("SELECT count(*) FROM consumers"))).scalar_one() >= count)

    async def identity_outbox(self, message_type: str) -> list[dict[str, Any]]:
        async with self.identity.state.database.sessionmaker() as session:
            rows = (await session.execute(sa.select(OUTBOX.c.message_type, OUTBOX.c.body).order_by(OUTBOX.c.id))).all()
        return [json.loads(row.body) for row in rows if row.message_type == message_type]

    async def create_consumer(self, account_number: str, edrpou: str, *, e_signature: bool = True) -> uuid.UUID:
        """A consumer account of the demo branch, made by its staff in identity; waits until its event has arrived
        here."""
        response = await self.client(self.identity, self.staff).post("/api/v1/consumers", json={
            "account_number": account_number, "name": f"ТОВ «Споживач {account_number}»", "edrpou": edrpou,
            "branch_id": self.demo.branch_id, "agreement_email": f"c{account_number}@cabinet.local", "billing_day": 25,
            "self_calculation": True, "e_signature": e_signature,
        })
        assert response.status_code == 201, response.text
        consumer_id = uuid.UUID(response.json()["consumer"]["id"])
        await eventually(lambda: self.scalar("SELECT count(*) FROM consumers WHERE id = :id", id=consumer_id))
        return consumer_id


@asynccontextmanager
async def served(app: FastAPI, *, lifespan: str = "off") -> AsyncIterator[str]:
    """The app over real HTTP on a free port of 127.0.0.1 (its lifespan run by whoever started it, by default)."""
    sock = free_socket()
    server = uvicorn.Server(uvicorn.Config(app, lifespan=lifespan, log_level="warning"))
    task = asyncio.create_task(server.serve(sockets=[sock]))

    async def started() -> bool:
        return server.started

    try:
        await eventually(started)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[FastAPI]:
    async with app.router.lifespan_context(app):
        yield app


async def remove_bus(amqp_url: str, namespace: str) -> None:
    await delete_bus(amqp_url, namespace, ("signature", "documents", "identity"))


@pytest.fixture
async def cabinet_settings(
    database_factory: Callable[[str], Awaitable[str]], postgres_url: str, amqp_url: str, bus_namespace: str,
    service_token_secret: str, s3_endpoint: str, local_trust: LocalTrust,
) -> AsyncIterator[tuple[SignatureSettings, DocumentsSettings, IdentitySettings]]:
    common = {
        "postgres_url": postgres_url, "amqp_url": amqp_url, "bus_namespace": bus_namespace,
        "service_token_secret": service_token_secret, "log_format": "console",
        "public_base_url": "https://cabinet.test",
    }

    async def database(label: str) -> str:
        return (await database_factory(label)).rsplit("/", 1)[1]

    environment = local_trust.environment
    signature_settings = SignatureSettings(
        database_name=await database("signature"), **common,
        trust_ca_files=environment["CABINET_TRUST_CA_FILES"], trust_crl_files=environment["CABINET_TRUST_CRL_FILES"],
        trust_bundle_files=environment["CABINET_TRUST_BUNDLE_FILES"],
        trust_bundle_crl_files=environment["CABINET_TRUST_BUNDLE_CRL_FILES"],
        seal_key_file=environment["CABINET_SEAL_KEY_FILE"],
        seal_key_password_file=environment["CABINET_SEAL_KEY_PASSWORD_FILE"],
        seal_cert_file=environment["CABINET_SEAL_CERT_FILE"],
        documents_url="http://documents", identity_url="http://identity",
        # the trust files are read again every second: tests that replace them may wait for it
        trust_reload_seconds=1.0,
    )
    bucket = f"test-signature-{secrets.token_hex(4)}"
    documents_settings = DocumentsSettings(
        database_name=await database("documents"), **common, s3_endpoint=s3_endpoint, s3_access_key=S3_ACCESS_KEY,
        s3_secret_key=S3_SECRET_KEY, s3_bucket=bucket,
    )
    identity_settings = IdentitySettings(
        database_name=await database("identity"), **common,
        # cheap hashes keep the tests fast
        password_hash_time_cost=1, password_hash_memory_kib=8 * 1024, password_hash_parallelism=1,
    )
    yield signature_settings, documents_settings, identity_settings
    s3 = Minio(s3_endpoint.split("://", 1)[-1], access_key=S3_ACCESS_KEY, secret_key=S3_SECRET_KEY, secure=False)
    if s3.bucket_exists(bucket):
        for found in s3.list_objects(bucket, recursive=True):
            s3.remove_object(bucket, found.object_name)
        s3.remove_bucket(bucket)
    await remove_bus(amqp_url, bus_namespace)


@pytest.fixture
async def cabinet(
    cabinet_settings: tuple[SignatureSettings, DocumentsSettings, IdentitySettings], amqp_url: str,
    service_token_secret: str, local_trust: LocalTrust,
) -> AsyncIterator[Cabinet]:
    signature_settings, documents_settings, identity_settings = cabinet_settings
    documents_app = create_documents_app(documents_settings)
    identity_app = create_identity_app(identity_settings)
    signature_app = create_app(
        signature_settings, documents_transport=httpx.ASGITransport(app=documents_app),
        identity_transport=httpx.ASGITransport(app=identity_app),
    )
    async with running(signature_app):
        # its queue takes the others' events only once it exists
        queue = Topology(signature_settings.bus_namespace, "signature").queue
        await wait_for_consumer(amqp_url, queue)
        async with running(documents_app), running(identity_app):
            # documents learns the consumers' branches from identity's events too
            await wait_for_consumer(amqp_url, Topology(signature_settings.bus_namespace, "documents").queue)
            demo = await create_demo_data(identity_settings, staff_password=STAFF_PASSWORD)
            tokens = ServiceTokens(service_token_secret)
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=identity_app), base_url="http://identity",
                headers={"Authorization": f"Bearer {tokens.issue(Principal(ip='192.0.2.1'))}"},
            ) as anonymous:
                signed_in = await anonymous.post(
                    "/api/v1/sessions", json={"login": demo.staff_login, "password": STAFF_PASSWORD}
                )
            assert signed_in.status_code == 201, signed_in.text
            user = signed_in.json()["user"]
            staff = Principal(user_id=uuid.UUID(user["id"]), role=Role.STAFF, branch_id=user["branch"]["id"])
            cabinet = Cabinet(
                signature=signature_app, documents=documents_app, identity=identity_app, settings=signature_settings,
                tokens=tokens, trust=local_trust, staff=staff, staff_login=demo.staff_login, demo=demo,
                consumer_a=Cabinet.consumer_user(uuid.UUID(demo.consumer_id)), consumer_b=staff,
                identity_settings=identity_settings, documents_settings=documents_settings,
            )
            consumer_a = uuid.UUID(demo.consumer_id)
            await eventually(lambda: cabinet.scalar("SELECT count(*) FROM consumers WHERE id = :id", id=consumer_a))
            cabinet.consumer_b = Cabinet.consumer_user(await cabinet.create_consumer("0790", OTHER_EDRPOU))
            # documents keeps staff to their branch's consumers: it has heard of both before staff call it
            await eventually(lambda: cabinet.documents_knows(2))
            try:
                yield cabinet
            finally:
                for client in cabinet.clients:
                    await client.aclose()


@pytest.fixture
def serve() -> Callable[..., AbstractAsyncContextManager[str]]:
    """`async with serve(app) as url:` — the app over real HTTP."""
    return served
