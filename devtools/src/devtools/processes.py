"""Starting the whole system as processes: used by the local run (`make run`) and by the end-to-end tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from shared.db import drop_database
from shared.testing import delete_bus

#: start order: notify first so its queue exists before identity publishes the demo consumer's letter
SERVICES = ("notify", "documents", "signature", "identity", "metering", "billing")
PORT_OFFSETS = {"gateway": 0, "identity": 1, "metering": 2, "billing": 3, "documents": 4, "signature": 5,
                "notify": 6}


@dataclass
class Layout:
    """Ports and names of one running system; tests use other ports and prefixed databases."""

    base_port: int = 8000
    smtp_port: int = 1025
    mail_http_port: int = 8025
    s3_port: int = 9000
    host: str = "127.0.0.1"
    #: databases are `<prefix>_<service>`; the default is each service's own `cabinet_<service>`
    database_prefix: str = "cabinet"
    bus_namespace: str = "cabinet"

    def port(self, name: str) -> int:
        return self.base_port + PORT_OFFSETS[name]

    def url(self, name: str) -> str:
        return f"http://{self.host}:{self.port(name)}"

    @property
    def mail_url(self) -> str:
        return f"http://{self.host}:{self.mail_http_port}"

    @property
    def s3_endpoint(self) -> str:
        return f"{self.host}:{self.s3_port}"


def system_env(layout: Layout, base: dict[str, str]) -> dict[str, str]:
    env = {
        "CABINET_BUS_NAMESPACE": layout.bus_namespace,
        "CABINET_PUBLIC_BASE_URL": layout.url("gateway"),
        "CABINET_SMTP_HOST": layout.host,
        "CABINET_SMTP_PORT": str(layout.smtp_port),
        "CABINET_S3_ENDPOINT": layout.s3_endpoint,
        "CABINET_S3_ACCESS_KEY": "cabinet-local",
        "CABINET_S3_SECRET_KEY": "cabinet-local-secret",
        "CABINET_S3_SECURE": "false",
        "CABINET_LOG_FORMAT": "json",
        # each service's /docs and /openapi.json, for the developer at this machine (never in a deployment)
        "CABINET_API_DOCS": "true",
        # the demo supplier as the seller on tax invoices (as the local overlay of deploy/k8s names it)
        "CABINET_SELLER_IPN": "317930526540",
        "CABINET_SELLER_TAX_OFFICE": "2659",
        "CABINET_SELLER_COMPILER_NAME": "Демо Бухгалтер",
        "CABINET_SELLER_COMPILER_TAX_NUMBER": "2345678901",
        # the КСПОВО code of kvar·h on rows of reactive energy: a demo value, as the seller's numbers; a supplier
        # sets the code its own tax invoices use
        "CABINET_REACTIVE_ENERGY_UNIT_CODE": "0417",
        **{f"CABINET_{name.upper()}_URL": layout.url(name) for name in PORT_OFFSETS},
        **base,
    }
    return env


@dataclass
class Process:
    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    ready_url: str | None = None
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.popen = subprocess.Popen(
            self.argv, env={**os.environ, **self.env}, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 90.0) -> None:
        if not self.ready_url:
            return
        deadline = time.monotonic() + timeout
        while True:
            if self.popen and self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.popen.returncode}; see {self.log_path}")
            try:
                if httpx.get(self.ready_url, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} not ready after {timeout:.0f}s; see {self.log_path}")
            time.sleep(0.2)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> None:
        if not self.popen or self.popen.poll() is not None:
            return
        os.killpg(self.popen.pid, sig)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()

    def kill(self) -> None:
        self.stop(signal.SIGKILL)


@dataclass
class System:
    layout: Layout
    env: dict[str, str]
    log_dir: Path
    mail_store: Path | None = None
    s3_state: Path | None = None
    processes: dict[str, Process] = field(default_factory=dict)

    def _python(self, *args: str) -> list[str]:
        return [sys.executable, *args]

    def service(self, name: str) -> Process:
        if name in self.processes:
            return self.processes[name]
        env = {**system_env(self.layout, self.env)}
        if name != "gateway":
            env["CABINET_DATABASE_NAME"] = f"{self.layout.database_prefix}_{name}"
        process = Process(
            name,
            # --no-proxy-headers: uvicorn would believe X-Forwarded-For from 127.0.0.1; the gateway finds the client
            # itself (CABINET_TRUSTED_PROXIES), and no process trusts the header otherwise
            self._python("-m", "uvicorn", f"{name}.app:app", "--host", self.layout.host,
                         "--port", str(self.layout.port(name)), "--no-access-log", "--log-level", "warning",
                         "--no-proxy-headers"),
            env, self.log_dir / f"{name}.log", ready_url=f"{self.layout.url(name)}/health/ready",
        )
        self.processes[name] = process
        return process

    def mail_catcher(self) -> Process:
        argv = self._python("-m", "devtools.mailcatcher", "--smtp-port", str(self.layout.smtp_port),
                            "--http-port", str(self.layout.mail_http_port))
        if self.mail_store:
            argv += ["--store", str(self.mail_store)]
        process = Process("mailcatcher", argv, {}, self.log_dir / "mailcatcher.log",
                          ready_url=f"{self.layout.mail_url}/api/letters")
        self.processes["mailcatcher"] = process
        return process

    def s3(self) -> Process:
        """moto's S3 server. It keeps objects in memory: with `s3_state`, every request is recorded to a file
        and replayed when it starts again, so the local run keeps its documents across restarts."""
        env = {"MOTO_ALLOW_NONEXISTENT_REGION": "true"}
        if self.s3_state:
            self.s3_state.mkdir(parents=True, exist_ok=True)
            env |= {"MOTO_ENABLE_RECORDING": "true", "MOTO_RECORDER_FILEPATH": str(self.s3_recording)}
        process = Process("s3", [str(Path(sys.executable).parent / "moto_server"), "-H", self.layout.host,
                                 "-p", str(self.layout.s3_port)], env, self.log_dir / "s3.log",
                          ready_url=f"http://{self.layout.s3_endpoint}/moto-api/")
        self.processes["s3"] = process
        return process

    @property
    def s3_recording(self) -> Path:
        assert self.s3_state
        return self.s3_state / "recording.jsonl"

    def restore_s3(self) -> None:
        if not self.s3_state or not self.s3_recording.exists() or not self.s3_recording.stat().st_size:
            return
        api = f"http://{self.layout.s3_endpoint}/moto-api/recorder"
        # replaying writes nothing to the recording; the last call turns recording back on
        httpx.post(f"{api}/replay-recording", timeout=600).raise_for_status()
        httpx.post(f"{api}/start-recording", timeout=10).raise_for_status()

    def start(self, services: tuple[str, ...] = SERVICES, *, gateway: bool = True) -> None:
        support = [self.mail_catcher(), self.s3()]
        for process in support:
            process.start()
        for process in support:
            process.wait_ready()
        self.restore_s3()
        names = [*services, "gateway"] if gateway else list(services)
        for name in names:
            self.service(name).start()
        for name in names:
            self.service(name).wait_ready()

    def stop(self) -> None:
        for process in reversed(list(self.processes.values())):
            process.stop()


@contextmanager
def running(system: System, services: tuple[str, ...] = SERVICES) -> Iterator[System]:
    try:
        system.start(services)
        yield system
    finally:
        system.stop()


async def drop_system(layout: Layout, postgres_url: str, amqp_url: str, services: Iterable[str] = SERVICES) -> None:
    """Removes what a system of processes leaves behind: its services' databases and its bus namespace."""
    services = tuple(services)
    for name in services:
        await drop_database(f"{postgres_url}/{layout.database_prefix}_{name}")
    await delete_bus(amqp_url, layout.bus_namespace, services)
