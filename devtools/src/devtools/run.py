"""The whole system on this machine: `make run`.

Starts (if needed) PostgreSQL and RabbitMQ, then a mail catcher, the S3 test server, every service and the
gateway, loads the demo data, and prints where to go. Ctrl-C stops everything; data stays in the databases,
letters in `var/mail`. The processes die with this one however it ends (even `kill -9`), and it refuses to start
where another run (or anything else) holds its ports.
"""

from __future__ import annotations

import json
import secrets
import signal
import time
from pathlib import Path

from devtools import demo as demo_data
from devtools import infra, testca
from devtools.processes import Layout, PortTaken, System

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


def main() -> None:
    infra.main()
    values = local_secrets()
    layout = Layout()
    trust = testca.ensure_local_trust(VAR)
    env = {"CABINET_SERVICE_TOKEN_SECRET": values["CABINET_SERVICE_TOKEN_SECRET"],
           # the help page and the signing form name the demo keys' folder
           "CABINET_DEMO_KEYS": str(VAR / "trust"),
           **{name: value for name, value in trust.items() if name.startswith("CABINET_")}}
    system = System(layout, env, log_dir=VAR / "log", mail_store=VAR / "mail", s3_state=VAR / "s3")
    print("starting: mail catcher, S3, services, gateway ...", flush=True)
    try:
        system.start()
        demo = demo_data.load_demo(system, trust, values["staff_password"])
    except PortTaken as taken:
        system.stop()
        raise SystemExit(f"make run: {taken}") from None
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
  Or with Ukrainian qualified keys (DSTU 4145, test CA in {trust["CABINET_TRUST_BUNDLE_FILES"]}):
    consumer key  {trust["demo_consumer_dstu_key_file"]}  (password in {trust["demo_consumer_dstu_key_password_file"]})
    consumer cert {trust["demo_consumer_dstu_cert_file"]}
    staff key     {trust["demo_staff_dstu_key_file"]}  (password in {trust["demo_staff_dstu_key_password_file"]})
    staff cert    {trust["demo_staff_dstu_cert_file"]}

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
