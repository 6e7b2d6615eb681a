"""``outage-emulator``: the command line.

Exit status: 0 for a completed run (whatever happened in it), 2 for bad input
(one line naming the field, the value and what is allowed; nothing written),
1 for an internal failure (the partial report is still written) or an output
that could not be written (a full disk: one line, every other output kept).
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import sys
from collections.abc import Sequence
from typing import TextIO

from emulator.cli.compare import add_compare_parser, command_compare
from emulator.cli.keys import add_keys_parser, command_keys
from emulator.cli.options import Parser, add_output_style, add_world_options, speed, subcommand
from emulator.cli.output import (
    PROG,
    configure_logging,
    print_aws_comparison,
    print_summary,
    print_timeline,
    stream_to_devnull,
)
from emulator.cli.paths import STDOUT, check_output
from emulator.cli.replay import add_replay_parsers, command_diff, command_replay, reproduce_command
from emulator.cli.run_outputs import (
    PLOT_SUFFIXES,
    add_run_output_options,
    open_run_outputs,
    print_output_failures,
    save_report,
)
from emulator.cli.signals import SignalStop, exit_status, ignoring_signals
from emulator.cli.soak import add_soak_command, command_soak
from emulator.cli.sweep import add_sweep_parser, command_sweep
from emulator.config.loading import ConfigError, build_config, parse_set
from emulator.config.tree import Config
from emulator.experiments.bench import add_bench_arguments, command_bench
from emulator.world.runner import RunFailed, run_world

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = Parser(prog=PROG, description="Emulate the AWS us-east-1 outage of 19-20 October 2025.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    run = subcommand(commands, "run", help="play a scenario once and report")
    add_world_options(run)
    run.add_argument(
        "--clock", choices=("virtual", "realtime"), default="virtual", help="virtual: as fast as it computes"
    )
    run.add_argument(
        "--speed", type=speed, default=None, help="virtual seconds per wall second, with --clock realtime (default 60)"
    )
    add_run_output_options(run)
    add_soak_command(commands)
    add_keys_parser(commands)
    add_replay_parsers(commands)
    add_sweep_parser(commands)
    add_compare_parser(commands)
    bench = subcommand(commands, "bench", help="benchmark the world against a plain SimPy lease loop")
    add_bench_arguments(bench)
    add_output_style(bench, quiet="the figures")
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
    check_output("--plot-all", args.plot_all, PLOT_SUFFIXES)
    realtime_speed = (args.speed or 60.0) if args.clock == "realtime" else None
    scenario, config = build_config(args.scenario, sets, args.faults, realtime_speed=realtime_speed)
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
            failures = save_report(failure.partial, args.report)
        where = (" not saved" if failures else f" in {args.report}") if args.report else " not requested"
        print(f"{PROG}: {failure} (partial report{where})", file=sys.stderr)
        print(f"{PROG}: replay it: {reproduce_command(failure.partial, failure.replay_until)}", file=sys.stderr)
        print_output_failures(failures)
        return 1
    with ignoring_signals():
        # Files first: a reader that closes the pipe early (| head) must not cost the report.
        failures = save_report(result.report, args.report)
        failures += outputs.write(result.report, stream=human)
    with contextlib.redirect_stdout(human):
        if not args.quiet:
            print_timeline(result.report)
            print_aws_comparison(result.report)
        print_summary(result.report)
    if failures:
        print_output_failures(failures)
        return 1
    if stop.received is not None:
        where = f"; partial report in {args.report}" if args.report else ""
        print(
            f"{PROG}: stopped by {stop.received.name} at virtual time {result.report['virtual_seconds']:.3f} s{where}",
            file=sys.stderr,
        )
        return exit_status(stop.received)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "keys":
            return command_keys(args)
        if args.command in ("replay", "diff"):
            configure_logging(args.log_format, quiet=True)  # the replayed run's own logs are not news
            return command_replay(args) if args.command == "replay" else command_diff(args)
        if args.command == "sweep":
            return command_sweep(args)
        if args.command == "compare":
            return command_compare(args)
        if args.command == "bench":
            configure_logging(args.log_format, args.quiet)
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
        stream_to_devnull(sys.stdout)
        return 0
    except OSError as exc:
        if exc.errno not in STDOUT_FULL:
            raise
        # Files were written first (they report their own failures), so only the
        # printed text is lost: one line, exit 1, and no second error at exit.
        stream_to_devnull(sys.stdout)
        print(f"{PROG}: cannot write to standard output: {exc.strerror}", file=sys.stderr)
        return 1


# Errors a write to a full or failing standard output raises; the run's files report their own.
STDOUT_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EIO})
