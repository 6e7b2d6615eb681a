"""compare: the declared fixes, variants over the same seeds, cells that replay, resume, Dask, the claims.

The default tests use the DNS automation alone (no fleet) for 10 virtual
minutes: well under a second a run. The claims about the cascade need the
race to empty the regional endpoint and the leases to lapse, so they run a
scaled-down chain (marked slow): 300 droplets on three one-worker DWFM hosts,
a 10-minute lease, the operator's DNS repair 20 minutes after the page, a
regional record set half as heavy again as the default's (so the race comes
within minutes) and four Network Manager workers; 45 virtual minutes, by when
every unfixed seed below has had its DNS outage, DWFM collapse, Network
Manager backlog and an NLB whose every node left DNS.
"""

from __future__ import annotations

import csv
import io
import json
import shlex
from pathlib import Path
from typing import Any

import pytest

from emulator.cli.main import main
from emulator.experiments.compare import compare_spec, run_compare
from emulator.experiments.fixes import FIXES, fixes_by_name, variants
from emulator.experiments.sweep_summary import CHAIN_OUTCOMES

PNG = b"\x89PNG\r\n\x1a\n"
DNS_ONLY = ("--set", "dns.endpoints=3", "--set", "ec2.droplets=0", "--duration", "10m")
DNS_SETS = (("dns.endpoints", "3"), ("ec2.droplets", "0"))
CASCADE = (
    ("ec2.droplets", "300"),
    ("dwfm.hosts_per_az", "1"),
    ("dwfm.workers", "1"),
    ("dwfm.lease_ttl_s", "600"),
    ("dynamodb.resolver.negative_ttl_s", "60"),
    ("dynamodb.workload.clients", "1"),
    ("operator.detect_delay_s", "5m"),
    ("operator.dns_repair_delay_s", "15m"),
    ("operator.dwfm_action_delay_s", "40m"),
    ("dns.route53.regional_record_set_factor", "15"),
    ("network_manager.workers", "4"),
)
TRIGGER_FIXES = ("kill-switch", "race-fix", "plan-protection")
DOWNSTREAM = ("dwfm_collapse", "network_backlog", "nlb_flapping")


def _cells(out: Path) -> list[dict[str, str]]:
    with (out / "compare.csv").open(newline="") as stream:
        return list(csv.DictReader(stream))


def test_list_names_every_fix_with_its_aws_remediation_or_not_aws(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", "--list"]) == 0
    text = capsys.readouterr().out
    for fix in FIXES:
        who = f"AWS {fix.remediation}" if fix.remediation is not None else "not AWS's"
        line = next(line for line in text.splitlines() if line.startswith(fix.name + " "))
        assert who in line and all(f"{key}={value}" in line for key, value in fix.overrides)
        assert fix.description in text
    assert {fix.remediation for fix in FIXES} == {1, 2, 3, 4, 6, None}
    assert "AWS 5" in text  # the test suite, which no switch stands for


def test_variants_are_no_fix_each_alone_all_but_each_and_all_each_set_once() -> None:
    built = variants(FIXES)
    assert len(built) == 1 + 2 * len(FIXES) + 1
    assert built[0].fixes == () and built[-1].fixes == tuple(fix.name for fix in FIXES)
    assert len({variant.fixes for variant in built}) == len(built)
    two = variants(fixes_by_name(["velocity-control", "race-fix"]))  # declared order, duplicates once
    assert [(variant.name, variant.fixes) for variant in two] == [
        ("none", ()),
        ("race-fix", ("race-fix",)),
        ("velocity-control", ("velocity-control",)),
        ("all", ("race-fix", "velocity-control")),
    ]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--fix", "race_fix"], "invalid --fix 'race_fix': allowed kill-switch, race-fix,"),
        (["--fix", "backoff", "backoff"], "invalid --fix 'backoff': given twice"),
        (["--seeds", "3..1"], "invalid --seeds '3..1': expected A..B"),
        (["--out", "{tmp}/missing/out"], "folder '{tmp}/missing' does not exist"),
        (["--out", "{tmp}/file"], "is a file; expected a folder"),
        (["--set", "dns.no_such_key=1"], "dns.no_such_key"),
        (["--scheduler", "tcp://h:8786"], "invalid --scheduler 'tcp://h:8786': only used with --executor dask"),
    ],
)
def test_bad_input_is_one_line_naming_it_exit_2_and_nothing_written(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], expected: str
) -> None:
    (tmp_path / "file").write_text("")
    argv = [arg.replace("{tmp}", str(tmp_path)) for arg in argv]
    out = ["--out", str(tmp_path / "out")] if "--out" not in argv else []
    code = main(["compare", *DNS_ONLY, "--seeds", "0", *out, *argv])
    stdout, err = capsys.readouterr()
    assert code == 2 and stdout == ""
    assert err.count("\n") == 1 and err.startswith("outage-emulator: error: invalid")
    assert expected.replace("{tmp}", str(tmp_path)) in err
    assert sorted(path.name for path in tmp_path.iterdir()) == ["file"]


