"""Starting the whole system as processes: used by the local run (`make run`) and by the end-to-end tests.

Every process is bound to the one that starts it (`bound_to_parent`): when the launcher dies, however it dies,
its processes get SIGTERM and end, instead of living on as orphans holding the ports. A process is started only
on free ports, and is ready only when its readiness URL answers *and* the sockets listening on its ports are its
own: another system on the same ports (or what an earlier run left behind) is named in the error, never taken
for this one.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx

from shared.db import drop_database
from shared.testing import delete_bus

#: start order: notify first so its queue exists before identity publishes the demo consumer's letter
SERVICES = ("notify", "documents", "signature", "identity", "metering", "billing")
PORT_OFFSETS = {"gateway": 0, "identity": 1, "metering": 2, "billing": 3, "documents": 4, "signature": 5,
                "notify": 6}


def bound_to_parent(argv: list[str], sig: int = signal.SIGTERM, *, user: str | None = None) -> list[str]:
    """`argv` run so that the process gets `sig` when the one starting it dies, however it dies (Linux's
    PR_SET_PDEATHSIG, set by util-linux's `setpriv`, which then execs `argv`: the process started is `argv`'s own),
    as `user` if given (switching users clears the parent-death signal, so `setpriv` does both, in that order).

    The signal follows the *thread* that starts the process: start such processes from a thread that lives as
    long as they should (the main thread), not from a short-lived worker. Without `setpriv` (not Linux), `argv`
    as it is."""
    if shutil.which("setpriv") is None:
        return argv
    as_user = ["--reuid", user, "--regid", user, "--init-groups"] if user else []
    return ["setpriv", *as_user, "--pdeathsig", signal.Signals(sig).name.removeprefix("SIG"), "--", *argv]


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

    def beside(self, offset: int, suffix: str) -> Layout:
        """Another system's layout beside this one: each of its ports `offset` higher, databases and bus namespace
        of its own (the names suffixed)."""
        return replace(self, base_port=self.base_port + offset, smtp_port=self.smtp_port + offset,
                       mail_http_port=self.mail_http_port + offset, s3_port=self.s3_port + offset,
                       database_prefix=f"{self.database_prefix}{suffix}", bus_namespace=f"{self.bus_namespace}{suffix}")

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


class PortTaken(RuntimeError):
    """Something else listens on a port a process of the system needs."""


def _proc_available() -> bool:
    return Path("/proc/net/tcp").exists()


def _listening_inodes(port: int) -> set[str]:
    """Inodes of the TCP sockets listening on `port`, any address (Linux's /proc/net/tcp{,6})."""
    found = set()
    for table in (Path("/proc/net/tcp"), Path("/proc/net/tcp6")):
        try:
            lines = table.read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            # local address HEX:PORT, state 0A = LISTEN, the inode in the tenth column
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                found.add(fields[9])
    return found


def _socket_inodes(pid: int) -> set[str]:
    found = set()
    with contextlib.suppress(OSError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:["):
                    found.add(target[len("socket:["):-1])
    return found


def _with_descendants(pid: int) -> list[int]:
    family, index = [pid], 0
    while index < len(family):
        tasks = Path(f"/proc/{family[index]}/task")
        with contextlib.suppress(OSError):
            for task in tasks.iterdir():
                family += [int(child) for child in (task / "children").read_text().split()]
        index += 1
    return family


def listeners(port: int) -> list[str]:
    """Who listens on `port`: "pid N (command line)" for each process holding such a socket (those this user may
    look into)."""
    inodes = _listening_inodes(port)
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and inodes & _socket_inodes(int(entry.name)):
            with contextlib.suppress(OSError):
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
                found.append(f"pid {entry.name} ({command[:120]})")
    return found


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as probe:
        # as the servers bind: a socket of an earlier server waiting out TIME_WAIT does not count
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return False
            raise
    return not (_proc_available() and _listening_inodes(port))


@dataclass
class Process:
    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    ready_url: str | None = None
    #: the ports it listens on: free before it starts, and its own sockets on them before it counts as ready
    ports: tuple[int, ...] = ()
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        for port in self.ports:
            if not port_is_free(port):
                held_by = ", ".join(listeners(port)) if _proc_available() else "another process"
                raise PortTaken(f"{self.name} cannot start: port {port} is taken by {held_by or 'another process'}"
                                " — another system on these ports, or the processes of an earlier run; stop them")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.popen = subprocess.Popen(
                bound_to_parent(self.argv), env={**os.environ, **self.env}, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def foreign_ports(self) -> list[int]:
        """Its ports on which another process than this one (or its children) listens: its readiness URL may be
        answered by someone else. None where /proc cannot tell (not Linux)."""
        if not self.popen or not _proc_available():
            return []
        # the listening sockets first, then the process's own: a socket it opens in between is then in both
        # (read the other way round, a socket opened between the two reads looked like another process's)
        listening = {port: _listening_inodes(port) for port in self.ports}
        own = set().union(*(_socket_inodes(pid) for pid in _with_descendants(self.popen.pid)))
        return [port for port in self.ports if listening[port] and not listening[port] & own]

    def wait_ready(self, timeout: float = 90.0) -> None:
        if not self.ready_url:
            return
        deadline = time.monotonic() + timeout
        while True:
            if self.popen and self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.popen.returncode}; see {self.log_path}")
            if foreign := self.foreign_ports():
                held_by = "; ".join(f"port {port}: {', '.join(listeners(port))}" for port in foreign)
                raise PortTaken(f"{self.name}: another process listens on its ports ({held_by}), not the one started "
                                "here; stop it")
            try:
                if httpx.get(self.ready_url, timeout=2).status_code == 200 and not self.foreign_ports():
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
            ports=(self.layout.port(name),),
        )
        self.processes[name] = process
        return process

    def mail_catcher(self) -> Process:
        argv = self._python("-m", "devtools.mailcatcher", "--smtp-port", str(self.layout.smtp_port),
                            "--http-port", str(self.layout.mail_http_port))
        if self.mail_store:
            argv += ["--store", str(self.mail_store)]
        process = Process("mailcatcher", argv, {}, self.log_dir / "mailcatcher.log",
                          ready_url=f"{self.layout.mail_url}/api/letters",
                          ports=(self.layout.smtp_port, self.layout.mail_http_port))
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
                          ready_url=f"http://{self.layout.s3_endpoint}/moto-api/", ports=(self.layout.s3_port,))
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
