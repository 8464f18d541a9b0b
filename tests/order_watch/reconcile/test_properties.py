"""Property tests: order and duplication of facts never change the verdict; next_check_at is honest."""

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from services.common.vocab import ExceptionReason, ServiceLevel, TrackingStatus
from services.order_watch.reconcile import evaluate, next_check_at
from tests.order_watch.reconcile.builders import CATALOG, chi, end_of, estimate, label, ny, order, scan

S = TrackingStatus
SCANS = [
    scan("pre", chi(2026, 11, 18, 17, 45), S.PRE_TRANSIT),
    scan("acc", chi(2026, 11, 18, 20, 30), S.ACCEPTED, level=ServiceLevel.GROUND),
    scan("t1", chi(2026, 11, 19, 3), S.IN_TRANSIT),
    scan("t2", chi(2026, 11, 19, 22), S.IN_TRANSIT),
    scan("wx", ny(2026, 11, 20, 8), S.DELAYED, ExceptionReason.WEATHER),
    scan("t3", ny(2026, 11, 21, 6), S.IN_TRANSIT),
    scan("ofd", ny(2026, 11, 23, 8), S.OUT_FOR_DELIVERY, received=ny(2026, 11, 23, 18)),
    scan("del", ny(2026, 11, 23, 14), S.DELIVERED),
]
ESTIMATES = [
    estimate(end_of(ny(2026, 11, 20)), chi(2026, 11, 18, 21)),
    estimate(end_of(ny(2026, 11, 23)), chi(2026, 11, 19, 6)),
    estimate(end_of(ny(2026, 11, 20)), chi(2026, 11, 19, 12), received=chi(2026, 11, 20, 1)),
    estimate(end_of(ny(2026, 11, 24)), chi(2026, 11, 20, 9)),
]
START = chi(2026, 11, 18, 14)
instants = st.integers(min_value=0, max_value=8 * 24 * 60).map(lambda minutes: START + dt.timedelta(minutes=minutes))
codes = st.sampled_from(["03", "01", "13", "02"])


def state_of(code, scans, estimates):
    return order(label(code=code, scans=tuple(scans), estimates=tuple(estimates)))


@settings(max_examples=150, deadline=None)
@given(
    codes,
    st.lists(st.sampled_from(SCANS), max_size=14),
    st.lists(st.sampled_from(ESTIMATES), max_size=6),
    instants,
    st.data(),
)
def test_any_order_and_any_duplicates_of_the_same_facts_give_the_same_findings(code, scans, estimates, now, data):
    canonical = evaluate(state_of(code, set(scans), set(estimates)), now, CATALOG)
    shuffled_scans = data.draw(st.permutations(scans))
    shuffled_estimates = data.draw(st.permutations(estimates))
    assert evaluate(state_of(code, shuffled_scans, shuffled_estimates), now, CATALOG) == canonical
    doubled = state_of(code, [*shuffled_scans, *scans], [*estimates, *shuffled_estimates])
    assert evaluate(doubled, now, CATALOG) == canonical


@settings(max_examples=120, deadline=None)
@given(
    codes,
    st.lists(st.sampled_from(SCANS), max_size=8, unique=True),
    st.lists(st.sampled_from(ESTIMATES), max_size=4),
    instants,
    st.floats(min_value=0, max_value=0.999),
)
def test_nothing_time_based_changes_before_next_check_at(code, scans, estimates, now, fraction):
    state = state_of(code, scans, estimates)
    upcoming = next_check_at(state, now, CATALOG)
    horizon = upcoming if upcoming is not None else now + dt.timedelta(days=14)
    later = now + (horizon - now) * fraction
    keys_now = {finding.key for finding in evaluate(state, now, CATALOG)}
    keys_later = {finding.key for finding in evaluate(state, later, CATALOG)}
    assert keys_now == keys_later, (now, later, upcoming)
