"""Reproducibility: per-actor random generators and Trio's scheduling order.

Every random draw in the emulator comes from a generator derived from
(seed, actor name), so adding an actor or reordering start-up never shifts
another actor's draws.

Trio deliberately randomises the order in which it runs each batch of
runnable tasks, from a module-level ``random.Random``: it reverses half the
batches, or, once Hypothesis is imported (its Trio plugin), sorts each batch
by task creation and shuffles it. Two tasks woken at the same virtual instant
would then interleave differently from run to run, and differently again
depending on whether Hypothesis happens to be imported. So
:func:`seed_trio_scheduler` switches Trio to its deterministic mode (the one
Hypothesis uses), puts a :class:`SchedulerRandom` in that generator's place
(the same draws, a cheaper shuffle) and seeds it at the start of each run. Besides the
clock's idle check (:func:`emulator.kernel.trio_idle.run_queue_of_this_run`), this is
the only place that touches Trio's internals; ``tests/test_determinism.py``
fails loudly if an upgrade moves them.
"""

from __future__ import annotations

import hashlib
import random
import sys
from collections.abc import MutableSequence
from typing import Any

import trio

__all__ = ["SchedulerRandom", "actor_rng", "seed_trio_scheduler", "shuffle"]


def actor_rng(seed: int, actor: str) -> random.Random:
    """A generator private to one actor, stable across runs and code changes."""
    digest = hashlib.sha256(f"{seed}:{actor}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def seed_trio_scheduler(seed: int) -> None:
    """Make Trio's batch ordering a function of ``seed`` for this run."""
    run_module = trio._core._run
    scheduler_random = getattr(run_module, "_r", None)
    if not isinstance(scheduler_random, random.Random) or not hasattr(run_module, "_ALLOW_DETERMINISTIC_SCHEDULING"):
        raise RuntimeError(
            "trio._core._run._r is gone: this Trio version changed its scheduler; "
            "update emulator.kernel.determinism.seed_trio_scheduler"
        )
    setattr(run_module, "_ALLOW_DETERMINISTIC_SCHEDULING", True)  # noqa: B010 - Final in Trio
    if not isinstance(scheduler_random, SchedulerRandom):
        scheduler_random = SchedulerRandom()
        run_module._r = scheduler_random
        if "hypothesis" in sys.modules:  # as Trio's Hypothesis plugin does for the generator it replaces
            from hypothesis import register_random

            register_random(scheduler_random)
    scheduler_random.seed(actor_rng(seed, "trio-scheduler").getrandbits(64))


def shuffle(rng: random.Random, x: MutableSequence[Any]) -> None:
    """``rng.shuffle(x)``, written out on ``getrandbits``: the same draws in the same order.

    The library's version pays a call of ``_randbelow`` per element; this one
    is for the hot paths that shuffle small lists many times (Trio's batches,
    Network Manager's places), where that overhead was most of the cost.
    """
    getrandbits = rng.getrandbits
    for i in range(len(x) - 1, 0, -1):
        bound = i + 1
        bits = bound.bit_length()
        j = getrandbits(bits)
        while j >= bound:
            j = getrandbits(bits)
        x[i], x[j] = x[j], x[i]


class SchedulerRandom(random.Random):
    """Trio's scheduler generator, with ``shuffle`` written out on ``getrandbits``.

    Trio shuffles every batch of runnable tasks, so ``shuffle`` runs once per
    scheduler round, most often on a batch of one; the library's version pays
    a call of ``_randbelow`` per element. This one makes the same draws in the
    same order (so a seed schedules exactly as before) without those calls.
    """

    def shuffle(self, x: MutableSequence[Any]) -> None:
        if len(x) > 1:
            shuffle(self, x)
