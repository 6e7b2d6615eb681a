"""``outage-emulator``: the command line.

Exit status: 0 for a completed run (whatever happened in it), 2 for bad input
(one line naming the field, the value and what is allowed; nothing written),
1 for an internal failure (the partial report is still written).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

from emulator.cli.output import PROG, configure_logging, print_aws_comparison, print_summary, print_timeline
from emulator.cli.paths import STDOUT, check_output
from emulator.cli.run_outputs import PLOT_SUFFIXES, add_run_output_options, open_run_outputs
from emulator.cli.signals import SignalStop, exit_status, ignoring_signals
from emulator.cli.soak import add_soak_command, command_soak
from emulator.cli.sweep import add_sweep_parser, command_sweep
from emulator.config.loading import ConfigError, build_config, describe_keys, parse_set
from emulator.config.tree import Config
from emulator.experiments.bench import add_bench_parser, command_bench
from emulator.kernel.durations import parse_duration
from emulator.world.report import write_report
from emulator.world.runner import RunFailed, run_world

__all__ = ["main"]

# Virtual seconds per wall second: below, a run crawls for ever; above, timers cannot keep up.
SPEED_RANGE = (0.01, 100_000.0)


class _Parser(argparse.ArgumentParser):
    """argparse, but bad input is one line and exit status 2."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid --seed {text!r}: expected a whole number >= 0") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"invalid --seed {text!r}: expected a whole number >= 0")
    return value


def _duration(text: str) -> float:
    try:
        value = parse_duration(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid duration {text!r}: expected e.g. 90s, 10m, 2h") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"invalid duration {text!r}: must be > 0")
    return value


def _speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not SPEED_RANGE[0] <= value <= SPEED_RANGE[1]:
        raise argparse.ArgumentTypeError(
            f"invalid --speed {text!r}: expected a number from {SPEED_RANGE[0]:g} to {SPEED_RANGE[1]:g}"
        )
    return value


def _add_world_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scenario", default="incident", help="incident, remediated, healthy or FILE.toml")
    parser.add_argument("--seed", type=_seed, default=0)
    parser.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--fault", dest="faults", action="append", default=[], metavar="KIND:AT:DURATION")
    parser.add_argument("--duration", type=_duration, help="virtual run time, e.g. 6h (run.duration_s)")
    parser.add_argument(
        "--report", type=Path, metavar="FILE.json", help="write the full JSON report here ('-': to stdout)"
    )
    parser.add_argument("--log-format", choices=("console", "json"), default="console")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only the summary")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Emulate the AWS us-east-1 outage of 19-20 October 2025.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = commands.add_parser("run", help="play a scenario once and report")
    _add_world_options(run)
    run.add_argument("--clock", choices=("virtual", "realtime"), default="virtual")
    run.add_argument(
        "--speed", type=_speed, default=None, help="virtual seconds per wall second, with --clock realtime (default 60)"
    )
    add_run_output_options(run)
    add_soak_command(commands, world_options=_add_world_options, speed=_speed)
    commands.add_parser("keys", help="list every configuration key and its default")
    add_sweep_parser(commands)
    add_bench_parser(commands)
    return parser


def _command_run(args: argparse.Namespace) -> int:
    sets = [parse_set(text) for text in args.sets]
    if args.duration is not None:
        sets.append(("run.duration_s", str(args.duration)))
    if args.speed is not None and args.clock == "virtual":
        raise ConfigError(
            f"invalid --speed {args.speed:g}: applies only with --clock realtime (virtual time has no speed)"
        )
    check_output("--report", args.report, (".json",), allow_stdout=True)
    check_output("--openmetrics", args.openmetrics)
    check_output("--plot", args.plot, PLOT_SUFFIXES)
    speed = (args.speed or 60.0) if args.clock == "realtime" else None
    scenario, config = build_config(args.scenario, sets, args.faults, realtime_speed=speed)
    configure_logging(args.log_format, args.quiet)
    # With --report -, stdout carries the JSON alone; what people read goes to stderr.
    human = sys.stderr if args.report == STDOUT else sys.stdout
    stop = SignalStop()
    try:
        return _run_and_report(args, config, scenario, human, stop)
    finally:
        stop.restore()


def _run_and_report(args: argparse.Namespace, config: Config, scenario: str, human: TextIO, stop: SignalStop) -> int:
    try:
        with open_run_outputs(args, config) as outputs:
            result = run_world(
                config,
                seed=args.seed,
                scenario=scenario,
                clock_mode=args.clock,
                speed=args.speed or 60.0,
                observers=[*outputs.observers, stop.observe],
            )
    except RunFailed as failure:
        with ignoring_signals():
            if args.report:
                _write_report(failure.partial, args.report)
        print(
            f"{PROG}: {failure} (partial report{' in ' + str(args.report) if args.report else ' not requested'})",
            file=sys.stderr,
        )
        return 1
    with ignoring_signals():
        # Files first: a reader that closes the pipe early (| head) must not cost the report.
        if args.report:
            _write_report(result.report, args.report)
        outputs.write(result.report, stream=human)
    with contextlib.redirect_stdout(human):
        if not args.quiet:
            print_timeline(result.report)
            print_aws_comparison(result.report)
        print_summary(result.report)
    if stop.received is not None:
        where = f"; partial report in {args.report}" if args.report else ""
        print(
            f"{PROG}: stopped by {stop.received.name} at virtual time {result.report['virtual_seconds']:.3f} s{where}",
            file=sys.stderr,
        )
        return exit_status(stop.received)
    return 0


def _write_report(report: dict[str, Any], path: Path) -> None:
    if path == STDOUT:
        json.dump(report, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
        sys.stdout.flush()
    else:
        write_report(report, path)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "keys":
            print("\n".join(describe_keys()))
            return 0
        if args.command == "sweep":
            return command_sweep(args)
        if args.command == "bench":
            return command_bench(args)
        if args.command == "soak":
            return command_soak(args)
        return _command_run(args)
    except ConfigError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (| head): end quietly, as other command-line tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
