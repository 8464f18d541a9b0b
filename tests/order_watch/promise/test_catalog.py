"""The catalog reads carrier services from data files and answers lookups by code and level."""

import datetime as dt

import pytest

from services.common.vocab import ServiceLevel, ServiceOption
from services.order_watch.promise import load_catalog


def test_catalog_is_loaded_once() -> None:
    assert load_catalog() is load_catalog()


@pytest.mark.parametrize(
    ("carrier", "code", "level"),
    [
        ("ups", "01", ServiceLevel.NEXT_DAY),
        ("ups", "13", ServiceLevel.NEXT_DAY),
        ("ups", "14", ServiceLevel.NEXT_DAY),
        ("ups", "02", ServiceLevel.TWO_DAY),
        ("ups", "59", ServiceLevel.TWO_DAY),
        ("ups", "12", ServiceLevel.THREE_DAY),
        ("ups", "03", ServiceLevel.GROUND),
        ("UPS", " 03 ", ServiceLevel.GROUND),
        ("fedex", "PRIORITY_OVERNIGHT", ServiceLevel.NEXT_DAY),
        ("fedex", "fedex_2_day", ServiceLevel.TWO_DAY),
        ("fedex", "FEDEX_EXPRESS_SAVER", ServiceLevel.THREE_DAY),
        ("fedex", "GROUND_HOME_DELIVERY", ServiceLevel.GROUND),
        ("usps", "PRIORITY_MAIL_EXPRESS", ServiceLevel.NEXT_DAY),
        ("usps", "GROUND_ADVANTAGE", ServiceLevel.GROUND),
        ("dhl", "EXPRESS_WORLDWIDE", ServiceLevel.TWO_DAY),
        ("dhl", "P", ServiceLevel.TWO_DAY),
    ],
)
def test_resolve_level_by_label_code(carrier: str, code: str, level: ServiceLevel) -> None:
    assert load_catalog().resolve_level(carrier, code) == level


def test_unknown_code_or_carrier_resolves_to_none() -> None:
    catalog = load_catalog()
    assert catalog.resolve_level("ups", "99") is None
    assert catalog.service("ontrac", "GROUND") is None


def test_service_for_level_picks_the_cheapest() -> None:
    catalog = load_catalog()
    assert catalog.service_for_level("ups", ServiceLevel.NEXT_DAY).code == "13"
    assert catalog.service_for_level("fedex", ServiceLevel.NEXT_DAY).code == "STANDARD_OVERNIGHT"
    assert catalog.service_for_level("usps", ServiceLevel.THREE_DAY) is None


def test_commit_times_business_and_residential() -> None:
    priority = load_catalog().service("fedex", "PRIORITY_OVERNIGHT")
    assert priority.commit_time(residential=False) == dt.time(10, 30)
    assert priority.commit_time(residential=True) == dt.time(16, 30)
    standard = load_catalog().service("fedex", "STANDARD_OVERNIGHT")
    assert (standard.commit_business, standard.commit_residential) == (dt.time(16, 30), dt.time(20, 0))


def test_saturday_rules() -> None:
    catalog = load_catalog()
    saturday = frozenset({ServiceOption.SATURDAY_DELIVERY})
    assert not catalog.service("fedex", "STANDARD_OVERNIGHT").delivers_on_saturday(saturday)
    assert catalog.service("fedex", "PRIORITY_OVERNIGHT").delivers_on_saturday(saturday)
    assert not catalog.service("fedex", "PRIORITY_OVERNIGHT").delivers_on_saturday(frozenset())
    assert catalog.service("ups", "01").delivers_on_saturday(saturday)
    assert not catalog.service("ups", "03").delivers_on_saturday(saturday)
    assert catalog.service("usps", "PRIORITY_MAIL_EXPRESS").delivers_on_saturday(frozenset())


def test_claim_windows_and_guarantees() -> None:
    catalog = load_catalog()
    assert catalog.service("ups", "01").claim_window_days == 15
    assert catalog.service("fedex", "PRIORITY_OVERNIGHT").claim_window_days == 15
    assert catalog.service("ups", "01").guaranteed
    assert not catalog.service("ups", "03").guaranteed
    assert not catalog.service("fedex", "FEDEX_GROUND").guaranteed


def test_every_service_is_consistent() -> None:
    for service in load_catalog().services():
        assert 0 <= service.typical_transit_days <= service.max_transit_days, service.code
        assert service.calendar.carrier == service.carrier
        assert not (service.delivers_saturday and service.saturday_delivery_option), service.code


def test_default_service_comes_from_the_level_table() -> None:
    catalog = load_catalog()
    ground = catalog.default_service("ontrac", ServiceLevel.GROUND)
    assert ground.is_default
    assert (ground.typical_transit_days, ground.max_transit_days) == (3, 5)
    assert ground.calendar.carrier == "generic"
    economy = catalog.default_service("ups", ServiceLevel.ECONOMY)
    assert (economy.typical_transit_days, economy.max_transit_days) == (5, 7)
    assert economy.calendar.carrier == "ups"
    transit = {level: catalog.default_service("x", level).typical_transit_days for level in ServiceLevel}
    assert transit == {
        ServiceLevel.SAME_DAY: 0,
        ServiceLevel.NEXT_DAY: 1,
        ServiceLevel.TWO_DAY: 2,
        ServiceLevel.THREE_DAY: 3,
        ServiceLevel.GROUND: 3,
        ServiceLevel.ECONOMY: 5,
    }


def test_service_or_default() -> None:
    catalog = load_catalog()
    assert catalog.service_or_default("ups", "03", None).code == "03"
    assert catalog.service_or_default("ups", "ZZ", ServiceLevel.TWO_DAY).is_default
    assert catalog.service_or_default("ups", "ZZ", None) is None


def test_normal_scan_gaps() -> None:
    catalog = load_catalog()
    assert catalog.normal_scan_gap(ServiceLevel.NEXT_DAY) == dt.timedelta(hours=12)
    assert catalog.normal_scan_gap(ServiceLevel.GROUND) == dt.timedelta(hours=24)
