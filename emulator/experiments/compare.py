"""``compare``: the same seeds under every variant of the declared fixes, side by side.

A comparison is a sweep over one named axis, ``variant``, whose values stand
for the overrides of their fixes (:mod:`emulator.experiments.fixes`). So it
runs on the sweep's executors, resumes from the same ``results.csv``, and
every cell is the ``outage-emulator run`` command its row names (same
``trace_hash``). What it adds is the choice of outcomes worth comparing,
their statistics per variant (the sweep summary's: Wilson intervals for
rates, Student's t for means), ``compare.csv`` / ``compare.json`` /
``compare.png`` and interpretation lines read off the numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any, TextIO

import attrs

from emulator.config.loading import build_config
from emulator.experiments.compare_interpret import interpret
from emulator.experiments.fixes import FIXES, Fix, Variant, variants
from emulator.experiments.sweep import run_rows
from emulator.experiments.sweep_spec import GridAxis, SweepSpec, run_command
from emulator.experiments.sweep_store import decode_cell, encode_cell
from emulator.experiments.sweep_summary import summarise
from emulator.world.aws_timeline import aws_phase_seconds
from emulator.world.phases import PHASES
from emulator.world.report import write_report
from metrics.files import atomic_write

__all__ = [
    "CELL_COLUMNS",
    "OUTCOMES",
    "VARIANT_AXIS",
    "CompareOutcome",
    "Outcome",
    "compare_spec",
    "run_compare",
    "summarise_compare",
]

VARIANT_AXIS = "variant"
VELOCITY_KEY = "nlb.velocity_control.enabled"
CSV_FILE, JSON_FILE, PNG_FILE = "compare.csv", "compare.json", "compare.png"


@attrs.frozen
class Outcome:
    """One column of the comparison: a row column, a rate or a mean, and how to show it."""

    column: str
    kind: str  # "boolean" (a rate over seeds) or "numeric" (a mean over seeds)
    title: str
    unit: str  # "s", "fraction" or "count"


# The study's headline (did the race happen, did DWFM collapse, did NLB flap: the sweep's
# ``CHAIN_OUTCOMES``) is always among these, so the table shows it even where no variant moves it.
OUTCOMES: tuple[Outcome, ...] = (
    Outcome("dns.race_occurred", "boolean", "DNS race", "rate"),
    *(Outcome(f"phases.{name}.occurred", "boolean", name, "rate") for name in PHASES),
    *(Outcome(f"phases.{name}.seconds", "numeric", name, "s") for name in PHASES),
    Outcome("dynamodb.error_seconds", "numeric", "DynamoDB errors", "s"),
    Outcome("dwfm.lease_recovery_seconds", "numeric", "lease recovery", "s"),
    Outcome("nlb.min_capacity_fraction", "numeric", "capacity floor", "fraction"),
    Outcome("nlb.connection_errors", "numeric", "NLB conn. errors", "count"),
)
CELL_COLUMNS = ("variant", "fixes", "seed", "status", "trace_hash", "command", "error")


@attrs.frozen
class CompareOutcome:
    """What one invocation did; ``result`` is None when interrupted (rows kept for a resume)."""

    out: Path
    executed: int
    skipped: int
    failed: int
    interrupted: bool
    result: dict[str, Any] | None


def compare_spec(
    chosen: Sequence[Fix] = FIXES,
    *,
    scenario: str = "incident",
    sets: tuple[tuple[str, str], ...] = (),
    faults: tuple[str, ...] = (),
    seeds: tuple[int, int] = (0, 19),
    duration: str | None = None,
    only: Collection[str] | None = None,
) -> SweepSpec:
    """The comparison as a sweep: one named axis of variants, the same seeds for each."""
    built = variants(chosen, only)
    axis = GridAxis(
        VARIANT_AXIS,
        tuple(variant.name for variant in built),
        tuple((variant.name, variant.overrides()) for variant in built),
    )
    return SweepSpec(scenario=scenario, sets=sets, faults=faults, grid=(axis,), seeds=seeds, duration=duration)


def _stats(entry: dict[str, Any], outcome: Outcome) -> dict[str, Any] | None:
    """The sweep summary's statistics of one outcome; None where it never had a value (e.g. no phase)."""
    found: dict[str, Any] | None = entry[outcome.kind].get(outcome.column)
    if found is None and outcome.kind == "boolean":
        return None
    if found is None:  # every cell null, or the column was numeric-less: say how many runs it had
        return {"n": 0, "missing": entry["runs"] - entry["failed"]}
    return found


