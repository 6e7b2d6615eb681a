"""Garbage collection around a run: the built world is frozen while it runs, and everything is put back after."""

from __future__ import annotations

import contextlib
import gc
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import emulator.world.runner as runner
from emulator.config.loading import build_config
from emulator.kernel.collector import RUN_GEN0_THRESHOLD, collector_for_a_run
from emulator.world.world import World

SMALL_CASCADE = [
    ("run.duration_s", "1200"),
    ("ec2.droplets", "300"),
    ("dwfm.lease_ttl_s", "300"),
    ("dynamodb.resolver.negative_ttl_s", "60"),
]


def _config() -> Any:
    return build_config("healthy", SMALL_CASCADE, ("empty_record:2m:10m",))[1]


def test_while_a_world_runs_it_is_frozen_and_young_collections_are_rarer() -> None:
    seen: dict[str, Any] = {}

    async def look(world: World) -> None:
        await world.clock.sleep(60.0)
        seen.update(frozen=gc.get_freeze_count(), enabled=gc.isenabled(), thresholds=gc.get_threshold())

    before = (gc.isenabled(), gc.get_threshold(), gc.get_freeze_count())
    runner.run_world(_config(), seed=1, observers=[look])
    assert seen["enabled"] and seen["thresholds"][0] == RUN_GEN0_THRESHOLD
    # The built world (300 droplets, their tasks and timers) sits in the permanent generation.
    assert seen["frozen"] > 10_000
    assert (gc.isenabled(), gc.get_threshold(), gc.get_freeze_count()) == before


def test_a_finished_world_is_freed_so_a_sweep_worker_can_run_many() -> None:
    result = runner.run_world(_config(), seed=1)
    world = weakref.ref(result.world)
    del result
    gc.collect()
    assert world() is None


def test_the_settings_come_back_when_the_block_raises_and_a_disabled_collector_stays_off() -> None:
    gc.disable()
    try:
        with pytest.raises(RuntimeError), collector_for_a_run() as world_started:
            world_started()
            assert gc.get_freeze_count() > 0 and not gc.isenabled()
            raise RuntimeError("an actor crashed")
        assert gc.get_freeze_count() == 0 and not gc.isenabled()
    finally:
        gc.enable()


def test_garbage_collection_never_changes_a_run(monkeypatch: pytest.MonkeyPatch) -> None:
    frozen = runner.run_world(_config(), seed=4).report

    @contextlib.contextmanager
    def default_collector() -> Iterator[Callable[[], None]]:
        yield lambda: None

    monkeypatch.setattr(runner, "collector_for_a_run", default_collector)
    default = runner.run_world(_config(), seed=4).report
    assert frozen["dwfm"]["leases_expired_peak"] > 0, "the small cascade ran"
    assert frozen["trace_hash"] == default["trace_hash"]
