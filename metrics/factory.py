"""Every metric of :mod:`metrics.schema`, built on a registry the caller owns.

Why a custom collector rather than ``Gauge``/``Counter`` objects updated in
place: the world already keeps cumulative totals (a snapshot *is* the state
of every counter), so copying each value into a prometheus_client child on
every sample would be pure overhead and a second source of truth. Instead
:class:`SnapshotCollector` holds the latest :data:`~metrics.schema.Snapshot`
and turns it into metric families when scraped. Swapping in a new snapshot
is one reference assignment, which is atomic under the GIL, so the exporter's
HTTP thread can scrape while the Trio thread samples.

Families are built from the specs, never from the snapshot's keys: a metric
the world does not provide (yet) is still described (``# HELP``/``# TYPE``,
no samples), and a new :class:`~metrics.schema.MetricSpec` flows through to
the exporter, the recording, OpenMetrics and plots without further code.
No ``*_created`` series are produced, because these families are given no
creation time (so ``PROMETHEUS_DISABLE_CREATED_SERIES`` is not needed).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import attrs
from prometheus_client import CollectorRegistry
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from metrics.schema import METRICS, HistogramSnapshot, MetricSpec, Snapshot

__all__ = ["Metrics", "SnapshotCollector", "add_points", "build_metrics", "empty_family", "series_of"]

SnapshotValue = float | dict[tuple[str, ...], float] | HistogramSnapshot


def empty_family(spec: MetricSpec) -> Metric:
    """The family of one spec, with no samples yet."""
    labels = list(spec.labels)
    if spec.kind == "counter":
        return CounterMetricFamily(spec.name, spec.help, labels=labels)
    if spec.kind == "histogram":
        return HistogramMetricFamily(spec.name, spec.help, labels=labels)
    return GaugeMetricFamily(spec.name, spec.help, labels=labels)


def _le(bound: float) -> str:
    """A bucket bound as Prometheus writes it (``1.0``, ``+Inf``)."""
    return "+Inf" if bound == float("inf") else repr(float(bound))


def _histogram_buckets(spec: MetricSpec, value: HistogramSnapshot) -> list[tuple[str, float]]:
    bounds = [*spec.buckets, float("inf")]
    if len(value.bucket_counts) != len(bounds):
        raise ValueError(
            f"snapshot of {spec.name} has {len(value.bucket_counts)} buckets, its spec declares {len(bounds)}"
        )
    return [(_le(bound), float(count)) for bound, count in zip(bounds, value.bucket_counts, strict=True)]


def add_points(family: Metric, spec: MetricSpec, value: SnapshotValue, timestamp: float | None = None) -> None:
    """Add one snapshot value of ``spec`` to ``family`` (at ``timestamp``, if any).

    Raises ``ValueError`` when the value breaks the contract of the schema
    (wrong shape or wrong number of label values): a silent mismatch would
    show up much later as an empty dashboard panel.
    """
    if spec.kind == "histogram":
        if not isinstance(value, HistogramSnapshot) or spec.labels:
            raise ValueError(f"snapshot of {spec.name}: expected an unlabelled HistogramSnapshot, got {value!r}")
        assert isinstance(family, HistogramMetricFamily)
        family.add_metric([], _histogram_buckets(spec, value), value.sum, timestamp=timestamp)
        return
    if spec.labels:
        if not isinstance(value, dict):
            raise ValueError(f"snapshot of {spec.name}: expected a dict keyed by {spec.labels}, got {value!r}")
        points: Iterable[tuple[tuple[str, ...], float]] = value.items()
    elif isinstance(value, int | float):
        points = [((), float(value))]
    else:
        raise ValueError(f"snapshot of {spec.name}: expected a number, got {value!r}")
    for label_values, number in points:
        if len(label_values) != len(spec.labels):
            raise ValueError(f"snapshot of {spec.name}: label values {label_values} do not match {spec.labels}")
        assert isinstance(family, CounterMetricFamily | GaugeMetricFamily)
        family.add_metric(list(label_values), float(number), timestamp=timestamp)


class SnapshotCollector(Collector):
    """Exposes the latest snapshot as the families declared by ``specs``."""

    def __init__(self, specs: Sequence[MetricSpec] = METRICS) -> None:
        self.specs = tuple(specs)
        self._latest: Snapshot = {}

    def update(self, snapshot: Snapshot) -> None:
        self._latest = snapshot

    def describe(self) -> Iterable[Metric]:
        return [empty_family(spec) for spec in self.specs]

    def collect(self) -> Iterable[Metric]:
        snapshot = self._latest  # one read: a concurrent update() cannot tear a scrape
        for spec in self.specs:
            family = empty_family(spec)
            value = snapshot.get(spec.name)
            if value is not None:
                add_points(family, spec, value)
            yield family


@attrs.frozen
class Metrics:
    """The registry and the collector feeding it."""

    registry: CollectorRegistry
    collector: SnapshotCollector

    def update(self, snapshot: Snapshot) -> None:
        self.collector.update(snapshot)


def build_metrics(registry: CollectorRegistry, specs: Sequence[MetricSpec] = METRICS) -> Metrics:
    """Register every metric of ``specs`` on ``registry`` (never the global one)."""
    collector = SnapshotCollector(specs)
    registry.register(collector)
    return Metrics(registry=registry, collector=collector)


def series_of(registry: CollectorRegistry) -> Iterator[tuple[str, tuple[tuple[str, str], ...]]]:
    """Every exposed series as (sample name, sorted labels): what cardinality counts."""
    for family in registry.collect():
        for sample in family.samples:
            yield sample.name, tuple(sorted(sample.labels.items()))
