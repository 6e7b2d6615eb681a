"""Output files: a device, a FIFO or a symlink is written through, never replaced; a full disk is one line.

Runs are tiny (200 droplets, 10 virtual minutes) and in-process: what is
tested is where the bytes go, not the run.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from emulator.cli.main import main

TINY = ["run", "--set", "ec2.droplets=200", "--duration", "10m", "-q"]


def _null_device(folder: Path) -> Path:
    node = folder / "null"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("making a device node needs CAP_MKNOD")
    return node


def test_a_report_to_a_device_node_leaves_the_device_a_device(tmp_path: Path) -> None:
    node = _null_device(tmp_path)
    assert main([*TINY, "--report", str(node), "--openmetrics", str(node)]) == 0
    assert stat.S_ISCHR(node.lstat().st_mode) and node.lstat().st_rdev == os.makedev(1, 3)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["null"], "no temporary file left beside it"


def test_a_symlinked_report_stays_a_link_and_its_target_gets_the_report(tmp_path: Path) -> None:
    (tmp_path / "reports").mkdir()
    target = tmp_path / "reports" / "latest-run.json"
    target.write_text("old\n")
    link = tmp_path / "r.json"
    link.symlink_to(Path("reports") / "latest-run.json")
    assert main([*TINY, "--report", str(link)]) == 0
    assert link.is_symlink() and os.readlink(link) == str(Path("reports") / "latest-run.json")
    assert json.loads(target.read_text())["completed"] is True


def test_a_report_to_a_fifo_reaches_its_reader(tmp_path: Path) -> None:
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    assert main([*TINY, "--report", str(fifo)]) == 0
    reader.join(timeout=30)
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert received and json.loads(received[0])["completed"] is True


def test_a_device_that_cannot_be_written_is_refused_up_front(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    node = _null_device(tmp_path)
    node.chmod(0o444)
    if os.access(node, os.W_OK):
        pytest.skip("root may write anything")
    assert main([*TINY, "--report", str(node)]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def _errors(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("outage-emulator:")]


def test_a_full_device_is_one_line_exit_1_and_the_other_outputs_are_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    full = Path("/dev/full")
    if not full.exists():
        pytest.skip("no /dev/full on this system")
    metrics = tmp_path / "run.om"
    assert main([*TINY, "--report", str(full), "--openmetrics", str(metrics)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert _errors(err) == [f"outage-emulator: error: cannot write '{full}': No space left on device"]
    assert metrics.read_text().rstrip().endswith("# EOF")


def test_a_full_disk_keeps_the_old_report_whole_and_leaves_no_temporary_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    report = tmp_path / "r.json"
    report.write_text('{"old": true}\n')

    def disk_full(handle: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", disk_full)
    assert main([*TINY, "--report", str(report)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(_errors(err)) == 1 and "No space left on device" in err
    assert json.loads(report.read_text()) == {"old": True}
    assert [path.name for path in tmp_path.iterdir()] == ["r.json"]


def test_a_socket_is_refused_up_front_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s"
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(str(path))
        assert main([*TINY, "--report", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--report" in err[0] and "is a socket" in err[0]
    assert stat.S_ISSOCK(path.lstat().st_mode)


@pytest.mark.parametrize("command", [["run", "--duration", "1m"], ["keys", "dwfm."]], ids=["run", "keys"])
def test_a_full_standard_output_is_one_line_exit_1_and_the_report_is_kept(tmp_path: Path, command: list[str]) -> None:
    report = tmp_path / "r.json"
    extra = ["--report", str(report)] if command[0] == "run" else []
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "emulator", *command, *extra], stdout=full, stderr=subprocess.PIPE, text=True
        )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "outage-emulator: cannot write to standard output: No space left on device"
    ]
    if extra:
        assert json.loads(report.read_text())["completed"] is True, "the files are written before the text"
