"""Running a sweep: every grid point x seed, in parallel, resumable, then summary and plots.

Executors: ``inline`` (one run after another in this process: one worker,
debuggers work), ``local`` (a :class:`~concurrent.futures.ProcessPoolExecutor`
with spawned workers: each run is CPU-bound Python, so processes, not threads)
and ``dask`` (a Dask distributed cluster). Every executor feeds the same
:func:`~emulator.experiments.sweep_row.execute_run`, so rows do not depend on where a run
ran. Rows are written as runs finish; Ctrl-C (or SIGTERM, see
``emulator.cli.signals``) cancels what is queued, stops the workers and keeps
every finished row for the next resume. Workers die with their parent, even
one killed outright.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, Protocol, TextIO

import attrs

from emulator.config.loading import ConfigError
from emulator.experiments.inline import InlineExecutor
from emulator.experiments.sweep_progress import Progress
from emulator.experiments.sweep_row import execute_run
from emulator.experiments.sweep_spec import EXECUTORS, RunTask, SweepError, SweepSpec, validate
from emulator.experiments.sweep_store import ResultsStore
from emulator.experiments.sweep_summary import CHAIN_OUTCOMES, summarise
from emulator.world.report import write_report

__all__ = ["EXECUTORS", "Progress", "RowsOutcome", "SweepError", "SweepOutcome", "run_rows", "run_sweep"]

# How long to keep trying to reach a Dask scheduler before giving up with a one-line error.
DASK_CONNECT_TIMEOUT_S = 15.0
Row = dict[str, Any]


@attrs.frozen
class SweepOutcome:
    """What one invocation did; ``executed`` excludes rows kept from earlier sessions."""

    out: Path
    executed: int
    skipped: int
    failed: int
    interrupted: bool
    summary: dict[str, Any] | None
    plots: tuple[Path, ...]


class _Executor(Protocol):
    def results(self, tasks: Sequence[RunTask]) -> Iterator[Row]: ...
    def close(self, abort: bool) -> None: ...


# prctl(2) option: the signal the kernel sends this process when its parent dies.
_PR_SET_PDEATHSIG = 1
# How often a worker on a system without prctl checks that its parent is still there.
_PARENT_POLL_S = 1.0


def _init_worker(parent: int) -> None:
    """Worker initializer: Ctrl-C is the parent's to handle, and the worker dies with its parent.

    The terminal sends SIGINT to the whole process group; a worker that died
    of it mid-queue would break the pool before the parent could stop cleanly.
    A parent killed outright (SIGKILL, the OOM killer) cannot terminate its
    workers, which would run on for minutes with nobody to take their rows:
    on Linux the kernel is asked to send SIGTERM when the parent goes, and
    elsewhere a thread watches for it.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    else:
        threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the parent died before the kernel was told
        os._exit(1)


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(_PARENT_POLL_S)
    os._exit(1)


class _ProcessPool:
    """A spawned process pool: the same start method on every OS, and no forked Trio state."""

    def __init__(self, workers: int) -> None:
        self._pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(os.getpid(),),
        )
        self._futures: list[Future[Row]] = []

    def results(self, tasks: Sequence[RunTask]) -> Iterator[Row]:
        self._futures = [self._pool.submit(execute_run, task) for task in tasks]
        try:
            for future in as_completed(self._futures):
                yield future.result()
        except BrokenProcessPool as exc:
            raise SweepError(f"a worker process died ({exc}); finished rows are kept, run again to resume") from None

    def close(self, abort: bool) -> None:
        if abort:
            # Runs in flight may take minutes; their rows would be lost anyway
            # if the user pressed Ctrl-C again, so stop them now. The pool has
            # no public way to do this before Python 3.14's terminate_workers().
            # The queued futures are not cancelled from here first: the pool's
            # own thread then marks every unfinished future broken, and on
            # Python 3.11 marking one we had cancelled raises InvalidStateError
            # in that thread, which printed a traceback on SIGTERM. Shutting
            # down with cancel_futures lets that thread cancel what it can.
            for process in list(getattr(self._pool, "_processes", {}).values()):
                process.terminate()
        self._pool.shutdown(wait=True, cancel_futures=True)


