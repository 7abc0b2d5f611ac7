"""Makes sure PostgreSQL and RabbitMQ answer, so that `make run` and `make test` need nothing else on a machine.

    python -m devtools.infra          make them answer (`make infra`; `make run` does it first)
    python -m devtools.infra stop     stop the project's own servers (never anything else)

A server that answers where CABINET_POSTGRES_URL / CABINET_AMQP_URL point (127.0.0.1:5432 and 127.0.0.1:5672 by
default) is used as it is, whoever runs it. When nothing answers there and the address is this machine's, the
project runs a server of its own: Debian's package is installed first if its programs are missing
(scripts/apt-install.sh, which starts no service of the package's), then a keeper process, started apart from the
caller so that the server outlives it, runs the server with `devtools.nodes` on that port until `stop`: a
PostgreSQL cluster trusting local connections (user `postgres`) or a RabbitMQ node (guest/guest). Their files stay
in var/infra between runs; PostgreSQL's data, when run as root, in the `postgres` user's home instead (the server
runs as that user, who may not reach var/).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from devtools.nodes import ErlangHost, PostgresServer, RabbitNode, postgres_bin, rabbitmq_available

ROOT = Path(__file__).resolve().parents[3]
APT_INSTALL = ROOT / "scripts" / "apt-install.sh"
#: the addresses a server of the project's own may be started for
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_START_SECONDS = 180.0
_STOP_SECONDS = 60.0


def answers(address: tuple[str, int], timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection(address, timeout=timeout):
            return True
    except OSError:
        return False


def _default_postgres_data() -> Path:
    if os.geteuid() == 0:
        return Path(os.path.expanduser("~postgres")) / "cabinet"
    return ROOT / "var" / "infra" / "postgresql"


@dataclass(frozen=True)
class Own:
    """Where the project's own servers keep their files, and their keepers their pids and logs."""

    directory: Path = ROOT / "var" / "infra"
    postgres_data: Path = field(default_factory=_default_postgres_data)

    def pid_file(self, server: str) -> Path:
        return self.directory / f"{server}.pid"

    def log(self, server: str) -> Path:
        return self.directory / f"{server}.log"


@contextmanager
def _running_postgresql(own: Own, port: int) -> Iterator[None]:
    server = PostgresServer(own.postgres_data, own.log("postgresql-server"), port=port)
    if not (own.postgres_data / "PG_VERSION").exists():
        own.postgres_data.mkdir(parents=True, exist_ok=True)
        server.init()
    server.launch()
    try:
        server.wait_ready(_START_SECONDS)
        yield
    finally:
        server.stop()


@contextmanager
def _running_rabbitmq(own: Own, port: int) -> Iterator[None]:
    host = ErlangHost(own.directory / "rabbitmq")
    (host.directory / ".erlang.cookie").unlink(missing_ok=True)  # read-only after a run before; each run writes its own
    node = RabbitNode(host, "cabinet", host.directory / "node", amqp_port=port)
    try:
        host.start()
        node.launch()
        node.wait_ready(_START_SECONDS)
        yield
    finally:
        node.stop()
        host.stop()


@dataclass(frozen=True)
class Server:
    key: str
    name: str
    url_variable: str
    default_url: str
    default_port: int
    #: the Debian package that brings its programs
    package: str
    installed: Callable[[], bool]
    running: Callable[[Own, int], AbstractContextManager[None]]

    @property
    def url(self) -> str:
        return os.environ.get(self.url_variable, self.default_url)


POSTGRESQL = Server("postgresql", "PostgreSQL", "CABINET_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432",
                    5432, "postgresql", lambda: postgres_bin() is not None, _running_postgresql)
RABBITMQ = Server("rabbitmq", "RabbitMQ", "CABINET_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/",
                  5672, "rabbitmq-server", rabbitmq_available, _running_rabbitmq)
SERVERS = {server.key: server for server in (POSTGRESQL, RABBITMQ)}


def install(server: Server) -> None:
    subprocess.run([str(APT_INSTALL), server.package], check=True)
    if not server.installed():
        raise SystemExit(f"infra: Debian's {server.package} is installed, yet {server.name}'s programs are missing")


