"""What the operator sees: a scrape of the metrics, as Prometheus would have it.

A runbook gets ``scrape``, a callable returning one sample of every metric
(name -> value, or name -> {label values: value} for labelled metrics), and
pages on conditions over it, the way an alert rule would. It never reads an
actor's state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

__all__ = ["Scrape", "gauge", "leases_not_active", "series"]

Scrape = Callable[[], Mapping[str, object]]


def gauge(sample: Mapping[str, object], name: str) -> float:
    """An unlabelled metric's value (0 when the world does not serve it)."""
    value = sample.get(name, 0.0)
    return float(value) if isinstance(value, int | float) else 0.0


def series(sample: Mapping[str, object], name: str) -> dict[tuple[str, ...], float]:
    """A labelled metric's values by label tuple, in the order served (empty when absent)."""
    value = sample.get(name)
    if not isinstance(value, Mapping):
        return {}
    return {tuple(labels): float(v) for labels, v in value.items()}


def leases_not_active(sample: Mapping[str, object]) -> float:
    """DWFM leases expired or re-establishing, from ``dwfm_leases{az,state}``."""
    return sum(count for (_, state), count in series(sample, "dwfm_leases").items() if state != "active")