class _Dask:
    """A Dask distributed cluster; workers need this same emulator installed."""

    def __init__(self, scheduler: str) -> None:
        try:
            import distributed
        except ImportError:
            raise ConfigError(
                "invalid --executor dask: needs the optional extra (pip install 'outage-emulator[dask]')"
            ) from None
        # distributed is only partly typed; its surface used here is small.
        self._distributed: Any = distributed
        try:
            self._client: Any = self._distributed.Client(scheduler, timeout=f"{DASK_CONNECT_TIMEOUT_S}s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise ConfigError(f"invalid --scheduler {scheduler!r}: cannot connect ({exc})") from None
        self._futures: list[Any] = []

    def results(self, tasks: Sequence[RunTask]) -> Iterator[Row]:
        self._futures = self._client.map(execute_run, list(tasks), pure=False)
        for future in self._distributed.as_completed(self._futures):
            yield future.result()

    def close(self, abort: bool) -> None:
        if abort and self._futures:
            # Stops what has not started; a run already on a worker goes on to its
            # end there (Dask does not interrupt a running task) and its row is dropped.
            self._client.cancel(self._futures)
        self._client.close()


def _make_executor(executor: str, workers: int, scheduler: str | None) -> _Executor:
    if executor == "dask":
        if not scheduler:
            raise ConfigError("invalid --executor dask: needs --scheduler tcp://HOST:8786")
        return _Dask(scheduler)
    if executor != "local":
        raise ConfigError(f"invalid --executor {executor!r}: allowed {', '.join(EXECUTORS)}")
    return InlineExecutor() if workers == 1 else _ProcessPool(workers)


@attrs.frozen
class RowsOutcome:
    """What :func:`run_rows` did; the rows themselves are in the store's ``results.csv``."""

    store: ResultsStore
    executed: int
    skipped: int
    failed: int
    interrupted: bool


def run_rows(
    spec: SweepSpec,
    out: Path,
    *,
    workers: int | None = None,
    executor: str = "local",
    scheduler: str | None = None,
    progress_stream: TextIO | None = None,
    show_progress: bool = True,
    on_row: Callable[[Row], None] | None = None,
    label: str = "sweep",
    before_runs: Callable[[], None] | None = None,
) -> RowsOutcome:
    """Validate, then run every task of ``spec`` not yet in ``out``: the part of a sweep that ``compare`` shares.

    Raises :class:`ConfigError` before anything is written for bad input or a
    folder holding another sweep. Ctrl-C returns with ``interrupted`` set; the
    rows written so far stay for the next resume. ``before_runs`` is called once
    the input, the folder and the executor are known good, before the folder
    is touched: where the CLI prints the plan (a cluster that cannot be
    reached is refused before it).
    """
    validate(spec)
    store = ResultsStore(out, spec)
    store.check()
    chosen = _make_executor(executor, workers or os.cpu_count() or 1, scheduler)
    executed = failed = 0
    interrupted = False
    try:
        if before_runs is not None:
            before_runs()
        finished = store.open()
        pending = [task for task in spec.tasks() if task.key not in finished]
        progress = Progress(
            len(pending) + len(finished), len(finished), progress_stream, shown=show_progress, label=label
        )
        try:
            for row in chosen.results(pending):
                store.append(row)
                executed += 1
                failed += row["status"] == "failed"
                progress.update(row)
                if on_row is not None:
                    on_row(row)
        except KeyboardInterrupt:
            interrupted = True
        finally:
            progress.finish()
    except BaseException:
        chosen.close(abort=True)
        raise
    else:
        chosen.close(abort=interrupted)
    finally:
        store.close()
    return RowsOutcome(store, executed, len(finished), failed, interrupted)


def run_sweep(
    spec: SweepSpec,
    out: Path,
    *,
    workers: int | None = None,
    executor: str = "local",
    scheduler: str | None = None,
    plot_outcomes: tuple[str, ...] = (),
    plots: bool = True,
    progress_stream: TextIO | None = None,
    show_progress: bool = True,
    on_row: Callable[[Row], None] | None = None,
    before_runs: Callable[[], None] | None = None,
) -> SweepOutcome:
    """Run what is missing (:func:`run_rows`), then write ``summary.json`` and the plots.

    ``plots=False`` leaves the plots out (``--no-plots``): drawing them, with
    matplotlib's import, can take longer than a small sweep's runs.

    Ctrl-C returns with ``interrupted`` set and no summary.
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
        before_runs=before_runs,
    )
    if ran.interrupted:
        return SweepOutcome(out, ran.executed, ran.skipped, ran.failed, True, None, ())
    summary = summarise(spec, ran.store.rows(), headline=plot_outcomes or CHAIN_OUTCOMES)
    write_report(summary, out / "summary.json")
    drawn: list[Path] = []
    if plots:
        from emulator.experiments.sweep_plots import plot_summary  # matplotlib is slow to import: only when drawing

        drawn = plot_summary(summary, out / "plots", plot_outcomes)
    return SweepOutcome(out, ran.executed, ran.skipped, ran.failed, False, summary, tuple(drawn))
