"""Makes sure PostgreSQL and RabbitMQ answer, starting the local servers when they are installed but stopped.

    python -m devtools.infra
"""

from __future__ import annotations

import glob
import shutil
import socket
import subprocess
import sys
import time

POSTGRES = ("127.0.0.1", 5432)
RABBITMQ = ("127.0.0.1", 5672)


def answers(address: tuple[str, int], timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection(address, timeout=timeout):
            return True
    except OSError:
        return False


def _start_postgres() -> None:
    if shutil.which("pg_ctlcluster"):
        for version in sorted(glob.glob("/etc/postgresql/*")):
            subprocess.run(
                ["pg_ctlcluster", "--skip-systemctl-redirect", version.rsplit("/", 1)[-1], "main", "start"],
                check=False,
            )
        return
    raise SystemExit("PostgreSQL is not running on 127.0.0.1:5432 and pg_ctlcluster is missing: "
                     "install it (apt-get install postgresql) or set CABINET_POSTGRES_URL to a server")


def _start_rabbitmq() -> None:
    if shutil.which("rabbitmq-server"):
        subprocess.run(["rabbitmq-server", "-detached"], check=False)
        return
    raise SystemExit("RabbitMQ is not running on 127.0.0.1:5672 and rabbitmq-server is missing: "
                     "install it (apt-get install rabbitmq-server) or set CABINET_AMQP_URL to a broker")


def ensure(name: str, address: tuple[str, int], start: object, wait_seconds: float = 90.0) -> None:
    if answers(address):
        return
    print(f"infra: {name} is not answering on {address[0]}:{address[1]}; starting it", file=sys.stderr)
    start()  # type: ignore[operator]
    deadline = time.monotonic() + wait_seconds
    while not answers(address):
        if time.monotonic() > deadline:
            raise SystemExit(f"infra: {name} did not come up within {wait_seconds:.0f}s")
        time.sleep(0.5)


def wait_for_rabbitmq_app(wait_seconds: float = 90.0) -> None:
    """The port opens before the broker accepts AMQP; an AMQP handshake tells."""
    import asyncio

    import aio_pika

    async def probe() -> None:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                connection = await aio_pika.connect("amqp://guest:guest@127.0.0.1:5672/", timeout=3)
                await connection.close()
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(1)

    asyncio.run(probe())


def main() -> None:
    ensure("PostgreSQL", POSTGRES, _start_postgres)
    ensure("RabbitMQ", RABBITMQ, _start_rabbitmq)
    wait_for_rabbitmq_app()


if __name__ == "__main__":
    main()
