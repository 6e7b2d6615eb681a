"""Panel and query builders for the bundled dashboard: the vocabulary of its layout.

Every panel reads its datasource from the ``$datasource`` template variable,
so one dashboard serves the live soak's Prometheus and a backfilled run's
alike, and every panel has a unit and a one-line description (the lint in
``tests/test_dashboard_lint.py`` holds us to it).

Why counters are drawn as
``rate(x[$__rate_interval]) / scalar(rate(emulator_virtual_time_seconds[$__rate_interval]))``:
Prometheus measures rates per *wall* second, and a soak at ``--speed 60``
runs 60 virtual seconds per wall second; dividing by the rate of virtual time
gives events per *virtual* second, the unit of the incident, in a live soak
and in a backfilled run (where the two clocks agree) alike.
``$__rate_interval`` is at least four of the datasource's scrape intervals,
so a backfill sampled every virtual minute needs a datasource whose scrape
interval says 60 s (the provisioned backfill datasource does).
"""

from __future__ import annotations

from collections.abc import Sequence

from grafana_foundation_sdk.builders import common as common_builders
from grafana_foundation_sdk.builders import dashboard, prometheus, stat, statetimeline, table, timeseries
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as model
from grafana_foundation_sdk.models import prometheus as prometheus_model

from metrics.schema import MetricSpec, spec

__all__ = [
    "DATASOURCE",
    "DATASOURCE_VARIABLE",
    "GREEN",
    "GREY",
    "ORANGE",
    "PER_VIRTUAL_SECOND",
    "RATE_INTERVAL",
    "RED",
    "Panel",
    "Query",
    "alerts_table",
    "automatic_panel",
    "increase",
    "metric_name",
    "on_off",
    "per_virtual_second",
    "quantiles",
    "stat_panel",
    "time_series",
]

DATASOURCE_VARIABLE = "datasource"
DATASOURCE = model.DataSourceRef(type_val="prometheus", uid="${" + DATASOURCE_VARIABLE + "}")
RATE_INTERVAL = "$__rate_interval"
VIRTUAL_TIME_METRIC = "emulator_virtual_time_seconds"
PER_VIRTUAL_SECOND = "cps"  # Grafana's "counts per second"; the descriptions say *virtual* second

RED, ORANGE, GREEN, GREY = "red", "orange", "green", "text"  # Grafana's colour names

Query = tuple[str, str]  # (PromQL, legend)
Panel = timeseries.Panel | statetimeline.Panel | stat.Panel | table.Panel


def metric_name(metric: str) -> str:
    """The metric's name, looked up so that a renamed metric fails here, at build time."""
    return spec(metric).name


def _by(labels: Sequence[str]) -> str:
    return f"sum by ({', '.join(labels)}) " if labels else "sum "


def per_virtual_second(counter: str, labels: Sequence[str] = ()) -> str:
    """A counter's rate per virtual second, summed by ``labels``."""
    virtual = f"scalar(rate({VIRTUAL_TIME_METRIC}[{RATE_INTERVAL}]))"
    return f"{_by(labels)}(rate({counter}[{RATE_INTERVAL}])) / {virtual}"


def increase(counter: str, labels: Sequence[str] = ()) -> str:
    """How many times a counter went up in each interval: a count, whatever the speed."""
    return f"{_by(labels)}(increase({counter}[{RATE_INTERVAL}]))"


def quantiles(histogram: str, levels: Sequence[float] = (0.5, 0.99)) -> list[Query]:
    buckets = f"sum by (le) (rate({histogram}_bucket[{RATE_INTERVAL}]))"
    return [(f"histogram_quantile({level}, {buckets})", f"p{round(level * 100)}") for level in levels]


def _targets(queries: Sequence[Query], *, instant: bool = False) -> list[prometheus.Dataquery]:
    targets = []
    for index, (expr, legend) in enumerate(queries):
        target = prometheus.Dataquery().ref_id(chr(ord("A") + index)).expr(expr).datasource(DATASOURCE)
        target = target.legend_format(legend)
        if instant:
            target = target.instant().format(prometheus_model.PromQueryFormat.TABLE)
        targets.append(target)
    return targets


def _mapping(texts: dict[str, tuple[str, str]]) -> list[model.ValueMapping]:
    """Value -> (text, colour) for gauges that hold a state, not an amount."""
    options = {value: model.ValueMappingResult(text=text, color=color) for value, (text, color) in texts.items()}
    return [model.ValueMap(options=options)]


