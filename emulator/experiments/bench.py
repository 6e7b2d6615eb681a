"""``outage-emulator bench``: how fast and how big the world is, against SimPy.

For each fleet size it runs the whole ``healthy`` world in virtual time, and
the same lease loop written plainly in SimPy (a dev dependency): every
droplet a process that wakes every ``dwfm.state_check_interval_s`` and
renews its lease. Then the default ``incident`` against the SimPy loop of
the same fleet and virtual duration: what the whole cascade costs against a
bare lease loop.

Each is a whole process, timed from the outside as a user waits for it
(start-up, building the world, the run, tear-down; peak RSS from the
kernel's accounting of the child), ``--runs`` times, world and SimPy in
turn so that the machine's noise falls on both alike; the median is
printed with the min-max beside it, and the ratio SimPy / world (above 1:
the world is faster). The world's own figures from inside the process
follow: lease checks and virtual seconds per wall second from one virtual
second in (every droplet up) to the last instant, RSS per droplet, and the
tear-down apart. Figures are printed, never asserted: the machines are noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

from emulator.experiments.simpy_loop import rss_bytes

__all__ = ["add_bench_arguments", "command_bench"]


def _world_child(droplets: int, duration_s: float) -> dict[str, Any]:
    from emulator.config.loading import build_config
    from emulator.world.runner import run_world
    from emulator.world.world import World

    _, config = build_config("healthy", [("ec2.droplets", str(droplets)), ("run.duration_s", str(duration_s))])
    before = rss_bytes()
    started: dict[str, float] = {}

    async def measure(world: World) -> None:
        await world.clock.sleep(1.0)  # every droplet task is up and parked
        started["rss"] = rss_bytes()
        started["wall"] = time.perf_counter()
        started["events"] = world.clock.wakeups + world.clock.callbacks
        started["checks"] = world.fleet.stats.renewals
        await world.clock.sleep_until(duration_s)  # the instant the run ends
        started["end"] = time.perf_counter()

    result = run_world(config, seed=0, scenario="healthy", observers=[measure])
    world = result.world
    return {
        "wall_s": started["end"] - started["wall"],
        "teardown_s": time.perf_counter() - started["end"],
        "virtual_s": duration_s - 1.0,
        "events": world.clock.wakeups + world.clock.callbacks - started["events"],
        "lease_checks": world.fleet.stats.renewals - started["checks"],
        "rss_per_droplet": (started["rss"] - before) / max(1, droplets),
        "peak_rss": rss_bytes("VmHWM"),
    }


def _world(droplets: int, duration_s: float) -> list[str]:
    return [sys.executable, "-m", "emulator", "bench", "--child", "world", str(droplets), str(duration_s)]


def _simpy(droplets: int, duration_s: float) -> list[str]:
    """The bare SimPy loop as its own process (:mod:`emulator.experiments.simpy_loop`)."""
    from actors.ec2.config import DwfmConfig

    dwfm = DwfmConfig()
    loop = [str(droplets), str(duration_s), str(dwfm.state_check_interval_s), str(dwfm.lease_ttl_s)]
    return [sys.executable, "-m", "emulator.experiments.simpy_loop", *loop]


def _whole_process(argv: Sequence[str]) -> tuple[float, float, str]:
    """One whole process: (wall seconds, peak RSS in bytes, its stdout).

    The kernel's peak for a child counts the memory of the process that
    spawned it too (this one, at the spawn), so it is exact only when the
    child grew past that; a child that reports its own peak is read instead.
    """
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)  # the child's own peak RSS, which communicate() would lose
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    process.stdout.close()
    if process.returncode != 0:
        raise subprocess.CalledProcessError(process.returncode, list(argv), out)
    return wall, usage.ru_maxrss * 1024.0, out


def _spread(values: Sequence[float], unit: str = "s", *, at_most: bool = False) -> str:
    if unit == "MiB":
        return f"{'<=' if at_most else ''}{statistics.median(values) / 2**20:,.0f} MiB"
    return f"{statistics.median(values):.1f} s ({min(values):.1f}-{max(values):.1f})"


def _pairs(world: Sequence[str], simpy: Sequence[str], runs: int, *, world_reports: bool) -> dict[str, list[Any]]:
    """``runs`` interleaved pairs of whole processes; the world child's own figures kept."""
    measured: dict[str, list[Any]] = {name: [] for name in ("world", "world_rss", "simpy", "simpy_rss")}
    for _ in range(runs):
        for name, argv in (("world", world), ("simpy", simpy)):
            spawner = rss_bytes()
            wall, rss, out = _whole_process(argv)
            measured[name].append(wall)
            if name == "simpy" or world_reports:  # it printed its own figures, its peak among them
                inside = json.loads(out.strip().splitlines()[-1])
                measured.setdefault(f"{name}_inside", []).append(inside)
                rss = inside["peak_rss"]
            elif rss <= spawner:
                measured["rss_upper_bound"] = [True]  # the child stayed below the spawner's own memory
            measured[f"{name}_rss"].append(rss)
    return measured


