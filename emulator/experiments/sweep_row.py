"""One row of a sweep: run a task in this process and flatten its report.

Kept apart from the spec (:mod:`emulator.experiments.sweep_spec`), which is
plain data: this is the function a spawned process or a Dask worker runs,
imported there by name.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import structlog

from emulator.config.loading import build_config
from emulator.world.phases import phase_outcomes
from emulator.world.runner import RunFailed, run_world

if TYPE_CHECKING:
    from emulator.experiments.sweep_spec import RunTask
    from emulator.world.world import Observer

__all__ = ["execute_run", "flatten_outcomes"]

# Report entries that describe the run rather than measure an outcome.
_BOOKKEEPING = frozenset({"config", "timeline", "phases"})


def flatten_outcomes(report: dict[str, Any]) -> dict[str, bool | int | float | None]:
    """Every numeric, boolean or null field of every report section, as ``section.field``.

    Generic on purpose: sections added to the report later (DWFM, EC2, NLB ...)
    flow into the table, the summary and the plots without any change here.
    """
    flat: dict[str, bool | int | float | None] = {}

    def walk(prefix: str, section: dict[str, Any]) -> None:
        for name, value in section.items():
            if isinstance(value, dict):
                walk(f"{prefix}{name}.", value)
            elif value is None or isinstance(value, (bool, int, float)):
                flat[f"{prefix}{name}"] = value

    for name, value in report.items():
        if isinstance(value, dict) and name not in _BOOKKEEPING:
            walk(f"{name}.", value)
    return flat


# Trio seeds its scheduler from one module-level generator (emulator.kernel.determinism):
# two runs interleaved in threads of one process (a Dask worker with several
# threads) would draw from it in turn and lose their determinism. One run at a
# time per process keeps every row reproducible.
_ONE_RUN_PER_PROCESS = threading.Lock()


def execute_run(task: RunTask, observers: Sequence[Observer] = ()) -> dict[str, Any]:
    """Run one task and return its row. Top level and import-light: spawn and Dask pickle it by name.

    A run that fails (an actor crash, or anything else) becomes a ``failed``
    row carrying its error, so one bad run never stops a sweep.
    """
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL))
    row: dict[str, Any] = dict(task.point)
    row.update(seed=task.seed, status="ok", trace_hash="", error="")
    try:
        name, config = build_config(task.scenario, task.sets, task.faults)
        with _ONE_RUN_PER_PROCESS:
            report = run_world(config, seed=task.seed, scenario=name, observers=observers).report
    except RunFailed as failure:
        row.update(status="failed", trace_hash=failure.partial.get("trace_hash", ""), error=str(failure))
        return row
    except Exception as exc:
        row.update(status="failed", error=f"internal error: {exc!r}")
        return row
    row["trace_hash"] = report["trace_hash"]
    row.update(flatten_outcomes(report))
    row.update(phase_outcomes(report))
    return row
