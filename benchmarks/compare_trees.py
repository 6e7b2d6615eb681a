"""Two checkouts of the emulator, timed as whole processes, side by side.

Not a test: run it by hand to see whether a change made the emulator slower
or bigger, e.g. against the last release::

    git worktree add ../emulator-before 1e872c1   # 0.1.0, the last commit before the move to messages
    .venv/bin/python benchmarks/compare_trees.py --before ../emulator-before --after . --runs 3

For each workload it runs ``python -m emulator ...`` from each checkout in
turn (interleaved, so the machine's noise falls on both alike) and prints,
per checkout, the median wall time with its min-max and the peak RSS, then
the ratio after/before. The workloads are the ones users wait for: the
default incident (``run``), and the healthy world of 10,000 droplets for six
virtual hours. Each process is the whole program: start-up, building the
world, the run, tear-down and the report.

``--paired`` runs the two checkouts at the same time instead, each pinned to
a core of its own (the cores swapped from run to run), and prints the median
of the per-pair ratios. On a shared machine whose speed drifts by a fifth
from one minute to the next, interleaved runs still see different minutes;
a pair sees the same one, so its ratio moves far less (on one day, for the
healthy world: 1.10-1.14 over four pairs, where runs one after the other
gave 1.10-1.57 on the same two trees).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

WORKLOADS = {
    "default incident (run)": ["run", "-q"],
    "healthy, 10k droplets, 6h": [
        "run",
        "-q",
        "--scenario",
        "healthy",
        "--set",
        "ec2.droplets=10000",
        "--duration",
        "6h",
    ],
}


def start(tree: Path, arguments: list[str], core: int | None = None) -> subprocess.Popen[bytes]:
    """One whole process of the emulator run from ``tree``, pinned to ``core`` if given."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.Popen(
        [sys.executable, "-m", "emulator", *arguments],
        cwd=tree,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=None if core is None else lambda: os.sched_setaffinity(0, {core}),
    )


def peak_rss_mib(pid: int, status: int, usage: resource.struct_rusage, tree: Path, arguments: list[str]) -> float:
    """Peak RSS (MiB) of the exited process ``pid``; stop if it failed."""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{tree}: python -m emulator {' '.join(arguments)} failed (process {pid})")
    return usage.ru_maxrss / 1024


def timed(tree: Path, arguments: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one whole process run from ``tree``."""
    started = time.perf_counter()
    pid, status, usage = os.wait4(start(tree, arguments).pid, 0)
    return time.perf_counter() - started, peak_rss_mib(pid, status, usage, tree, arguments)


def timed_pair(trees: dict[str, Path], arguments: list[str], cores: list[int]) -> dict[str, tuple[float, float]]:
    """Both checkouts at once, each on a core of its own: (wall, peak RSS) per checkout."""
    started = time.perf_counter()
    names = {start(tree, arguments, core).pid: name for (name, tree), core in zip(trees.items(), cores, strict=True)}
    results: dict[str, tuple[float, float]] = {}
    while len(results) < len(names):  # whichever ends first, timed when it ends
        pid, status, usage = os.wait4(-1, 0)
        name = names[pid]
        results[name] = (time.perf_counter() - started, peak_rss_mib(pid, status, usage, trees[name], arguments))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, required=True, help="checkout to compare against")
    parser.add_argument("--after", type=Path, default=Path("."), help="checkout under test (default: here)")
    parser.add_argument("--runs", type=int, default=3, help="runs per checkout and workload (default 3)")
    parser.add_argument("--paired", action="store_true", help="run the two at once, each on its own core")
    args = parser.parse_args()
    trees = {"before": args.before.resolve(), "after": args.after.resolve()}
    cores = sorted(os.sched_getaffinity(0))
    if args.paired and len(cores) < 2:
        parser.error(f"--paired needs two cores; this process may use {len(cores)}")
    print(f"{'workload':<28} {'tree':<7} {'median wall':>11} {'min-max':>15} {'peak RSS':>10}")
    for label, arguments in WORKLOADS.items():
        walls: dict[str, list[float]] = {name: [] for name in trees}
        rss: dict[str, list[float]] = {name: [] for name in trees}
        pair_ratios: list[float] = []
        for run in range(args.runs):
            if args.paired:
                pinned = cores[:2] if run % 2 == 0 else cores[1::-1]
                results = timed_pair(trees, arguments, pinned)
                pair_ratios.append(results["after"][0] / results["before"][0])
            else:
                results = {name: timed(tree, arguments) for name, tree in trees.items()}
            for name, (wall, peak) in results.items():
                walls[name].append(wall)
                rss[name].append(peak)
        for name in trees:
            print(
                f"{label:<28} {name:<7} {statistics.median(walls[name]):>10.1f}s "
                f"{min(walls[name]):>6.1f}-{max(walls[name]):<6.1f}s {max(rss[name]):>8.0f}MiB",
                flush=True,
            )
        ratio = statistics.median(walls["after"]) / statistics.median(walls["before"])
        print(f"{label:<28} after/before wall time: {ratio:.2f}")
        if pair_ratios:
            spread = f"{min(pair_ratios):.2f}-{max(pair_ratios):.2f}"
            print(f"{label:<28} after/before per pair: {statistics.median(pair_ratios):.2f} (median; {spread})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
