"""RabbitMQ nodes and PostgreSQL servers of a test's own, for fault tests that stop, kill or restart them.

The machine's broker and database serve every test running on it: a fault test that stopped those would break
all the others. These start their own on free ports, with their own data and logs under a temporary directory:

- `rabbitmq(directory, nodes=1)`: RabbitMQ nodes (`rabbitmq-server` run in the foreground) beside an epmd of
  their own and with an Erlang cookie of their own; with more than one node they are joined into one cluster.
  Each node listens for AMQP on 127.0.0.1 only and has no plugins (no management listener). `node.ctl(...)` is
  `rabbitmqctl -n <node> ...` with what the CLI needs to reach it.
- `postgresql(directory)`: a PostgreSQL cluster made by `initdb`, run as the `postgres` user (PostgreSQL refuses
  to run as root), trusting local connections, on a free port.

Every process is started bound to the test's process (`devtools.processes.bound_to_parent`): when the test
process dies, even by SIGKILL, they are killed too. On leaving the `with` block they are stopped (killed if they
do not stop in time) and their files removed: nothing is left behind.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from devtools.processes import bound_to_parent
from shared.testing import free_port

#: where the Debian package keeps RabbitMQ's own scripts (/usr/sbin/rabbitmqctl switches to the rabbitmq user
#: and loses the environment that names a node's cookie and epmd)
RABBITMQ_SCRIPTS = Path(os.environ.get("CABINET_RABBITMQ_SCRIPTS", "/usr/lib/rabbitmq/bin"))
#: RabbitMQ's CLI tools listen for distribution on these ports while they run (RABBITMQ_CTL_DIST_PORT_MIN/MAX)
_CLI_DIST_PORTS = range(35672, 35683)
#: the AMQP 0-9-1 protocol header; a broker that accepts AMQP answers it with connection.start
_AMQP_HEADER = b"AMQP\x00\x00\x09\x01"
_STOP_SECONDS = 30.0


def rabbitmq_available() -> bool:
    return (RABBITMQ_SCRIPTS / "rabbitmq-server").exists() and shutil.which("epmd") is not None


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL's bin directory (Debian's layout), or CABINET_POSTGRES_BIN."""
    if configured := os.environ.get("CABINET_POSTGRES_BIN"):
        return Path(configured)
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda path: int(path.parts[-3]))
    return versions[-1].parent if versions else None


def node_port() -> int:
    """A free port for a node to listen on, outside the range RabbitMQ's CLI tools listen on for a moment."""
    while (port := free_port()) in _CLI_DIST_PORTS:
        pass
    return port


def _stop(process: subprocess.Popen[bytes], sig: int, timeout: float = _STOP_SECONDS) -> None:
    """Sends `sig` to the process's group and waits; kills the group if it does not end in time."""
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout)
            return
        except subprocess.TimeoutExpired:
            pass
    # what the process started (RabbitMQ's erl_child_setup, PostgreSQL's backends) may outlive it for a moment
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _wait(what: str, check: Callable[[], bool], process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}; see {log}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} not ready after {timeout:.0f}s; see {log}")
        time.sleep(0.2)


