"""`order-watch token create NAME ROLE | revoke TOKEN_ID | list`: token management from the command line.

The plain token is printed once at creation; only its hash is stored. Changes are audited
with the actor `cli:<os user>`. Revoking the last active admin token is refused (exit code 2).
"""

from __future__ import annotations

import argparse
import getpass
import sys
import uuid

from services.common.clock import SystemClock
from services.common.db import database, transaction
from services.order_watch.auth import service
from services.order_watch.auth.tokens import Role
from services.order_watch.settings import OrderWatchSettings


def add_token_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="create a token and print it (once)")
    create.add_argument("name", help="who holds it; recorded as the actor of their changes")
    create.add_argument("role", choices=[role.value for role in Role])
    revoke = actions.add_parser("revoke", help="revoke a token at once")
    revoke.add_argument("token_id", type=uuid.UUID)
    actions.add_parser("list", help="list tokens (never their values)")


async def run_token_command(settings: OrderWatchSettings, args: argparse.Namespace) -> None:
    try:
        await _run(settings, args)
    except service.LastAdminToken as exc:
        print(f"refused: {exc}", file=sys.stderr)
        sys.exit(2)


async def _run(settings: OrderWatchSettings, args: argparse.Namespace) -> None:
    actor, now = f"cli:{getpass.getuser()}", SystemClock().now()
    async with database(settings.database_url, pool_size=1) as db, transaction(db.sessions) as session:
        if args.action == "create":
            token, plain = service.create_token(session, args.name, Role(args.role), actor, now)
            print(f"token_id {token.token_id}\nrole     {token.role}\ntoken    {plain}")
        elif args.action == "revoke":
            revoked = await service.revoke_token(session, args.token_id, actor, now)
            print(f"revoked {args.token_id}" if revoked else f"no token {args.token_id}")
        else:
            for row in await service.list_tokens(session):
                state = f"revoked {row.revoked_at.isoformat()}" if row.revoked_at else "active"
                print(f"{row.token_id}  {row.role:<12} {row.name:<24} {state}")
