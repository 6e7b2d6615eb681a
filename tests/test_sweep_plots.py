"""Sweep plots read honestly: anchored colour scales, n and CI per cell, log axes, headline outcomes kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from emulator.experiments.sweep_plots import heatmap_figure, line_figure, log_spaced, plot_summary
from emulator.experiments.sweep_spec import GridAxis, SweepSpec
from emulator.experiments.sweep_summary import summarise

QUEUES = ("2", "4", "8", "16", "32")


def _summary(*axes: GridAxis, headline: tuple[str, ...] = ()) -> dict[str, Any]:
    """Three seeds per point; every run raced, leases never recovered, a queue that grows with its limit."""
    spec = SweepSpec("healthy", (), (), axes, (0, 2))
    rows = []
    for point in spec.points():
        grid = dict(zip(spec.grid_keys, point, strict=True))
        for seed in range(3):
            limit = float(grid.get("dwfm.throttle.max_queue", "1"))
            rows.append(
                {
                    **grid,
                    "seed": str(seed),
                    "status": "ok",
                    "trace_hash": "h",
                    "error": "",
                    "dns.race_occurred": "true",
                    "dwfm.lease_recovery_seconds": "",
                    "dwfm.max_queue_depth": repr(100 + limit + seed),
                    "nlb.min_capacity_fraction": repr(0.6 + 0.01 * seed),
                }
            )
    return summarise(spec, rows, headline=headline)


def test_a_studys_headline_outcomes_are_kept_even_when_constant_or_never_valued(tmp_path: Path) -> None:
    headline = ("dns.race_occurred", "dwfm.lease_recovery_seconds")
    summary = _summary(GridAxis("dwfm.throttle.max_queue", QUEUES), headline=headline)
    assert summary["outcomes"]["dwfm.lease_recovery_seconds"] == "numeric"  # every cell null: still there
    assert summary["points"][0]["numeric"]["dwfm.lease_recovery_seconds"] == {"n": 0, "missing": 3}
    written = plot_summary(summary, tmp_path / "study", headline)
    assert sorted(path.name for path in written) == ["dns.race_occurred.png", "dwfm.lease_recovery_seconds.png"]


def test_a_plain_sweep_where_every_run_raced_still_shows_the_race(tmp_path: Path) -> None:
    """The chain's outcomes are always there; other constant ones are left out (flat lines bury the rest)."""
    plain = plot_summary(_summary(GridAxis("dwfm.throttle.max_queue", QUEUES)), tmp_path / "plain")
    names = [path.name for path in plain]
    assert names[0] == "dns.race_occurred.png", "the chain's outcomes come first"
    assert "dwfm.max_queue_depth.png" in names, "what varies across the grid is drawn"
    assert "nlb.min_capacity_fraction.png" not in names, "the same at every point: left out"


def _two_d() -> dict[str, Any]:
    return _summary(GridAxis("dwfm.throttle.max_queue", QUEUES), GridAxis("ec2.droplets", ("1000", "5000")))


def test_heatmaps_are_anchored_at_zero_or_the_outcomes_range_and_print_value_ci_and_n() -> None:
    counts = heatmap_figure(_two_d(), "dwfm.max_queue_depth", "numeric")
    assert counts is not None
    axes = counts.axes[0]
    low, high = axes.images[0].get_clim()
    assert low == 0.0 and high == pytest.approx(100 + 32 + 1)  # from zero, not from the smallest mean
    cells = [text.get_text() for text in axes.texts]
    assert len(cells) == len(QUEUES) * 2
    assert all(cell.endswith("\nn=3") and "[" in cell for cell in cells)
    assert axes.get_xlabel() == "dwfm.throttle.max_queue (log-spaced)"
    fraction = heatmap_figure(_two_d(), "nlb.min_capacity_fraction", "numeric")
    assert fraction is not None and fraction.axes[0].images[0].get_clim() == (0.0, 1.0)
    rate = heatmap_figure(_two_d(), "dns.race_occurred", "boolean")
    assert rate is not None and rate.axes[0].images[0].get_clim() == (0.0, 1.0)
    assert all(text.get_text().startswith("1\n[") for text in rate.axes[0].texts)


@pytest.mark.parametrize(
    ("values", "scale"),
    [
        (QUEUES, "log"),
        (("0", "0.00001", "0.00003", "0.0001", "0.0003"), "symlog"),
        (("0.1", "0.2", "0.33", "0.5", "0.75", "1.0"), "linear"),
    ],
)
def test_a_log_spaced_grid_gets_a_log_axis(values: tuple[str, ...], scale: str) -> None:
    figure = line_figure(_summary(GridAxis("dns.enactor.stall_probability", values)), "dwfm.max_queue_depth", "numeric")
    assert figure.axes[0].get_xscale() == scale


def test_log_spacing_is_told_from_linear_spacing() -> None:
    assert log_spaced([2, 4, 8, 16, 32, 64, 128])
    assert log_spaced([0, 1e-5, 3e-5, 1e-4, 3e-4])
    assert log_spaced([1000, 2500, 5000, 10000])
    assert not log_spaced([0.1, 0.2, 0.33, 0.5, 0.75, 1.0])  # a 10x span, stepped about as evenly either way
    assert not log_spaced([60, 120, 300])  # only 5x
    assert not log_spaced([1, 25, 50, 75, 100])  # a 100x span, but evenly stepped
    assert not log_spaced([0, 100, 200, 300, 400, 500])
    assert not log_spaced([1, 2])
