"""Brokers and databases of a test's own: they start, stop and start again as fault tests need, and nothing of
them outlives the `with` block or the process that started them."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from devtools.nodes import accepts_amqp, postgres_bin, postgresql, rabbitmq, rabbitmq_available

needs_rabbitmq = pytest.mark.skipif(not rabbitmq_available(), reason="rabbitmq-server is not installed")
needs_postgres = pytest.mark.skipif(postgres_bin() is None, reason="PostgreSQL server binaries are not installed")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead too: its parent (the test) has not collected it yet
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def gone_within(pids: list[int], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while any(alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def killed_after_start(script: str, tmp_path: Path) -> Any:
    """Runs `script` (given `tmp_path` as its argument) until it prints a line of JSON (the pids it started, and
    more), kills it with SIGKILL (no `finally`, no atexit: only the kernel can tell what it started) and returns
    what it printed."""
    starter = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert starter.stdout
        return json.loads(starter.stdout.readline())
    finally:
        starter.send_signal(signal.SIGKILL)
        starter.wait()


@needs_rabbitmq
def test_a_broker_node_of_its_own_stops_and_starts_its_app_and_leaves_nothing_behind(tmp_path: Path) -> None:
    with rabbitmq(tmp_path) as [node]:
        assert node.amqp_port != 5672 and accepts_amqp(node.amqp_port)
        assert node.node in node.ctl("cluster_status")
        node.stop_app()
        assert not accepts_amqp(node.amqp_port)
        node.start_app()
        assert accepts_amqp(node.amqp_port)
        assert node.process and node.host.epmd
        pids = [node.process.pid, node.host.epmd.pid]
        root = node.host.directory
    assert not any(alive(pid) for pid in pids)
    assert not root.exists()
    assert not accepts_amqp(node.amqp_port)


@needs_postgres
def test_a_postgresql_of_its_own_survives_a_crash_and_leaves_nothing_behind(tmp_path: Path) -> None:
    def query(port: int) -> str:
        return subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-Atc",
                               "SELECT current_setting('data_directory')"],
                              capture_output=True, text=True, check=True).stdout.strip()

    with postgresql(tmp_path) as server:
        assert server.port != 5432
        assert query(server.port) == str(server.data)
        server.crash()
        assert not server.accepts_connections()
        server.start()
        assert query(server.port) == str(server.data)
        assert server.process
        pid = server.process.pid
    assert not alive(pid)
    assert not server.data.exists()


@needs_rabbitmq
@needs_postgres
def test_they_die_with_the_process_that_started_them_even_when_it_is_killed(tmp_path: Path) -> None:
    script = (
        "import json, sys, time\n"
        "from pathlib import Path\n"
        "from devtools.nodes import postgresql, rabbitmq\n"
        "with rabbitmq(Path(sys.argv[1])) as [node], postgresql(Path(sys.argv[1])) as server:\n"
        "    pids = [node.process.pid, node.host.epmd.pid, server.process.pid]\n"
        "    print(json.dumps([pids, str(server.data)]), flush=True)\n"
        "    time.sleep(600)\n"
    )
    pids, data = killed_after_start(script, tmp_path)
    assert len(pids) == 3
    assert gone_within(pids, 10)
    shutil.rmtree(data)  # what the killed process could not remove
