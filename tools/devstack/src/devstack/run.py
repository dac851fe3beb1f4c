"""The run command: Kafka and the five services on SQLite files, with demo data.

    ./dev run [--port 8000] [--fresh]

Data lives in .run/ (SQLite files, Kafka's log) and survives restarts;
--fresh starts from empty. Ctrl-C stops everything.
"""

import argparse
import secrets
import shutil
import signal
import sys
import threading
from pathlib import Path

from devstack import free_port
from devstack.demo import DEMO_PASSWORD, load_demo_data
from devstack.kafka import KafkaBroker, ensure_jars
from devstack.keys import DevKeys
from devstack.mailcatcher import MailCatcher
from devstack.stack import SERVICES, Stack

ROOT = Path(__file__).resolve().parents[4]


def say(message: str) -> None:
    print(f"==> {message}", file=sys.stderr, flush=True)


def stored_secret(path: Path) -> str:
    """A password made on the first run and kept in ``path``, so restarts keep it."""
    if not path.exists():
        path.write_text(secrets.token_urlsafe(12))
        path.chmod(0o600)
    return path.read_text().strip()


def main() -> None:
    parser = argparse.ArgumentParser(prog="./dev run")
    parser.add_argument("--port", type=int, default=8000, help="gateway port; the services take the next four")
    parser.add_argument("--fresh", action="store_true", help="delete .run/ first")
    args = parser.parse_args()

    workdir = ROOT / ".run"
    if args.fresh and workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(exist_ok=True)
    ports = {
        "gateway": args.port,
        "proposal": args.port + 1,
        "assignment": args.port + 2,
        "evaluation": args.port + 3,
        "notification": args.port + 4,
    }

    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    ensure_jars()
    kafka = KafkaBroker(workdir / "kafka", port=free_port())
    keys = DevKeys.stored(workdir / "signing-key.json")
    admin_password = stored_secret(workdir / "admin-password")
    # Each service logs in to Kafka as its own principal (ADR 0010).
    # The notification service mails to a local catcher: each message lands in .run/mail/*.eml.
    mail = MailCatcher(workdir / "mail")
    mail.start()
    stack = Stack(
        workdir=workdir,
        kafka=kafka,
        ports=ports,
        keys=keys,
        admin_password=admin_password,
        extra_env=mail.service_env(),
    )
    try:
        say("starting Kafka")
        kafka.start()
        say("starting the services")
        stack.start()
        stack.wait_ready()
        marker = workdir / "demo-loaded"
        if not marker.exists():
            say("loading demo data")
            items, accounts = load_demo_data(
                stack.gateway_url, keys, admin_username="admin", admin_password=admin_password
            )
            say(f"demo data loaded: {items} items, {accounts} accounts")
            marker.touch()
        print(f"\nGateway:     {stack.gateway_url}/api/v1/proposals   (OpenAPI: {stack.gateway_url}/docs)")
        print(f"Members' app: {stack.gateway_url}/m/   (phone-sized; e.g. w003 / {DEMO_PASSWORD})")
        print(
            f"Staff console: {stack.gateway_url}/console/   (committee staff cppcc-staff, leader cppcc-leader,"
            f" unit unit-swj, administrator admin)"
        )
        print(f"Sign in:     admin / {admin_password}   (administrator)")
        print(f"             w001 … w024, d001 … d012, cppcc-staff, npc-staff, cppcc-leader / {DEMO_PASSWORD}")
        print(f"             unit-swj, unit-hs-sw, unit-fgw, … (handling units, unit- + code) / {DEMO_PASSWORD}")
        for name in SERVICES:
            if name != "gateway":
                print(f"{name.title():<12} {stack[name].url}/docs")
        print(
            f"Kafka:       {kafka.bootstrap} (SASL_SSL, SCRAM-SHA-512; CA {kafka.ca_file};"
            f" passwords in {kafka.data_dir / 'credentials.json'})"
        )
        print(f"Mail:        {mail.directory}/*.eml   (local SMTP catcher, port {mail.port})")
        print(f"Data and logs: {workdir}\nPress Ctrl-C to stop.", flush=True)
        while not stopping.wait(1):
            dead = [name for name, s in stack.services.items() if not s.is_running()]
            if dead or not kafka.is_running():
                say(f"stopped unexpectedly: {dead or ['kafka']}; see the logs in {workdir}")
                break
    except KeyboardInterrupt:
        pass
    finally:
        say("stopping")
        stack.stop()
        mail.stop()
        kafka.stop()


if __name__ == "__main__":
    main()
