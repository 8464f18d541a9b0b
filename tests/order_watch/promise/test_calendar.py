"""Carrier calendars: holiday dates per carrier and year, observed-day rules, business time."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from services.order_watch.promise import business_time_between, load_catalog
from services.order_watch.promise.calendar import add_business_time

CHI = ZoneInfo("America/Chicago")
D = dt.date

# Written by hand from the rules (4th Thursday, last Monday, …), not generated from the data.
MAJOR_SIX = {
    2025: [D(2025, 1, 1), D(2025, 5, 26), D(2025, 7, 4), D(2025, 9, 1), D(2025, 11, 27), D(2025, 12, 25)],
    2026: [D(2026, 1, 1), D(2026, 5, 25), D(2026, 7, 4), D(2026, 9, 7), D(2026, 11, 26), D(2026, 12, 25)],
    # July 4 2027 is a Sunday: closed Monday July 5. Christmas 2027 is a Saturday: that Saturday only.
    2027: [D(2027, 1, 1), D(2027, 5, 31), D(2027, 7, 5), D(2027, 9, 6), D(2027, 11, 25), D(2027, 12, 25)],
}
USPS_EXTRA = {
    # MLK, Presidents, Juneteenth, Columbus, Veterans
    2025: [D(2025, 1, 20), D(2025, 2, 17), D(2025, 6, 19), D(2025, 10, 13), D(2025, 11, 11)],
    2026: [D(2026, 1, 19), D(2026, 2, 16), D(2026, 6, 19), D(2026, 10, 12), D(2026, 11, 11)],
    2027: [D(2027, 1, 18), D(2027, 2, 15), D(2027, 6, 19), D(2027, 10, 11), D(2027, 11, 11)],
}


def holidays_in(carrier: str, year: int) -> list[dt.date]:
    return sorted(load_catalog().calendar(carrier).holidays_in(year))


@pytest.mark.parametrize("carrier", ["ups", "fedex", "dhl"])
@pytest.mark.parametrize("year", [2025, 2026, 2027])
def test_express_carriers_close_on_the_six_major_holidays(carrier: str, year: int) -> None:
    assert holidays_in(carrier, year) == MAJOR_SIX[year]


@pytest.mark.parametrize("year", [2025, 2026, 2027])
def test_usps_closes_on_all_eleven_federal_holidays(year: int) -> None:
    assert holidays_in("usps", year) == sorted(MAJOR_SIX[year] + USPS_EXTRA[year])


def test_thanksgiving_2026_is_november_26_for_every_carrier() -> None:
    for carrier in ("ups", "fedex", "usps", "dhl", "generic"):
        assert load_catalog().calendar(carrier).is_holiday(D(2026, 11, 26))


def test_ups_runs_on_mlk_presidents_columbus_and_veterans_day() -> None:
    ups = load_catalog().calendar("ups")
    for day in USPS_EXTRA[2026]:
        assert ups.is_pickup_day(day) or day.weekday() >= 5


def test_july_4_2026_on_a_saturday_closes_saturday_and_carriers_run_friday() -> None:
    catalog = load_catalog()
    for carrier in ("ups", "fedex", "usps", "dhl"):
        calendar = catalog.calendar(carrier)
        assert calendar.is_pickup_day(D(2026, 7, 3)), carrier
        assert not calendar.is_delivery_day(D(2026, 7, 4), saturday=True), carrier


def test_unknown_carrier_uses_the_federal_observance_and_closes_the_friday_too() -> None:
    generic = load_catalog().calendar("ontrac")
    assert generic.carrier == "generic"
    assert generic.is_holiday(D(2026, 7, 3)) and generic.is_holiday(D(2026, 7, 4))
    assert generic.is_holiday(D(2027, 12, 31))  # New Year's Day 2028 is a Saturday


def test_saturday_new_years_day_2028_is_known_for_late_december_transit() -> None:
    assert load_catalog().calendar("usps").is_holiday(D(2028, 1, 1))


def test_holidays_are_known_for_any_year_not_a_typed_range() -> None:
    ups = load_catalog().calendar("ups")
    # Thanksgiving 2016 and 2040, both the fourth Thursday of November.
    assert ups.is_holiday(D(2016, 11, 24)) and ups.is_holiday(D(2040, 11, 22))
    assert ups.is_holiday(D(2017, 12, 25)) and not ups.is_holiday(D(2017, 1, 16))  # UPS runs on MLK Day


def test_unknown_carrier_gets_the_destination_countrys_holidays() -> None:
    catalog = load_catalog()
    brazil = catalog.calendar("correios", "BR", "SP")
    assert brazil.carrier == "generic"
    assert brazil.is_holiday(D(2017, 9, 7)) and brazil.is_holiday(D(2017, 7, 9 + 1))  # SP's 9 July, a Sunday
    assert not brazil.is_holiday(D(2017, 11, 23))  # no Thanksgiving in Brazil
    germany = catalog.calendar("hermes", "DE", "BY")
    assert germany.is_holiday(D(2026, 6, 4))  # Corpus Christi, a Bavarian holiday
    assert not catalog.calendar("hermes", "DE", "BE").is_holiday(D(2026, 6, 4))  # not in Berlin


def test_a_known_carrier_keeps_its_own_observance_whatever_the_destination() -> None:
    assert load_catalog().calendar("ups", "BR") is load_catalog().calendar("ups")


def test_unknown_country_has_weekends_only_and_unknown_subdivision_the_national_holidays() -> None:
    catalog = load_catalog()
    assert catalog.calendar("x", "ZZ").holidays_in(2026) == {}
    assert catalog.calendar("x", "US", "XX").is_holiday(D(2026, 11, 26))


def test_add_delivery_days_skips_weekend_and_holiday() -> None:
    ups = load_catalog().calendar("ups")
    # Wed before Thanksgiving 2026 + 1 → Friday (Thursday is Thanksgiving).
    assert ups.add_delivery_days(D(2026, 11, 25), 1) == D(2026, 11, 27)
    assert ups.add_delivery_days(D(2026, 11, 20), 1) == D(2026, 11, 23)
    assert ups.add_delivery_days(D(2026, 11, 20), 1, saturday=True) == D(2026, 11, 21)
    assert ups.add_delivery_days(D(2026, 11, 20), 0) == D(2026, 11, 20)


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CHI)


def test_business_time_counts_only_business_hours() -> None:
    ups = load_catalog().calendar("ups")
    # Fri 18:00 → Mon 10:00: 2h on Friday (to 20:00) + 2h on Monday (from 08:00).
    assert business_time_between(ups, at(2026, 11, 20, 18), at(2026, 11, 23, 10), CHI) == dt.timedelta(hours=4)
    # Wed 19:00 before Thanksgiving → Fri 09:00: 1h + 0 (holiday) + 1h.
    assert business_time_between(ups, at(2026, 11, 25, 19), at(2026, 11, 27, 9), CHI) == dt.timedelta(hours=2)
    assert business_time_between(ups, at(2026, 11, 23, 10), at(2026, 11, 20, 18), CHI) == dt.timedelta(0)


def test_business_time_is_right_across_a_dst_change() -> None:
    ups = load_catalog().calendar("ups")
    # 2026-11-01 is the end of DST (Sunday); Friday 08:00 → Monday 20:00 is two full days.
    assert business_time_between(ups, at(2026, 10, 30, 8), at(2026, 11, 2, 20), CHI) == dt.timedelta(hours=24)


def test_add_business_time_inverts_business_time_between() -> None:
    ups = load_catalog().calendar("ups")
    start = at(2026, 11, 20, 18)
    end = add_business_time(ups, start, dt.timedelta(hours=12), CHI)
    assert end == at(2026, 11, 23, 18)
    assert business_time_between(ups, start, end, CHI) == dt.timedelta(hours=12)


def test_naive_datetimes_are_rejected() -> None:
    ups = load_catalog().calendar("ups")
    with pytest.raises(ValueError, match="timezone-aware"):
        business_time_between(ups, dt.datetime(2026, 1, 5, 9), at(2026, 1, 5, 10), CHI)
