"""Learning use cases: refit the delivery model from PostgreSQL, and hand the rules the model in force."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from services.order_watch.learning import service
from services.order_watch.learning.fit import fit
from services.order_watch.learning.model import DeliveryModel
from services.order_watch.learning.policy import RulePolicy
from services.order_watch.promise import Catalog, load_catalog
from services.order_watch.thresholds.service import policy_in_force

# The catalog with the model and thresholds in force: a model is fetched once per process and version.
_catalogs: dict[tuple[str | None, RulePolicy], Catalog] = {}


async def refit(session: AsyncSession, now: dt.datetime, origin_tz: str, window: dt.timedelta) -> DeliveryModel:
    """Fit on the orders placed in the last `window` (as known `now`) and store the new version."""
    since = now - window
    model = fit(await service.history(session, since, now, origin_tz), now, load_catalog(), window_from=since)
    await service.store_model(session, model)
    return model


async def learned_catalog(session: AsyncSession) -> Catalog:
    """The catalog the rules read: with the newest stored model (or the priors alone when none is)
    and the rule thresholds in force."""
    version, policy = await service.latest_version(session), await policy_in_force(session)
    catalog = _catalogs.get((version, policy))
    if catalog is None:
        model = await service.load_model(session, version) if version else None
        _catalogs.clear()  # one slot: a refit or a threshold change retires the catalog before it
        catalog = _catalogs[(version, policy)] = load_catalog().with_learning(model, policy)
    return catalog
