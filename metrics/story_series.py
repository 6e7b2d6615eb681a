"""The few series the story plot draws, folded from recorded samples.

The story plot (:mod:`metrics.story_plot`) shows a handful of lines per
panel, not every labelled series: 5,000 leases read as three lines by state,
not nine by AZ and state. So each helper here keeps one label and sums over
the others. Counters become a rate per virtual minute, as in the full dump
(:mod:`metrics.plot`): a cumulative total hides the moment things went
wrong. Kept apart from the drawing so the numbers can be checked without
matplotlib.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from metrics.recorder import Sample
from metrics.schema import HistogramSnapshot, spec

__all__ = ["Points", "counter_rates", "gauge_lines", "histogram_mean"]

Points = list[tuple[float, float]]


def _fold(name: str, samples: Sequence[Sample], keep: str | None) -> dict[str, Points]:
    """Per value of label ``keep`` (or one line, ``""``, for all): (t, sum over the other labels)."""
    metric = spec(name)
    index = metric.labels.index(keep) if keep is not None else None
    lines: dict[str, Points] = {}
    for t, snapshot in samples:
        value = snapshot.get(name)
        if value is None or isinstance(value, HistogramSnapshot):
            continue
        if not isinstance(value, dict):
            lines.setdefault("", []).append((t, float(value)))
            continue
        totals: dict[str, float] = {}
        for labels, number in value.items():
            key = labels[index] if index is not None else ""
            totals[key] = totals.get(key, 0.0) + number
        for key, total in totals.items():
            lines.setdefault(key, []).append((t, total))
    return lines


def gauge_lines(name: str, samples: Sequence[Sample], keep: str | None = None) -> dict[str, Points]:
    """A gauge as one line per value of label ``keep``, summed over the rest (one line if None)."""
    return _fold(name, samples, keep)


def counter_rates(name: str, samples: Sequence[Sample], keep: str | None = None) -> dict[str, Points]:
    """A counter as its rate per virtual minute, one line per value of label ``keep``.

    A labelled counter appears in the snapshot when it first counts, so it
    was 0 at the sample before: that interval's rate is not lost.
    """
    times = [t for t, _ in samples]
    rates: dict[str, Points] = {}
    for key, points in _fold(name, samples, keep).items():
        index = times.index(points[0][0])
        if index > 0:
            points.insert(0, (times[index - 1], 0.0))
        rates[key] = [
            (t1, (v1 - v0) * 60.0 / (t1 - t0)) for (t0, v0), (t1, v1) in itertools.pairwise(points) if t1 > t0
        ]
    return rates


def histogram_mean(name: str, samples: Sequence[Sample]) -> Points:
    """The mean of a histogram's observations in each sampling interval (none observed: no point)."""
    observed = [(t, v.count, v.sum) for t, s in samples if isinstance(v := s.get(name), HistogramSnapshot)]
    return [(t1, (s1 - s0) / (c1 - c0)) for (_, c0, s0), (t1, c1, s1) in itertools.pairwise(observed) if c1 > c0]
