"""The NLB says why connections failed, so a healthy world's errors are not a mystery."""

from __future__ import annotations

import pytest

from emulator.cli.main import main
from tests.helpers import run


def test_a_healthy_worlds_connection_errors_are_all_traffic_to_targets_without_connectivity() -> None:
    nlb = run("healthy", 0, run__duration_s=3600, ec2__droplets=600)["nlb"]
    causes = nlb["connection_errors_by_cause"]
    assert nlb["connection_errors"] > 0, "new targets serve before Network Manager's next progress batch"
    assert causes["no_connectivity"] == pytest.approx(nlb["connection_errors"], abs=0.5)
    assert causes["overflow"] == 0


def test_the_summary_names_the_cause_of_the_connection_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--scenario", "healthy", "--duration", "30m", "--set", "ec2.droplets=300"]) == 0
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if "connection errors by cause:" in line)
    assert line.endswith("sent to targets in service before their network state propagated"), line
    assert "beyond what" not in line, "only the causes that happened"
