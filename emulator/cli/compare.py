"""``outage-emulator compare``: which fix would have stopped what, over the same seeds.

The options are checked before any run (a fix name, the seeds, the folder,
every variant's config): bad input is one line naming the field, the value
and what is allowed, exit 2, nothing written. The runs are a sweep's (same
executors, same resume from ``--out``); a run that failed is listed with the
command that reproduces it and makes the exit status 1. Ctrl-C, SIGTERM or
SIGHUP stop it as they stop a sweep: the finished rows kept, one line, exit
130, 143 or 129; a full disk is one line and exit 1.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emulator.cli.options import (
    add_config_options,
    add_executor_options,
    add_output_style,
    check_executor_options,
    subcommand,
)
from emulator.cli.paths import check_output_folder
from emulator.cli.resumable import say_disk_full, say_stopped
from emulator.cli.signals import interrupting_signals
from emulator.config.loading import parse_set
from emulator.experiments.compare_interpret import span
from emulator.experiments.fixes import FIXES, NOT_A_SWITCH, fixes_by_name
from emulator.experiments.sweep_spec import EXECUTORS, SweepError, parse_seeds
from metrics.files import OutputError

if TYPE_CHECKING:
    from emulator.experiments.compare import CompareOutcome, Outcome

__all__ = ["add_compare_parser", "command_compare", "print_fixes"]

PROG = "outage-emulator"
FORMATS = ("table", "csv", "json")


def add_compare_parser(commands: Any) -> None:
    """Register ``compare`` on the entry point's subparsers."""
    compare = subcommand(
        commands,
        "compare",
        help="the same seeds with no fix, each fix alone, all but one, all: which fix stops what",
        description="Every variant of the declared fixes x seeds, in virtual time; resumable with the same --out.",
    )
    add_config_options(compare, duration_as_text=True)
    compare.add_argument("--seeds", metavar="A..B", default="0..19", help="seeds, both ends included")
    compare.add_argument(
        "--fix",
        dest="fixes",
        action="extend",
        nargs="+",
        default=[],
        metavar="NAME",
        help="compare only these fixes (default: every one; --list names them)",
    )
    compare.add_argument("--list", action="store_true", help="print the declared fixes and exit")
    compare.add_argument("--no-plots", action="store_true", help="write compare.csv and compare.json only")
    compare.add_argument("--out", type=Path, default=Path("compare-out"), help="results folder")
    add_executor_options(compare, EXECUTORS)
    compare.add_argument("--format", choices=FORMATS, default="table", help="what goes to stdout")
    add_output_style(compare, quiet="the table and its reading (no progress, no closing line)")


def print_fixes() -> None:
    """``compare --list``: name, AWS's remediation, switches, what it does."""
    width = max(len(fix.name) for fix in FIXES)
    for fix in FIXES:
        who = f"AWS {fix.remediation}" if fix.remediation is not None else "not AWS's"
        switches = " ".join(f"{key}={value}" for key, value in fix.overrides)
        print(f"{fix.name:<{width}}  {who:<9}  {switches}\n{'':<{width}}  {fix.description}")
    for number, why in NOT_A_SWITCH.items():
        print(f"(AWS {number}: {why})")


def _fraction(value: float) -> str:
    return f"{value:.2f}"


def _count(value: float) -> str:
    return f"{value:.3g}"


_FORMATS: dict[str, Callable[[float], str]] = {"s": span, "fraction": _fraction, "count": _count}


def _cell(stats: dict[str, Any] | None, outcome: Outcome) -> str:
    if stats is None:
        return "-"
    if outcome.kind == "boolean":
        low, high = stats["ci95"]
        return f"{stats['count']}/{stats['n']} [{low:.2f},{high:.2f}]" if stats["n"] else "-"
    if "mean" not in stats:
        return "-"
    shown = _FORMATS[outcome.unit]
    low, high = stats["mean_ci95"]
    # Durations, counts and shares are never negative (nor a share above 1): two seeds far apart give a
    # t interval that crosses zero, which would print as a negative time.
    low, high = max(0.0, low), (min(1.0, high) if outcome.unit == "fraction" else high)
    interval = f" [{shown(low)},{shown(high)}]" if shown(low) != shown(high) else ""
    absent = f" n={stats['n']}" if stats["missing"] else ""
    return f"{shown(stats['mean'])}{interval}{absent}"


