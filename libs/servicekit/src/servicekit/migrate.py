"""Migration command for operators and developers.

    python -m servicekit.migrate proposal_service upgrade
    python -m servicekit.migrate proposal_service revision -m "add sessions"

The service's own settings give the database URL (its environment variables).
"""

import argparse
import importlib
import tempfile
from pathlib import Path

from servicekit.migrations import autogenerate, upgrade


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m servicekit.migrate")
    parser.add_argument("package", help="the service package, e.g. proposal_service")
    parser.add_argument("action", choices=["upgrade", "revision"])
    parser.add_argument("-m", "--message", default="change")
    args = parser.parse_args()
    main_module = importlib.import_module(f"{args.package}.main")
    settings_module = importlib.import_module(f"{args.package}.settings")
    script_location: Path = main_module.MIGRATIONS
    if args.action == "upgrade":
        settings_class = next(
            v for k, v in vars(settings_module).items() if k.endswith("Settings") and k != "ServiceSettings"
        )
        upgrade(script_location, settings_class().database_url)
    else:
        # Revisions are generated against a scratch SQLite database brought to head.
        with tempfile.TemporaryDirectory() as scratch:
            autogenerate(script_location, f"sqlite+aiosqlite:///{scratch}/scratch.db", args.message)


if __name__ == "__main__":
    main()