def test_every_cell_replays_as_its_run_command_with_the_same_trace_hash(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "cmp"
    argv = ["compare", *DNS_ONLY, "--seeds", "3..4", "--fix", "race-fix"]
    assert main([*argv, "--workers", "1", "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    assert "Reading:" in stdout and "race fix alone:" in stdout and "capacity floor" in stdout
    cells = _cells(out)
    assert [(cell["variant"], cell["seed"]) for cell in cells] == [
        (variant, seed) for variant in ("none", "race-fix") for seed in ("3", "4")
    ]
    for cell in cells:
        command = shlex.split(cell["command"])
        assert command[:2] == ["outage-emulator", "run"] and cell["status"] == "ok"
        report = tmp_path / "replay.json"
        assert main([*command[1:], "-q", "--report", str(report)]) == 0
        assert json.loads(report.read_text())["trace_hash"] == cell["trace_hash"], cell["command"]
    capsys.readouterr()
    result = json.loads((out / "compare.json").read_text())
    assert [cell["trace_hash"] for cell in result["cells"]] == [cell["trace_hash"] for cell in cells]
    assert [variant["runs"] for variant in result["variants"]] == [2, 2]
    assert (out / "compare.png").read_bytes().startswith(PNG)


def test_json_and_csv_formats_print_the_files_and_a_rerun_runs_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "cmp"
    argv = ["compare", *DNS_ONLY, "--seeds", "0", "--fix", "race-fix", "--workers", "1", "--out", str(out)]
    assert main([*argv, "--format", "json", "--no-plots"]) == 0
    stdout, err = capsys.readouterr()
    assert json.loads(stdout) == json.loads((out / "compare.json").read_text())
    assert "2 run now, 0 resumed" in err
    assert err.rstrip().endswith("compare.json") and not (out / "compare.png").exists()  # --no-plots draws nothing
    assert main([*argv, "--format", "csv"]) == 0
    stdout, err = capsys.readouterr()
    assert stdout == (out / "compare.csv").read_text()
    assert "0 run now, 2 resumed" in err


def test_the_table_always_shows_the_race_dwfm_collapse_and_nlb_flapping_even_when_they_never_vary(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # No fleet: DWFM never collapses and no NLB flaps in any variant; the table must still say so.
    out = tmp_path / "cmp"
    argv = ["compare", *DNS_ONLY, "--seeds", "0", "--fix", "race-fix", "--workers", "1", "-q", "--no-plots"]
    assert main([*argv, "--out", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = lines[lines.index("Race and phases: seeds where it happened / seeds [95% Wilson interval]") + 1]
    assert header.split() == [
        "variant",
        "DNS",
        "race",
        "dns_outage",
        "dwfm_collapse",
        "network_backlog",
        "nlb_flapping",
    ]
    result = json.loads((out / "compare.json").read_text())
    for variant in result["variants"]:
        for column in CHAIN_OUTCOMES:
            assert variant["outcomes"][column]["n"] == 1, (variant["variant"], column)
        assert variant["outcomes"]["phases.dwfm_collapse.occurred"]["count"] == 0
        assert variant["outcomes"]["phases.nlb_flapping.occurred"]["count"] == 0
    assert _variant(result, "race-fix")["outcomes"]["dns.race_occurred"]["count"] == 0
    row = next(line for line in lines if line.startswith("race-fix "))
    assert row.split()[1:3] == ["0/1", "[0.00,0.79]"]  # the race column, shown though it is a constant 0
    assert all(column in _cells(out)[0] for column in CHAIN_OUTCOMES)


def test_an_interval_is_never_printed_below_zero_nor_a_share_above_one() -> None:
    from emulator.cli.compare import _cell
    from emulator.experiments.compare import OUTCOMES

    by_column = {outcome.column: outcome for outcome in OUTCOMES}
    two_far_apart = {"n": 2, "missing": 0, "mean": 6600.0, "mean_ci95": [-27715.0, 40980.0]}
    assert _cell(two_far_apart, by_column["dynamodb.error_seconds"]) == "1h50m [0s,11h23m]"
    share = {"n": 2, "missing": 0, "mean": 0.9, "mean_ci95": [0.4, 1.4]}
    assert _cell(share, by_column["nlb.min_capacity_fraction"]) == "0.90 [0.40,1.00]"


def _spec(seeds: tuple[int, int] = (0, 1)) -> Any:
    return compare_spec(fixes_by_name(["race-fix"]), sets=DNS_SETS, seeds=seeds, duration="10m")


def test_an_interrupted_compare_resumes_with_only_the_missing_runs(tmp_path: Path) -> None:
    chosen, spec, out = fixes_by_name(["race-fix"]), _spec(), tmp_path / "cmp"
    seen: list[dict[str, Any]] = []

    def ctrl_c_after_two(row: dict[str, Any]) -> None:
        seen.append(row)
        if len(seen) == 2:
            raise KeyboardInterrupt

    first = run_compare(spec, chosen, out, workers=1, on_row=ctrl_c_after_two, progress_stream=io.StringIO())
    assert first.interrupted and first.executed == 2 and first.result is None
    assert not (out / "compare.csv").exists()
    second = run_compare(spec, chosen, out, workers=1, progress_stream=io.StringIO())
    assert (second.executed, second.skipped, second.interrupted) == (2, 2, False)
    assert second.result is not None and second.result["runs"] == 4
    assert sorted((cell["variant"], cell["seed"]) for cell in _cells(out)) == [
        ("none", "0"),
        ("none", "1"),
        ("race-fix", "0"),
        ("race-fix", "1"),
    ]


def test_the_dask_executor_gives_the_same_cells_as_the_local_one(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    chosen, spec = fixes_by_name(["race-fix"]), _spec()
    run_compare(spec, chosen, tmp_path / "local", workers=1, progress_stream=io.StringIO())
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster:
        remote = run_compare(
            spec,
            chosen,
            tmp_path / "dask",
            executor="dask",
            scheduler=cluster.scheduler_address,
            progress_stream=io.StringIO(),
        )
    assert remote.executed == 4
    assert _cells(tmp_path / "dask") == _cells(tmp_path / "local")


def _variant(result: dict[str, Any], name: str) -> dict[str, Any]:
    return next(variant for variant in result["variants"] if variant["variant"] == name)


def _happened(variant: dict[str, Any], phase: str) -> int:
    stats = variant["outcomes"][f"phases.{phase}.occurred"]
    assert stats["n"] == 2  # both seeds finished
    return int(stats["count"])


@pytest.mark.slow
def test_trigger_fixes_stop_everything_velocity_control_keeps_the_floor_and_all_fixes_stop_every_phase(
    tmp_path: Path,
) -> None:
    only = ("none", *TRIGGER_FIXES, "velocity-control", "all")
    spec = compare_spec(FIXES, sets=CASCADE, seeds=(1, 2), duration="45m", only=only)
    result = run_compare(spec, FIXES, tmp_path / "cmp", workers=2, progress_stream=io.StringIO()).result
    assert result is not None and [variant["variant"] for variant in result["variants"]] == list(only)

    unfixed = _variant(result, "none")  # the claims below mean something only if the chain happens unfixed
    assert all(_happened(unfixed, phase) == 2 for phase in ("dns_outage", "dwfm_collapse", "network_backlog"))
    floor = result["velocity_control_floor"]
    assert unfixed["outcomes"]["nlb.min_capacity_fraction"]["max"] < floor
    for name in TRIGGER_FIXES:
        variant = _variant(result, name)
        assert _happened(variant, "dns_outage") == 0, name
        assert all(_happened(variant, phase) == 0 for phase in DOWNSTREAM), name
    velocity = _variant(result, "velocity-control")
    assert _happened(velocity, "dwfm_collapse") == 2
    assert velocity["outcomes"]["nlb.min_capacity_fraction"]["min"] >= floor
    every_fix = _variant(result, "all")
    assert all(_happened(every_fix, phase) == 0 for phase in ("dns_outage", *DOWNSTREAM))
    reading = "\n".join(result["interpretation"])
    assert "race fix alone: no DNS outage in 2/2 seeds, so nothing downstream" in reading
    assert "velocity control alone: DNS outage still in 2/2; DWFM collapse still in 2/2" in reading


def test_sigterm_stops_a_compare_with_its_finished_rows_kept_and_exit_143(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    from emulator.experiments.sweep_store import read_rows

    out = tmp_path / "cmp"
    # Two workers: the runs go in worker processes, and the signal reaches compare's own loop. (With
    # one, it can land inside a run's Trio scheduler, where it may end that run as failed instead.)
    argv = ["compare", *DNS_ONLY, "--fix", "race-fix", "--seeds", "0..199", "--workers", "2", "-q", "--out", str(out)]
    process = subprocess.Popen([sys.executable, "-m", "emulator", *argv], stderr=subprocess.PIPE, text=True)
    results = out / "results.csv"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (results.exists() and results.read_text().count("\n") >= 3):
        time.sleep(0.02)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)
    kept = read_rows(results)[1]
    assert process.returncode == 143, err
    assert 2 <= len(kept) < 400
    assert err.strip().splitlines() == [
        f"outage-emulator: interrupted by SIGTERM; {len(kept)} finished runs kept in {results}; "
        "run the same command again to resume"
    ]
