"""Manual use: ``python -m devstack kafka`` runs a broker until Ctrl-C."""

import argparse
import contextlib
import signal
import sys
from pathlib import Path
from types import FrameType

from devstack.kafka import KafkaBroker


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # Unwind through the `with` block so the broker is stopped, as on Ctrl-C.
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m devstack")
    commands = parser.add_subparsers(dest="command", required=True)
    kafka = commands.add_parser("kafka", help="run a single-node Kafka broker until Ctrl-C")
    kafka.add_argument("--port", type=int, help="client (SASL_SSL) port (default: a free one)")
    kafka.add_argument("--data-dir", type=Path, help="keep data here (default: a temporary dir)")
    args = parser.parse_args(argv)

    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    with KafkaBroker(data_dir=args.data_dir, port=args.port) as broker:
        print(broker.bootstrap, flush=True)
        print(
            f"Kafka running (SASL_SSL, SCRAM-SHA-512; CA {broker.ca_file}; passwords, admin's"
            f" included, in {broker.data_dir / 'credentials.json'}), log in {broker.log_file};"
            " Ctrl-C stops it",
            file=sys.stderr,
        )
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()
    print("Kafka stopped", file=sys.stderr)


if __name__ == "__main__":
    main()