def _velocity_floor(spec: SweepSpec, chosen: Sequence[Fix]) -> float | None:
    """The share of NLB nodes velocity control keeps in DNS whatever happens, if a variant switches it on.

    A failover is refused once more than ``max_removal_fraction`` of the nodes
    would be out, so ``1 - max_removal_fraction`` is the floor it promises.
    """
    if not any(key == VELOCITY_KEY for fix in chosen for key, _ in fix.overrides):
        return None
    task = spec.task((spec.grid[0].values[0],), spec.seeds[0])
    _, config = build_config(task.scenario, task.sets, task.faults)
    return 1.0 - config.nlb.velocity_control.max_removal_fraction


def summarise_compare(spec: SweepSpec, chosen: Sequence[Fix], rows: list[dict[str, str]]) -> dict[str, Any]:
    """``compare.json``: the fixes, per variant the statistics of every outcome, every cell, the reading."""
    summary = summarise(spec, rows)
    built = {variant.name: variant for variant in variants(chosen)}  # every kind: the spec may hold fewer
    table = []
    for entry in summary["points"]:
        variant: Variant = built[entry["grid"][VARIANT_AXIS]]
        table.append(
            {
                "variant": variant.name,
                "kind": variant.kind,
                "fixes": list(variant.fixes),
                "runs": entry["runs"],
                "failed": entry["failed"],
                "outcomes": {outcome.column: _stats(entry, outcome) for outcome in OUTCOMES},
            }
        )
    cells = []
    for row in sorted(rows, key=lambda row: (list(built).index(row[VARIANT_AXIS]), int(row["seed"]))):
        task = spec.task((row[VARIANT_AXIS],), int(row["seed"]))
        cell: dict[str, Any] = {
            "variant": row[VARIANT_AXIS],
            "fixes": "+".join(built[row[VARIANT_AXIS]].fixes),
            "seed": task.seed,
            "status": row["status"],
            "trace_hash": row["trace_hash"],
            "command": run_command(task),
            "error": row["error"],
        }
        cell.update({outcome.column: decode_cell(row.get(outcome.column, "")) for outcome in OUTCOMES})
        cells.append(cell)
    return {
        "parameters": summary["parameters"],
        "fixes": [
            {
                "name": fix.name,
                "label": fix.label,
                "remediation": fix.remediation,
                "aws": fix.remediation is not None,
                "overrides": [list(pair) for pair in fix.overrides],
                "description": fix.description,
            }
            for fix in chosen
        ],
        "outcomes": [attrs.asdict(outcome) for outcome in OUTCOMES],
        "aws_phase_seconds": aws_phase_seconds(),
        "velocity_control_floor": _velocity_floor(spec, chosen),
        "runs": summary["runs"],
        "expected_runs": summary["expected_runs"],
        "failed": summary["failed"],
        "variants": table,
        "interpretation": interpret(table, {fix.name: fix.label for fix in chosen}),
        "cells": cells,
        "failures": summary["failures"],
    }


def cells_csv(result: dict[str, Any], stream: TextIO) -> None:
    """``compare.csv``: one line per cell (variant x seed) with the command that replays it."""
    writer = csv.DictWriter(stream, [*CELL_COLUMNS, *(outcome.column for outcome in OUTCOMES)], lineterminator="\n")
    writer.writeheader()
    for cell in result["cells"]:
        writer.writerow({name: encode_cell(value) for name, value in cell.items()})


def _write_outputs(result: dict[str, Any], out: Path, *, plot: bool) -> None:
    buffer = io.StringIO()
    cells_csv(result, buffer)
    atomic_write(out / CSV_FILE, lambda stream: stream.write(buffer.getvalue().encode()))
    write_report(result, out / JSON_FILE)
    if not plot:
        return
    from emulator.experiments.compare_plot import plot_compare  # matplotlib is slow to import: only at the end

    plot_compare(result, out / PNG_FILE)


def run_compare(
    spec: SweepSpec,
    chosen: Sequence[Fix],
    out: Path,
    *,
    workers: int | None = None,
    executor: str = "local",
    scheduler: str | None = None,
    progress_stream: TextIO | None = None,
    show_progress: bool = True,
    on_row: Callable[[dict[str, Any]], None] | None = None,
    plot: bool = True,
) -> CompareOutcome:
    """Run what is missing (as a sweep would), then write ``compare.csv``, ``.json`` and ``.png``.

    ``plot=False`` (``--no-plots``) leaves the ``.png`` out: matplotlib's import and the
    drawing take longer than a quick comparison's runs.
    """
    ran = run_rows(
        spec,
        out,
        workers=workers,
        executor=executor,
        scheduler=scheduler,
        progress_stream=progress_stream,
        show_progress=show_progress,
        on_row=on_row,
        label="compare",
    )
    if ran.interrupted:
        return CompareOutcome(out, ran.executed, ran.skipped, ran.failed, True, None)
    result = summarise_compare(spec, chosen, ran.store.rows())
    _write_outputs(result, out, plot=plot)
    return CompareOutcome(out, ran.executed, ran.skipped, ran.failed, False, result)
