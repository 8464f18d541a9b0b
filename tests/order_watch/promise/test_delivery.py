"""Expected delivery, latest hand-over, our own projection and claim deadlines."""

import datetime as dt
from zoneinfo import ZoneInfo

from services.common.vocab import ServiceOption, TrackingStatus
from services.order_watch.promise import (
    claim_deadline,
    expected_delivery,
    latest_handover,
    load_catalog,
    pickup_date,
    project_delivery,
)

CHI = ZoneInfo("America/Chicago")
NY = ZoneInfo("America/New_York")
LA = ZoneInfo("America/Los_Angeles")
SAT = frozenset({ServiceOption.SATURDAY_DELIVERY})


def chi(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CHI)


def ny(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=NY)


def svc(carrier: str, code: str):
    return load_catalog().service(carrier, code)


def test_handover_before_cutoff_ships_today() -> None:
    ups = svc("ups", "01")
    assert pickup_date(ups, chi(2026, 11, 18, 16, 59), CHI) == dt.date(2026, 11, 18)
    assert pickup_date(ups, chi(2026, 11, 18, 17, 0), CHI) == dt.date(2026, 11, 18)


def test_handover_after_cutoff_rolls_to_next_pickup_day() -> None:
    ups = svc("ups", "01")
    assert pickup_date(ups, chi(2026, 11, 18, 17, 1), CHI) == dt.date(2026, 11, 19)
    # Friday evening rolls to Monday; Saturday too.
    assert pickup_date(ups, chi(2026, 11, 20, 18), CHI) == dt.date(2026, 11, 23)
    assert pickup_date(ups, chi(2026, 11, 21, 9), CHI) == dt.date(2026, 11, 23)


def test_cutoff_is_origin_local_time() -> None:
    ups = svc("ups", "01")
    # 17:30 in New York is 16:30 in Chicago: still before the Chicago cut-off.
    assert pickup_date(ups, ny(2026, 11, 18, 17, 30), CHI) == dt.date(2026, 11, 18)


def test_next_day_air_from_chicago_to_new_york_residential_and_business() -> None:
    ups = svc("ups", "01")
    assert expected_delivery(ups, chi(2026, 11, 18, 10), CHI, NY) == ny(2026, 11, 19, 12)
    assert expected_delivery(ups, chi(2026, 11, 18, 10), CHI, NY, residential=False) == ny(2026, 11, 19, 10, 30)


def test_commit_time_is_destination_local() -> None:
    priority = svc("fedex", "PRIORITY_OVERNIGHT")
    arrives = expected_delivery(priority, chi(2026, 11, 18, 10), CHI, LA, residential=False)
    assert arrives == dt.datetime(2026, 11, 19, 10, 30, tzinfo=LA)
    assert arrives.astimezone(NY).hour == 13


def test_friday_overnight_arrives_monday_without_saturday_delivery() -> None:
    ups = svc("ups", "01")
    assert expected_delivery(ups, chi(2026, 11, 20, 9), CHI, NY).date() == dt.date(2026, 11, 23)


def test_saturday_delivery_option_delivers_saturday() -> None:
    ups = svc("ups", "01")
    assert expected_delivery(ups, chi(2026, 11, 20, 9), CHI, NY, options=SAT) == ny(2026, 11, 21, 12)


def test_standard_overnight_has_no_saturday_delivery_even_when_asked() -> None:
    standard = svc("fedex", "STANDARD_OVERNIGHT")
    assert expected_delivery(standard, chi(2026, 11, 20, 9), CHI, NY, options=SAT).date() == dt.date(2026, 11, 23)


def test_priority_mail_express_delivers_saturday_by_default() -> None:
    express = svc("usps", "PRIORITY_MAIL_EXPRESS")
    assert expected_delivery(express, chi(2026, 11, 20, 9), CHI, NY) == ny(2026, 11, 21, 18)


def test_ground_counts_business_days_and_skips_thanksgiving() -> None:
    ground = svc("ups", "03")
    # Tue 2026-11-24 + 3 business days: Wed, (Thu Thanksgiving), Fri, Mon.
    assert expected_delivery(ground, chi(2026, 11, 24, 10), CHI, NY) == ny(2026, 11, 30, 20)
    assert expected_delivery(ground, chi(2026, 11, 24, 10), CHI, NY, worst_case=True).date() == dt.date(2026, 12, 2)


def test_usps_skips_veterans_day_but_ups_does_not() -> None:
    # Tue 2026-11-10 handover, 1 day: Veterans Day (Wed 11-11) closes USPS only.
    assert expected_delivery(svc("ups", "13"), chi(2026, 11, 10, 10), CHI, NY).date() == dt.date(2026, 11, 11)
    express = svc("usps", "PRIORITY_MAIL_EXPRESS")
    assert expected_delivery(express, chi(2026, 11, 10, 10), CHI, NY).date() == dt.date(2026, 11, 12)


