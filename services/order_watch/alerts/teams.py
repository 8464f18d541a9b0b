"""Which team owns the alerts of each rule: data, read by the alert filters and notification routing."""

from __future__ import annotations

DEFAULT_TEAM = "fulfillment"
TEAM_BY_RULE: dict[str, str] = {
    "service_downgrade": "fulfillment",
    "not_shipped_in_time": "fulfillment",
    "split_order_unshipped": "fulfillment",
    "carrier_estimate_late": "carrier_ops",
    "projected_late": "carrier_ops",
    "stalled": "carrier_ops",
    "carrier_exception": "carrier_ops",
    "return_or_lost": "carrier_ops",
    "delivered_late": "customer_care",
}


def team_of(rule: str) -> str:
    """The team an alert of this rule belongs to."""
    return TEAM_BY_RULE.get(rule, DEFAULT_TEAM)


def rules_of(team: str) -> list[str]:
    """Every rule whose alerts belong to the team."""
    return [rule for rule, owner in TEAM_BY_RULE.items() if owner == team]
