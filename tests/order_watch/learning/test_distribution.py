"""Kaplan–Meier: the same survival curve as lifelines, quantiles, and what a thin or censored sample can say."""

from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter

from services.order_watch.learning.distribution import Distribution, distribution

observations = st.lists(st.tuples(st.integers(0, 15).map(float), st.booleans()), min_size=1, max_size=60)


@settings(max_examples=60, deadline=None)
@given(observations)
def test_survival_matches_lifelines_kaplan_meier(pairs: list[tuple[float, bool]]) -> None:
    ours = distribution(pairs)
    theirs = KaplanMeierFitter().fit([d for d, _ in pairs], event_observed=[e for _, e in pairs])
    for time in sorted({d for d, _ in pairs}):
        expected = float(theirs.survival_function_at_times(time).iloc[0])
        assert ours.survival(time) == pytest.approx(expected, abs=1e-9)


@given(observations)
def test_survival_never_rises_and_the_sample_size_counts_censored_parcels(pairs: list[tuple[float, bool]]) -> None:
    ours = distribution(pairs)
    values = [ours.survival(time) for time in range(-1, 17)]
    assert all(later <= earlier for earlier, later in pairwise(values))
    assert ours.size == len(pairs) and ours.ended == sum(ended for _, ended in pairs)


def test_censored_parcels_are_kept_at_risk_not_dropped() -> None:
    # Ten parcels: five took 2 days, five still travelling after 3 (censored). Dropping them
    # would say every parcel arrives in 2 days; Kaplan–Meier says half are still out after 3.
    ours = distribution([(2.0, True)] * 5 + [(3.0, False)] * 5)
    assert ours.survival(2) == pytest.approx(0.5) and ours.survival(10) == pytest.approx(0.5)
    assert ours.quantile(0.5) == 2.0 and ours.quantile(0.9) is None
    assert not ours.seen_ending_after(2.0) and ours.seen_ending_after(1.0)
    assert ours.still_going(2.0) == 5


def test_tail_bound_reaches_past_the_longest_seen_when_the_sample_is_too_small() -> None:
    small = distribution([(float(hours), True) for hours in range(10, 21)])  # 11 parcels, 10..20 h
    assert small.quantile(0.999) == 20.0
    assert small.tail_bound(0.999) == 20.0 + (20.0 - 15.0)
    large = distribution([(float(hours % 10), True) for hours in range(2000)])
    assert large.tail_bound(0.99) == large.quantile(0.99) == 9.0


def test_data_round_trip() -> None:
    ours = distribution([(1.0, True), (3.0, False), (3.0, True)])
    assert Distribution.from_data(ours.to_data()) == ours
