"""The bench's baseline: DWFM's lease loop written plainly in SimPy, as a process of its own.

Every droplet is a SimPy process that wakes every state-check interval and
renews its lease. ``python -m emulator.experiments.simpy_loop DROPLETS
DURATION_S INTERVAL_S TTL_S`` runs it and prints its figures as one JSON
line. It imports SimPy and the standard library only, so timing the whole
process times the bare loop, not the emulator's start-up.
"""

from __future__ import annotations

import json
import random
import sys
import time
from typing import Any

__all__ = ["rss_bytes", "run_lease_loop"]


def run_lease_loop(droplets: int, duration_s: float, interval_s: float, ttl_s: float) -> dict[str, Any]:
    import simpy

    env = simpy.Environment()
    checks = [0]

    def droplet(rng: random.Random, lease: list[float]) -> Any:
        yield env.timeout(rng.uniform(0, interval_s))
        while True:
            lease[0] = env.now + ttl_s
            checks[0] += 1
            yield env.timeout(interval_s)

    rng = random.Random(0)
    for _ in range(droplets):
        env.process(droplet(rng, [ttl_s]))
    env.run(until=1.0)  # every droplet up, as the world's figures start
    before = checks[0]
    started = time.perf_counter()
    env.run(until=duration_s)
    return {
        "wall_s": time.perf_counter() - started,
        "virtual_s": duration_s - 1.0,
        "lease_checks": checks[0] - before,
        "peak_rss": rss_bytes("VmHWM"),
    }


def rss_bytes(field: str = "VmRSS") -> int:
    """This process's resident memory now (``VmHWM``: its own peak since it started).

    Its own peak, not the kernel's figure for a child, which counts the
    memory of the process that spawned it too. Here, not in the bench,
    because this module must stay import-light.
    """
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) * 1024
    return 0


if __name__ == "__main__":
    droplets, duration, interval, ttl = sys.argv[1:5]
    print(json.dumps(run_lease_loop(int(droplets), float(duration), float(interval), float(ttl))))
