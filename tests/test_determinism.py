"""A seed replays a run exactly; different seeds give different runs."""

from __future__ import annotations

import random

import trio

from emulator.kernel.determinism import SchedulerRandom, actor_rng, seed_trio_scheduler
from tests.helpers import DNS_ONLY, run


def test_same_seed_gives_the_same_trace_hash() -> None:
    first = run("incident", 7, run__duration_s=1800, **DNS_ONLY)
    second = run("incident", 7, run__duration_s=1800, **DNS_ONLY)
    assert first["trace_hash"] == second["trace_hash"]
    assert first["timeline"] == second["timeline"]
    assert first["events"] == second["events"] > 1000


def test_same_seed_replays_the_ec2_cascade_exactly() -> None:
    cascade = {
        "run__duration_s": 3600,
        "ec2__droplets": 600,
        "dwfm__hosts_per_az": 1,
        "dwfm__workers": 2,
        "dwfm__lease_ttl_s": 600,
        "dynamodb__resolver__negative_ttl_s": 60,
    }
    first = run("healthy", 3, faults=("empty_record:2m:15m",), **cascade)
    second = run("healthy", 3, faults=("empty_record:2m:15m",), **cascade)
    assert first["dwfm"]["leases_expired_peak"] == 600
    assert first["trace_hash"] == second["trace_hash"]
    assert first["dwfm"] == second["dwfm"] and first["ec2"] == second["ec2"]


def test_different_seeds_give_different_traces() -> None:
    hashes = {run("incident", seed, run__duration_s=900, **DNS_ONLY)["trace_hash"] for seed in range(4)}
    assert len(hashes) == 4


def test_actor_generators_depend_on_seed_and_name_only() -> None:
    assert actor_rng(1, "a").random() == actor_rng(1, "a").random()
    assert actor_rng(1, "a").random() != actor_rng(1, "b").random()
    assert actor_rng(1, "a").random() != actor_rng(2, "a").random()


def test_trio_scheduler_internals_we_seed_still_exist() -> None:
    """Fails loudly if a Trio upgrade moves what seed_trio_scheduler touches."""
    run_module = trio._core._run
    assert isinstance(run_module._r, random.Random)
    assert hasattr(run_module, "_ALLOW_DETERMINISTIC_SCHEDULING")
    seed_trio_scheduler(5)
    assert run_module._ALLOW_DETERMINISTIC_SCHEDULING is True
    state = run_module._r.getstate()
    seed_trio_scheduler(5)
    assert run_module._r.getstate() == state


def test_the_scheduler_generator_shuffles_every_batch_as_the_library_would() -> None:
    """Same orders and the same state after: a seed schedules its tasks as with random.Random."""
    seed_trio_scheduler(5)
    assert isinstance(trio._core._run._r, SchedulerRandom)
    for size in range(12):
        ours, library = SchedulerRandom(size), random.Random(size)
        for _ in range(100):
            batch, expected = list(range(size)), list(range(size))
            ours.shuffle(batch)
            library.shuffle(expected)
            assert batch == expected
        assert ours.random() == library.random()
