"""Plain notices of what a history cannot support, printed beside the numbers it gives.

A number the data could not have produced otherwise (a baseline that is zero because no carrier
estimate exists, a recall from a dozen late orders) is not evidence; the reader is told so.
Pure: from the stream's description, the scorecard and the model.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from services.common.contracts import Envelope
from services.order_watch.backtest.spool import Spool
from services.order_watch.learning.model import DeliveryModel

# Fewer late orders than this in the scored part make recall a coarse number.
FEW_LATE_ORDERS = 30


def notices(description: Mapping[str, Any], scorecard: Mapping[str, Any], model: DeliveryModel | None) -> list[str]:
    """Every caveat that applies, most fundamental first."""
    found = []
    if description.get("scan_rows") == 0:
        found.append(
            "no scan rows: each parcel has only an acceptance at shipped_at and a delivery, so the stalled, "
            "exception and estimate rules cannot fire; both baselines are zero by construction"
        )
    elif description.get("estimates") == 0:
        found.append("no scan carries a carrier estimate: the carrier-estimate baseline is zero by construction")
    if description.get("kind") == "import":
        found.append(
            "imported orders have no known cause: every on-time order counts as never at risk, and the "
            "per-failure table has one 'unknown' row"
        )
    late = scorecard.get("late_orders", 0)
    if late < FEW_LATE_ORDERS:
        found.append(f"only {late} late orders in the scored part: one order moves recall by {_points(late)}")
    if model is None:
        found.append("no learning: the rules used the catalog's priors only")
    elif model.counts()["delivered_parcels"] < model.min_samples:
        found.append(
            f"the learning part has {model.counts()['delivered_parcels']} delivered parcels, fewer than the "
            f"{model.min_samples} a cell needs: the catalog's priors answered"
        )
    return found


def evidence_counts(events: Iterable[Envelope[Any]] | Spool) -> dict[str, int]:
    """How many carrier scans, and how many carrying an estimate, the stream holds."""
    if isinstance(events, Spool):
        return {"scans": events.scans, "estimates": events.estimates}  # counted as it was written
    scans = [event.payload for event in events if event.event_type == "tracking.updated"]
    return {"scans": len(scans), "estimates": sum(1 for scan in scans if scan.estimated_delivery is not None)}


def _points(late: int) -> str:
    return f"{100 / late:.0f} points" if late else "— (there is no recall to measure)"
