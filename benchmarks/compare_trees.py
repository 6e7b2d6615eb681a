"""Two checkouts of the emulator, timed as whole processes, side by side.

Not a test: run it by hand to see whether a change made the emulator slower
or bigger, e.g. against the last release::

    git worktree add ../emulator-before v0.1.0
    .venv/bin/python benchmarks/compare_trees.py --before ../emulator-before --after . --runs 3

For each workload it runs ``python -m emulator ...`` from each checkout in
turn (interleaved, so the machine's noise falls on both alike) and prints,
per checkout, the median wall time with its min-max and the peak RSS, then
the ratio after/before. The workloads are the ones users wait for: the
default incident (``run``), and the healthy world of 10,000 droplets for six
virtual hours. Each process is the whole program: start-up, building the
world, the run, tear-down and the report.
"""

from __future__ import annotations

import argparse
import os
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


def timed(tree: Path, arguments: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one whole process run from ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator", *arguments],
        cwd=tree,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{tree}: python -m emulator {' '.join(arguments)} failed")
    return wall, usage.ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, required=True, help="checkout to compare against")
    parser.add_argument("--after", type=Path, default=Path("."), help="checkout under test (default: here)")
    parser.add_argument("--runs", type=int, default=3, help="runs per checkout and workload (default 3)")
    args = parser.parse_args()
    trees = {"before": args.before.resolve(), "after": args.after.resolve()}
    print(f"{'workload':<28} {'tree':<7} {'median wall':>11} {'min-max':>15} {'peak RSS':>10}")
    for label, arguments in WORKLOADS.items():
        walls: dict[str, list[float]] = {name: [] for name in trees}
        rss: dict[str, list[float]] = {name: [] for name in trees}
        for _ in range(args.runs):
            for name, tree in trees.items():
                wall, peak = timed(tree, arguments)
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
