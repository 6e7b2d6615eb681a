"""``outage-emulator bench``: how fast and how big the world is, against SimPy.

For each fleet size it runs, each in a fresh subprocess (so RSS is the
run's own): the whole ``healthy`` world in virtual time, and the same lease
loop written plainly in SimPy (a dev dependency): every droplet a process
that wakes every ``dwfm.state_check_interval_s`` and renews its lease. It
prints lease checks per wall second, virtual seconds per wall second (from
one virtual second in, when every droplet is up, to the last instant; the
cancellation of every task afterwards is shown apart as teardown), RSS per
droplet, and the world's speed as a ratio of SimPy's. Then it times the
default ``incident`` run. Figures are printed, never asserted: the machines
are noisy.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from typing import Any

__all__ = ["add_bench_arguments", "command_bench"]


def _rss_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def _world_child(droplets: int, duration_s: float) -> dict[str, Any]:
    from emulator.config.loading import build_config
    from emulator.world.runner import run_world
    from emulator.world.world import World

    _, config = build_config("healthy", [("ec2.droplets", str(droplets)), ("run.duration_s", str(duration_s))])
    before = _rss_bytes()
    started: dict[str, float] = {}

    async def measure(world: World) -> None:
        await world.clock.sleep(1.0)  # every droplet task is up and parked
        started["rss"] = _rss_bytes()
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
    }


def _simpy_child(droplets: int, duration_s: float) -> dict[str, Any]:
    import random

    import simpy

    from actors.ec2.config import DwfmConfig

    interval, ttl = DwfmConfig().state_check_interval_s, DwfmConfig().lease_ttl_s
    env = simpy.Environment()
    checks = [0]

    def droplet(rng: random.Random, lease: list[float]) -> Any:
        yield env.timeout(rng.uniform(0, interval))
        while True:
            lease[0] = env.now + ttl
            checks[0] += 1
            yield env.timeout(interval)

    rng = random.Random(0)
    for _ in range(droplets):
        env.process(droplet(rng, [ttl]))
    env.run(until=1.0)
    before = checks[0]
    started = time.perf_counter()
    env.run(until=duration_s)
    wall = time.perf_counter() - started
    return {
        "wall_s": wall,
        "virtual_s": duration_s - 1.0,
        "events": checks[0] - before,
        "lease_checks": checks[0] - before,
    }


def _in_subprocess(kind: str, droplets: int, duration_s: float) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-m", "emulator", "bench", "--child", kind, str(droplets), str(duration_s)],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(completed.stdout.strip().splitlines()[-1]))


def add_bench_arguments(bench: argparse.ArgumentParser) -> None:
    """``bench``'s own options (the CLI adds the shared ones)."""
    bench.add_argument("--sizes", default="1000,10000,100000", help="fleet sizes, comma separated")
    bench.add_argument("--duration", default="1h", help="virtual time per size")
    bench.add_argument("--skip-incident", action="store_true", help="do not time the default incident run")
    bench.add_argument("--child", nargs=3, help=argparse.SUPPRESS)


def command_bench(args: argparse.Namespace) -> int:
    from emulator.config.loading import ConfigError
    from emulator.kernel.durations import parse_duration

    if args.child:
        kind, droplets, duration = args.child
        child = _world_child if kind == "world" else _simpy_child
        print(json.dumps(child(int(droplets), float(duration))))
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
    if not args.quiet:  # -q: the figures alone
        print(
            f"{'droplets':>9} {'world checks/s':>15} {'world vs/ws':>12} {'simpy vs/ws':>12} "
            f"{'ratio':>6} {'RSS/droplet':>12} {'teardown':>9}"
        )
    for droplets in sizes:
        world = _in_subprocess("world", droplets, duration_s)
        simpy_run = _in_subprocess("simpy", droplets, duration_s)
        world_speed = world["virtual_s"] / world["wall_s"]
        simpy_speed = simpy_run["virtual_s"] / simpy_run["wall_s"]
        print(
            f"{droplets:>9,} {world['lease_checks'] / world['wall_s']:>15,.0f} {world_speed:>12,.0f} "
            f"{simpy_speed:>12,.0f} {world_speed / simpy_speed:>6.2f} "
            f"{world['rss_per_droplet']:>10,.0f} B {world['teardown_s']:>8.1f}s",
            flush=True,
        )
    if not args.skip_incident:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "emulator", "run", "-q"], check=True, capture_output=True)
        print(f"default incident run (5,000 droplets, whole timeline): {time.perf_counter() - started:.1f} s wall")
    return 0