def _thresholds(steps: Sequence[tuple[float | None, str]]) -> dashboard.ThresholdsConfig:
    threshold_steps = [model.Threshold(value=value, color=color) for value, color in steps]
    return dashboard.ThresholdsConfig().mode(model.ThresholdsMode.ABSOLUTE).steps(threshold_steps)


def time_series(
    title: str, description: str, queries: Sequence[Query], unit: str, *, span: int = 8, bars: bool = False
) -> timeseries.Panel:
    panel = (
        timeseries.Panel().title(title).description(description).datasource(DATASOURCE).unit(unit).span(span).height(7)
    )
    if unit == "percentunit":
        panel = panel.min(0).max(1)
    if bars:
        panel = panel.draw_style(common.GraphDrawStyle.BARS).fill_opacity(60)
    for target in _targets(queries):
        panel = panel.with_target(target)
    return panel


def on_off(
    title: str,
    description: str,
    queries: Sequence[Query],
    *,
    on: tuple[str, str],
    off: tuple[str, str],
    span: int = 12,
    height: int = 4,
) -> statetimeline.Panel:
    """A 0/1 gauge as coloured bands: when it was on is the whole story."""
    panel = (
        statetimeline.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit("bool_on_off")
        .mappings(_mapping({"0": off, "1": on}))
        .show_value(common.VisibilityMode.NEVER)
        .merge_values(True)
        .span(span)
        .height(height)
    )
    for target in _targets(queries):
        panel = panel.with_target(target)
    return panel


def stat_panel(
    title: str,
    description: str,
    query: Query,
    unit: str,
    *,
    thresholds: Sequence[tuple[float | None, str]] = ((None, "blue"),),
    states: dict[str, tuple[str, str]] | None = None,
    span: int = 4,
) -> stat.Panel:
    """The latest value, coloured by threshold: the overview row's vital signs."""
    panel = (
        stat.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .thresholds(_thresholds(thresholds))
        .color_mode(common.BigValueColorMode.BACKGROUND)
        .graph_mode(common.BigValueGraphMode.AREA)
        .reduce_options(common_builders.ReduceDataOptions().calcs(["lastNotNull"]))
        .span(span)
        .height(5)
    )
    if states is not None:
        panel = panel.mappings(_mapping(states)).graph_mode(common.BigValueGraphMode.NONE)
    for target in _targets([query]):
        panel = panel.with_target(target)
    return panel


def alerts_table(title: str, description: str, expr: str, *, span: int = 8) -> table.Panel:
    """Prometheus's own ALERTS series as a table: which alert, which state, which stage."""
    hidden = model.DataTransformerConfig(id_val="organize", options={"excludeByName": {"Time": True, "Value": True}})
    state_colours = {"firing": ("firing", "red"), "pending": ("pending", "orange")}
    return (
        table.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit("none")
        .no_value("No alert pending or firing")
        .with_transformation(hidden)
        .override_by_name(
            "alertstate",
            [
                model.DynamicConfigValue(id_val="mappings", value=_mapping(state_colours)),
                model.DynamicConfigValue(id_val="custom.cellOptions", value={"type": "color-background"}),
            ],
        )
        .with_target(_targets([(expr, "")], instant=True)[0])
        .span(span)
        .height(5)
    )


def _sentence(help_text: str) -> str:
    return help_text.split(". ")[0].removesuffix(".")


def automatic_panel(spec: MetricSpec) -> Panel:
    """A metric the layout does not place yet: shown anyway, titled by what it measures.

    A stage that gains a metric thus shows it at once (titled from its help
    text, never its raw name), until the layout gives it a better home.
    """
    title, description = _sentence(spec.help), spec.help
    legend = " ".join(f"{{{{{label}}}}}" for label in spec.labels) or title
    if spec.kind == "counter":
        query = (per_virtual_second(spec.name, spec.labels), legend)
        return time_series(f"{title} (per virtual second)", description, [query], PER_VIRTUAL_SECOND)
    if spec.kind == "histogram":
        return time_series(f"{title} (p50, p99)", description, quantiles(spec.name), spec.unit)
    return time_series(title, description, [(spec.name, legend)], spec.unit)