def _print_grid(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(line[index]) for line in [header, *rows]) for index in range(len(header))]
    print(title)
    for line in [header, *rows]:
        print("  ".join(text.ljust(width) for text, width in zip(line, widths, strict=True)).rstrip())


def print_table(result: dict[str, Any]) -> None:
    """Two tables (rates, then means), variants as rows, then the interpretation lines."""
    from emulator.experiments.compare import OUTCOMES

    first, last = result["parameters"]["seeds"]
    print(
        f"Compare: scenario {result['parameters']['scenario']}, seeds {first}..{last}, "
        f"{len(result['variants'])} variants, {result['runs']} runs ({result['failed']} failed)"
    )
    for kind, title in (
        ("boolean", "\nRace and phases: seeds where it happened / seeds [95% Wilson interval]"),
        ("numeric", "\nMeans over seeds [95% t interval]; a phase's duration over the seeds where it happened (n)"),
    ):
        shown = [outcome for outcome in OUTCOMES if outcome.kind == kind]
        rows = [
            [variant["variant"], *(_cell(variant["outcomes"][outcome.column], outcome) for outcome in shown)]
            for variant in result["variants"]
        ]
        _print_grid(title, ["variant", *(outcome.title for outcome in shown)], rows)
    aws = ", ".join(f"{name} {span(seconds)}" for name, seconds in result["aws_phase_seconds"].items())
    print(f"AWS's durations: {aws}")
    floor = result["velocity_control_floor"]
    if floor is not None:
        print(f"Velocity control keeps at least {floor:.2f} of each load balancer's nodes in DNS (capacity floor)")
    print("\nReading:")
    for line in result["interpretation"]:
        print(f"  {line}")


def command_compare(args: argparse.Namespace) -> int:
    from emulator.cli.output import configure_logging
    from emulator.experiments.compare import cells_csv, compare_spec, run_compare  # the pool, Dask: only here

    if args.list:
        print_fixes()
        return 0
    chosen = fixes_by_name(args.fixes)
    spec = compare_spec(
        chosen,
        scenario=args.scenario,
        sets=tuple(parse_set(text) for text in args.sets),
        faults=tuple(args.faults),
        seeds=parse_seeds(args.seeds),
        duration=args.duration,
    )
    check_output_folder("--out", args.out)
    check_executor_options(args)
    configure_logging(args.log_format, args.quiet)
    with interrupting_signals() as received:
        try:
            outcome: CompareOutcome | None = run_compare(
                spec,
                chosen,
                args.out,
                workers=args.workers,
                executor=args.executor,
                scheduler=args.scheduler,
                show_progress=not args.quiet,
                plot=not args.no_plots,
            )
        except KeyboardInterrupt:  # a signal outside the loop of runs (while opening, or summarising)
            outcome = None
        except SweepError as exc:
            print(f"{PROG}: {exc}", file=sys.stderr)
            return 1
        except OutputError as exc:
            return say_disk_full(exc)
    if outcome is None or outcome.interrupted:
        return say_stopped(args.out, received)
    result = outcome.result
    assert result is not None
    closing = sys.stdout if args.format == "table" else sys.stderr
    if args.format == "table":
        print_table(result)
    elif args.format == "csv":
        buffer = io.StringIO()
        cells_csv(result, buffer)
        sys.stdout.write(buffer.getvalue())
    else:
        json.dump(result, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
    if not args.quiet:
        names = ("compare.csv", "compare.json") if args.no_plots else ("compare.csv", "compare.json", "compare.png")
        files = ", ".join(str(args.out / name) for name in names)
        print(
            f"\nCompare: {result['runs']} runs ({outcome.executed} run now, {outcome.skipped} resumed), "
            f"{result['failed']} failed -> {files}",
            file=closing,
        )
    for failure in result["failures"]:
        print(
            f"  failed {failure['grid']['variant']} seed={failure['seed']}: {failure['error']}\n"
            f"    reproduce: {failure['command']}",
            file=sys.stderr,
        )
    return 1 if result["failed"] else 0
