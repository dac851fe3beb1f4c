"""Migration command for operators and developers.

    python -m servicekit.migrate proposal_service upgrade
    python -m servicekit.migrate proposal_service revision -m "add sessions"
    python -m servicekit.migrate proposal_service check [--url URL]

The service's own settings give the database URL (its environment variables).
"""

import argparse
import importlib
import tempfile
from pathlib import Path

from servicekit.migrations import autogenerate, check, upgrade


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m servicekit.migrate")
    parser.add_argument("package", help="the service package, e.g. proposal_service")
    parser.add_argument("action", choices=["upgrade", "revision", "check"])
    parser.add_argument("-m", "--message", default="change")
    parser.add_argument("--url", help="check against this database instead of a scratch SQLite file")
    args = parser.parse_args()
    main_module = importlib.import_module(f"{args.package}.main")
    settings_module = importlib.import_module(f"{args.package}.settings")
    script_location: Path = main_module.MIGRATIONS
    if args.action == "upgrade":
        settings_class = next(
            v for k, v in vars(settings_module).items() if k.endswith("Settings") and k != "ServiceSettings"
        )
        upgrade(script_location, settings_class().database_url)
    elif args.action == "check" and args.url:
        check(script_location, args.url)
    else:
        # Revisions are generated (and checked) against a scratch SQLite database brought to head.
        with tempfile.TemporaryDirectory() as scratch:
            url = f"sqlite+aiosqlite:///{scratch}/scratch.db"
            if args.action == "check":
                check(script_location, url)
            else:
                autogenerate(script_location, url, args.message)


if __name__ == "__main__":
    main()
