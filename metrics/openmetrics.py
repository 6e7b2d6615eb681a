"""A recorded run as OpenMetrics text with virtual timestamps, for backfilling.

``promtool tsdb create-blocks-from openmetrics FILE DIR`` turns the file into
TSDB blocks, so a virtual 15-hour run can be browsed in Prometheus and with
the bundled dashboard. Virtual second ``t`` is written as Unix time
``origin + t`` (default origin 0: the series sit at 1970-01-01T00:00:00Z
plus the run's virtual time, so a timestamp in the TSDB reads directly as
the ``t`` of the report's timeline).

The text is produced by prometheus_client's own OpenMetrics encoder (escaping,
number formatting and ``# EOF`` are its business), fed families in which
each series' points are contiguous and in increasing time, as the format
and the backfiller require.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from prometheus_client import CollectorRegistry
from prometheus_client.metrics_core import Metric
from prometheus_client.openmetrics.exposition import generate_latest

from metrics.factory import add_points, empty_family
from metrics.files import atomic_write
from metrics.recorder import Sample
from metrics.schema import METRICS, MetricSpec

__all__ = ["openmetrics_text", "write_openmetrics"]


def _family_history(spec: MetricSpec, samples: Sequence[Sample], origin: float) -> Metric:
    family = empty_family(spec)
    if not spec.labels:
        for t, snapshot in samples:
            value = snapshot.get(spec.name)
            if value is not None:
                add_points(family, spec, value, origin + t)
        return family
    # One series at a time, so that each series' points are contiguous.
    label_sets: dict[tuple[str, ...], None] = {}
    for _, snapshot in samples:
        value = snapshot.get(spec.name)
        if isinstance(value, dict):
            label_sets.update(dict.fromkeys(value))
    for label_values in label_sets:
        for t, snapshot in samples:
            value = snapshot.get(spec.name)
            if isinstance(value, dict) and label_values in value:
                add_points(family, spec, {label_values: value[label_values]}, origin + t)
    return family


class _History:
    """A one-shot collector over the recorded samples."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self._families = list(families)

    def collect(self) -> Iterable[Metric]:
        return self._families


def openmetrics_text(samples: Sequence[Sample], *, specs: Sequence[MetricSpec] = METRICS, origin: float = 0.0) -> bytes:
    """Every recorded point of every spec, families without points left out."""
    families = [_family_history(spec, samples, origin) for spec in specs]
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_History(family for family in families if family.samples))
    text: bytes = generate_latest(registry)  # type: ignore[no-untyped-call]
    return text


def write_openmetrics(
    samples: Sequence[Sample], path: Path, *, specs: Sequence[MetricSpec] = METRICS, origin: float = 0.0
) -> None:
    """Write the file atomically, as the report is."""
    data = openmetrics_text(samples, specs=specs, origin=origin)
    atomic_write(path, lambda stream: stream.write(data))
