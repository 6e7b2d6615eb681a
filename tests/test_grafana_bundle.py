"""grafana/: Prometheus config, alert rules and their unit tests pass promtool; compose wires it all."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from emulator.cli.soak import DEFAULT_METRICS_PORT
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
    assert "3 rules found" in out


def test_promtool_test_rules_passes_the_alert_unit_tests() -> None:
    out = _promtool("test", "rules", *sorted(str(p.relative_to(GRAFANA)) for p in GRAFANA.glob("rules/*.test.yml")))
    assert "SUCCESS" in out


def test_alerts_cover_the_three_failures_with_the_documented_expressions() -> None:
    rules = yaml.safe_load((GRAFANA / "rules/outage-emulator.rules.yml").read_text())
    exprs = {rule["alert"]: rule["expr"] for group in rules["groups"] for rule in group["rules"]}
    assert exprs["RegionalEndpointEmpty"] == "dns_regional_endpoint_addresses == 0"
    assert exprs["DWFMCongestiveCollapse"] == "dwfm_collapsed == 1"
    assert exprs["NLBCapacityBelowFloor"].startswith("min(nlb_capacity_in_service_ratio) < ")


def test_prometheus_scrapes_the_soak_default_port_on_the_docker_host() -> None:
    config = yaml.safe_load((GRAFANA / "prometheus.yml").read_text())
    targets = [t for job in config["scrape_configs"] for static in job["static_configs"] for t in static["targets"]]
    assert targets == [f"host.docker.internal:{DEFAULT_METRICS_PORT}"]


@pytest.mark.parametrize("service", ["prometheus", "grafana"])
def test_compose_mounts_exist_and_reach_the_host(service: str) -> None:
    compose = yaml.safe_load((GRAFANA / "docker-compose.yml").read_text())
    spec = compose["services"][service]
    for volume in spec["volumes"]:
        source = volume.split(":")[0]
        assert (GRAFANA / source).exists(), f"{service} mounts missing {source}"
    for port in spec["ports"]:
        assert port.startswith("127.0.0.1:"), f"{service} publishes {port} beyond loopback"
    if service == "prometheus":
        assert "host.docker.internal:host-gateway" in spec["extra_hosts"]
    else:
        dashboards = yaml.safe_load((GRAFANA / "provisioning/dashboards/outage-emulator.yml").read_text())
        mounted = {volume.split(":")[1] for volume in spec["volumes"]}
        assert dashboards["providers"][0]["options"]["path"] in mounted
