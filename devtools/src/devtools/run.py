"""The whole system on this machine: `make run`.

Starts (if needed) PostgreSQL and RabbitMQ, then a mail catcher, the S3 test server, every service and the
gateway, loads the demo data, and prints where to go. Ctrl-C stops everything; data stays in the databases,
letters in `var/mail`.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

from devtools import demo as demo_history
from devtools import infra, testca
from devtools.processes import Layout, System

ROOT = Path(__file__).resolve().parents[3]
VAR = ROOT / "var"


def local_secrets() -> dict[str, str]:
    """Generated on the first run and kept in var/ (never in git)."""
    path = VAR / "local-secrets.json"
    if path.exists():
        return dict(json.loads(path.read_text()))
    values = {
        "CABINET_SERVICE_TOKEN_SECRET": secrets.token_urlsafe(48),
        "staff_password": "demo-" + "-".join(secrets.token_hex(3) for _ in range(3)),
    }
    VAR.mkdir(exist_ok=True)
    path.write_text(json.dumps(values, indent=2))
    path.chmod(0o600)
    return values


def load_demo_data(system: System, staff_password: str) -> dict[str, str]:
    """The branch, staff and consumer (identity), demo tariffs (billing), then the consumer's meters and half a
    year of readings, invoices and payments made through the running services (devtools.demo)."""
    result = subprocess.run(
        [sys.executable, "-m", "identity.demo", "--json", "--staff-password", staff_password],
        env={**os.environ, **system.service("identity").env}, capture_output=True, text=True, check=True,
    )
    demo = dict(json.loads(result.stdout.strip().splitlines()[-1]))
    subprocess.run([sys.executable, "-m", "billing.demo"], env={**os.environ, **system.service("billing").env},
                   check=True)
    history = system.service("billing").env
    demo_history.load(
        system.layout, history["CABINET_SERVICE_TOKEN_SECRET"], demo["consumer_id"],
        amqp_url=history.get("CABINET_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"),
        namespace=history.get("CABINET_BUS_NAMESPACE", "cabinet"),
    )
    return demo


def main() -> None:
    infra.main()
    values = local_secrets()
    layout = Layout()
    trust = testca.ensure_local_trust(VAR)
    env = {"CABINET_SERVICE_TOKEN_SECRET": values["CABINET_SERVICE_TOKEN_SECRET"],
           **{name: value for name, value in trust.items() if name.startswith("CABINET_")}}
    system = System(layout, env, log_dir=VAR / "log", mail_store=VAR / "mail", s3_state=VAR / "s3")
    print("starting: mail catcher, S3, services, gateway ...", flush=True)
    try:
        system.start()
        demo = load_demo_data(system, values["staff_password"])
    except BaseException:
        system.stop()
        raise
    print(f"""
  The cabinet is running:       {layout.url("gateway")}
  Letters (mail catcher):       {layout.mail_url}

  Supplier staff:               login {demo.get("staff_login", "manager")}, password {values["staff_password"]}
  Another branch's staff:       login {demo.get("second_staff_login", "manager2")}, the same password (a tenant of
                                its own: it sees none of the first branch's consumers)
  Demo consumer:                № {demo.get("account_number")} {demo.get("consumer_name", "")}
  Its activation code:          {demo.get("activation_code", "(already used: ask staff for a new one)")}
  The registration letter is in the mail catcher; follow its link and enter the code.

  Electronic signature (test CA, trusted by this run):
    consumer key  {trust["demo_consumer_key_file"]}  (password in {trust["demo_consumer_key_password_file"]})
    consumer cert {trust["demo_consumer_cert_file"]}
    staff key     {trust["demo_staff_key_file"]}  (password in {trust["demo_staff_key_password_file"]})
    staff cert    {trust["demo_staff_cert_file"]}

  Logs: {VAR / "log"}     Stop: Ctrl-C
""", flush=True)

    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping:
            for process in system.processes.values():
                if process.popen and process.popen.poll() is not None:
                    print(f"{process.name} stopped (exit {process.popen.returncode}); see {process.log_path}")
                    stopping = True
            time.sleep(0.5)
    finally:
        print("stopping ...", flush=True)
        system.stop()


if __name__ == "__main__":
    main()
