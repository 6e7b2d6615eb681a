"""The bundled dashboard: generated from the schema, committed as generated, queries sound."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import promql_parser
import pytest
import yaml
from prometheus_client import CollectorRegistry

from metrics.dashboard import DASHBOARD_UID, DATASOURCE_UID, dashboard_json
from metrics.factory import build_metrics
from metrics.schema import METRICS
from metrics.stages import stage_title
from tests.prometheus_tools import dashboard_queries, selected_metrics, substitute_grafana_variables

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "grafana" / "dashboards" / "outage-emulator.json"
DASHBOARD: dict[str, Any] = json.loads(COMMITTED.read_text())
QUERIES = dashboard_queries(DASHBOARD)


def _sample_names() -> set[str]:
    """Every sample name the registry can expose (counters as _total, histograms' parts)."""
    metrics = build_metrics(CollectorRegistry())
    names: set[str] = set()
    for family in metrics.collector.describe():
        suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum")}.get(family.type, ("",))
        names.update(family.name + suffix for suffix in suffixes)
    return names


def test_committed_dashboard_is_what_the_code_generates() -> None:
    assert COMMITTED.read_text() == dashboard_json(), (
        "grafana/dashboards/outage-emulator.json is stale: "
        "python -m metrics.dashboard > grafana/dashboards/outage-emulator.json"
    )


def test_dashboard_identity_schema_and_datasource_match_provisioning() -> None:
    provisioned = yaml.safe_load((ROOT / "grafana/provisioning/datasources/prometheus.yml").read_text())
    assert [source["uid"] for source in provisioned["datasources"]] == [DATASOURCE_UID]
    assert DASHBOARD["uid"] == DASHBOARD_UID
    assert DASHBOARD["schemaVersion"] >= 41
    for panel in DASHBOARD["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == DATASOURCE_UID, panel["title"]
            assert {target["datasource"]["uid"] for target in panel["targets"]} == {DATASOURCE_UID}


def test_one_row_per_stage_in_chain_order_and_a_panel_per_metric() -> None:
    rows = [panel["title"] for panel in DASHBOARD["panels"] if panel["type"] == "row"]
    assert rows[:8] == [
        stage_title(stage) for stage in ("run", "dns", "dynamodb", "dwfm", "ec2", "network_manager", "nlb", "operator")
    ]
    queried = set().union(*(selected_metrics(expr) for _, expr in QUERIES))
    for spec in METRICS:
        own = {spec.name + "_bucket"} if spec.kind == "histogram" else {spec.name}
        assert own & queried, f"no panel shows {spec.name}"


def test_every_panel_has_a_unit_and_ids_are_unique() -> None:
    ids = [panel["id"] for panel in DASHBOARD["panels"]]
    assert len(ids) == len(set(ids))
    for panel in DASHBOARD["panels"]:
        if panel["type"] != "row":
            assert panel["fieldConfig"]["defaults"].get("unit"), f"panel {panel['title']} has no unit"


def test_phases_are_shown_as_a_panel_and_as_annotations() -> None:
    types = {panel["type"] for panel in DASHBOARD["panels"]}
    assert "state-timeline" in types
    assert any("emulator_phase_active" in expr for where, expr in QUERIES if where.startswith("annotation"))


@pytest.mark.parametrize(("where", "expr"), QUERIES, ids=[where for where, _ in QUERIES])
def test_every_query_parses_and_selects_only_metrics_the_registry_has(where: str, expr: str) -> None:
    parsed = promql_parser.parse(substitute_grafana_variables(expr))
    assert parsed is not None
    missing = selected_metrics(expr) - _sample_names()
    assert not missing, f"{where} queries metrics the registry does not have: {missing}"


def test_grafana_variables_are_substituted_before_parsing() -> None:
    with pytest.raises(ValueError):
        promql_parser.parse("rate(x_total[$__rate_interval])")
    assert promql_parser.parse(substitute_grafana_variables("rate(x_total[$__rate_interval])")) is not None
