"""One CLI: every subcommand takes -q and --log-format alike, refuses bad outputs up front, survives | head."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import SMALL_SWEEP

# Each subcommand at its smallest: a few virtual minutes, one seed, one tiny fleet.
SMALL = {
    "run": ["run", "--duration", "10m"],
    "soak": ["soak", "--duration", "10m", "--speed", "6000", "--metrics-port", "0", "--status-every", "0.05"],
    "sweep": SMALL_SWEEP,
    "keys": ["keys", "dwfm."],
    "bench": ["bench", "--sizes", "20", "--duration", "2m", "--skip-incident", "--runs", "1"],
    "compare": ["compare", "--fix", "race-fix", "--seeds", "0..0", "--duration", "10m", "--workers", "1", "--no-plots"],
}


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "emulator", *args], capture_output=True, text=True, check=False, timeout=120, cwd=cwd
    )


def _needs_out(command: str, out: Path) -> list[str]:
    return ["--out", str(out)] if command in ("sweep", "compare") else []


@pytest.mark.parametrize("command", list(SMALL))
def test_quiet_keeps_only_the_essential_lines_in_every_subcommand(command: str, tmp_path: Path) -> None:
    loud = _cli(*SMALL[command], *_needs_out(command, tmp_path), "--log-format", "json", cwd=tmp_path)
    quiet = _cli(
        *SMALL[command], *_needs_out(command, tmp_path / "quiet-sweep"), "-q", "--log-format", "json", cwd=tmp_path
    )
    assert loud.returncode == 0 and quiet.returncode == 0, loud.stderr + quiet.stderr
    loud_lines, quiet_lines = loud.stdout.splitlines(), quiet.stdout.splitlines()
    assert 0 < len(quiet_lines) < len(loud_lines), (command, quiet.stdout)
    summary: Callable[[str], bool] = lambda line: line.startswith(("Summary:", "  "))  # noqa: E731 - the summary block
    essential: Callable[[str], bool] = {
        "run": summary,
        "soak": summary,
        "sweep": lambda line: line.startswith("Sweep:"),
        "keys": lambda line: line.startswith("dwfm.") and " " not in line,
        "bench": lambda line: line.split()[0] == "20",
        "compare": lambda line: not (line.startswith("Compare: ") and " -> " in line),  # the tables, not the files
    }[command]
    assert all(essential(line) for line in quiet_lines), quiet.stdout
    assert "sweep [" not in quiet.stderr, "no progress bar under -q"


@pytest.mark.parametrize("command", list(SMALL))
def test_a_reader_that_stops_after_one_line_gets_no_traceback(command: str, tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator", *SMALL[command], *_needs_out(command, tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.readline()
    process.stdout.close()  # as `| head -1` does
    stderr = process.stderr.read()
    assert process.wait(timeout=120) in (0, 141), stderr
    assert "Traceback" not in stderr


@pytest.mark.parametrize(
    ("args", "option", "complaint"),
    [
        (["soak", "--report", "{tmp}/missing/r.json"], "--report", "does not exist"),
        (["soak", "--report", "{tmp}"], "--report", "is a directory"),
        (["soak", "--report", "{tmp}/r.txt"], "--report", "ending in .json"),
        (["soak", "--report", "/proc/r.json"], "--report", "cannot write in folder"),
        (["sweep", "--grid", "dns.race_fix=true", "--seeds", "0..1", "--out", "{tmp}/f.txt"], "--out", "is a file"),
        (["sweep", "--grid", "dns.race_fix=true", "--seeds", "0..1", "--out", "{tmp}/a/b"], "--out", "does not exist"),
        (["sweep", "--grid", "dns.race_fix=true", "--seeds", "0..1", "--out", "/proc/x"], "--out", "cannot write"),
    ],
)
def test_soak_and_sweep_refuse_a_bad_output_path_before_any_work(
    args: list[str], option: str, complaint: str, tmp_path: Path
) -> None:
    (tmp_path / "f.txt").write_text("not a folder")
    before = sorted(tmp_path.rglob("*"))
    started = time.perf_counter()
    result = _cli(*(arg.format(tmp=tmp_path) for arg in args), cwd=tmp_path)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert option in lines[0] and complaint in lines[0], lines
    assert time.perf_counter() - started < 5
    assert sorted(tmp_path.rglob("*")) == before


@pytest.mark.parametrize("command", ["run", "soak"])
def test_report_dash_is_the_json_report_alone_on_stdout(command: str, tmp_path: Path) -> None:
    result = _cli(*SMALL[command], "--report", "-", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)  # nothing else on stdout: the status and summary are on stderr
    assert report["completed"] is True and report["virtual_seconds"] >= 600.0
    assert "Summary:" in result.stderr
    assert list(tmp_path.iterdir()) == []


OUTPUTS = {
    "run": ["--report", "r.json", "--plot", "p.png", "--plot-all", "a.svg", "--openmetrics", "m.om"],
    "soak": ["--report", "r.json"],
    "sweep": ["--out", "sweep"],
}


@pytest.mark.parametrize("command", list(OUTPUTS))
def test_every_file_and_folder_written_follows_the_umask(command: str, tmp_path: Path) -> None:
    old = os.umask(0o027)  # not the usual 022: a fixed 0644 or a temporary file's 0600 would show
    try:
        with_plots = [argument for argument in SMALL[command] if argument != "--no-plots"]  # their modes too
        result = _cli(*with_plots, *OUTPUTS[command], "-q", cwd=tmp_path)
    finally:
        os.umask(old)
    assert result.returncode == 0, result.stderr
    written = sorted(tmp_path.rglob("*"))
    assert len(written) >= len(OUTPUTS[command]) // 2
    for path in written:
        expected = 0o750 if path.is_dir() else 0o640
        assert stat.S_IMODE(path.stat().st_mode) == expected, (path.relative_to(tmp_path), oct(path.stat().st_mode))


def test_every_option_of_every_subcommand_has_help_text() -> None:
    from emulator.cli.main import _parser

    parser = _parser()
    commands = next(action for action in parser._actions if action.dest == "command")
    assert isinstance(commands.choices, dict)
    for name, sub in commands.choices.items():
        for action in sub._actions:
            if action.help == "==SUPPRESS==":
                continue
            assert action.help, f"{name} {action.option_strings} has no help text"
