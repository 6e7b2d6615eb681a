"""The metrics side of ``run``: exporter, recorded series, OpenMetrics and plot.

Kept out of :mod:`emulator.cli.main` so the CLI only registers these options and
wraps its run in :func:`open_run_outputs`. Everything that can fail on user
input (a port in use, no matplotlib for ``--plot``, a recording that would
not fit in memory) fails here, before the run starts and before anything is
written, as a :class:`~emulator.config.loading.ConfigError`: one line, exit 2.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

import attrs
from prometheus_client import CollectorRegistry

from emulator.cli.paths import STDOUT
from emulator.config.loading import ConfigError
from emulator.config.tree import Config
from emulator.world.aws_timeline import ANCHOR_EVENT, ANCHOR_PDT_S, AWS_MILESTONES, AWS_PHASES, AwsMilestone
from emulator.world.report import write_report
from emulator.world.world import Observer
from metrics.exporter import DEFAULT_ADDR, ExporterError, metrics_url, serve_metrics
from metrics.factory import Metrics, build_metrics
from metrics.files import OutputError
from metrics.recorder import DEFAULT_MAX_SAMPLES, Recorder
from metrics.story_axes import AwsMark, PdtClock, Story

PLOT_SUFFIXES = (".png", ".svg", ".pdf")

__all__ = [
    "PLOT_SUFFIXES",
    "RunOutputs",
    "add_metrics_options",
    "add_run_output_options",
    "open_run_outputs",
    "print_output_failures",
    "save_report",
    "serving",
    "story_of",
]


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"invalid --metrics-port {text!r}: expected a port 0-65535 (0: any free)")
    return value


def _address(text: str) -> str:
    """An address to listen on: an IPv4 or IPv6 literal, or ``localhost``."""
    if text == "localhost":
        return text
    try:
        return str(ipaddress.ip_address(text.strip("[]")))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid --metrics-addr {text!r}: expected an IPv4 or IPv6 address (such as 127.0.0.1, 0.0.0.0 or ::1)"
        ) from None


def add_metrics_options(parser: argparse.ArgumentParser, *, default_port: int | None = None) -> None:
    """``--metrics-port`` / ``--metrics-addr``, shared by ``run`` and ``soak``."""
    where = f" (default {default_port})" if default_port is not None else ""
    parser.add_argument(
        "--metrics-port", type=_port, default=default_port, metavar="N", help=f"serve /metrics on this port{where}"
    )
    parser.add_argument(
        "--metrics-addr",
        type=_address,
        default=None,
        metavar="ADDR",
        help=f"the address to serve /metrics on (default {DEFAULT_ADDR}: this machine only)",
    )


def add_run_output_options(parser: argparse.ArgumentParser) -> None:
    add_metrics_options(parser)
    parser.add_argument("--openmetrics", type=Path, metavar="FILE", help="write the recorded series, virtual time")
    parser.add_argument(
        "--plot",
        type=Path,
        metavar="FILE.png",
        help="draw the incident's story on one page: six panels on AWS's PDT clock, AWS's milestones, "
        "the phases (.png, .svg or .pdf)",
    )
    parser.add_argument(
        "--plot-all",
        type=Path,
        metavar="FILE.png",
        help="draw every recorded metric, one panel each, phases shaded (.png, .svg or .pdf)",
    )


@contextmanager
def serving(metrics: Metrics, port: int | None, addr: str | None) -> Iterator[int | None]:
    """Serve ``metrics`` while the block runs (if a port was asked for); yields the bound port."""
    if port is None:
        yield None
        return
    try:
        with serve_metrics(metrics.registry, port, addr or DEFAULT_ADDR) as bound:
            yield bound
    except ExporterError as exc:
        raise ConfigError(str(exc)) from None


@attrs.define
class RunOutputs:
    """What one run records, and where it goes once the run is over."""

    recorder: Recorder | None
    openmetrics: Path | None
    plot: Path | None
    port: int | None = None
    plot_all: Path | None = None

    @property
    def observers(self) -> list[Observer]:
        return [self.recorder.observe] if self.recorder is not None else []

    def write(self, report: dict[str, Any], stream: TextIO = sys.stdout) -> list[OutputError]:
        """Write the requested files from the recorded samples (after the run); say so on ``stream``.

        One file that cannot be written (a full disk) does not cost the
        others: each is tried, and the failures are returned for the caller
        to report in one line.
        """
        if self.recorder is None:
            return []
        samples = list(self.recorder.samples)
        failures: list[OutputError] = []
        if self.openmetrics is not None:
            from metrics.openmetrics import write_openmetrics

            try:
                write_openmetrics(samples, self.openmetrics)
                print(f"OpenMetrics: {self.openmetrics} ({len(samples)} samples, virtual timestamps)", file=stream)
            except OutputError as exc:
                failures.append(exc)
        title = f"outage-emulator: scenario={report['scenario']} seed={report['seed']}"
        if self.plot is not None:
            from metrics.story_plot import write_story_plot

            try:
                write_story_plot(samples, report, self.plot, story_of(report), title=title)
                print(f"Plot: {self.plot}", file=stream)
            except OutputError as exc:
                failures.append(exc)
        if self.plot_all is not None:
            from metrics.plot import write_plot

            try:
                write_plot(samples, report["phases"], self.plot_all, title=title)
                print(f"Plot (every metric): {self.plot_all}", file=stream)
            except OutputError as exc:
                failures.append(exc)
        return failures


def story_of(report: dict[str, Any]) -> Story:
    """AWS's timeline as the story plot needs it, anchored where this run's timeline is."""
    anchor = next((float(e["t"]) for e in report["timeline"] if e["event"] == ANCHOR_EVENT), None)
    if anchor is None:
        return Story(clock=None)
    milestones = tuple(AwsMark(m.aws_s, m.pdt, m.what) for m in AWS_MILESTONES)
    aws_phases = {name: (_after_anchor(start), _after_anchor(end)) for name, (start, end) in AWS_PHASES.items()}
    return Story(PdtClock(anchor, ANCHOR_PDT_S, date="19-20 October 2025"), milestones, aws_phases)


def _after_anchor(pdt: str) -> float:
    return AwsMilestone(pdt, "", "").aws_s


def print_output_failures(failures: list[OutputError], stream: TextIO | None = None) -> None:
    """Outputs that could not be written, in one line: the caller then exits 1."""
    if failures:
        print(f"outage-emulator: error: {'; '.join(map(str, failures))}", file=stream or sys.stderr)


def _check_recording(args: argparse.Namespace, config: Config) -> None:
    for option, path in (("--plot", args.plot), ("--plot-all", args.plot_all)):
        if path is not None:
            from metrics.plot import plot_available

            if not plot_available():
                raise ConfigError(f"invalid {option} {str(path)!r}: needs matplotlib; reinstall outage-emulator")
    run = config.run
    samples = run.duration_s / run.sample_interval_s
    if samples > DEFAULT_MAX_SAMPLES:
        raise ConfigError(
            f"invalid run.sample_interval_s={run.sample_interval_s:g}: records {samples:.0f} samples over "
            f"run.duration_s={run.duration_s:g}, at most {DEFAULT_MAX_SAMPLES}; raise the interval"
        )


@contextmanager
def open_run_outputs(args: argparse.Namespace, config: Config) -> Iterator[RunOutputs]:
    """Check the options, start the exporter if asked; the run goes inside the block."""
    wants_files = args.openmetrics is not None or args.plot is not None or args.plot_all is not None
    if wants_files:
        _check_recording(args, config)
    if args.metrics_port is None and args.metrics_addr is not None:
        raise ConfigError(f"invalid --metrics-addr {args.metrics_addr!r}: it needs --metrics-port N to serve anything")
    if not wants_files and args.metrics_port is None:
        yield RunOutputs(recorder=None, openmetrics=None, plot=None)
        return
    metrics = build_metrics(CollectorRegistry(auto_describe=True))
    recorder = Recorder(metrics, keep=DEFAULT_MAX_SAMPLES if wants_files else 0)
    with serving(metrics, args.metrics_port, args.metrics_addr) as port:
        if port is not None:
            print(f"Serving metrics on {metrics_url(args.metrics_addr or DEFAULT_ADDR, port)}", flush=True)
        yield RunOutputs(
            recorder=recorder, openmetrics=args.openmetrics, plot=args.plot, port=port, plot_all=args.plot_all
        )


def save_report(report: dict[str, Any], path: Path | None) -> list[OutputError]:
    """Write the report if asked for (``-``: to stdout); a failure (a full disk) is returned, for one line.

    The other outputs still go, and days of soak do not end in a traceback.
    """
    if path is None:
        return []
    try:
        if path != STDOUT:
            write_report(report, path)
            return []
        try:
            json.dump(report, sys.stdout, indent=2, default=str)
            sys.stdout.write("\n")
            sys.stdout.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputError(Path("<stdout>"), exc) from None
    except OutputError as exc:
        return [exc]
    return []
