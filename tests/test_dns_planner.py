"""The Planner's plans: distinct load balancers per endpoint, the draws of the standard library."""

from __future__ import annotations

import random

import pytest

from actors.dns.planner import LOAD_BALANCER_POOL, endpoint_names, make_plan

ENDPOINTS = endpoint_names(12, 0)


def _with_library_calls(generation: int, per_endpoint: int, rng: random.Random) -> tuple[object, ...]:
    """The plan as ``rng.sample`` and ``rng.randint`` would draw it."""
    return tuple(
        (endpoint, tuple((LOAD_BALANCER_POOL[i], rng.randint(1, 100)) for i in rng.sample(range(32), per_endpoint)))
        for endpoint in ENDPOINTS
    )


@pytest.mark.parametrize("per_endpoint", [1, 4, 5, 6, 32])
def test_a_plan_draws_what_sample_and_randint_would_so_a_seed_keeps_its_plans(per_endpoint: int) -> None:
    ours, library = random.Random(per_endpoint), random.Random(per_endpoint)
    for generation in range(200):
        plan = make_plan(generation, ENDPOINTS, per_endpoint, ours)
        drawn = tuple(
            (endpoint, tuple((record.address, record.weight) for record in records))
            for endpoint, records in plan.endpoints
        )
        assert drawn == _with_library_calls(generation, per_endpoint, library)
    assert ours.random() == library.random(), "the generator is left where the library calls leave it"


def test_each_endpoint_gets_distinct_load_balancers_with_weights_from_1_to_100() -> None:
    plan = make_plan(7, ENDPOINTS, 4, random.Random(0))
    assert plan.generation == 7 and [endpoint for endpoint, _ in plan.endpoints] == list(ENDPOINTS)
    for _, records in plan.endpoints:
        assert len({record.address for record in records}) == 4
        assert all(1 <= record.weight <= 100 for record in records)
