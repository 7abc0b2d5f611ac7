"""The local run's S3 server keeps its objects across a restart (moto keeps them in memory otherwise)."""

from __future__ import annotations

import io
import socket
from pathlib import Path

from minio import Minio

from devtools.processes import Layout, System


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_objects_survive_a_restart_of_the_s3_server(tmp_path: Path) -> None:
    layout = Layout(s3_port=free_port())
    system = System(layout, {}, log_dir=tmp_path / "log", s3_state=tmp_path / "s3")
    client = Minio(layout.s3_endpoint, access_key="k" * 16, secret_key="s" * 32, secure=False)
    for attempt in range(2):
        s3 = system.s3()
        s3.start()
        try:
            s3.wait_ready()
            system.restore_s3()
            if attempt == 0:
                client.make_bucket("documents")
                client.put_object("documents", "sha256/abc", io.BytesIO(b"act of readings"), 15)
            else:
                assert client.get_object("documents", "sha256/abc").read() == b"act of readings"
        finally:
            s3.stop()
            system.processes.clear()