def test_latest_handover_is_the_cutoff_of_the_last_working_pickup_day() -> None:
    ups = svc("ups", "13")
    promised = ny(2026, 11, 20, 20)
    assert latest_handover(ups, promised, CHI, NY) == chi(2026, 11, 19, 17)
    # With the promise at noon, Saver (end of day residential) cannot make Friday: Wednesday's cut-off.
    assert latest_handover(ups, ny(2026, 11, 20, 12), CHI, NY) == chi(2026, 11, 18, 17)


def test_latest_handover_respects_not_before() -> None:
    ups = svc("ups", "13")
    promised = ny(2026, 11, 20, 20)
    assert latest_handover(ups, promised, CHI, NY, not_before=chi(2026, 11, 19, 16)) == chi(2026, 11, 19, 17)
    assert latest_handover(ups, promised, CHI, NY, not_before=chi(2026, 11, 19, 17, 1)) is None


def test_latest_handover_uses_saturday_when_bought() -> None:
    ups = svc("ups", "01")
    saturday_promise = ny(2026, 11, 21, 20)
    assert latest_handover(ups, saturday_promise, CHI, NY) == chi(2026, 11, 19, 17)
    assert latest_handover(ups, saturday_promise, CHI, NY, options=SAT) == chi(2026, 11, 20, 17)


def test_projection_from_acceptance_scan_ignores_the_cutoff() -> None:
    ground = svc("ups", "03")
    accepted = chi(2026, 11, 19, 21)  # evening origin scan: the carrier ships it that day
    projected = project_delivery(
        ground,
        accepted_at=accepted,
        last_scan_at=accepted,
        last_status=TrackingStatus.ACCEPTED,
        now=chi(2026, 11, 19, 22),
        origin_tz=CHI,
        destination_tz=NY,
    )
    assert projected == ny(2026, 11, 24, 20)


def test_projection_without_a_scan_starts_from_now() -> None:
    ground = svc("ups", "03")
    projected = project_delivery(
        ground,
        accepted_at=None,
        last_scan_at=None,
        last_status=None,
        now=chi(2026, 11, 18, 17, 45),
        origin_tz=CHI,
        destination_tz=NY,
    )
    assert projected == expected_delivery(ground, chi(2026, 11, 18, 17, 45), CHI, NY)


def test_overdue_parcel_is_projected_forward_from_now() -> None:
    overnight = svc("ups", "01")
    accepted = chi(2026, 11, 18, 18)
    common = {"accepted_at": accepted, "last_scan_at": accepted, "origin_tz": CHI, "destination_tz": NY}
    # Due Thu 12:00; at Fri 10:00 NY still in transit → Fri 12:00.
    late = project_delivery(overnight, last_status=TrackingStatus.IN_TRANSIT, now=ny(2026, 11, 20, 10), **common)
    assert late == ny(2026, 11, 20, 12)
    # After Friday's commit time it cannot be before Monday.
    later = project_delivery(overnight, last_status=TrackingStatus.IN_TRANSIT, now=ny(2026, 11, 20, 13), **common)
    assert later == ny(2026, 11, 23, 12)
    # A failed attempt needs another delivery day.
    attempted = project_delivery(
        overnight, last_status=TrackingStatus.DELIVERY_ATTEMPTED, now=ny(2026, 11, 20, 10), **common
    )
    assert attempted == ny(2026, 11, 23, 12)


def test_delivered_projection_is_the_delivery_scan() -> None:
    overnight = svc("ups", "01")
    delivered = ny(2026, 11, 19, 11)
    projected = project_delivery(
        overnight,
        accepted_at=chi(2026, 11, 18, 18),
        last_scan_at=delivered,
        last_status=TrackingStatus.DELIVERED,
        now=ny(2026, 11, 25),
        origin_tz=CHI,
        destination_tz=NY,
    )
    assert projected == delivered


def test_claim_deadline_from_scheduled_delivery_or_ship_date() -> None:
    scheduled = ny(2026, 11, 20, 12)
    assert claim_deadline(
        svc("ups", "01"), scheduled_delivery=scheduled, shipped_on=None, destination_tz=NY
    ) == dt.date(2026, 12, 5)
    express = svc("usps", "PRIORITY_MAIL_EXPRESS")
    shipped = dt.date(2026, 11, 19)
    assert claim_deadline(express, scheduled_delivery=scheduled, shipped_on=shipped, destination_tz=NY) == dt.date(
        2027, 2, 17
    )
    dhl = svc("dhl", "EXPRESS_9:00")
    assert claim_deadline(dhl, scheduled_delivery=scheduled, shipped_on=shipped, destination_tz=NY) is None
