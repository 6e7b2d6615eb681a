"""The DNS Planner: a new generation-numbered plan every ``interval_s``.

It watches (here: draws) the health and capacity of DynamoDB's load
balancers and writes, for every endpoint, a set of load balancers with
weights. Generations only grow; the Planner never waits for the Enactors:
it sends :class:`PutPlan` to the plan store and carries on. It numbers the
generations itself (it is their only writer), from the bootstrap plan's.

The off-switch (AWS's fix 1, and the operator's pause after the repair)
turns off the whole automation, the Planner with the Enactors: a Planner
left writing a plan every few seconds with no Enactor to apply it and no
clean-up to delete it would grow the plan store without bound (about 43 MB a
virtual day). It takes :class:`SetAutomation` on its control channel at each
step; while off it writes nothing and waits for the next control.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from trio import WouldBlock

from actors.dns.asking import send
from actors.dns.messages import Plan, PlanStoreRequest, PutPlan, SetAutomation, WeightedRecord

if TYPE_CHECKING:
    import trio

    from actors.dns.config import DnsConfig
    from emulator.kernel.clock import Clock
    from emulator.kernel.trace import Trace

__all__ = ["endpoint_names", "make_plan", "run_planner"]

LOAD_BALANCER_POOL = tuple(f"198.51.100.{host}" for host in range(1, 33))
REGIONAL_ENDPOINT = "dynamodb.us-east-1.amazonaws.com"


def endpoint_names(count: int, regional_position: int) -> tuple[str, ...]:
    """The walk order: the regional endpoint among IPv6, FIPS and account ones."""
    kinds = ("dynamodb.us-east-1.api.aws", "dynamodb-fips.us-east-1.amazonaws.com")
    others = [kinds[i] if i < len(kinds) else f"{100000 + i}.ddb.us-east-1.amazonaws.com" for i in range(count - 1)]
    position = min(regional_position, count - 1)
    return (*others[:position], REGIONAL_ENDPOINT, *others[position:])


# Every record a plan can hold, built once: the Planner writes a plan every few
# seconds for the whole run, and building its records was most of its cost.
_WEIGHTS = range(1, 101)
_RECORDS = tuple(tuple(WeightedRecord(address, weight) for weight in _WEIGHTS) for address in LOAD_BALANCER_POOL)
_POOL_INDEXES = range(len(LOAD_BALANCER_POOL))
_POOL_BITS = len(LOAD_BALANCER_POOL).bit_length()
_WEIGHT_BITS = len(_WEIGHTS).bit_length()
# Up to this many load balancers per endpoint, ``random.sample`` draws with a set
# (its pool is larger than a small set): the fast path below repeats those draws.
_SET_SAMPLING_MAX = 5


def make_plan(generation: int, endpoints: tuple[str, ...], per_endpoint: int, rng: random.Random) -> Plan:
    """For each endpoint, ``per_endpoint`` distinct load balancers with weights 1-100.

    The draws are those of ``rng.sample(pool, per_endpoint)`` then one
    ``rng.randint(1, 100)`` per load balancer, written out on ``getrandbits``
    (the same calls, in the same order, as CPython's own): the Planner runs
    for the whole run, and those library calls were most of its time. A seed's
    plans, and so its trace, are the same either way.
    """
    if per_endpoint > _SET_SAMPLING_MAX:
        sample, randint = rng.sample, rng.randint
        return Plan(
            generation=generation,
            endpoints=tuple(
                (endpoint, tuple(_RECORDS[i][randint(1, 100) - 1] for i in sample(_POOL_INDEXES, per_endpoint)))
                for endpoint in endpoints
            ),
        )
    getrandbits, pool_size, weights = rng.getrandbits, len(_POOL_INDEXES), len(_WEIGHTS)
    planned = []
    for endpoint in endpoints:
        chosen: list[int] = []
        for _ in range(per_endpoint):
            index = getrandbits(_POOL_BITS)
            while index >= pool_size or index in chosen:  # below the pool's size, and not chosen yet
                index = getrandbits(_POOL_BITS)
            chosen.append(index)
        records = []
        for index in chosen:
            weight = getrandbits(_WEIGHT_BITS)
            while weight >= weights:
                weight = getrandbits(_WEIGHT_BITS)
            records.append(_RECORDS[index][weight])
        planned.append((endpoint, tuple(records)))
    return Plan(generation=generation, endpoints=tuple(planned))


async def run_planner(
    *,
    clock: Clock,
    rng: random.Random,
    config: DnsConfig,
    endpoints: tuple[str, ...],
    plan_store: trio.MemorySendChannel[PlanStoreRequest],
    control: trio.MemoryReceiveChannel[SetAutomation],
    last_generation: int,
    trace: Trace,
) -> None:
    """Write plan after plan after ``last_generation`` (the bootstrap's), while the automation is on."""
    generation = last_generation
    enabled = config.automation_enabled
    while True:
        if not enabled:
            enabled = _switch(trace, enabled, await control.receive())
            continue
        await clock.sleep(config.planner.interval_s)
        while True:
            try:
                enabled = _switch(trace, enabled, control.receive_nowait())
            except WouldBlock:
                break
        if not enabled:
            continue
        generation += 1
        await send(plan_store, PutPlan(make_plan(generation, endpoints, config.addresses_per_endpoint, rng)))
        trace.record("plan_written", "dns-planner", generation=generation)


def _switch(trace: Trace, enabled: bool, control: SetAutomation) -> bool:
    if control.enabled != enabled:
        trace.record("automation_switched", "dns-planner", enabled=control.enabled)
    return control.enabled
