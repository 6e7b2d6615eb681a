"""A DWFM host's lease book: what its checks find lapsed, whether or not a bucket shares one expiry."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from actors.ec2.config import DwfmConfig
from actors.ec2.lease_book import LeaseBook

CONFIG = DwfmConfig(state_check_interval_s=30.0, check_tick_s=5.0, lease_ttl_s=60.0)  # a lease expires just at a check
DROPLETS = list(range(0, 60, 3))


class _EveryLeaseByItself:
    """The book as a plain record per lease: what LeaseBook must always agree with."""

    def __init__(self, book: LeaseBook) -> None:
        self.book = book
        # Each lease was renewed at its bucket's last check, one interval (6 ticks) before the start.
        self.expires = {d: (book.bucket_of(d) - 6) * CONFIG.check_tick_s + CONFIG.lease_ttl_s for d in DROPLETS}
        self.active = dict.fromkeys(DROPLETS, True)

    def check(self, tick: int, now: float, renewed_until: float | None) -> list[int]:
        lapsed = []
        for droplet in DROPLETS:
            if self.book.bucket_of(droplet) != tick % 6 or not self.active[droplet]:
                continue
            if self.expires[droplet] < now:
                self.active[droplet] = False
                lapsed.append(droplet)
            elif renewed_until is not None:
                self.expires[droplet] = renewed_until
        return lapsed

    def restore(self, droplet: int, until: float) -> None:
        self.active[droplet], self.expires[droplet] = True, until


# Per step: DynamoDB reachable or not at this check, and droplets whose lease comes back.
STEPS = st.lists(st.tuples(st.booleans(), st.lists(st.sampled_from(DROPLETS), max_size=3)), max_size=60)


@given(steps=STEPS, seed=st.integers(0, 1000))
def test_checks_find_the_same_leases_lapsed_as_one_record_per_lease_would(
    steps: list[tuple[bool, list[int]]], seed: int
) -> None:
    book = LeaseBook(DROPLETS, rng=random.Random(seed), config=CONFIG, start=0.0)
    plain = _EveryLeaseByItself(book)
    for tick, (reachable, restored) in enumerate(steps):
        now = tick * CONFIG.check_tick_s
        renewed = now + CONFIG.lease_ttl_s if reachable else None
        assert book.check(tick, now, renewed) == plain.check(tick, now, renewed), tick
        for droplet in restored:
            book.restore(droplet, now + CONFIG.lease_ttl_s)
            plain.restore(droplet, now + CONFIG.lease_ttl_s)


def test_a_bucket_cut_off_from_dynamodb_lapses_whole_and_comes_back_lease_by_lease() -> None:
    book = LeaseBook(DROPLETS, rng=random.Random(1), config=CONFIG, start=0.0)
    bucket = [d for d in DROPLETS if book.bucket_of(d) == 0]
    assert bucket, "seed 1 puts some droplets in the first bucket"
    assert book.check(0, 0.0, 60.0) == []  # renewed until 60 s
    assert book.check(6, 30.0, None) == []  # cut off, not yet expired
    assert book.check(12, 60.0, None) == []  # expiring at this very check is not yet lapsed
    assert book.check(18, 90.0, None) == bucket  # found lapsed at the next check
    book.restore(bucket[0], 130.0)
    assert book.check(24, 120.0, 180.0) == []
    assert book.check(30, 210.0, None) == [bucket[0]]  # the only one active again, and expired


def test_a_lease_re_established_in_a_bucket_that_shares_one_expiry_keeps_its_own() -> None:
    book = LeaseBook(DROPLETS, rng=random.Random(1), config=CONFIG, start=0.0)
    bucket = [d for d in DROPLETS if book.bucket_of(d) == 0]
    assert len(bucket) >= 2, "seed 1 puts several droplets in the first bucket"
    assert book.check(0, 0.0, 60.0) == []  # the whole bucket renewed until 60 s
    book.restore(bucket[0], 100.0)  # one lease re-established, until 100 s
    assert book.check(6, 30.0, None) == []  # cut off from here on
    assert book.check(12, 60.0, None) == []
    assert book.check(18, 90.0, None) == bucket[1:]  # expired at 60 s; the re-established one not yet
    assert book.check(24, 120.0, None) == [bucket[0]]
