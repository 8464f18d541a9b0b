"""Which channels hear of an alert change: routing rules (data) matched by severity, rule, team,
change and escalation level. Pure."""

from __future__ import annotations

from typing import Any

from services.order_watch.settings import RouteSettings


def matches(route: RouteSettings, change: str, alert: dict[str, Any]) -> bool:
    """An empty list in a route matches anything."""
    wanted = {"severities": alert["severity"], "rules": alert["rule"], "teams": alert["team"], "changes": change}
    if any(getattr(route, field) and value not in getattr(route, field) for field, value in wanted.items()):
        return False
    return alert["escalation_level"] >= route.min_escalation_level


def channels_for(routes: list[RouteSettings], change: str, alert: dict[str, Any]) -> list[str]:
    """Every channel at least one route sends this change to, each once, in route order."""
    return list(dict.fromkeys(route.channel for route in routes if matches(route, change, alert)))
