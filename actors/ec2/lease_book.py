"""A DWFM host's lease records: one expiry per droplet, grouped by check slot.

Every droplet is checked once per ``dwfm.state_check_interval_s``, at a
random phase: the host's droplets are spread over the check ticks of one
interval (buckets), and each check tick looks only at its bucket. A lease
not renewed within ``dwfm.lease_ttl_s`` is found lapsed at one of its later
checks: leases renewed together expire together, so no timer per lease is
needed, and the records are flat arrays (a host holds tens of thousands).

Most of the time every lease of a bucket is active and renewed at the same
check, so the whole bucket has one expiry: the book then keeps that one
number for the bucket instead of walking its slots at every check (a fleet
of 10,000 droplets is otherwise 46 slots a host and tick, in Python), and
writes it back to the slots only when one of them has to differ.
"""

from __future__ import annotations

import bisect
import random
from array import array
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from actors.ec2.config import DwfmConfig

__all__ = ["LeaseBook"]


class LeaseBook:
    """Leases by slot: expiry, active flag, and the check bucket of each slot."""

    def __init__(self, droplets: Sequence[int], *, rng: random.Random, config: DwfmConfig, start: float) -> None:
        buckets = max(1, round(config.state_check_interval_s / config.check_tick_s))
        # Slot = rank among the host's droplets: found by bisection, no map per droplet.
        self.droplets = array("q", droplets)
        if any(a >= b for a, b in zip(self.droplets, self.droplets[1:], strict=False)):
            raise ValueError("a host's droplets must be given in increasing order")
        self._buckets = [array("l") for _ in range(buckets)]
        self._expires = array("d", bytes(8 * len(self.droplets)))
        self._active = bytearray(b"\x01" * len(self.droplets))
        self._bucket_of = array("I", bytes(4 * len(self.droplets)))
        # In steady state each lease was renewed at its last check, one interval ago.
        tick_s = config.check_tick_s
        first = [start + bucket * tick_s - buckets * tick_s + config.lease_ttl_s for bucket in range(buckets)]
        for slot in range(len(self.droplets)):
            bucket = rng.randrange(buckets)
            self._buckets[bucket].append(slot)
            self._bucket_of[slot] = bucket
            self._expires[slot] = first[bucket]
        # [bucket] -> the expiry of every lease in it, all active; None when they differ. While
        # it is set, the bucket's entries in _expires are stale (see _write_back).
        self._uniform: list[float | None] = list(first)

    def __len__(self) -> int:
        return len(self.droplets)

    def bucket(self, tick: int) -> int:
        """The bucket the check of ``tick`` looks at."""
        return tick % len(self._buckets)

    def bucket_of(self, droplet: int) -> int:
        """The bucket of ``droplet``'s state check."""
        return self._bucket_of[self.slot(droplet)]

    def due(self, tick: int) -> int:
        """How many leases the check of ``tick`` looks at."""
        return len(self._buckets[tick % len(self._buckets)])

    def check(self, tick: int, now: float, renewed_until: float | None) -> list[int]:
        """Check the bucket of ``tick``: the droplets found lapsed; renew the rest if the check succeeded."""
        bucket = tick % len(self._buckets)
        uniform = self._uniform[bucket]
        if uniform is not None:
            if uniform >= now:  # none has lapsed
                if renewed_until is not None:
                    self._uniform[bucket] = renewed_until
                return []
            self._write_back(bucket)
        lapsed: list[int] = []
        expires, active = self._expires, self._active
        every_one_renewed = renewed_until is not None
        for slot in self._buckets[bucket]:
            if not active[slot]:
                every_one_renewed = False
                continue
            if expires[slot] < now:
                active[slot] = 0
                lapsed.append(self.droplets[slot])
                every_one_renewed = False
            elif renewed_until is not None:
                expires[slot] = renewed_until
        if every_one_renewed:
            self._uniform[bucket] = renewed_until
        return lapsed

    def _write_back(self, bucket: int) -> None:
        """Give each slot of ``bucket`` the bucket's one expiry again, before a slot comes to differ."""
        uniform = self._uniform[bucket]
        if uniform is None:
            return
        expires = self._expires
        for slot in self._buckets[bucket]:
            expires[slot] = uniform
        self._uniform[bucket] = None

    def slot(self, droplet: int) -> int:
        slot = bisect.bisect_left(self.droplets, droplet)
        if slot == len(self.droplets) or self.droplets[slot] != droplet:
            raise KeyError(droplet)
        return slot

    def restore(self, droplet: int, until: float) -> int:
        """The lease is active again until ``until``; returns its slot."""
        slot = self.slot(droplet)
        self._write_back(self._bucket_of[slot])
        self._active[slot] = 1
        self._expires[slot] = until
        return slot
