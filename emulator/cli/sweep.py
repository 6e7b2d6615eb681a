"""``outage-emulator sweep``: its options, and turning them (and a study) into a sweep.

Kept out of :mod:`emulator.cli.main` so that the shared entry point only registers
the subcommand and dispatches to it. Bad input raises
:class:`~emulator.config.loading.ConfigError`, which the entry point prints as one
line with exit status 2. Ctrl-C, SIGTERM or SIGHUP exits 130, 143 or 129 with
finished rows kept and no worker left running; an output that cannot be
written (a full disk) is one line and exit 1, rows kept. A sweep with failed
runs (a crash, a broken invariant) exits 1 once everything is written.
"""

from __future__ import annotations

import argparse
import os
import sys
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
from emulator.config.loading import LEAF_TYPES, ConfigError, parse_set
from emulator.experiments.studies import STUDIES, Study
from emulator.experiments.sweep_plan import calibrate, format_estimate, format_plan, plan_sweep
from emulator.experiments.sweep_spec import (
    EXECUTORS,
    GRID_FAULT,
    GridAxis,
    SweepError,
    SweepSpec,
    parse_grid,
    parse_seeds,
    validate,
)
from emulator.experiments.sweep_store import RESULTS_FILE
from emulator.experiments.sweep_summary import charted_outcomes
from metrics.files import OutputError

if TYPE_CHECKING:
    from emulator.experiments.sweep import SweepOutcome

__all__ = ["add_sweep_parser", "command_sweep", "spec_from_args"]

PROG = "outage-emulator"


def add_sweep_parser(commands: Any) -> None:
    """Register ``sweep`` on the entry point's subparsers (which print bad input as one line)."""
    sweep = subcommand(
        commands,
        "sweep",
        help="run a grid of settings x seeds in parallel: results.csv, summary.json, plots",
        description="Every grid point x seed in virtual time, in parallel; resumable with the same --out.",
    )
    sweep.add_argument("--study", choices=sorted(STUDIES), help="a ready-made sweep; other options adjust it")
    add_config_options(sweep, scenario_default=None, duration_as_text=True)
    sweep.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="KEY=V1,V2,...",
        help=f"a swept key; `{GRID_FAULT}=KIND:AT:DURATION,...` sweeps faults",
    )
    sweep.add_argument("--seeds", metavar="A..B", help="seeds, both ends included")
    add_executor_options(sweep, EXECUTORS)
    sweep.add_argument("--out", type=Path, help="results folder (default sweep-STUDY or sweep-out)")
    sweep.add_argument(
        "--dry-run",
        action="store_true",
        help="print the plan (runs, virtual time, a wall-time estimate from a short calibration) and exit",
    )
    sweep.add_argument(
        "--no-plots", action="store_true", help="write results.csv and summary.json only (plots take seconds)"
    )
    add_output_style(sweep, quiet="the closing line and failures")


def _check_study_keys(study: Study) -> None:
    """A study may name keys this version does not have yet: say so in the study's name."""
    keys = [key for key, _ in study.sets] + [key for key, _ in study.grid if key != GRID_FAULT]
    for key in keys:
        if key not in LEAF_TYPES:
            raise ConfigError(
                f"invalid --study {study.name}: key {key} does not exist in this version; see `{PROG} keys`"
            )


def spec_from_args(args: argparse.Namespace) -> tuple[SweepSpec, tuple[str, ...], Path]:
    """The sweep, the outcomes to plot and the folder: the study's defaults, then the options."""
    study = STUDIES[args.study] if args.study else None
    if study is not None:
        _check_study_keys(study)
    axes: dict[str, GridAxis] = {}
    if study is not None:
        axes = {key: GridAxis(key, values) for key, values in study.grid}
    user_axes = [parse_grid(text) for text in args.grid]
    seen: set[str] = set()
    for axis in user_axes:
        if axis.key in seen:
            raise ConfigError(f"invalid --grid {axis.key}: the same key is given twice; list all values in one")
        seen.add(axis.key)
        axes[axis.key] = axis
    if not axes:
        raise ConfigError("invalid sweep: needs at least one --grid KEY=V1,V2,... (or --study NAME)")
    seeds_text = args.seeds or (study.seeds if study else None)
    if seeds_text is None:
        raise ConfigError("invalid sweep: needs --seeds A..B (or --study NAME)")
    spec = SweepSpec(
        scenario=args.scenario or (study.scenario if study else "incident"),
        sets=(*(study.sets if study else ()), *(parse_set(text) for text in args.sets)),
        faults=(*(study.faults if study else ()), *args.faults),
        grid=tuple(axes.values()),
        seeds=parse_seeds(seeds_text),
        duration=args.duration or (study.duration if study else None),
    )
    out = args.out or Path(f"sweep-{study.name}" if study else "sweep-out")
    return spec, (study.outcomes if study else ()), out


