"""The launcher of `make run` and the end-to-end tests: its processes die with it, and it never takes another
system (or the orphans of an earlier run) answering on its ports for its own."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devtools.processes import Layout, PortTaken, Process, port_is_free
from shared.testing import free_port

from .test_nodes import gone_within, killed_after_start


@pytest.fixture
def stranger() -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """Another web server, not started by the launcher, answering on a port."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "the stranger did not start"
                time.sleep(0.05)
        yield port, process
    finally:
        process.kill()
        process.wait()


def web_server(port: int, tmp_path: Path) -> Process:
    return Process("gateway", [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"], {},
                   tmp_path / "gateway.log", ready_url=f"http://127.0.0.1:{port}/", ports=(port,))


def test_a_process_is_not_started_on_a_port_another_listens_on(
    stranger: tuple[int, subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    port, process = stranger
    ours = web_server(port, tmp_path)
    with pytest.raises(PortTaken, match=rf"gateway cannot start: port {port} is taken by pid {process.pid} "):
        ours.start()
    assert ours.popen is None


def test_another_process_answering_on_its_port_is_not_taken_for_it(tmp_path: Path) -> None:
    port = free_port()
    ours = Process("gateway", ["sleep", "60"], {}, tmp_path / "gateway.log", ready_url=f"http://127.0.0.1:{port}/",
                   ports=(port,))
    ours.start()  # the port is free; what started will never listen on it
    try:
        # another comes first to the port and answers the readiness URL
        process = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            with pytest.raises(PortTaken, match=rf"another process listens on its ports \(port {port}: "
                                                rf"pid {process.pid} "):
                ours.wait_ready(timeout=20)
        finally:
            process.kill()
            process.wait()
    finally:
        ours.stop()


def test_its_own_process_answering_is_ready(tmp_path: Path) -> None:
    ours = web_server(free_port(), tmp_path)
    ours.start()
    try:
        ours.wait_ready(timeout=20)
        assert ours.foreign_ports() == []
    finally:
        ours.stop()


def test_the_processes_die_with_the_launcher_even_when_it_is_killed(tmp_path: Path) -> None:
    layout = Layout(smtp_port=free_port(), mail_http_port=free_port(), s3_port=free_port())
    script = (
        "import json, sys, time\n"
        "from pathlib import Path\n"
        "from devtools.processes import Layout, System\n"
        f"system = System(Layout(smtp_port={layout.smtp_port}, mail_http_port={layout.mail_http_port}, "
        f"s3_port={layout.s3_port}), {{}}, log_dir=Path(sys.argv[1]))\n"
        "system.start(services=(), gateway=False)\n"
        "print(json.dumps([process.popen.pid for process in system.processes.values()]), flush=True)\n"
        "time.sleep(600)\n"
    )
    pids = killed_after_start(script, tmp_path)  # as `kill -9` of `make run`: it stops nothing itself
    assert len(pids) == 2  # the mail catcher and the S3 server
    assert gone_within(pids, 15)
    assert all(port_is_free(port) for port in (layout.smtp_port, layout.mail_http_port, layout.s3_port))
