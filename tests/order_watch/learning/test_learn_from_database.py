"""`order-watch learn` on the real database: fit from stored history, keep versions, hand the newest to the rules."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.common.db import transaction
from services.order_watch.backtest.simulator import SimulationConfig, simulate
from services.order_watch.cli import main
from services.order_watch.learning.flows import learned_catalog, refit
from services.order_watch.learning.models import DeliveryModelRow
from services.order_watch.orders.flows import apply_events

ORIGIN = "America/Chicago"
EXAMPLE = Path(__file__).parents[3] / "docs/examples/history.csv"


async def test_refit_stores_a_version_and_the_rules_get_the_newest(sessions: async_sessionmaker[AsyncSession]) -> None:
    stream = simulate(SimulationConfig(orders=120, seed=11, days=6))
    end = max(event.occurred_at for event in stream.events)
    async with transaction(sessions) as session:
        assert (await learned_catalog(session)).model is None  # no history yet: the catalog's priors
        await apply_events(session, stream.events, end)
    async with transaction(sessions) as session:
        model = await refit(session, end, ORIGIN, dt.timedelta(days=30))
        again = await refit(session, end, ORIGIN, dt.timedelta(days=30))
    assert again.version == model.version and model.counts()["delivered_parcels"] > 0
    async with transaction(sessions) as session:
        assert await session.scalar(select(func.count()).select_from(DeliveryModelRow)) == 1
        catalog = await learned_catalog(session)
    assert catalog.model is not None and catalog.model.version == model.version
    assert catalog.model.transit == model.transit


async def test_order_watch_learn_stores_a_model_fitted_on_a_csv_history(
    sessions: async_sessionmaker[AsyncSession], order_watch_settings, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("DATABASE_URL", order_watch_settings.database_url)
    await asyncio.to_thread(main, ["learn", "--csv", str(EXAMPLE)])
    printed = json.loads(capsys.readouterr().out)
    async with transaction(sessions) as session:
        stored = await session.get(DeliveryModelRow, printed["version"])
    assert stored is not None and stored.counts["delivered_parcels"] == printed["delivered_parcels"]