def _describe(stats: dict[str, Any], kind: str) -> str:
    if kind == "boolean":
        if stats["rate"] is None:
            return "-"
        low, high = stats["ci95"]
        return f"{stats['rate']:.2f} [{low:.2f},{high:.2f}]"
    if "mean" not in stats:
        return "-"
    missing = f" ({stats['missing']} null)" if stats["missing"] else ""
    return f"{stats['mean']:.4g} p95={stats['p95']:.4g}{missing}"


def _print_table(summary: dict[str, Any], outcomes: tuple[str, ...]) -> None:
    """Per grid point, the outcomes asked about: rate [95% CI] or mean and p95."""
    kinds: dict[str, str] = summary["outcomes"]
    shown = [name for name in outcomes if name in kinds]
    if not shown:
        return
    for point in summary["points"]:
        where = " ".join(f"{key}={value}" for key, value in point["grid"].items())
        cells = "  ".join(f"{name}={_describe(point[kinds[name]][name], kinds[name])}" for name in shown)
        print(f"  {where}  runs={point['runs']}  {cells}")


def _print_plan(spec: SweepSpec, out: Path, args: argparse.Namespace, *, validated: bool = False) -> None:
    """Bad input is refused first (exit 2, nothing run); then the plan, then a calibrated estimate.

    The plan goes out before the calibration runs, so a user who sees a far
    bigger sweep than meant can stop it at once.
    """
    if not validated:
        validate(spec)
    plan = plan_sweep(spec, out)
    if args.study:
        print(f"Study {args.study}: {STUDIES[args.study].question}")
    print("\n".join(format_plan(plan)), flush=True)
    workers = None if args.executor == "dask" else (args.workers or os.cpu_count() or 1)
    estimate = format_estimate(plan, calibrate(plan), workers)
    if estimate:
        print(estimate, flush=True)


def command_sweep(args: argparse.Namespace) -> int:
    from emulator.cli.output import configure_logging
    from emulator.experiments.sweep import run_sweep  # the process pool and Dask: only when sweeping

    spec, outcomes, out = spec_from_args(args)
    check_output_folder("--out", out)
    configure_logging(args.log_format, args.quiet)
    check_executor_options(args)
    if args.dry_run:  # the plan is all it prints, even under -q; no cluster is needed for it
        try:
            _print_plan(spec, out, args)
        except KeyboardInterrupt:
            print(f"{PROG}: interrupted while calibrating; nothing was written", file=sys.stderr)
            return 130
        return 0
    with interrupting_signals() as received:
        try:
            outcome: SweepOutcome | None = run_sweep(
                spec,
                out,
                workers=args.workers,
                executor=args.executor,
                scheduler=args.scheduler,
                plot_outcomes=outcomes,
                plots=not args.no_plots,
                show_progress=not args.quiet,
                # -q keeps the closing line only: no plan, and no calibration runs.
                before_runs=None if args.quiet else lambda: _print_plan(spec, out, args, validated=True),
            )
        except KeyboardInterrupt:  # a signal outside the loop of runs (while opening, or summarising)
            outcome = None
        except SweepError as exc:
            print(f"{PROG}: {exc}", file=sys.stderr)
            return 1
        except OutputError as exc:
            return say_disk_full(exc)
    if outcome is None or outcome.interrupted:
        return say_stopped(out, received)
    results = out / RESULTS_FILE
    assert outcome.summary is not None
    summary = outcome.summary
    print(
        f"Sweep: {summary['runs']} runs ({outcome.executed} run now, {outcome.skipped} resumed), "
        f"{summary['failed']} failed -> {results}, {out / 'summary.json'}, "
        + ("no plots (--no-plots)" if args.no_plots else f"{len(outcome.plots)} plots in {out / 'plots'}")
    )
    if not args.quiet:
        _print_table(summary, outcomes or tuple(charted_outcomes(summary)[:6]))
    for failure in summary["failures"]:
        print(f"  failed seed={failure['seed']}: {failure['error']}\n    reproduce: {failure['command']}")
    if summary["failed"]:
        # A script or CI job must not take a sweep with crashed or violating runs for a clean one.
        print(
            f"{PROG}: {summary['failed']} of {summary['runs']} runs failed (every row, the summary"
            f"{'' if args.no_plots else ' and the plots'} are written; each failure above has the command that "
            "replays it)",
            file=sys.stderr,
        )
        return 1
    return 0
