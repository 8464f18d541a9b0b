"""Pure token handling: roles, what each role may do, minting and hashing tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from enum import StrEnum

TOKEN_PREFIX = "ow_"


class Role(StrEnum):
    SALES = "sales"
    FULFILLMENT = "fulfillment"
    ADMIN = "admin"
    INTEGRATION = "integration"


# Who may do what (ARCHITECTURE §6): sales read; fulfillment acts on alerts and tasks; admin
# manages tokens and policies (and may act); machine clients read and work reship tasks.
READ = frozenset(Role)
ACT_ON_ALERTS = frozenset({Role.FULFILLMENT, Role.ADMIN})
ACT_ON_TASKS = frozenset({Role.FULFILLMENT, Role.ADMIN, Role.INTEGRATION})
MANAGE = frozenset({Role.ADMIN})


@dataclass(frozen=True)
class Actor:
    """The authenticated caller; `name` is what audit entries and owners record."""

    name: str
    role: Role


def mint_token() -> str:
    """A new high-entropy bearer token (256 random bits)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What is stored: SHA-256 of the token (no salt needed for 256-bit random secrets)."""
    return hashlib.sha256(token.encode()).hexdigest()
