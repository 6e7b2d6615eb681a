"""``run --plot``: one page that tells the incident's story, read back from the figure's artists.

The recording is synthetic (a few virtual hours of hand-made snapshots), so
the test is fast and says exactly where each thing must be drawn; the story
is the real one from :mod:`emulator.world.aws_timeline`, through the same
:func:`story_of` the CLI uses.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from emulator.cli.run_outputs import story_of
from metrics.recorder import Sample
from metrics.schema import METRICS, HistogramSnapshot
from metrics.story_plot import PANEL_TITLES, story_figure, write_story_plot

ANCHOR = 3600.0  # the first DynamoDB error: 23:48 PDT
END = 6 * 3600.0
PHASES = [
    {"name": "dns_outage", "start": 3590.0, "end": 9000.0},
    {"name": "network_backlog", "start": 9500.0, "end": 12000.0},
    {"name": "dwfm_collapse", "start": 9800.0, "end": 16000.0},
    {"name": "nlb_flapping", "start": 11000.0, "end": None},
]
TIMELINE = [
    {"t": 3590.0, "event": "regional_endpoint_empty", "actor": "route53"},
    {"t": ANCHOR, "event": "dynamodb_errors_start", "actor": "dynamodb-client-1"},
    {"t": 3620.0, "event": "operator_paged", "actor": "operator", "why": "regional endpoint empty"},
    {"t": 6620.0, "event": "operator_identified_dns", "actor": "operator"},
    {"t": 9000.0, "event": "operator_restored_dns", "actor": "operator"},
]


def _snapshot(t: float) -> dict[str, Any]:
    empty = 3590.0 <= t < 9000.0
    minutes = t / 60
    return {
        "dns_regional_endpoint_addresses": 0.0 if empty else 4.0,
        "dynamodb_requests_total": {("ok",): 100 * minutes, ("unresolvable",): 30 * minutes if empty else 0.0},
        "dwfm_leases": {("use1-az1", "active"): 2500.0, ("use1-az2", "active"): 2000.0, ("use1-az2", "expired"): 500.0},
        "dwfm_work_total": {("completed",): 5 * minutes, ("wasted",): 2 * minutes},
        "ec2_launches_total": {("ok",): 60 * minutes, ("insufficient_capacity",): 0.0},
        "network_manager_backlog": 100.0,
        "network_manager_propagation_seconds": HistogramSnapshot((0,) * 11, int(minutes), 3.0 * minutes),
        "nlb_capacity_in_service_ratio": {("use1-az1",): 1.0, ("use1-az2",): 0.5},
        "nlb_connection_errors_total": 10 * minutes,
    }


SAMPLES: list[Sample] = [(t, _snapshot(t)) for t in (60.0 * i for i in range(int(END // 60) + 1))]
REPORT: dict[str, Any] = {"phases": PHASES, "timeline": TIMELINE, "virtual_seconds": END}


@pytest.fixture(scope="module")
def figure() -> Iterator[Figure]:
    import matplotlib.pyplot as plt

    drawn = story_figure(SAMPLES, REPORT, story_of(REPORT), title="outage-emulator: scenario=incident seed=0")
    yield drawn
    plt.close(drawn)


def _panels(figure: Figure) -> list[Axes]:
    return [axis for axis in figure.axes if axis.get_title(loc="left") in PANEL_TITLES]


def _x(line: Line2D) -> float:
    return float(np.asarray(line.get_xdata())[0])


def _aws_lines(axis: Axes) -> dict[str, float]:
    return {str(line.get_label()): _x(line) for line in axis.get_lines() if (line.get_gid() or "").startswith("aws:")}


def test_six_panels_follow_the_chain_with_human_titles_and_units(figure: Figure) -> None:
    panels = _panels(figure)
    assert [axis.get_title(loc="left") for axis in panels] == list(PANEL_TITLES)
    assert [title.split(" · ")[1].split(":")[0] for title in PANEL_TITLES] == [
        "DNS", "DWFM", "EC2", "Network Manager", "NLB", "Operator actions in this run",
    ]  # fmt: skip
    texts = [axis.get_ylabel() for axis in figure.axes] + [axis.get_title(loc="left") for axis in figure.axes]
    names = {spec.name for spec in METRICS}
    assert not [text for text in texts if text in names or "percentunit" in text or "_total" in text]
    assert "capacity in service (%)" in texts and "failed requests per virtual minute" in texts


def test_the_shared_axis_is_aws_pdt_clock(figure: Figure) -> None:
    bottom = _panels(figure)[-1]
    formatter = bottom.xaxis.get_major_formatter()
    assert formatter(ANCHOR, 0) == "23:48"
    assert formatter(ANCHOR + 3000, 0) == "00:38"
    labels = [formatter(tick, 0) for tick in bottom.get_xticks()]
    assert labels[:3] == ["23:00", "23:30", "00:00"]  # the run starts at 22:48: whole PDT half hours
    assert all(re.fullmatch(r"\d\d:\d\d", label) for label in labels)
    assert bottom.get_xlabel().startswith("PDT")


def test_aws_milestones_are_labelled_lines_at_aws_time_through_every_panel(figure: Figure) -> None:
    panels = _panels(figure)
    lines = _aws_lines(panels[0])
    assert lines["AWS 23:48 DynamoDB errors start"] == ANCHOR
    assert lines["AWS 00:38 DNS state identified as the cause"] == ANCHOR + 3000
    assert lines["AWS 02:25 all DNS records restored"] == ANCHOR + 9420
    assert "AWS 05:28 every droplet leased again" not in lines, "after the run's end: in the key only"
    assert all(_aws_lines(axis) == lines for axis in panels)
    style = next(line for line in panels[0].get_lines() if line.get_gid() == "aws:1")
    ours = [line for axis in panels for line in axis.get_lines() if not (line.get_gid() or "").startswith("aws:")]
    assert style.get_linestyle() == "--" and all(line.get_linestyle() != "--" for line in ours)
    key = [text.get_text() for text in figure.texts]
    assert any("14:09" in text and "automatic failover re-enabled" in text and "after this run" in text for text in key)


def _bands(axis: Axes, prefix: str) -> dict[str, list[tuple[float, float, float, float]]]:
    """Per band: (x0, x1, y0, y1) of each bar."""
    found = {}
    for collection in axis.collections:
        gid = collection.get_gid() or ""
        if isinstance(collection, PolyCollection) and gid.startswith(prefix):
            bars = [np.asarray(path.vertices) for path in collection.get_paths()]
            found[gid.removeprefix(prefix)] = [
                (v[:, 0].min(), v[:, 0].max(), v[:, 1].min(), v[:, 1].max()) for v in bars
            ]
    return found


def test_each_phase_is_a_named_band_on_its_own_lane(figure: Figure) -> None:
    lanes = figure.axes[0]
    assert [label.get_text() for label in lanes.get_yticklabels()] == [
        "DNS outage", "DWFM collapse", "Network backlog", "NLB flapping",
    ]  # fmt: skip
    ours = _bands(lanes, "phase:")
    [(x0, x1, y0, y1)] = ours["dns_outage"]
    assert (x0, x1) == (3590.0, 9000.0) and y0 == pytest.approx(3.38) and y1 == pytest.approx(3.9)
    assert ours["nlb_flapping"][0][:2] == (11000.0, END), "a phase still under way runs to the end"
    lanes_of = {name: {bar[2:] for bar in bars} for name, bars in ours.items()}
    rows = [row for spans in lanes_of.values() for row in spans]
    assert len(rows) == len(set(rows)) == 4, "one lane each, none shared"
    aws = _bands(lanes, "aws_phase:")
    assert aws["dns_outage"][0][:2] == (ANCHOR, ANCHOR + 9420)  # 23:48 to 02:25, AWS's span
    assert aws["dns_outage"][0][3] <= ours["dns_outage"][0][2], "AWS's span sits under ours, in the same lane"


def test_operator_actions_are_markers_named_in_words(figure: Figure) -> None:
    operator = _panels(figure)[-1]
    markers = {str(line.get_label()): _x(line) for line in operator.get_lines() if line.get_marker() == "D"}
    assert markers == {"operator_paged": 3620.0, "operator_identified_dns": 6620.0, "operator_restored_dns": 9000.0}
    words = [text.get_text() for text in operator.texts]
    assert "00:38 identified DNS as the cause" in words


@pytest.mark.parametrize(("suffix", "magic"), [(".png", b"\x89PNG"), (".svg", b"<?xml"), (".pdf", b"%PDF")])
def test_the_file_format_follows_the_extension(tmp_path: Path, suffix: str, magic: bytes) -> None:
    path = tmp_path / f"story{suffix}"
    write_story_plot(SAMPLES[:60], REPORT, path, story_of(REPORT), title="t")
    assert path.read_bytes().startswith(magic)


def test_a_run_without_dynamodb_errors_has_no_pdt_clock_and_no_aws_lines() -> None:
    import matplotlib.pyplot as plt

    report = {"phases": [], "timeline": [], "virtual_seconds": 7200.0}
    drawn = story_figure(SAMPLES[:121], report, story_of(report), title="healthy")
    try:
        panels = _panels(drawn)
        assert not any(_aws_lines(axis) for axis in panels)
        assert panels[-1].get_xlabel().startswith("virtual hours")
        assert [text.get_text() for text in drawn.axes[0].texts] == ["not in this run"] * 4
    finally:
        plt.close(drawn)
