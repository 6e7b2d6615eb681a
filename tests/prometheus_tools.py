"""Running the real Prometheus and promtool from tests.

Locally, a missing binary skips the test with the reason; in CI (``CI`` set)
it fails, because CI must run these checks (``.ci/run`` installs Debian's
``prometheus`` package). Flags follow shared/OBSERVABILITY.md: always a
config file, a fresh temporary data directory and a loopback address.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

__all__ = [
    "dashboard_queries",
    "free_port",
    "prometheus_server",
    "query",
    "require_binary",
    "selected_metrics",
    "substitute_grafana_variables",
]

# Grafana's built-in variables, replaced by what Grafana would put there for a
# short live range, so that expressions parse and run outside Grafana.
GRAFANA_VARIABLES = {
    "$__rate_interval": "1m",
    "$__interval_ms": "15000",
    "$__interval": "15s",
    "$__range_s": "1800",
    "$__range_ms": "1800000",
    "$__range": "30m",
}


def substitute_grafana_variables(expr: str) -> str:
    for name in sorted(GRAFANA_VARIABLES, key=len, reverse=True):
        expr = expr.replace(name, GRAFANA_VARIABLES[name]).replace("${" + name[1:] + "}", GRAFANA_VARIABLES[name])
    assert "$" not in expr, f"unknown Grafana variable in {expr!r}"
    return expr


def require_binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        reason = f"{name} is not installed (apt-get install -y --no-install-recommends prometheus)"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run this test: {reason}")
        pytest.skip(reason)
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def prometheus_server(config: Path, data: Path) -> Iterator[str]:
    """A real Prometheus on 127.0.0.1; yields its base URL, stops it afterwards."""
    binary = require_binary("prometheus")
    port = free_port()
    log = (data.parent / f"prometheus-{port}.log").open("wb")
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={data}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with urllib.request.urlopen(f"{base}/-/ready", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"prometheus did not start: {(data.parent / f'prometheus-{port}.log').read_text()}")
            time.sleep(0.05)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def query(base: str, expr: str, at: float | None = None) -> list[dict[str, Any]]:
    """An instant query; returns the result vector (raises on a PromQL error)."""
    params = {"query": expr}
    if at is not None:
        params["time"] = repr(at)
    with urllib.request.urlopen(f"{base}/api/v1/query?{urllib.parse.urlencode(params)}", timeout=10) as response:
        body = json.load(response)
    assert body["status"] == "success", body
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


def dashboard_queries(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    """(where, expr) of every panel target and annotation of a dashboard JSON."""
    found: list[tuple[str, str]] = []

    def panels(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for panel in items:
            yield panel
            yield from panels(panel.get("panels", []))

    for panel in panels(dashboard["panels"]):
        for target in panel.get("targets", []):
            found.append((f"panel {panel['id']} {panel['title']} [{target['refId']}]", target["expr"]))
    for annotation in dashboard.get("annotations", {}).get("list", []):
        if "expr" in annotation:
            found.append((f"annotation {annotation['name']}", annotation["expr"]))
    return found


def selected_metrics(expr: str) -> set[str]:
    """Every metric name an expression selects (variables substituted first)."""
    import promql_parser

    names: set[str] = set()

    def visit(node: object) -> bool:
        if isinstance(node, promql_parser.VectorSelector) and node.name:
            names.add(node.name)
        return True

    promql_parser.walk(promql_parser.parse(substitute_grafana_variables(expr)), visit)
    return names
