"""Metrics from the schema: registry, snapshot contract, cardinality, recording."""

from __future__ import annotations

import re
import urllib.request

import pytest
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest

from emulator.config.loading import LEAF_TYPES, build_config
from emulator.config.tree import Config
from emulator.kernel.clock import VirtualClock
from emulator.world.runner import run_world
from emulator.world.world import World
from metrics.exporter import ExporterError, serve_metrics
from metrics.factory import build_metrics, series_of
from metrics.recorder import Recorder
from metrics.schema import METRICS, HistogramSnapshot, MetricSpec, spec
from tests.prometheus_tools import free_port


def _snapshot_names() -> set[str]:
    return set(World(Config(), 0, VirtualClock()).metrics_snapshot())


def test_every_declared_metric_is_exposed_on_the_given_registry_only() -> None:
    registry = CollectorRegistry()
    build_metrics(registry)
    text = generate_latest(registry).decode()
    for metric in METRICS:
        assert f"# TYPE {metric.name} {metric.kind}" in text
    assert "_created" not in text
    assert "dns_races" not in generate_latest(REGISTRY).decode()


def test_a_snapshot_becomes_samples_with_its_label_values_and_histogram_buckets() -> None:
    propagation = spec("network_manager_propagation_seconds")
    metrics = build_metrics(CollectorRegistry())
    metrics.update(
        {
            "dns_races_total": 2.0,
            "dynamodb_requests_total": {("ok",): 10.0, ("unresolvable",): 3.0},
            "network_manager_propagation_seconds": HistogramSnapshot(
                bucket_counts=tuple(range(len(propagation.buckets) + 1)), count=len(propagation.buckets), sum=42.0
            ),
        }
    )
    registry = metrics.registry
    assert registry.get_sample_value("dns_races_total") == 2.0
    assert registry.get_sample_value("dynamodb_requests_total", {"outcome": "unresolvable"}) == 3.0
    assert registry.get_sample_value("network_manager_propagation_seconds_bucket", {"le": "+Inf"}) == 10.0
    assert registry.get_sample_value("network_manager_propagation_seconds_bucket", {"le": "5.0"}) == 1.0
    assert registry.get_sample_value("network_manager_propagation_seconds_sum") == 42.0


def test_a_snapshot_that_breaks_the_contract_fails_loudly() -> None:
    metrics = build_metrics(CollectorRegistry(), [MetricSpec("x_total", "counter", "x", ("outcome",))])
    metrics.update({"x_total": {("ok", "extra"): 1.0}})
    with pytest.raises(ValueError, match="x_total"):
        generate_latest(metrics.registry)


def test_the_world_provides_only_declared_metrics() -> None:
    assert _snapshot_names() <= {metric.name for metric in METRICS}


def test_snapshot_covers_every_declared_metric() -> None:
    assert {metric.name for metric in METRICS} <= _snapshot_names()


# Fleet sizes (small, large) per key.
FLEET_SIZES = {"dynamodb.workload.clients": ("1", "12"), "ec2.droplets": ("20", "400")}


def _series_after_run(sets: list[tuple[str, str]]) -> set[tuple[str, tuple[tuple[str, str], ...]]]:
    _, config = build_config("incident", [("run.duration_s", "40m"), *sets])
    metrics = build_metrics(CollectorRegistry())
    run_world(config, seed=0, observers=[Recorder(metrics, keep=0).observe])
    return set(series_of(metrics.registry))


def test_series_do_not_grow_with_the_fleet() -> None:
    sizes = {key: values for key, values in FLEET_SIZES.items() if key in LEAF_TYPES}
    small = _series_after_run([(key, values[0]) for key, values in sizes.items()])
    large = _series_after_run([(key, values[1]) for key, values in sizes.items()])
    assert large == small
    assert len(small) > 20
    # Label values name topology (AZs, Enactors, outcomes), never one client or droplet.
    values = {value for _, labels in large for _, value in labels}
    assert not [value for value in values if re.search(r"client|droplet|instance-\d", value)]


def test_the_recorder_does_not_change_the_run() -> None:
    _, config = build_config("incident", [("run.duration_s", "30m")])
    plain = run_world(config, seed=4).report
    recorder = Recorder()
    recorded = run_world(config, seed=4, observers=[recorder.observe]).report
    assert recorded["trace_hash"] == plain["trace_hash"]
    times = [t for t, _ in recorder.samples]
    assert times == [60.0 * i for i in range(31)]


def test_the_recorder_keeps_a_bounded_history() -> None:
    _, config = build_config("healthy", [("run.duration_s", "30m"), ("run.sample_interval_s", "10s")])
    recorder = Recorder(keep=50)
    run_world(config, seed=1, observers=[recorder.observe])
    assert recorder.taken == 182  # every 10 s from 0 to 1800 s, and the final state at 1800 s
    assert len(recorder.samples) == 50
    assert recorder.samples[-1][0] == 1800.0


def test_the_exporter_serves_the_registry_on_loopback_and_releases_the_port() -> None:
    metrics = build_metrics(CollectorRegistry())
    metrics.update({"dns_regional_endpoint_addresses": 0.0})
    port = free_port()
    with serve_metrics(metrics.registry, port) as bound:
        assert bound == port
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            assert "dns_regional_endpoint_addresses 0.0" in response.read().decode()
    with serve_metrics(metrics.registry, port):  # free again
        pass


def test_a_port_in_use_is_one_clear_error() -> None:
    metrics = build_metrics(CollectorRegistry())
    with (
        serve_metrics(metrics.registry, 0) as taken,
        pytest.raises(ExporterError) as error,
        serve_metrics(metrics.registry, taken),
    ):
        pass
    assert str(taken) in str(error.value) and "\n" not in str(error.value)
