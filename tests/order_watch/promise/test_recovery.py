"""Recovery plans, including PRODUCT.md story 1 (paid overnight, shipped ground)."""

import datetime as dt
from dataclasses import replace
from zoneinfo import ZoneInfo

from services.common.vocab import ServiceLevel, ServiceOption
from services.order_watch.promise import Catalog, load_catalog, recovery_options

CHI = ZoneInfo("America/Chicago")
NY = ZoneInfo("America/New_York")

PROMISED_BY = dt.datetime(2026, 11, 20, 20, 0, tzinfo=NY)  # Friday, end of day at the customer
GROUND_ESTIMATE = dt.datetime(2026, 11, 23, 20, 0, tzinfo=NY)  # carrier: Monday
LABEL_CREATED = dt.datetime(2026, 11, 18, 17, 45, tzinfo=CHI)  # Wednesday, after the 17:00 cut-off
THURSDAY_CUTOFF = dt.datetime(2026, 11, 19, 17, 0, tzinfo=CHI)


def plan(now: dt.datetime, **kwargs):
    kwargs.setdefault("current_expected_delivery", GROUND_ESTIMATE)
    return recovery_options(
        load_catalog(), now=now, promised_by=PROMISED_BY, origin_tz=CHI, destination_tz=NY, **kwargs
    )


def test_story_at_label_time_a_next_day_service_still_keeps_the_promise() -> None:
    options = plan(LABEL_CREATED)
    best = options[0]
    assert best.meets_promise
    assert best.service_level is ServiceLevel.NEXT_DAY
    assert best.options == frozenset()
    assert best.act_by == THURSDAY_CUTOFF
    assert best.expected_delivery.astimezone(NY).date() == dt.date(2026, 11, 20)


def test_story_at_label_time_with_ups_only_offers_next_day_air_saver_first() -> None:
    best = plan(LABEL_CREATED, carriers=["ups"])[0]
    assert (best.carrier, best.service_code) == ("ups", "13")
    assert best.act_by == THURSDAY_CUTOFF


def test_story_friday_morning_nothing_meets_and_saturday_delivery_is_required() -> None:
    options = plan(dt.datetime(2026, 11, 20, 9, 0, tzinfo=CHI))
    assert options, "a Saturday arrival still beats Monday"
    assert not any(option.meets_promise for option in options)
    first = options[0]
    assert ServiceOption.SATURDAY_DELIVERY in first.options
    assert first.expected_delivery.astimezone(NY).date() == dt.date(2026, 11, 21)
    assert first.act_by == dt.datetime(2026, 11, 20, 17, 0, tzinfo=CHI)


def test_story_friday_overnight_without_saturday_is_not_a_recovery() -> None:
    options = plan(dt.datetime(2026, 11, 20, 9, 0, tzinfo=CHI))
    arrivals = {option.expected_delivery.astimezone(NY).date() for option in options}
    assert arrivals == {dt.date(2026, 11, 21)}
    overnight = [o for o in options if o.service_level is ServiceLevel.NEXT_DAY and not o.options]
    assert all(o.carrier == "usps" for o in overnight)  # only Priority Mail Express runs Saturdays by default
    assert not any(o.service_code == "STANDARD_OVERNIGHT" for o in options)


def test_meeting_options_are_ranked_cheapest_first() -> None:
    meeting = [o for o in plan(LABEL_CREATED) if o.meets_promise]
    assert [o.options for o in meeting] == sorted((o.options for o in meeting), key=len)
    plain = [o for o in meeting if not o.options]
    ranks = [o.service_level.speed_rank for o in plain]
    assert ranks == sorted(ranks, reverse=True)


def test_without_a_current_estimate_only_promise_keepers_are_offered() -> None:
    options = plan(LABEL_CREATED, current_expected_delivery=None)
    assert options and all(option.meets_promise for option in options)


def test_saturday_option_is_not_offered_when_it_does_not_arrive_sooner() -> None:
    options = plan(LABEL_CREATED, carriers=["ups"])
    next_day_air = [o for o in options if o.service_code == "01"]
    assert [o.options for o in next_day_air] == [frozenset()]


def test_no_option_acts_before_now() -> None:
    now = dt.datetime(2026, 11, 19, 16, 0, tzinfo=CHI)
    assert all(option.act_by >= now for option in plan(now))


def test_evidence_is_json_friendly() -> None:
    evidence = plan(LABEL_CREATED)[0].as_evidence()
    assert evidence["act_by"] == "2026-11-19T17:00:00-06:00"
    assert evidence["meets_promise"] is True


def test_with_nothing_on_its_way_late_plans_are_offered_when_asked() -> None:
    friday = dt.datetime(2026, 11, 20, 18, 0, tzinfo=CHI)  # after Friday's cut-off: nothing makes Friday
    assert plan(friday, current_expected_delivery=None) == []
    options = plan(friday, current_expected_delivery=None, include_late=True)
    assert options and not any(option.meets_promise for option in options)
    # Next pick-up is Monday: Tuesday morning is the earliest anyone can deliver.
    assert options[0].expected_delivery == dt.datetime(2026, 11, 24, 9, 0, tzinfo=NY)


def test_plans_are_memoised_per_calendar_so_another_catalog_in_the_same_process_gets_its_own() -> None:
    friday = dt.date(2026, 11, 20)
    real = plan(LABEL_CREATED)
    assert any(option.expected_delivery.astimezone(NY).date() == friday for option in real)
    closed = _with_holiday(load_catalog(), friday)
    plans = recovery_options(
        closed,
        now=LABEL_CREATED,
        promised_by=PROMISED_BY,
        current_expected_delivery=GROUND_ESTIMATE,
        origin_tz=CHI,
        destination_tz=NY,
    )
    assert plans and all(option.expected_delivery.astimezone(NY).date() != friday for option in plans)
    assert plan(LABEL_CREATED) == real


def _with_holiday(catalog: Catalog, day: dt.date) -> Catalog:
    """The same carriers, with every calendar closed on `day`."""
    calendars = {
        name: replace(calendar, observance=replace(calendar.observance, closures=((day, "Test closure"),)))
        for name, calendar in catalog.calendars.items()
    }
    services = {
        name: tuple(replace(service, calendar=calendars[name]) for service in services)
        for name, services in catalog.services_by_carrier.items()
    }
    return Catalog(calendars, services, catalog.level_defaults, catalog.claim_windows)