def accepts_amqp(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a broker on the port answers the AMQP protocol header with a method frame (connection.start)."""
    try:
        with socket.create_connection((host, port), timeout=2) as connection:
            connection.sendall(_AMQP_HEADER)
            frame = connection.recv(11)
    except OSError:
        return False
    # frame type 1 (method) on channel 0, then class 10 (connection) method 10 (start)
    return len(frame) == 11 and frame[0] == 1 and frame[7:11] == b"\x00\x0a\x00\x0a"


@dataclass
class ErlangHost:
    """What the nodes of one cluster and the CLI share: an epmd of their own and a home with their cookie."""

    directory: Path
    epmd_port: int = field(default_factory=node_port)
    epmd: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        cookie = self.directory / ".erlang.cookie"
        cookie.write_text(secrets.token_hex(20).upper())
        cookie.chmod(0o400)
        (self.directory / "rabbitmq-env.conf").write_text("")  # not the machine's /etc/rabbitmq/rabbitmq-env.conf
        log = (self.directory / "epmd.log").open("ab")
        self.epmd = subprocess.Popen(
            bound_to_parent(["epmd", "-port", str(self.epmd_port), "-address", "127.0.0.1"], signal.SIGKILL),
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    @property
    def env(self) -> dict[str, str]:
        return {
            "HOME": str(self.directory),  # the Erlang cookie is read from $HOME/.erlang.cookie
            "ERL_EPMD_PORT": str(self.epmd_port),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "RABBITMQ_CONF_ENV_FILE": str(self.directory / "rabbitmq-env.conf"),
        }

    def stop(self) -> None:
        if self.epmd:
            _stop(self.epmd, signal.SIGTERM)


@dataclass
class RabbitNode:
    """One RabbitMQ node: `<name>@localhost`, AMQP on 127.0.0.1:`amqp_port`, its files under `directory`."""

    host: ErlangHost
    name: str
    directory: Path
    amqp_port: int = field(default_factory=node_port)
    dist_port: int = field(default_factory=node_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def node(self) -> str:
        return f"{self.name}@localhost"

    @property
    def amqp_url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.amqp_port}/"

    @property
    def log(self) -> Path:
        return self.directory / "server.log"

    @property
    def env(self) -> dict[str, str]:
        return {
            **self.host.env,
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(self.directory / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.directory / "log"),
            "RABBITMQ_CONFIG_FILE": str(self.directory / "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(self.directory / "advanced.config"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.directory / "enabled_plugins"),
            "RABBITMQ_PID_FILE": str(self.directory / "rabbitmq.pid"),
            # erl is exec'd in place of the script (not started beside it), so the node is the process started
            # here and dies with the test; -noinput keeps it from reading a terminal
            "RABBITMQ_ALLOW_INPUT": "true",
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-noinput -kernel inet_dist_use_interface {127,0,0,1}",
        }

    def start(self, timeout: float = 90.0) -> None:
        self.launch()
        self.wait_ready(timeout)

    def launch(self) -> None:
        """Starts the node without waiting for it (`wait_ready`), so several start at once, and the waiting may go
        to another thread than the one that should own the node."""
        self.directory.mkdir(parents=True, exist_ok=True)
        # the AMQP listener in the configuration only: RABBITMQ_NODE_PORT would add a second one on the same port
        (self.directory / "rabbitmq.conf").write_text(
            f"listeners.tcp.local = 127.0.0.1:{self.amqp_port}\n"
            "cluster_partition_handling = pause_minority\n"  # as deploy/k8s runs the cluster
            "log.console = false\n"
        )
        (self.directory / "enabled_plugins").write_text("[].\n")
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                bound_to_parent([str(RABBITMQ_SCRIPTS / "rabbitmq-server")], signal.SIGKILL),
                env={**os.environ, **self.env}, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 90.0) -> None:
        assert self.process
        _wait(f"RabbitMQ node {self.node}", lambda: accepts_amqp(self.amqp_port), self.process, self.log, timeout)

    def ctl(self, *args: str, timeout: float = 120.0) -> str:
        """`rabbitmqctl -n <node> <args>`; its output. Raises with the CLI's message when it fails."""
        return self._cli("rabbitmqctl", *args, timeout=timeout)

    def queues(self, *args: str, timeout: float = 120.0) -> str:
        """`rabbitmq-queues -n <node> <args>` (quorum queues' members, leaders, growth)."""
        return self._cli("rabbitmq-queues", *args, timeout=timeout)

    def _cli(self, tool: str, *args: str, timeout: float) -> str:
        result = subprocess.run(
            [str(RABBITMQ_SCRIPTS / tool), "-n", self.node, *args], env={**os.environ, **self.host.env},
            capture_output=True, text=True, timeout=timeout, check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{tool} {' '.join(args)} on {self.node}: {result.stderr or result.stdout}")
        return result.stdout

    def stop_app(self) -> None:
        """The broker stops (connections are closed, the port closes); the Erlang node stays up."""
        self.ctl("stop_app")

    def start_app(self) -> None:
        self.ctl("start_app")
        self.ctl("await_startup")

    def kill(self) -> None:
        """SIGKILL: no shutdown at all, as a machine or a container dies."""
        if self.process:
            _stop(self.process, signal.SIGKILL)

    def stop(self) -> None:
        if self.process:
            _stop(self.process, signal.SIGTERM)  # the Erlang VM shuts the node down cleanly on SIGTERM


@contextmanager
def rabbitmq(directory: Path | None = None, nodes: int = 1) -> Iterator[list[RabbitNode]]:
    """`nodes` RabbitMQ nodes of their own, joined into one cluster when more than one; stopped and removed after.

    The nodes are named `cabinet-<random>-<n>@localhost`; the first is the one the others joined."""
    if not rabbitmq_available():
        raise RuntimeError(f"RabbitMQ's scripts are not in {RABBITMQ_SCRIPTS} (CABINET_RABBITMQ_SCRIPTS) or epmd "
                           "is missing: install rabbitmq-server")
    with ExitStack() as cleanup:
        root = Path(tempfile.mkdtemp(prefix="cabinet-rabbitmq-", dir=directory))
        cleanup.callback(shutil.rmtree, root, ignore_errors=True)
        host = ErlangHost(root)
        cleanup.callback(host.stop)
        host.start()
        prefix = f"cabinet-{secrets.token_hex(3)}"
        started = [RabbitNode(host, f"{prefix}-{n}", root / f"node{n}") for n in range(1, nodes + 1)]
        for node in started:
            cleanup.callback(node.stop)
        for node in started:
            node.launch()
        for node in started:
            node.wait_ready()
        for node in started[1:]:
            node.ctl("stop_app")
            node.ctl("join_cluster", started[0].node)
            node.start_app()
        yield started


@dataclass
class PostgresServer:
    """A PostgreSQL cluster of its own, run by the `postgres` user, listening on 127.0.0.1:`port` only."""

    data: Path
    log: Path
    port: int = field(default_factory=node_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """As CABINET_POSTGRES_URL takes it (no database part)."""
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}"

    @staticmethod
    def _user() -> str | None:
        # PostgreSQL refuses to run as root; tests may run as root (containers, this machine)
        return "postgres" if os.geteuid() == 0 else None

    def init(self) -> None:
        bin_dir = postgres_bin()
        assert bin_dir
        if user := self._user():
            shutil.chown(self.data, user, user)
        with self.log.open("ab") as log:
            subprocess.run(
                bound_to_parent([str(bin_dir / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                                 "--encoding=UTF8", "--locale=C.UTF-8"], signal.SIGKILL, user=self._user()),
                stdout=log, stderr=subprocess.STDOUT, check=True,
            )

    def start(self, timeout: float = 60.0) -> None:
        self.launch()
        self.wait_ready(timeout)

    def launch(self) -> None:
        """Starts the server without waiting for it (`wait_ready`): from the thread that should own it, while the
        waiting may go to another."""
        bin_dir = postgres_bin()
        assert bin_dir
        argv = [str(bin_dir / "postgres"), "-D", str(self.data), "-p", str(self.port),
                "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.data}"]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                bound_to_parent(argv, signal.SIGKILL, user=self._user()),
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )

    def wait_ready(self, timeout: float = 60.0) -> None:
        assert self.process
        _wait(f"PostgreSQL on port {self.port}", self.accepts_connections, self.process, self.log, timeout)

    def accepts_connections(self) -> bool:
        bin_dir = postgres_bin()
        assert bin_dir
        result = subprocess.run([str(bin_dir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)],
                                check=False)
        return result.returncode == 0

    def crash(self) -> None:
        """Stops at once, as a crash does (`pg_ctl stop -m immediate`: no checkpoint; recovery from the WAL on the
        next start); clients' connections are cut."""
        if self.process:
            _stop(self.process, signal.SIGQUIT)

    def stop(self) -> None:
        if self.process:
            _stop(self.process, signal.SIGINT)  # fast shutdown: clients are disconnected, a checkpoint is written


@contextmanager
def postgresql(log_directory: Path) -> Iterator[PostgresServer]:
    """A PostgreSQL server of its own, started; stopped and its data removed after. Its log goes to
    `log_directory`; its data to a temporary directory the `postgres` user owns."""
    if postgres_bin() is None:
        raise RuntimeError("no PostgreSQL server binaries in /usr/lib/postgresql/*/bin (CABINET_POSTGRES_BIN)")
    with ExitStack() as cleanup:
        data = Path(tempfile.mkdtemp(prefix="cabinet-postgres-"))
        cleanup.callback(shutil.rmtree, data, ignore_errors=True)
        log_directory.mkdir(parents=True, exist_ok=True)
        server = PostgresServer(data, log_directory / f"postgres-{data.name}.log")
        cleanup.callback(server.stop)
        server.init()
        server.start()
        yield server
