"""API models of tokens (the plain token appears only in the answer that created it)."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from services.order_watch.auth.tokens import Role

TOKEN_EXAMPLE = {
    "token_id": "0b6f7a52-55a3-4f3e-9a43-1c1f3b9d2e77",
    "name": "maria",
    "role": "fulfillment",
    "created_at": "2026-11-18T09:00:00Z",
    "created_by": "admin",
    "revoked_at": None,
}


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"example": TOKEN_EXAMPLE})

    token_id: uuid.UUID
    name: str
    role: Role
    created_at: datetime
    created_by: str
    revoked_at: datetime | None


class NewTokenOut(TokenOut):
    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"example": {**TOKEN_EXAMPLE, "token": "ow_Jr2…"}}
    )

    token: str = Field(description="The bearer token. Shown once; only its hash is stored.")


class TokenIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"name": "maria", "role": "fulfillment"}})

    name: str = Field(min_length=1, max_length=100, description="Who will hold it; recorded as the actor.")
    role: Role
