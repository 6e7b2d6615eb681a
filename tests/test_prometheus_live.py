"""Every dashboard query against a real Prometheus scraping a real (fast) soak.

One soak and one Prometheus serve the whole module: the soak runs at 1200x
(20 virtual minutes a second) with an injected empty record so the incident's
series move, Prometheus scrapes it every 250 ms with the bundled alert rules
loaded, and each dashboard query must come back with series.

A second Prometheus serves a short run backfilled with promtool, on the
config of the compose file's ``backfill`` profile: every query must answer
at 1970 with the ``$__rate_interval`` the backfill datasource gives (four of
its 60 s scrape intervals), which one sample a virtual minute needs.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from emulator.config.tree import Config
from emulator.kernel.clock import VirtualClock
from emulator.world.world import World
from metrics.dashboard import BACKFILL_DATASOURCE_UID
from metrics.schema import spec
from tests.prometheus_tools import (
    dashboard_queries,
    free_port,
    prometheus_server,
    query,
    require_binary,
    selected_metrics,
    substitute_grafana_variables,
)
from tests.soak_process import SoakProcess

ROOT = Path(__file__).resolve().parent.parent
QUERIES = dashboard_queries(json.loads((ROOT / "grafana/dashboards/outage-emulator.json").read_text()))


def _provided_sample_names() -> set[str]:
    names: set[str] = set()
    for name in World(Config(), 0, VirtualClock()).metrics_snapshot():
        kind = spec(name).kind
        names.update([f"{name}_bucket", f"{name}_count", f"{name}_sum"] if kind == "histogram" else [name])
    return names


PROVIDED = _provided_sample_names()


@pytest.fixture(scope="module")
def live_prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("live")
    soak_port = free_port()
    config = folder / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 250ms\n  evaluation_interval: 250ms\n"
        f"rule_files:\n  - {ROOT / 'grafana/rules/outage-emulator.rules.yml'}\n"
        "scrape_configs:\n  - job_name: outage-emulator\n"
        f"    static_configs:\n      - targets: ['127.0.0.1:{soak_port}']\n"
    )
    with prometheus_server(config, folder / "data") as base:
        soak = SoakProcess(
            "--speed", "1200", "--metrics-port", str(soak_port), "--status-every", "0.5",
            "--fault", "empty_record:2m:3h", "--set", "run.sample_interval_s=20",
            "--report", str(folder / "soak.json"),
        )  # fmt: skip
        try:
            soak.wait_for_line("Soak: ")
            deadline = time.monotonic() + 30
            # Prometheus 2.x syncs scrape targets ~5 s after start; then wait for four scrapes
            # (rates need two) and 40 virtual minutes (the fault emptied the endpoint, the operator was paged).
            ready = "count_over_time(emulator_virtual_time_seconds[1m]) >= 4 and emulator_virtual_time_seconds > 2400"
            while not query(base, ready):
                assert time.monotonic() < deadline, "Prometheus never scraped 40 virtual minutes of the soak"
                time.sleep(0.2)
            yield base
            assert soak.stop(signal.SIGINT) == 0, soak.stderr()
        finally:
            soak.kill()


@pytest.mark.parametrize(("where", "expr"), QUERIES, ids=[where for where, _ in QUERIES])
def test_dashboard_query_returns_series_from_a_live_soak(live_prometheus: str, where: str, expr: str) -> None:
    assert not selected_metrics(expr) - PROVIDED - {"ALERTS"}, f"{where}: queries metrics the world does not provide"
    result = query(live_prometheus, substitute_grafana_variables(expr))
    assert result, f"{where}: {expr} returned no series"


def test_alert_rules_evaluate_without_errors_on_live_data(live_prometheus: str) -> None:
    import urllib.request

    with urllib.request.urlopen(f"{live_prometheus}/api/v1/rules", timeout=5) as response:
        groups = json.load(response)["data"]["groups"]
    rules = [rule for group in groups for rule in group["rules"]]
    assert {rule["name"] for rule in rules} == {
        "RegionalEndpointEmpty",
        "DWFMCongestiveCollapse",
        "NLBCapacityBelowFloor",
        "NLBHealthChecksFlapping",
        "DynamoDBErrorRateHigh",
        "NLBConnectionErrors",
        "NetworkPropagationSlow",
        "EmulatorTargetDown",
        "EmulatorTargetMissing",
    }
    time.sleep(0.3)  # at least one evaluation after the data arrived
    assert all(rule["health"] in ("ok", "unknown") for rule in rules), rules
    state = {rule["name"]: rule["state"] for rule in rules}
    # The injected empty record: the cause and the symptom customers saw, not the scrape.
    assert state["RegionalEndpointEmpty"] in ("pending", "firing")
    assert state["DynamoDBErrorRateHigh"] in ("pending", "firing")
    assert state["EmulatorTargetDown"] == state["EmulatorTargetMissing"] == "inactive"


@pytest.fixture(scope="module")
def backfilled_prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A 30-virtual-minute run written with --openmetrics, backfilled, served as the backfill profile does."""
    folder = tmp_path_factory.mktemp("backfill")
    run = subprocess.run(
        [sys.executable, "-m", "emulator", "run", "-q", "--duration", "30m", "--fault", "empty_record:2m:3h",
         "--openmetrics", str(folder / "run.om")],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    blocks = subprocess.run(
        [require_binary("promtool"), "tsdb", "create-blocks-from", "openmetrics", str(folder / "run.om"),
         str(folder / "data")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert blocks.returncode == 0, blocks.stdout + blocks.stderr
    with prometheus_server(ROOT / "grafana/prometheus-backfill.yml", folder / "data") as base:
        yield base


def _backfill_rate_interval_s() -> int:
    """$__rate_interval on the backfill datasource: four of its scrape intervals (Grafana's minimum)."""
    provisioned = yaml.safe_load((ROOT / "grafana/provisioning/datasources/prometheus.yml").read_text())
    (backfill,) = [s for s in provisioned["datasources"] if s["uid"] == BACKFILL_DATASOURCE_UID]
    return 4 * int(backfill["jsonData"]["timeInterval"].removesuffix("s"))


def _at_rate_interval(expr: str, seconds: int) -> str:
    return substitute_grafana_variables(expr.replace("$__rate_interval", f"{seconds}s"))


def test_backfilled_run_answers_the_dashboard_at_1970_on_the_backfill_datasource(backfilled_prometheus: str) -> None:
    at = 25 * 60.0  # virtual minute 25 is Unix time 1500: 1970-01-01 00:25 UTC
    empty = [
        where
        for where, expr in QUERIES
        if "ALERTS" not in expr and not query(backfilled_prometheus, _at_rate_interval(expr, 240), at=at)
    ]
    assert _backfill_rate_interval_s() == 240
    assert not empty, f"no series at 1970-01-01 00:25 from: {empty}"
    requests = next(expr for where, expr in QUERIES if "DynamoDB requests by outcome" in where)
    assert query(backfilled_prometheus, _at_rate_interval(requests, 240), at=at)
    # The live datasource's 5 s scrape interval would give a 20 s window: one sample a minute is no rate.
    assert not query(backfilled_prometheus, _at_rate_interval(requests, 20), at=at)
