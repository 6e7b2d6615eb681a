"""grafana/: Prometheus config, alert rules and their unit tests pass promtool; compose wires it all."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from emulator.cli.soak import DEFAULT_METRICS_PORT
from emulator.config.tree import Config
from tests.prometheus_tools import require_binary

GRAFANA = Path(__file__).resolve().parent.parent / "grafana"


def _promtool(*argv: str) -> str:
    result = subprocess.run(
        [require_binary("promtool"), *argv], cwd=GRAFANA, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def test_promtool_check_config_accepts_prometheus_yml_and_finds_the_rules() -> None:
    out = _promtool("check", "config", "prometheus.yml")
    assert "1 rule files found" in out


def test_promtool_check_rules_accepts_the_alert_rules() -> None:
    out = _promtool("check", "rules", *sorted(str(p.relative_to(GRAFANA)) for p in GRAFANA.glob("rules/*.rules.yml")))
    assert "9 rules found" in out


def test_promtool_test_rules_passes_the_alert_unit_tests() -> None:
    out = _promtool("test", "rules", *sorted(str(p.relative_to(GRAFANA)) for p in GRAFANA.glob("rules/*.test.yml")))
    assert "SUCCESS" in out


def _rules() -> dict[str, dict[str, Any]]:
    rules = yaml.safe_load((GRAFANA / "rules/outage-emulator.rules.yml").read_text())
    return {rule["alert"]: rule for group in rules["groups"] for rule in group["rules"]}


PROMETHEUS_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}


def _seconds(duration: str) -> float:
    """A Prometheus duration (``5s``, ``1m``, ``100y``, ``1h30m``) in seconds."""
    parts = re.findall(r"(\d+)(ms|s|m|h|d|w|y)", duration)
    assert parts and "".join(n + u for n, u in parts) == duration, f"not a Prometheus duration: {duration}"
    return sum(int(number) * PROMETHEUS_UNITS[unit] for number, unit in parts)


def test_alerts_cover_the_three_failures_with_the_documented_expressions() -> None:
    exprs = {name: rule["expr"] for name, rule in _rules().items()}
    assert exprs["RegionalEndpointEmpty"] == "dns_regional_endpoint_addresses == 0"
    assert exprs["DWFMCongestiveCollapse"] == "dwfm_collapsed == 1"
    assert exprs["NLBCapacityBelowFloor"].startswith("min(nlb_capacity_in_service_ratio) < ")


def test_the_flapping_alert_pages_where_the_operator_runbook_does() -> None:
    """The runbook reads the metrics as Prometheus would: its page and the rule must agree."""
    expr = _rules()["NLBHealthChecksFlapping"]["expr"]
    assert "rate(nlb_health_transitions_total[1m])" in expr
    assert float(expr.rsplit(">", 1)[1]) == Config().operator.nlb_page_transitions_per_s


def test_alerts_cover_the_symptoms_customers_saw() -> None:
    rules = _rules()
    assert "dynamodb_requests_total" in rules["DynamoDBErrorRateHigh"]["expr"]
    assert "nlb_connection_errors_total" in rules["NLBConnectionErrors"]["expr"]
    assert "network_manager_propagation_seconds_bucket" in rules["NetworkPropagationSlow"]["expr"]


def test_a_prometheus_that_cannot_scrape_the_emulator_alerts_instead_of_staying_green() -> None:
    config = yaml.safe_load((GRAFANA / "prometheus.yml").read_text())
    (job,) = [job["job_name"] for job in config["scrape_configs"]]
    rules = _rules()
    assert rules["EmulatorTargetDown"]["expr"] == f'up{{job="{job}"}} == 0'
    assert rules["EmulatorTargetMissing"]["expr"] == f'absent(up{{job="{job}"}})'


def test_at_speed_600_every_incident_alert_fires_before_the_dns_outage_ends() -> None:
    """``for:`` is wall time; a condition is seen a scrape and an evaluation late at worst."""
    config = yaml.safe_load((GRAFANA / "prometheus.yml").read_text())["global"]
    seen_late = _seconds(config["scrape_interval"]) + _seconds(config["evaluation_interval"])
    operator = Config().operator
    dns_outage_virtual_s = operator.detect_delay_s + operator.dns_repair_delay_s  # calibrated: 2 h 37 min
    incident = {name: rule for name, rule in _rules().items() if rule["labels"]["stage"] != "scrape"}
    for name, rule in incident.items():
        worst_wall_s = seen_late + _seconds(rule.get("for", "0s"))
        assert worst_wall_s * 600 < dns_outage_virtual_s, f"{name} can miss a DNS outage at --speed 600"


def test_prometheus_scrapes_the_soak_default_port_on_the_docker_host() -> None:
    config = yaml.safe_load((GRAFANA / "prometheus.yml").read_text())
    targets = [t for job in config["scrape_configs"] for static in job["static_configs"] for t in static["targets"]]
    assert targets == [f"host.docker.internal:{DEFAULT_METRICS_PORT}"]


def _mount_source(volume: str) -> str:
    """``./x:/y`` or ``${VAR:-./x}:/y`` -> ``./x`` (the default compose uses without VAR)."""
    if volume.startswith("${"):
        variable = volume[2:].split("}", 1)[0]
        return variable.split(":-", 1)[1]
    return volume.split(":")[0]


@pytest.mark.parametrize("service", ["prometheus", "prometheus-backfill", "grafana"])
def test_compose_mounts_exist_and_reach_the_host(service: str) -> None:
    compose = yaml.safe_load((GRAFANA / "docker-compose.yml").read_text())
    spec = compose["services"][service]
    for volume in spec["volumes"]:
        source = _mount_source(volume)
        assert (GRAFANA / source).exists(), f"{service} mounts missing {source}"
    for port in spec["ports"]:
        assert port.startswith("127.0.0.1:"), f"{service} publishes {port} beyond loopback"
    if service == "prometheus":
        assert "host.docker.internal:host-gateway" in spec["extra_hosts"]
    elif service == "prometheus-backfill":
        assert spec["profiles"] == ["backfill"], "the backfill server starts only when asked for"
    else:
        dashboards = yaml.safe_load((GRAFANA / "provisioning/dashboards/outage-emulator.yml").read_text())
        mounted = {volume.split(":")[1] for volume in spec["volumes"]}
        assert dashboards["providers"][0]["options"]["path"] in mounted


def test_backfill_profile_keeps_1970_blocks_and_serves_the_backfill_datasource() -> None:
    compose = yaml.safe_load((GRAFANA / "docker-compose.yml").read_text())
    backfill = compose["services"]["prometheus-backfill"]
    flags = dict(flag.split("=", 1) for flag in backfill["command"])
    assert any(volume.endswith(":" + flags["--storage.tsdb.path"]) for volume in backfill["volumes"])
    # Retention counts back from the newest block: 1970 must stay within it from today on.
    assert _seconds(flags["--storage.tsdb.retention.time"]) > 60 * 365 * 86400
    config = yaml.safe_load((GRAFANA / "prometheus-backfill.yml").read_text())
    assert not config.get("scrape_configs"), "fresh samples would make the 1970 blocks 55 years old"
    datasources = yaml.safe_load((GRAFANA / "provisioning/datasources/prometheus.yml").read_text())
    urls = {source["uid"]: source["url"] for source in datasources["datasources"]}
    assert urls["outage-emulator-backfill"] == "http://prometheus-backfill:9090"
    _promtool("check", "config", "prometheus-backfill.yml")
