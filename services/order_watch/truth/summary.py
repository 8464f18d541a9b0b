"""The truth in plain language, for a sales rep to read to the customer."""

from __future__ import annotations

import datetime as dt

from services.common.clock import wall_clock, wall_day
from services.order_watch.reconcile.facts import level_word
from services.order_watch.reconcile.state import OrderState
from services.order_watch.truth.schemas import Fact, OrderTruth


def summarize(truth: OrderTruth, order: OrderState) -> str:
    """One answer a sales rep can read aloud; who owns the case and counts are in the truth's fields."""
    if truth.verdict == "recovering":
        # The reship speaks for the order (its reason names it, its expected day and the original's).
        sentences = [_service_sentence(truth), _sentence(truth.reason), f"Promised {_day(truth.promised_by, order)}."]
        return " ".join(sentences)
    sentences = [
        _service_sentence(truth),
        _delivery_sentence(truth, order),
        f"{truth.verdict.capitalize()}: {_sentence(truth.reason)}",
    ]
    sentences += [_task_sentence(task.owner, task.act_by, task.recommendation, order) for task in truth.open_tasks]
    sentences += _reship_sentences(truth, order)
    return " ".join(sentence for sentence in sentences if sentence)


def _service_sentence(truth: OrderTruth) -> str:
    paid = f"Paid {level_word(truth.paid_service.value)}"
    main = next((s for s in truth.shipments if s.label_service == truth.label_service), None)
    if main is None or truth.label_service is None:
        return f"{paid}, not shipped yet."
    shipped = level_word(truth.label_service.value)
    text = f"{paid}, shipped {shipped} ({main.label_service_name}, tracking {main.tracking_number})."
    reported = truth.carrier_reported_service
    if reported is not None and reported.value != truth.label_service.value:
        text += f" The carrier reports {level_word(reported.value)}."
    return text


def _delivery_sentence(truth: OrderTruth, order: OrderState) -> str:
    parts = []
    if truth.carrier_estimate is not None:
        parts.append(f"carrier estimate {_day(truth.carrier_estimate, order)}")
    parts.append(f"promised {_day(truth.promised_by, order)}")
    if truth.projected_delivery is not None:
        parts.append(f"our projection {_day(truth.projected_delivery, order)}")
    text = ", ".join(parts)
    return text[0].upper() + text[1:] + "."


def _task_sentence(owner: str | None, act_by: dt.datetime, recommendation: str, order: OrderState) -> str:
    who = f"owned by {owner}" if owner else "not yet owned"
    return f"Reship task open, {who}, act by {wall_clock(act_by, order.origin_tz)}: {_sentence(recommendation)}"


def _reship_sentences(truth: OrderTruth, order: OrderState) -> list[str]:
    return [
        f"Reshipped {level_word(s.label_service.value)} as {s.carrier} {s.tracking_number}"
        + (f", expected {_day(s.projected_delivery, order)}" if s.projected_delivery else "")
        + "."
        for s in truth.shipments
        if s.is_reship
    ]


def _day(value: Fact, order: OrderState) -> str:
    instant = value.value if isinstance(value.value, dt.datetime) else dt.datetime.fromisoformat(str(value.value))
    return wall_day(instant, order.destination_tz)


def _sentence(text: str) -> str:
    return text if text.endswith(".") else text + "."
