"""Rules that one field's validator cannot see: ceilings and relations between fields.

Checked on the whole config once it is built, so every way in (presets,
TOML files, ``--set``, sweeps) gets the same one-line refusal. Ceilings are
documented limits, not physics: past them a run would not finish in a day
on a laptop, or would not fit in its memory (about 3 KB per droplet).
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["CEILINGS", "MAX_VIRTUAL_DURATION_S", "MAX_WALL_DURATION_S", "RATE_CEILINGS", "STEP_FLOORS", "check_rules"]

CEILINGS: dict[str, float] = {
    "ec2.droplets": 2_000_000,
    "dns.endpoints": 10_000,
    "dns.enactors": 64,
    "dwfm.hosts_per_az": 1_000,
    "dwfm.workers": 10_000,
    "network_manager.workers": 10_000,
    "nlb.load_balancers": 1_000,
    "nlb.targets_per_az": 10_000,
    "dynamodb.workload.clients": 1_000,
}

# A virtual run goes flat out: 60 virtual days is about an hour of wall time at the default fleet.
MAX_VIRTUAL_DURATION_S = 60 * 86400.0
# A real-time run (soak) lasts duration / speed of wall time: at most this.
MAX_WALL_DURATION_S = 366 * 86400.0

# Rates of events the world generates one by one, per virtual second: past these a virtual run's
# arrivals alone would keep the CPU busy for days (1e9 launches per second never ended one tick).
RATE_CEILINGS: dict[str, float] = {
    "ec2.launch_rate_per_s": 1_000,
    "ec2.termination_rate_per_s": 1_000,
    "ec2.retry_rate_per_s": 1_000,
    "dynamodb.workload.rate_per_s": 1_000,
}

# Ticks and intervals of periodic work, virtual seconds: below these the ticks alone would keep
# a run from ending (nlb.tick_s=0.000001 is a million ticks a virtual second).
STEP_FLOORS: dict[str, float] = {
    "dns.planner.interval_s": 0.1,
    "dwfm.check_tick_s": 0.1,
    "dwfm.state_check_interval_s": 0.1,
    "ec2.tick_s": 0.1,
    "network_manager.publish_interval_s": 0.1,
    "nlb.tick_s": 0.1,
    "nlb.health_check_interval_s": 0.1,
    "run.invariant_check_interval_s": 0.1,
    "run.sample_interval_s": 0.1,
}

# (lower, upper): lower <= upper
ORDERED: tuple[tuple[str, str], ...] = (
    ("dns.enactor.stall_min_s", "dns.enactor.stall_max_s"),
    ("nlb.failover_threshold", "nlb.failover_restore_threshold"),
)

# (index, size): 0 <= index < size
INSIDE: tuple[tuple[str, str], ...] = (("dns.regional_position", "dns.endpoints"),)

# The Planner draws each endpoint's load balancers from a pool of 32 addresses.
ADDRESS_POOL = 32


def _number(flat: dict[str, Any], key: str) -> float | None:
    value = flat.get(key)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def check_rules(flat: dict[str, Any], *, speed: float | None = None) -> str | None:
    """The first broken rule as one line (field, value, what is allowed), or None.

    ``speed`` is the real-time clock's (virtual seconds per wall second), or
    None for a virtual run, whose length has its own ceiling.
    """
    for key, value in flat.items():
        if isinstance(value, float) and not math.isfinite(value):
            return f"invalid {key}={value!r}: expected a finite number"
    for key, ceiling in CEILINGS.items():
        value = _number(flat, key)
        if value is not None and value > ceiling:
            return f"invalid {key}={flat[key]!r}: at most {ceiling:,.0f} (a documented ceiling; see README, Limits)"
    for key, ceiling in RATE_CEILINGS.items():
        value = _number(flat, key)
        if value is not None and value > ceiling:
            limit = f"at most {ceiling:,.0f} a second"
            return f"invalid {key}={flat[key]!r}: {limit} (a documented ceiling; see README, Limits)"
    for key, floor in STEP_FLOORS.items():
        value = _number(flat, key)
        if value is not None and value < floor:
            return f"invalid {key}={flat[key]!r}: at least {floor:g} s (a documented floor; see README, Limits)"
    duration = _number(flat, "run.duration_s")
    if duration is not None and speed is None and duration > MAX_VIRTUAL_DURATION_S:
        return (
            f"invalid run.duration_s={flat['run.duration_s']!r}: at most {MAX_VIRTUAL_DURATION_S:,.0f} in virtual time"
        )
    if duration is not None and speed is not None and duration / speed > MAX_WALL_DURATION_S:
        return (
            f"invalid run.duration_s={flat['run.duration_s']!r} at --speed {speed:g}: would last "
            f"{duration / speed / 86400:,.0f} days of wall time; at most {MAX_WALL_DURATION_S / 86400:.0f}"
        )
    for lower, upper in ORDERED:
        low, high = _number(flat, lower), _number(flat, upper)
        if low is not None and high is not None and low > high:
            return f"invalid {lower}={flat[lower]!r}: must be <= {upper}={flat[upper]!r}"
    for index, size in INSIDE:
        position, count = _number(flat, index), _number(flat, size)
        if position is not None and count is not None and position >= count:
            return f"invalid {index}={flat[index]!r}: must be < {size}={flat[size]!r}"
    addresses = _number(flat, "dns.addresses_per_endpoint")
    if addresses is not None and addresses > ADDRESS_POOL:
        return f"invalid dns.addresses_per_endpoint={flat['dns.addresses_per_endpoint']!r}: at most {ADDRESS_POOL}"
    return None
