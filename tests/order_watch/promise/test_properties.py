"""Property tests for the promise engine."""

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from services.common.vocab import ServiceOption, TrackingStatus
from services.order_watch.promise import (
    expected_delivery,
    latest_handover,
    load_catalog,
    project_delivery,
    recovery_options,
)

ZONES = [ZoneInfo(name) for name in ("America/Chicago", "America/New_York", "America/Los_Angeles", "Pacific/Honolulu")]
SERVICES = load_catalog().services()
START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)

services = st.sampled_from(SERVICES)
zones = st.sampled_from(ZONES)
instants = st.integers(min_value=0, max_value=3 * 365 * 24 * 60 - 30 * 24 * 60).map(
    lambda minutes: START + dt.timedelta(minutes=minutes)
)
gaps = st.integers(min_value=0, max_value=10 * 24 * 60).map(lambda minutes: dt.timedelta(minutes=minutes))
option_sets = st.sampled_from([frozenset(), frozenset({ServiceOption.SATURDAY_DELIVERY})])


@settings(max_examples=300)
@given(services, instants, gaps, zones, zones, option_sets, st.booleans())
def test_expected_delivery_is_monotone_in_handover(service, handover, gap, origin, destination, options, residential):
    first = expected_delivery(service, handover, origin, destination, options=options, residential=residential)
    later = expected_delivery(service, handover + gap, origin, destination, options=options, residential=residential)
    assert first <= later


@settings(max_examples=300)
@given(services, instants, gaps, zones, zones, option_sets)
def test_latest_handover_keeps_the_promise(service, not_before, ahead, origin, destination, options):
    promised_by = not_before + ahead
    act_by = latest_handover(service, promised_by, origin, destination, options=options, not_before=not_before)
    if act_by is None:
        # Nothing from not_before on makes it, not even handing over right now.
        assert expected_delivery(service, not_before, origin, destination, options=options) > promised_by
        return
    assert act_by >= not_before
    assert expected_delivery(service, act_by, origin, destination, options=options) <= promised_by
    # One minute later is too late (it is the latest).
    assert expected_delivery(service, act_by + dt.timedelta(minutes=1), origin, destination, options=options) > (
        promised_by
    )


# The parcel on its way arrives at least two days out, so that most draws leave room for an
# earlier recovery (filtering out the rest would trip Hypothesis's health check at random).
current_gaps = st.integers(min_value=2 * 24 * 60, max_value=10 * 24 * 60).map(lambda m: dt.timedelta(minutes=m))


@settings(max_examples=60, deadline=None)
@given(instants, gaps, current_gaps, zones, zones)
def test_recovery_options_all_arrive_on_an_earlier_date(now, to_promise, to_current, origin, destination):
    current = now + to_current
    options = recovery_options(
        load_catalog(),
        now=now,
        promised_by=now + to_promise,
        current_expected_delivery=current,
        origin_tz=origin,
        destination_tz=destination,
    )
    assume(options)  # an empty list would pass the checks below without checking anything
    for option in options:
        assert option.expected_delivery.astimezone(destination).date() < current.astimezone(destination).date()
        assert option.act_by >= now
        assert option.meets_promise == (option.expected_delivery <= now + to_promise)
    flags = [option.meets_promise for option in options]
    assert flags == sorted(flags, reverse=True)


@settings(max_examples=200)
@given(services, instants, gaps, gaps, zones, zones, st.sampled_from(list(TrackingStatus)))
def test_projection_never_moves_earlier_as_time_passes(service, accepted, until_now, step, origin, destination, status):
    common = {
        "accepted_at": accepted,
        "last_scan_at": accepted,
        "last_status": status,
        "origin_tz": origin,
        "destination_tz": destination,
    }
    now = accepted + until_now
    assert project_delivery(service, now=now, **common) <= project_delivery(service, now=now + step, **common)


CALENDARS = [*load_catalog().calendars.values(), load_catalog().calendar("unknown", "CA", "ON")]
days = st.integers(min_value=0, max_value=4 * 366).map(lambda offset: dt.date(2025, 1, 1) + dt.timedelta(days=offset))


@settings(max_examples=300)
@given(st.sampled_from(CALENDARS), days)
def test_memoised_day_answers_follow_the_calendar_definition(calendar, day):
    # The calendar memoises these per date; each must still say what its definition says.
    open_day = day not in calendar.holidays_in(day.year)
    assert calendar.is_pickup_day(day) == (open_day and day.weekday() in calendar.pickup_weekdays)
    assert calendar.is_delivery_day(day) == (open_day and day.weekday() in calendar.delivery_weekdays)
    assert calendar.is_delivery_day(day, saturday=True) == (
        open_day and (day.weekday() in calendar.delivery_weekdays or day.weekday() == 5)
    )
    assert calendar.is_business_day(day) == calendar.is_delivery_day(day)
    following = calendar.next_pickup_day(day)
    assert following > day and calendar.is_pickup_day(following)
    assert not any(calendar.is_pickup_day(day + dt.timedelta(days=n)) for n in range(1, (following - day).days))


@settings(max_examples=60, deadline=None)
@given(instants, gaps, gaps, zones, zones)
def test_recovery_plans_shared_between_promises_match_each_promise(now, to_first, to_second, origin, destination):
    # Orders whose promises the same plans keep share one ranking: each must still be judged by its own promise.
    catalog = load_catalog()
    common = {"now": now, "current_expected_delivery": None, "origin_tz": origin, "destination_tz": destination}
    for promised_by in (now + to_first, now + to_second):
        options = recovery_options(catalog, promised_by=promised_by, include_late=True, **common)
        assert all(option.meets_promise == (option.expected_delivery <= promised_by) for option in options)
