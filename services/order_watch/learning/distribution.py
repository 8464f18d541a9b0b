"""A duration's distribution from censored observations: the Kaplan–Meier estimate.

A parcel still travelling when the history ends (or lost on the way) is *censored*: we know its
transit is longer than what it had travelled, not how long it was. Dropping such parcels would
make slow lanes look fast; Kaplan–Meier counts each as at risk until it was last seen. The
estimate is the product-limit S(t) = prod over event times t_i <= t of (1 - d_i / n_i), with a
parcel censored at t_i still in the risk set at t_i (the convention `lifelines` uses; a test
checks both agree). Pure.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Distribution:
    """Observed durations as (duration, ended, censored) rows in ascending duration."""

    rows: tuple[tuple[float, int, int], ...]
    size: int = field(init=False, compare=False)
    """Every observation, ended or censored: the sample size a finding reports."""
    _times: tuple[float, ...] = field(init=False, repr=False, compare=False)
    _survival: tuple[float, ...] = field(init=False, repr=False, compare=False)
    _bounds: dict[float, float] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Derived once: the rules ask a distribution the same questions on every evaluation.
        object.__setattr__(self, "size", sum(ended + censored for _, ended, censored in self.rows))
        object.__setattr__(self, "_bounds", {})
        at_risk = self.size
        survival, value = [], 1.0
        for _, ended, censored in self.rows:
            if ended:
                value *= 1 - ended / at_risk
            survival.append(value)
            at_risk -= ended + censored
        object.__setattr__(self, "_times", tuple(row[0] for row in self.rows))
        object.__setattr__(self, "_survival", tuple(survival))

    @property
    def ended(self) -> int:
        return sum(ended for _, ended, _ in self.rows)

    def survival(self, duration: float) -> float:
        """P(T > duration)."""
        index = bisect_right(self._times, duration)
        return self._survival[index - 1] if index else 1.0

    def quantile(self, share: float) -> float | None:
        """The smallest observed duration by which at least `share` have ended; None when the
        history cannot say (too much of it was still going when last seen)."""
        for time, survival in zip(self._times, self._survival, strict=True):
            if 1 - survival >= share - 1e-12:
                return time
        return None

    def tail_bound(self, share: float) -> float:
        """A duration at least `share` of cases stay under, also where the sample is too small to
        show it: with fewer than 1 / (1 - share) observations the empirical quantile is merely the
        longest seen, which one new case in about `size` exceeds; then the bound reaches one
        median-to-longest spread beyond the longest."""
        bound = self._bounds.get(share)
        if bound is None:
            bound = self._bounds[share] = self._tail_bound(share)
        return bound

    def _tail_bound(self, share: float) -> float:
        found = self.quantile(share)
        if found is not None and self.size * (1 - share) >= 1:
            return found
        longest, median = self.longest(), self.quantile(0.5)
        return longest + (longest - (median if median is not None else longest))

    def seen_ending_after(self, duration: float) -> bool:
        """True when some observation ended after `duration`: beyond the last ended one, the
        estimate only repeats what censored observations could not tell."""
        return any(ended for time, ended, _ in self.rows if time > duration)

    def longest(self) -> float:
        return self._times[-1] if self._times else 0.0

    def still_going(self, after: float) -> int:
        """How many observations lasted longer than `after` (ended or last seen later)."""
        index = bisect_right(self._times, after)
        tail = self.rows[index:]
        return sum(ended + censored for _, ended, censored in tail)

    def to_data(self) -> list[list[float]]:
        return [list(row) for row in self.rows]

    @classmethod
    def from_data(cls, rows: Iterable[Iterable[float]]) -> Distribution:
        return cls(tuple((float(time), int(ended), int(censored)) for time, ended, censored in rows))


def distribution(observations: Iterable[tuple[float, bool]]) -> Distribution:
    """The distribution of (duration, ended) observations; `ended` False means censored there."""
    ended: Counter[float] = Counter()
    censored: Counter[float] = Counter()
    for duration, finished in observations:
        (ended if finished else censored)[duration] += 1
    times = sorted(set(ended) | set(censored))
    return Distribution(tuple((time, ended[time], censored[time]) for time in times))
