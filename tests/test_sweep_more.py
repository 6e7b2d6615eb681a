"""Sweeps: the Dask executor, the studies, real Ctrl-C, and the statistics in summary.json."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from emulator.cli.main import main
from emulator.experiments.sweep import run_sweep
from emulator.experiments.sweep_spec import GridAxis, SweepSpec
from emulator.experiments.sweep_store import ResultsStore
from emulator.experiments.sweep_summary import mean_interval, quantile, wilson_interval

PNG = b"\x89PNG\r\n\x1a\n"


def _spec(seeds: tuple[int, int] = (0, 2)) -> SweepSpec:
    return SweepSpec(
        scenario="incident",
        sets=(("dns.endpoints", "3"),),
        faults=(),
        grid=(GridAxis("dns.enactor.stall_probability", ("0.0001", "0.001")),),
        seeds=seeds,
        duration="10m",
    )


def _sorted_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as stream:
        return sorted(csv.DictReader(stream), key=lambda row: (row["dns.enactor.stall_probability"], row["seed"]))


def test_the_dask_executor_gives_the_same_rows_as_the_local_one(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    spec = _spec()
    run_sweep(spec, tmp_path / "local", workers=1, plots=False, progress_stream=io.StringIO())
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster:
        outcome = run_sweep(
            spec,
            tmp_path / "dask",
            executor="dask",
            scheduler=cluster.scheduler_address,
            plots=False,
            progress_stream=io.StringIO(),
        )
    assert outcome.executed == 6
    local, remote = _sorted_rows(tmp_path / "local" / "results.csv"), _sorted_rows(tmp_path / "dask" / "results.csv")
    assert len(local) == 6
    assert remote == local


def test_an_unreachable_dask_scheduler_is_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("distributed")
    monkeypatch.setattr("emulator.experiments.sweep.DASK_CONNECT_TIMEOUT_S", 0.5)
    out = tmp_path / "sweep"
    argv = ["sweep", "--grid", "dns.endpoints=3", "--seeds", "0", "--out", str(out)]
    code = main([*argv, "--executor", "dask", "--scheduler", "tcp://127.0.0.1:1"])
    stdout, err = capsys.readouterr()
    assert code == 2 and stdout == ""
    assert err.startswith("outage-emulator: error: invalid --scheduler 'tcp://127.0.0.1:1': cannot connect")
    assert not out.exists()


def test_the_enactor_stall_study_on_a_small_grid_gives_a_rate_curve_and_line_plots(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "study"
    code = main(
        [
            "sweep",
            "--study",
            "enactor-stall",
            "--grid",
            "dns.enactor.stall_probability=0,0.01",
            "--grid",
            "dns.enactor.stall_max_s=300",
            "--seeds",
            "0..2",
            "--duration",
            "20m",
            "--set",
            "dns.endpoints=3",
            "--set",
            "dns.route53.regional_record_set_factor=1",
            "--workers",
            "2",
            "--out",
            str(out),
        ]
    )
    stdout, _ = capsys.readouterr()
    assert code == 0
    assert "Sweep: 6 runs" in stdout and "dns.race_occurred=" in stdout
    summary = json.loads((out / "summary.json").read_text())
    rates = [point["boolean"]["dns.race_occurred"]["rate"] for point in summary["points"]]
    # With the regional batch no longer than the others' and no injected stalls, no Enactor
    # falls far enough behind; with frequent long stalls one does on some seeds (0.6 of
    # seeds 0-9 at this grid point; often the stale plan lands first on another endpoint,
    # whose clean-up leaves the automation stuck without emptying the regional one).
    assert rates[0] == 0.0 and rates[1] > 0.0
    pngs = sorted(path.name for path in (out / "plots").iterdir())
    assert pngs == ["dns.empty_record_seconds.png", "dns.first_empty_at.png", "dns.race_occurred.png"]
    assert all((out / "plots" / name).read_bytes().startswith(PNG) for name in pngs)


def test_ctrl_c_in_a_terminal_stops_the_workers_keeps_rows_and_exits_130(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    argv = ["sweep", "--grid", "dns.endpoints=3,4", "--seeds", "0..39", "--duration", "30m", "--workers", "2"]
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator", *argv, "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    results = out / "results.csv"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (results.exists() and len(results.read_text().splitlines()) > 2):
        time.sleep(0.05)
    # A terminal's Ctrl-C reaches the whole foreground process group, workers included.
    os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "interrupted" in err and "run the same command again to resume" in err
    kept = len(results.read_text().splitlines()) - 1
    assert 2 <= kept < 80
    assert not (out / "summary.json").exists()


def test_a_report_section_that_appears_mid_sweep_widens_the_table(tmp_path: Path) -> None:
    """Rows of old and new emulator versions (new report sections) still line up."""
    spec = _spec(seeds=(0, 1))
    store = ResultsStore(tmp_path, spec)
    store.check()
    store.open()
    base = {"dns.enactor.stall_probability": "0.001", "status": "ok", "trace_hash": "a", "error": ""}
    store.append({**base, "seed": 0, "dns.race_occurred": True})
    store.append({**base, "seed": 1, "dns.race_occurred": False, "dwfm.collapse": True, "dwfm.recovery": None})
    store.close()
    with (tmp_path / "results.csv").open(newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert [row["dwfm.collapse"] for row in rows] == ["", "true"]
    assert [row["dns.race_occurred"] for row in rows] == ["true", "false"]
    assert rows[1]["dwfm.recovery"] == ""


def test_wilson_interval_quantiles_and_mean_interval_match_textbook_values() -> None:
    assert wilson_interval(0, 10) == pytest.approx((0.0, 0.27753), abs=1e-5)
    assert wilson_interval(5, 10) == pytest.approx((0.23659, 0.76341), abs=1e-5)
    assert wilson_interval(10, 10) == pytest.approx((0.72247, 1.0), abs=1e-5)
    assert quantile([1.0, 2.0, 3.0, 4.0, 5.0], 0.5) == 3.0
    assert quantile([1.0, 2.0, 3.0, 4.0, 5.0], 0.95) == pytest.approx(4.8)
    # mean 2, sd 1, n 3: t(0.975, 2) = 4.303
    assert mean_interval([1.0, 2.0, 3.0]) == pytest.approx((2 - 4.303 / 3**0.5, 2 + 4.303 / 3**0.5))
    assert mean_interval([7.0]) == (7.0, 7.0)


@pytest.mark.slow
def test_the_metastability_map_boundary_moves_when_throttling_is_on(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A trigger shorter than the lease TTL never collapses DWFM; a long one does, on a big
    fleet, unless admission control is on: throttling must shrink the collapse region."""
    out = tmp_path / "map"
    code = main(
        [
            "sweep",
            "--study",
            "metastability-map",
            # Scaled down: a small DWFM (6 items/s) and a 10-minute lease TTL.
            "--set",
            "dwfm.hosts_per_az=1",
            "--set",
            "dwfm.workers=2",
            "--set",
            "dwfm.lease_ttl_s=600",
            "--set",
            "dynamodb.resolver.negative_ttl_s=60",
            "--set",
            "dns.enactor.stall_probability=0",
            "--grid",
            "fault=empty_record:10m:5m,empty_record:10m:20m",
            "--grid",
            "ec2.droplets=100,1000",
            "--seeds",
            "0..1",
            "--duration",
            "90m",
            "--workers",
            "2",
            "--out",
            str(out),
        ]
    )
    capsys.readouterr()
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())
    collapsed: dict[str, set[tuple[str, str]]] = {"false": set(), "true": set()}
    for point in summary["points"]:
        grid = point["grid"]
        if point["boolean"]["dwfm.collapse"]["rate"] >= 0.5:
            collapsed[grid["dwfm.throttle.enabled"]].add((grid["fault"], grid["ec2.droplets"]))
    assert ("empty_record:10m:5m", "1000") not in collapsed["false"], "a trigger shorter than the TTL"
    assert ("empty_record:10m:20m", "100") not in collapsed["false"], "a fleet too small to overload DWFM"
    assert ("empty_record:10m:20m", "1000") in collapsed["false"]
    assert collapsed["false"], "without throttling, some trigger and fleet size must collapse"
    assert collapsed["true"] < collapsed["false"]
