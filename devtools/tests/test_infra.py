"""What `make run` and `make test` do about PostgreSQL and RabbitMQ: a server that answers is used as it is;
where nothing answers on this machine, the project's own is installed if need be and started, it outlives the
command that started it, keeps its data across a stop, and `stop` leaves nothing running."""

from __future__ import annotations

import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import NoReturn

import pytest

from devtools import infra
from devtools.nodes import accepts_amqp, node_port, postgres_bin, rabbitmq_available


def running_from(directory: Path) -> list[int]:
    """The processes whose command line names `directory`: a server's with its data there."""
    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if str(directory).encode() in cmdline.read_bytes():
                pids.append(int(cmdline.parent.name))
        except OSError:
            continue
    return pids


def never(*_: object) -> NoReturn:
    raise AssertionError("nothing is to be installed or started for a server that answers")


@pytest.fixture
def own(tmp_path: Path) -> Iterator[infra.Own]:
    """Files of the project's own servers for one test; whatever it started is stopped after it. PostgreSQL's data
    directory is one of the machine's temporary directory's own: the `postgres` user, who runs the server when
    tests run as root, may not reach into pytest's."""
    data = Path(tempfile.mkdtemp(prefix="cabinet-infra-test-"))
    own = infra.Own(tmp_path / "infra", data)
    yield own
    infra.stop(own)
    subprocess.run(["rm", "-rf", str(data)], check=True)


def test_a_server_that_answers_is_used_as_it_is(own: infra.Own) -> None:
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        port = listening.getsockname()[1]
        for server in infra.SERVERS.values():
            untouchable = replace(server, installed=never, running=never)
            assert infra.ensure(untouchable, f"scheme://user@127.0.0.1:{port}/", own) == "answering"
    assert not own.directory.exists()


def test_nothing_is_started_for_another_machines_server(own: infra.Own) -> None:
    untouchable = replace(infra.POSTGRESQL, installed=never, running=never)
    with pytest.raises(SystemExit, match="another machine's"):
        infra.ensure(untouchable, "postgresql+asyncpg://postgres@192.0.2.1:5432", own)  # TEST-NET-1: nobody
    assert not own.directory.exists()


def test_missing_programs_are_installed_from_debian(own: infra.Own, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    asked = tmp_path / "asked"
    apt = tmp_path / "apt-install.sh"
    apt.write_text(f"#!/bin/sh\necho \"$@\" >> {asked}\n")
    apt.chmod(0o755)
    monkeypatch.setattr(infra, "APT_INSTALL", apt)
    for server in infra.SERVERS.values():
        missing = replace(server, installed=lambda: False, running=never)
        with pytest.raises(SystemExit, match="programs are missing"):
            infra.ensure(missing, f"scheme://user@127.0.0.1:{node_port()}/", own)
    assert asked.read_text().split() == ["postgresql", "rabbitmq-server"]


@pytest.mark.skipif(postgres_bin() is None, reason="PostgreSQL server binaries are not installed")
def test_the_projects_own_postgresql_starts_where_nothing_answers_and_keeps_its_data(own: infra.Own) -> None:
    port = node_port()
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{port}"

    def psql(sql: str) -> str:
        return subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-Atc", sql],
                              capture_output=True, text=True, check=True).stdout.strip()

    assert infra.ensure(infra.POSTGRESQL, url, own) == "started"
    assert psql("SELECT current_setting('data_directory')") == str(own.postgres_data)
    psql("CREATE DATABASE kept")
    assert infra.ensure(infra.POSTGRESQL, url, own) == "answering"
    keeper = int(own.pid_file("postgresql").read_text())
    infra.stop(own)
    assert not infra.answers(("127.0.0.1", port))
    assert not infra.keeper_running(keeper)
    assert not running_from(own.postgres_data)
    assert infra.ensure(infra.POSTGRESQL, url, own) == "started"
    assert "kept" in psql("SELECT datname FROM pg_database").split()


@pytest.mark.skipif(not rabbitmq_available(), reason="rabbitmq-server is not installed")
def test_the_projects_own_rabbitmq_starts_where_nothing_answers_and_stops(own: infra.Own) -> None:
    port = node_port()
    url = f"amqp://guest:guest@127.0.0.1:{port}/"
    assert infra.ensure(infra.RABBITMQ, url, own) == "started"
    infra.wait_for_rabbitmq_app(url)
    assert accepts_amqp(port)
    keeper = int(own.pid_file("rabbitmq").read_text())
    infra.stop(own)
    assert not infra.keeper_running(keeper)
    assert not accepts_amqp(port)
    assert not running_from(own.directory)
    assert not own.pid_file("rabbitmq").exists()
