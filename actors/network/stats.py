"""Network Manager's instrumentation: written by the manager, read by the world's snapshot and report.

Like a metrics registry: nothing in the emulator decides anything from it.
"""

from __future__ import annotations

import bisect
from array import array

import attrs

__all__ = ["NetworkStats"]


@attrs.define
class NetworkStats:
    bucket_bounds: tuple[float, ...] = ()
    bucket_counts: list[int] = attrs.Factory(list)
    latency_count: int = 0
    latency_sum: float = 0.0
    # Work waiting: queued for a worker or set aside for a droplet without a lease.
    backlog: int = 0
    max_backlog: int = 0
    # Messages waiting in the inbox channel itself, sampled at each publish.
    inbox_depth: int = 0
    max_inbox_depth: int = 0
    without_connectivity: int = 0
    without_connectivity_peak: int = 0
    latencies: array[float] = attrs.Factory(lambda: array("d"))
    processing_ewma_s: float = 0.0
    in_alarm: bool = False
    launch_admission_open: bool = True

    def __attrs_post_init__(self) -> None:
        self.bucket_counts = [0] * (len(self.bucket_bounds) + 1)

    def observe(self, latency: float) -> None:
        self.bucket_counts[bisect.bisect_left(self.bucket_bounds, latency)] += 1
        self.latency_count += 1
        self.latency_sum += latency
        self.latencies.append(latency)

    def quantile(self, q: float) -> float | None:
        """Exact quantile of every propagation's latency (None: no data)."""
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
