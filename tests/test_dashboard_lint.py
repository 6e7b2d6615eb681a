"""The committed dashboard passes the rules of Grafana's dashboard-linter, checked here.

dashboard-linter (github.com/grafana/dashboard-linter) is a Go tool we cannot
run in CI here, so its rules that matter to a reader are restated: a
``datasource`` template variable that every panel, target and annotation
uses; a unit, a title and a one-line description on every panel;
``$__rate_interval`` in every rate and increase; counters read only through
them. Two of our own: no two panels share a title, and no title is a raw
metric name (people read the board, not the exposition).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import promql_parser
import pytest

from metrics.dashboard_panels import DATASOURCE_VARIABLE
from metrics.schema import METRICS
from tests.prometheus_tools import dashboard_queries, substitute_grafana_variables

DASHBOARD: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parent.parent / "grafana/dashboards/outage-emulator.json").read_text()
)
PANELS = [panel for panel in DASHBOARD["panels"] if panel["type"] != "row"]
QUERIES = dashboard_queries(DASHBOARD)
RATE_FUNCTIONS = {"rate", "irate", "increase"}
SENTINEL = timedelta(seconds=1234)  # what $__rate_interval stands for while parsing
MAX_DESCRIPTION = 120


def _panel_id(panel: dict[str, Any]) -> str:
    return f"{panel['id']} {panel['title']}"


def test_dashboard_has_a_prometheus_datasource_variable_named_datasource() -> None:
    variables = [v for v in DASHBOARD["templating"]["list"] if v["name"] == DATASOURCE_VARIABLE]
    assert [(v["type"], v["query"]) for v in variables] == [("datasource", "prometheus")]
    assert variables[0]["label"]


@pytest.mark.parametrize("panel", PANELS, ids=_panel_id)
def test_panel_and_every_target_read_the_datasource_variable(panel: dict[str, Any]) -> None:
    variable = "${" + DATASOURCE_VARIABLE + "}"
    assert panel["datasource"]["uid"] == variable
    assert panel["targets"], "a panel without queries shows nothing"
    assert {target["datasource"]["uid"] for target in panel["targets"]} == {variable}


def test_annotations_read_the_datasource_variable_and_are_titled() -> None:
    annotations = [a for a in DASHBOARD["annotations"]["list"] if "expr" in a]
    assert annotations
    for annotation in annotations:
        assert annotation["datasource"]["uid"] == "${" + DATASOURCE_VARIABLE + "}"
        assert annotation["titleFormat"], f"annotation {annotation['name']} has no title format"


@pytest.mark.parametrize("panel", PANELS, ids=_panel_id)
def test_panel_has_a_unit_a_title_and_a_one_line_description(panel: dict[str, Any]) -> None:
    assert panel["fieldConfig"]["defaults"].get("unit"), "no unit"
    assert panel["title"].strip()
    description = panel.get("description", "")
    assert description.strip(), "no description"
    assert "\n" not in description and len(description) <= MAX_DESCRIPTION, description


def test_no_two_panels_or_rows_share_a_title() -> None:
    titles = [panel["title"] for panel in DASHBOARD["panels"]]
    assert len(titles) == len(set(titles)), sorted(t for t in titles if titles.count(t) > 1)


@pytest.mark.parametrize("panel", DASHBOARD["panels"], ids=_panel_id)
def test_no_title_is_a_raw_metric_name(panel: dict[str, Any]) -> None:
    names = {spec.name for spec in METRICS} | {spec.name.removesuffix("_total") for spec in METRICS}
    assert not any(name in panel["title"] for name in names), panel["title"]
    assert not re.search(r"\b[a-z0-9]+_[a-z0-9_]+\b", panel["title"]), "snake_case reads like a metric name"


def _rate_calls_and_counter_selectors(expr: str) -> tuple[list[timedelta], list[str]]:
    """Ranges given to rate-like functions, and counters selected outside any range."""
    parsed = promql_parser.parse(substitute_grafana_variables(expr.replace("$__rate_interval", "1234s")))
    ranges: list[timedelta] = []
    in_range: Counter[str] = Counter()
    selected: Counter[str] = Counter()

    def visit(node: object) -> bool:
        if isinstance(node, promql_parser.Call) and node.func.name in RATE_FUNCTIONS:
            ranges.extend(arg.range for arg in node.args if isinstance(arg, promql_parser.MatrixSelector))
        if isinstance(node, promql_parser.MatrixSelector) and node.vector_selector.name:
            in_range[node.vector_selector.name] += 1
        if isinstance(node, promql_parser.VectorSelector) and node.name:
            selected[node.name] += 1
        return True

    promql_parser.walk(parsed, visit)
    bare = selected - in_range
    return ranges, sorted(name for name in bare.elements() if name.endswith(("_total", "_bucket")))


@pytest.mark.parametrize(("where", "expr"), QUERIES, ids=[where for where, _ in QUERIES])
def test_every_rate_and_increase_uses_rate_interval_and_counters_only_go_through_them(where: str, expr: str) -> None:
    ranges, bare = _rate_calls_and_counter_selectors(expr)
    assert all(window == SENTINEL for window in ranges), f"{where}: rate window is not $__rate_interval: {expr}"
    assert not bare, f"{where}: counters read raw, not through rate/increase: {bare}"


def test_the_lint_catches_what_it_claims_to() -> None:
    assert _rate_calls_and_counter_selectors("rate(x_total[5m])") == ([timedelta(minutes=5)], [])
    assert _rate_calls_and_counter_selectors("sum(x_total)") == ([], ["x_total"])
    assert _rate_calls_and_counter_selectors("rate(x_total[$__rate_interval])") == ([SENTINEL], [])