def start_own(server: Server, own: Own, port: int) -> subprocess.Popen[bytes]:
    """The keeper of the project's own server, in a session of its own: it outlives the caller (and Ctrl-C there)."""
    own.directory.mkdir(parents=True, exist_ok=True)
    with own.log(server.key).open("ab") as log:
        keeper = subprocess.Popen(
            [sys.executable, "-m", "devtools.infra", "keep", server.key, "--port", str(port),
             "--directory", str(own.directory), "--postgres-data", str(own.postgres_data)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT,
        )
    own.pid_file(server.key).write_text(f"{keeper.pid}\n")
    return keeper


def ensure(server: Server, url: str, own: Own | None = None) -> str:
    """Makes the server at `url` answer; says how: "answering" (used as it is) or "started" (one of the project's
    own, installed first if need be)."""
    own = own or Own()
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or server.default_port
    if answers((host, port)):
        return "answering"
    if host not in LOCAL_HOSTS:
        raise SystemExit(f"infra: {server.name} does not answer on {host}:{port} ({server.url_variable}), "
                         "another machine's: nothing is started for it here")
    print(f"infra: {server.name} does not answer on {host}:{port}; starting one of the project's own "
          f"(files in {own.directory}, `python -m devtools.infra stop` stops it)", file=sys.stderr)
    if not server.installed():
        install(server)
    keeper = start_own(server, own, port)
    deadline = time.monotonic() + _START_SECONDS
    while not answers((host, port)):
        if keeper.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"infra: {server.name} of the project's own did not start; see {own.log(server.key)}")
        time.sleep(0.5)
    return "started"


def keeper_running(pid: int) -> bool:
    """Whether `pid` is a keeper still running (not ended, not a zombie, not another process given its pid)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z" and command[1:4] == [b"-m", b"devtools.infra", b"keep"]


def stop(own: Own | None = None) -> None:
    """Stops the project's own servers (their keepers stop them cleanly); nothing else."""
    own = own or Own()
    for key, server in SERVERS.items():
        pid_file = own.pid_file(key)
        if not pid_file.exists():
            continue
        pid = int(pid_file.read_text())
        if keeper_running(pid):
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + _STOP_SECONDS
            while keeper_running(pid) and time.monotonic() < deadline:
                time.sleep(0.2)
            if keeper_running(pid):
                os.kill(pid, signal.SIGKILL)  # the server dies with it (devtools.nodes binds it to its keeper)
            print(f"infra: stopped the project's own {server.name}", file=sys.stderr)
        pid_file.unlink()


def keep(server: Server, own: Own, port: int) -> None:
    """The keeper: runs the server until SIGTERM or SIGINT, then stops it."""
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    with server.running(own, port):
        print(f"infra: {server.name} of the project's own is ready on port {port}", flush=True)
        while not stopping.wait(1.0):
            pass


def wait_for_rabbitmq_app(url: str, wait_seconds: float = 90.0) -> None:
    """The port opens before the broker accepts AMQP; an AMQP handshake tells."""
    import asyncio

    import aio_pika

    async def probe() -> None:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                connection = await aio_pika.connect(url, timeout=3)
                await connection.close()
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(1)

    asyncio.run(probe())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m devtools.infra", description=__doc__.split("\n", 1)[0])
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("stop", help="stop the project's own servers")
    keeper = commands.add_parser("keep", help="(started by this module) run one of the project's own servers")
    keeper.add_argument("server", choices=sorted(SERVERS))
    keeper.add_argument("--port", type=int, required=True)
    keeper.add_argument("--directory", type=Path, required=True)
    keeper.add_argument("--postgres-data", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.command == "stop":
        stop()
    elif args.command == "keep":
        keep(SERVERS[args.server], Own(args.directory, args.postgres_data), args.port)
    else:
        for server in SERVERS.values():
            ensure(server, server.url)
        wait_for_rabbitmq_app(RABBITMQ.url)


if __name__ == "__main__":
    main()
