"""Network Manager's instrumentation: written by the manager, read by the world's snapshot and report.

Like a metrics registry: nothing in the emulator decides anything from it.
"""

from __future__ import annotations

import bisect
import math

import attrs

__all__ = ["SKETCH_ACCURACY", "NetworkStats"]

SKETCH_ACCURACY = 0.005  # relative error of a reported latency quantile
_GAMMA = (1 + SKETCH_ACCURACY) / (1 - SKETCH_ACCURACY)  # bucket k holds (gamma^(k-1), gamma^k]
_LOG_GAMMA = math.log(_GAMMA)
_SMALLEST_S = 1e-6  # latencies at or below this count as 0
_ZERO_KEY = -(10**9)


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
    # Every latency, as a log-bucketed sketch: bounded memory whatever the run's length
    # (a week-long soak propagates millions), quantiles within SKETCH_ACCURACY.
    latency_sketch: dict[int, int] = attrs.Factory(dict)
    processing_ewma_s: float = 0.0
    in_alarm: bool = False
    launch_admission_open: bool = True

    def __attrs_post_init__(self) -> None:
        self.bucket_counts = [0] * (len(self.bucket_bounds) + 1)

    def observe(self, latency: float) -> None:
        self.bucket_counts[bisect.bisect_left(self.bucket_bounds, latency)] += 1
        self.latency_count += 1
        self.latency_sum += latency
        key = math.ceil(math.log(latency) / _LOG_GAMMA) if latency > _SMALLEST_S else _ZERO_KEY
        self.latency_sketch[key] = self.latency_sketch.get(key, 0) + 1

    def quantile(self, q: float) -> float | None:
        """Quantile of every propagation's latency, within ``SKETCH_ACCURACY`` (None: no data).

        The rank is the exact one (``int(q * n)``, as a sort would give); only the
        value is the bucket's midpoint, at most ``SKETCH_ACCURACY`` from the true one.
        """
        if not self.latency_count:
            return None
        rank = min(self.latency_count - 1, int(q * self.latency_count))
        seen = 0
        for key in sorted(self.latency_sketch):
            seen += self.latency_sketch[key]
            if seen > rank:
                if key == _ZERO_KEY:
                    return 0.0
                return 2 * math.exp(key * _LOG_GAMMA) / (_GAMMA + 1)
        raise AssertionError("the sketch holds latency_count latencies")  # pragma: no cover