def _whole_row(label: str, measured: dict[str, list[Any]]) -> str:
    ratio = statistics.median(s / w for s, w in zip(measured["simpy"], measured["world"], strict=True))
    return (
        f"{label:>9} {_spread(measured['world']):>20} "
        f"{_spread(measured['world_rss'], 'MiB', at_most='rss_upper_bound' in measured):>9} "
        f"{_spread(measured['simpy']):>20} {_spread(measured['simpy_rss'], 'MiB'):>9} {ratio:>6.2f}"
    )


def _inside_row(droplets: int, measured: dict[str, list[Any]]) -> str:
    def median(key: str, of: str = "world_inside") -> float:
        return float(statistics.median(float(run[key]) for run in measured[of]))

    world_speed = median("virtual_s") / median("wall_s")
    simpy_speed = median("virtual_s", "simpy_inside") / median("wall_s", "simpy_inside")
    return (
        f"{droplets:>9,} {median('lease_checks') / median('wall_s'):>15,.0f} {world_speed:>12,.0f} "
        f"{simpy_speed:>12,.0f} {world_speed / simpy_speed:>6.2f} "
        f"{median('rss_per_droplet'):>10,.0f} B {median('teardown_s'):>8.1f}s"
    )


def add_bench_arguments(bench: argparse.ArgumentParser) -> None:
    """``bench``'s own options (the CLI adds the shared ones)."""
    bench.add_argument("--sizes", default="1000,10000,100000", help="fleet sizes, comma separated")
    bench.add_argument("--duration", default="1h", help="virtual time per size")
    bench.add_argument("--skip-incident", action="store_true", help="do not time the default incident run")
    bench.add_argument("--runs", type=int, default=3, help="interleaved runs of each process, for median and min-max")
    bench.add_argument("--child", nargs=3, help=argparse.SUPPRESS)


def command_bench(args: argparse.Namespace) -> int:
    from emulator.config.loading import ConfigError, build_config
    from emulator.kernel.durations import parse_duration

    if args.child:
        _, droplets, duration = args.child
        print(json.dumps(_world_child(int(droplets), float(duration))))
        return 0
    try:
        sizes = [int(size) for size in args.sizes.split(",")]
        duration_s = parse_duration(args.duration)
    except ValueError:
        raise ConfigError(
            f"invalid --sizes {args.sizes!r} or --duration {args.duration!r}: "
            "expected e.g. --sizes 1000,10000 --duration 1h"
        ) from None
    try:
        import simpy  # noqa: F401
    except ImportError:
        raise ConfigError("bench needs SimPy for its baseline: pip install -e '.[dev]'") from None
    if args.runs < 1:
        raise ConfigError(f"invalid --runs {args.runs}: expected a whole number of at least 1")
    quiet = args.quiet  # -q: the figures alone
    if not quiet:
        print(f"Whole processes: median of {args.runs} interleaved runs (min-max), start-up and tear-down included")
        print(
            f"{'droplets':>9} {'world wall':>20} {'peak RSS':>9} {'SimPy wall':>20} {'peak RSS':>9} {'SimPy/world':>6}"
        )
    inside_rows = []
    for droplets in sizes:
        measured = _pairs(_world(droplets, duration_s), _simpy(droplets, duration_s), args.runs, world_reports=True)
        print(_whole_row(f"{droplets:,}", measured), flush=True)
        inside_rows.append(_inside_row(droplets, measured))
    if not args.skip_incident:
        _, incident = build_config("incident", [])
        bare_loop = _simpy(incident.ec2.droplets, incident.run.duration_s)
        measured = _pairs([sys.executable, "-m", "emulator", "run", "-q"], bare_loop, args.runs, world_reports=False)
        print(_whole_row("incident", measured), flush=True)
        if not quiet:
            print(
                f"          (the default incident against the SimPy loop of its {incident.ec2.droplets:,} droplets "
                f"over its {incident.run.duration_s / 3600:g} virtual hours)"
            )
    if not quiet:
        print("In the process (medians):")
        print(
            f"{'droplets':>9} {'world checks/s':>15} {'world vs/ws':>12} {'simpy vs/ws':>12} "
            f"{'ratio':>6} {'RSS/droplet':>12} {'teardown':>9}"
        )
    for row in inside_rows:
        print(row, flush=True)
    return 0
