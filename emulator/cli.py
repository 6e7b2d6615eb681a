"""``outage-emulator``: the command line.

Exit status: 0 for a completed run (whatever happened in it), 2 for bad input
(one line naming the field, the value and what is allowed; nothing written),
1 for an internal failure (the partial report is still written).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import structlog

from emulator.aws_timeline import annotate
from emulator.bench import add_bench_parser, command_bench
from emulator.durations import format_duration, parse_duration
from emulator.report import write_report
from emulator.run_outputs import add_run_output_options, open_run_outputs
from emulator.runner import RunFailed, run_world
from emulator.settings import ConfigError, build_config, describe_keys, parse_set
from emulator.soak import add_soak_command, command_soak
from emulator.sweep_cli import add_sweep_parser, command_sweep

__all__ = ["main"]

PROG = "outage-emulator"


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
        value = -1.0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"invalid --speed {text!r}: expected a number > 0")
    return value


def _add_world_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scenario", default="incident", help="incident, remediated, healthy or FILE.toml")
    parser.add_argument("--seed", type=_seed, default=0)
    parser.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--fault", dest="faults", action="append", default=[], metavar="KIND:AT:DURATION")
    parser.add_argument("--duration", type=_duration, help="virtual run time, e.g. 6h (run.duration_s)")
    parser.add_argument("--report", type=Path, metavar="FILE.json")
    parser.add_argument("--log-format", choices=("console", "json"), default="console")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only the summary")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Emulate the AWS us-east-1 outage of 19-20 October 2025.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = commands.add_parser("run", help="play a scenario once and report")
    _add_world_options(run)
    run.add_argument("--clock", choices=("virtual", "realtime"), default="virtual")
    run.add_argument("--speed", type=_speed, default=60.0, help="virtual seconds per wall second (realtime)")
    add_run_output_options(run)
    add_soak_command(commands, world_options=_add_world_options, speed=_speed)
    commands.add_parser("keys", help="list every configuration key and its default")
    add_sweep_parser(commands)
    add_bench_parser(commands)
    return parser


def configure_logging(log_format: str, quiet: bool) -> None:
    """structlog to stderr; every event already carries virtual time (``vt``)."""
    renderer: Any = (
        structlog.processors.JSONRenderer() if log_format == "json" else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[structlog.processors.add_log_level, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING if quiet else logging.INFO),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )


def _print_timeline(report: dict[str, Any]) -> None:
    print("Timeline (virtual time since start | as PDT, anchored on the first DynamoDB error | AWS's):")
    for entry, clock, aws in annotate(report["timeline"]):
        details = " ".join(f"{k}={v}" for k, v in entry.items() if k not in ("t", "event", "actor"))
        line = f"  {format_duration(entry['t'])} {clock or '':>5}  {entry['event']:<31} {entry['actor']:<24} {details}"
        print(f"{line.rstrip():<118} [AWS {aws}]" if aws else line.rstrip())


def _print_summary(report: dict[str, Any]) -> None:
    dns, ddb = report["dns"], report["dynamodb"]
    first = dns["first_empty_at"]
    print(
        f"Summary: scenario={report['scenario']} seed={report['seed']} "
        f"virtual={format_duration(report['virtual_seconds'])} wall={report['wall_seconds']:.1f}s "
        f"events={report['events']} trace_hash={report['trace_hash'][:16]}"
    )
    print(
        f"  DNS: race={'yes' if dns['race_occurred'] else 'no'} "
        f"first_empty_at={format_duration(first) if first is not None else '-'} "
        f"empty_for={dns['empty_record_seconds']:.0f}s stuck={'yes' if dns['stuck'] else 'no'} "
        f"max_lag={dns['enactor_max_lag_generations']} lock_conflicts={dns['lock_conflicts']}"
    )
    print(
        f"  DynamoDB: requests={ddb['requests']} unresolvable={ddb['failed_unresolvable']} "
        f"error_seconds={ddb['error_seconds']:.0f}"
    )
    dwfm, ec2, nm, nlb = report["dwfm"], report["ec2"], report["network_manager"], report["nlb"]
    recovery = dwfm["lease_recovery_seconds"]
    recovered = f"{recovery:.0f}s" if recovery is not None else ("never" if dwfm["leases_expired_peak"] else "-")
    print(
        f"  DWFM: leases_expired_peak={dwfm['leases_expired_peak']} collapse={'yes' if dwfm['collapse'] else 'no'} "
        f"collapse_for={dwfm['collapse_seconds']:.0f}s "
        f"lease_recovery={recovered} "
        f"max_queue={dwfm['max_queue_depth']} timeouts={dwfm['work_timeouts']}"
    )
    print(
        f"  EC2: launches ok={ec2['launches_ok']} insufficient_capacity={ec2['launches_insufficient_capacity']} "
        f"throttled={ec2['launches_throttled']}"
    )
    print(
        f"  Network Manager: max_backlog={nm['max_backlog']} p99_propagation={nm['p99_propagation_seconds']}s "
        f"without_connectivity_peak={nm['instances_without_connectivity_peak']}"
    )
    print(
        f"  NLB: flaps={nlb['health_flaps']} az_failovers={nlb['az_failovers']} "
        f"min_capacity={nlb['min_capacity_fraction']:.2f} connection_errors={nlb['connection_errors']:.0f} "
        f"healthcheck_max_delay={nlb['healthcheck_max_delay_seconds']:.0f}s"
    )


def _command_run(args: argparse.Namespace) -> int:
    sets = [parse_set(text) for text in args.sets]
    if args.duration is not None:
        sets.append(("run.duration_s", str(args.duration)))
    scenario, config = build_config(args.scenario, sets, args.faults)
    configure_logging(args.log_format, args.quiet)
    try:
        with open_run_outputs(args, config) as outputs:
            result = run_world(
                config,
                seed=args.seed,
                scenario=scenario,
                clock_mode=args.clock,
                speed=args.speed,
                observers=outputs.observers,
            )
    except RunFailed as failure:
        if args.report:
            write_report(failure.partial, args.report)
        print(
            f"{PROG}: {failure} (partial report{' in ' + str(args.report) if args.report else ' not requested'})",
            file=sys.stderr,
        )
        return 1
    if not args.quiet:
        _print_timeline(result.report)
    _print_summary(result.report)
    if args.report:
        write_report(result.report, args.report)
    outputs.write(result.report)
    return 0


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
