"""Data access for learning: the history to fit from, and the stored model versions. Never commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.order_watch.evaluation.service import load_states
from services.order_watch.learning.model import DeliveryModel
from services.order_watch.learning.models import DeliveryModelRow
from services.order_watch.orders.models import Order
from services.order_watch.reconcile.state import OrderState


async def history(session: AsyncSession, since: datetime, until: datetime, origin_tz: str) -> list[OrderState]:
    """Snapshots of every order placed in [since, until)."""
    ids = await session.scalars(select(Order.order_id).where(Order.placed_at >= since, Order.placed_at < until))
    states = await load_states(session, list(ids), origin_tz)
    return [states[order_id] for order_id in sorted(states)]


async def store_model(session: AsyncSession, model: DeliveryModel) -> None:
    """Keep a fitted version (fitting the same history twice stores it once)."""
    values = {
        "version": model.version,
        "fitted_at": model.fitted_at,
        "window_from": model.window_from,
        "window_to": model.window_to,
        "counts": model.counts(),
        "model": model.to_data(),
    }
    await session.execute(insert(DeliveryModelRow).values(values).on_conflict_do_nothing())


async def latest_version(session: AsyncSession) -> str | None:
    """The version in force: the newest fitted."""
    query = select(DeliveryModelRow.version).order_by(DeliveryModelRow.fitted_at.desc()).limit(1)
    return await session.scalar(query)


async def load_model(session: AsyncSession, version: str) -> DeliveryModel | None:
    row = await session.get(DeliveryModelRow, version)
    return DeliveryModel.from_data(row.model) if row is not None else None
