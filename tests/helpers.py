"""Shared helpers: build a config the way the CLI does, run it in virtual time."""

from __future__ import annotations

import copy
import functools
from typing import Any

from emulator.config.loading import build_config
from emulator.world.runner import run_world

# A sweep at its smallest (two 10-minute runs, one process, no plots): for tests of the sweep's command line.
SMALL_SWEEP = [
    "sweep",
    "--grid",
    "dns.race_fix=true,false",
    "--seeds",
    "0..0",
    "--duration",
    "10m",
    "--workers",
    "1",
    "--no-plots",
]

# Tests about the DNS automation leave the EC2 fleet out: scale down, not out.
DNS_ONLY: dict[str, Any] = {"ec2__droplets": 0, "dwfm__hosts_per_az": 1, "dwfm__workers": 1, "dwfm__check_tick_s": 60}


def run(scenario: str = "incident", seed: int = 0, faults: tuple[str, ...] = (), **sets: Any) -> dict[str, Any]:
    """Run one world; ``sets`` use ``__`` for dots (``dns__race_fix=True``)."""
    pairs = [
        (key.replace("__", "."), str(value).lower() if isinstance(value, bool) else str(value))
        for key, value in sets.items()
    ]
    name, config = build_config(scenario, pairs, faults)
    return run_world(config, seed=seed, scenario=name).report


def shared_run(scenario: str = "incident", seed: int = 0, faults: tuple[str, ...] = (), **sets: Any) -> dict[str, Any]:
    """:func:`run`, but a world that several tests of one process read is run once.

    A seed replays a run exactly, so the second test asking for the same world
    would only spend its seconds to get the same report. Each caller gets its
    own copy, so no test can change what another one reads.
    """
    return copy.deepcopy(_run_once(scenario, seed, faults, tuple(sorted(sets.items()))))


@functools.cache
def _run_once(scenario: str, seed: int, faults: tuple[str, ...], sets: tuple[tuple[str, Any], ...]) -> dict[str, Any]:
    return run(scenario, seed, faults, **dict(sets))


def first(report: dict[str, Any], event: str) -> float | None:
    for entry in report["timeline"]:
        if entry["event"] == event:
            return float(entry["t"])
    return None
