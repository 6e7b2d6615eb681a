"""``outage-emulator soak``: the world in real time, served to Prometheus, until stopped.

A soak runs the real-time clock (``--speed`` virtual seconds per wall second,
default 60: a virtual minute a second), serves its metrics on
:data:`DEFAULT_METRICS_PORT` (what ``grafana/prometheus.yml`` scrapes),
prints a one-line status every few seconds and runs until Ctrl-C, SIGTERM or
``--duration`` (virtual). A stop is clean: the world is stopped through
:meth:`~emulator.world.world.World.stop`, the final report is written, exit 0
(1, in one line, if the report cannot be written: a full disk).

Incidents must be able to recur over a long soak, so unless the user says
otherwise a soak sets ``operator.pause_dns_automation_after_repair=false``:
after each repair the automation runs again, and with the fixes off the race
can strike again; with them on (``--scenario remediated``) it must not.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from typing import Any, TextIO, cast

import structlog
from prometheus_client import CollectorRegistry

from emulator.cli.options import add_world_options, speed, subcommand
from emulator.cli.paths import STDOUT, check_output
from emulator.cli.run_outputs import add_metrics_options, print_output_failures, save_report, serving
from emulator.cli.signals import SignalStop, ignoring_signals
from emulator.cli.status import ClearingStream, StatusLine, format_status, status_figures
from emulator.config.loading import build_config, load_scenario, parse_set
from emulator.config.rules import MAX_WALL_DURATION_S
from emulator.kernel.durations import parse_duration
from emulator.world.runner import RunFailed, run_world
from emulator.world.world import Observer
from metrics.exporter import DEFAULT_ADDR, metrics_url
from metrics.factory import build_metrics
from metrics.recorder import Recorder

__all__ = ["DEFAULT_METRICS_PORT", "SOAK_DEFAULTS", "add_soak_command", "command_soak"]

DEFAULT_METRICS_PORT = 9700
# Without --duration a soak runs "forever": ten virtual years.
FOREVER_S = 10 * 365 * 86400.0  # until stopped; the wall-time ceiling still applies
# Soak defaults that the scenario file or --set may override.
SOAK_DEFAULTS: dict[str, str] = {"operator.pause_dns_automation_after_repair": "false"}


def _wall_seconds(text: str) -> float:
    """``--status-every``: wall seconds, as a number or a duration (``500ms``, ``5s``)."""
    try:
        if (seconds := parse_duration(text)) > 0:
            return seconds
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"invalid --status-every {text!r}: expected wall seconds > 0, e.g. 3 or 500ms")


def add_soak_command(commands: Any) -> None:
    """Register ``soak`` on the CLI's subparsers, with the same world options as ``run``."""
    soak = subcommand(commands, "soak", help="run in real time with live metrics until Ctrl-C")
    add_world_options(soak)
    soak.add_argument("--speed", type=speed, default=60.0, help="virtual seconds per wall second")
    add_metrics_options(soak, default_port=DEFAULT_METRICS_PORT)
    soak.add_argument(
        "--status-every", type=_wall_seconds, default=3.0, metavar="S", help="wall seconds between status lines"
    )


def soak_overrides(args: argparse.Namespace) -> list[tuple[str, str]]:
    """The soak's defaults first (unless the scenario file sets them), then the user's ``--set``."""
    _, scenario_overrides, _ = load_scenario(args.scenario)
    pairs = [(key, value) for key, value in SOAK_DEFAULTS.items() if key not in scenario_overrides]
    pairs += [parse_set(text) for text in args.sets]
    until_stopped = min(FOREVER_S, args.speed * MAX_WALL_DURATION_S)
    pairs.append(("run.duration_s", str(args.duration if args.duration is not None else until_stopped)))
    return pairs


def command_soak(args: argparse.Namespace) -> int:
    from emulator.cli.output import PROG, configure_logging, print_summary

    check_output("--report", args.report, (".json",), allow_stdout=True)
    scenario, config = build_config(args.scenario, soak_overrides(args), args.faults, realtime_speed=args.speed)
    configure_logging(args.log_format, args.quiet)
    # With --report -, stdout carries the JSON alone; the status and the summary go to stderr.
    human = sys.stderr if args.report == STDOUT else sys.stdout
    status = StatusLine(human, live=human.isatty())
    if status.live:
        log_stream = cast(TextIO, ClearingStream(sys.stderr, status))
        structlog.configure(logger_factory=structlog.PrintLoggerFactory(log_stream))
    metrics = build_metrics(CollectorRegistry(auto_describe=True))
    recorder = Recorder(metrics, keep=0)
    stop = SignalStop()
    observers: list[Observer] = [recorder.observe, stop.observe]
    if not args.quiet:  # -q: the final summary only
        observers.append(status.observer(args.status_every, args.speed))
    with serving(metrics, args.metrics_port, args.metrics_addr) as port:
        assert port is not None  # soak always serves (its port has a default)
        print(
            f"Soak: scenario={scenario} seed={args.seed} speed={args.speed:g}x, metrics on "
            f"{metrics_url(args.metrics_addr or DEFAULT_ADDR, port)}; Ctrl-C to stop",
            file=sys.stderr if args.quiet else human,
            flush=True,
        )
        try:
            result = run_world(
                config, seed=args.seed, scenario=scenario, clock_mode="realtime", speed=args.speed, observers=observers
            )
        except RunFailed as failure:
            status.finish()
            with ignoring_signals():
                failures = save_report(failure.partial, args.report)
            print(f"{PROG}: {failure}", file=sys.stderr)
            print_output_failures(failures)
            return 1
    status.finish()
    world = result.world
    with ignoring_signals():
        failures = save_report(result.report, args.report)
    with contextlib.redirect_stdout(human):
        if not args.quiet:
            # The same figures as the report below it, from the same world.
            print(f"Stopped: {format_status(status_figures(world), status.width('Stopped: '))}")
        print_summary(result.report)
    stop.restore()
    print_output_failures(failures)
    return 1 if failures else 0
