"""Account and key commands for operators.

python -m gateway_service.accounts keygen
    prints a new Ed25519 private key (PEM) for GATEWAY_SIGNING_KEY
python -m gateway_service.accounts jwks
    prints the public JWKS of GATEWAY_SIGNING_KEY (and GATEWAY_PREVIOUS_PUBLIC_KEYS),
    for the services' <SERVICE>_AUTH_JWKS
python -m gateway_service.accounts create --username NAME --display-name NAME --role ROLE
        [--body-id ID] [--member-id ID] [--unit-id ID]
    creates an account in the gateway's database (GATEWAY_DATABASE_URL); the password
    comes from GATEWAY_NEW_PASSWORD or is asked for, never from the command line,
    where other users of the machine could see it in the process list.
"""

import argparse
import asyncio
import getpass
import json
import os
import sys

from pydantic import ValidationError

from gateway_service.accounts import service
from gateway_service.accounts.models import AccountCreate
from gateway_service.accounts.tokens import generate_private_pem
from gateway_service.main import MIGRATIONS
from gateway_service.settings import GatewaySettings
from servicekit.auth import Role
from servicekit.db import Database
from servicekit.errors import Problem
from servicekit.migrations import upgrade_async

PASSWORD_VARIABLE = "GATEWAY_NEW_PASSWORD"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gateway_service.accounts", description="Account and key commands for operators."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("keygen", help="print a new Ed25519 signing key (PEM)")
    commands.add_parser("jwks", help="print the public JWKS of the configured signing key")
    create = commands.add_parser("create", help="create an account")
    create.add_argument("--username", required=True)
    create.add_argument("--display-name", required=True)
    create.add_argument("--role", required=True, choices=[r.value for r in Role if r != Role.system])
    create.add_argument("--body-id")
    create.add_argument("--member-id")
    create.add_argument("--unit-id")
    args = parser.parse_args(argv)

    if args.command == "keygen":
        print(generate_private_pem(), end="")
        return 0
    settings = GatewaySettings()
    if args.command == "jwks":
        if settings.signing_key_generated:
            print("GATEWAY_SIGNING_KEY is not set", file=sys.stderr)
            return 1
        print(json.dumps(settings.token_issuer().jwks))
        return 0
    try:
        data = AccountCreate(
            username=args.username,
            display_name=args.display_name,
            password=_new_password(),
            role=Role(args.role),
            body_id=args.body_id,
            member_id=args.member_id,
            unit_id=args.unit_id,
        )
    except ValidationError as exc:
        for error in exc.errors():
            print(f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        account_id = asyncio.run(_create(settings, data))
    except Problem as exc:
        print(exc.detail or exc.title, file=sys.stderr)
        return 1
    print(account_id)
    return 0


def _new_password() -> str:
    if password := os.environ.get(PASSWORD_VARIABLE):
        return password
    if not sys.stdin.isatty():
        raise ValueError(f"set {PASSWORD_VARIABLE} or run in a terminal to be asked for the password")
    password = getpass.getpass("Password (at least 12 characters): ")
    if getpass.getpass("Again: ") != password:
        raise ValueError("the passwords differ")
    return password


async def _create(settings: GatewaySettings, data: AccountCreate) -> str:
    if settings.migrate_on_start:
        await upgrade_async(MIGRATIONS, settings.database_url)
    database = Database(settings.database_url)
    try:
        identity = service.Identity.from_settings(settings, database)
        async with database.session() as session:
            account = await service.create_account(session=session, passwords=identity.passwords, data=data)
            return account.id
    finally:
        await database.dispose()


if __name__ == "__main__":
    sys.exit(main())
