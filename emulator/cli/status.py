"""The soak's one-line status: virtual time, open phases and a few key numbers.

On a terminal the line is redrawn in place (carriage return, erase line), and
log lines written meanwhile first erase it so they never run into it; when
output is piped each status is a plain line, so a log file reads as a
history. The key numbers come from the metrics snapshot, and a number whose
metric the world does not provide yet is simply left out, so the cascade's
numbers appear once the world serves them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, TextIO

from emulator.kernel.durations import format_duration
from metrics.schema import HistogramSnapshot, Snapshot

if TYPE_CHECKING:
    from emulator.world.world import Observer, World

__all__ = ["KEY_NUMBERS", "StatusLine", "format_status"]

_ERASE = "\r\x1b[2K"


def _values(value: object) -> list[float]:
    if isinstance(value, dict):
        return [float(v) for v in value.values()]
    if isinstance(value, HistogramSnapshot):
        return [float(value.count)]
    return [float(value)] if isinstance(value, int | float) else []


def _sum(values: Iterable[float]) -> float:
    return sum(values)


def _min(values: Iterable[float]) -> float:
    return min(values, default=float("nan"))


# (short label, metric name, how to fold a labelled metric into one number)
KEY_NUMBERS: tuple[tuple[str, str, Callable[[Iterable[float]], float]], ...] = (
    ("addrs", "dns_regional_endpoint_addresses", _sum),
    ("stuck", "dns_automation_stuck", _sum),
    ("races", "dns_races_total", _sum),
    ("lag_max", "dns_enactor_lag_generations", max),
    ("ddb_failing", "dynamodb_failing_clients", _sum),
    ("dwfm_queue", "dwfm_queue_depth", _sum),
    ("dwfm_collapsed", "dwfm_collapsed", _sum),
    ("running", "ec2_instances_running", _sum),
    ("nm_backlog", "network_manager_backlog", _sum),
    ("nlb_min_capacity", "nlb_capacity_in_service_ratio", _min),
    ("conn_errors", "nlb_connection_errors_total", _sum),
)


def _number(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.2f}"


def format_status(now: float, snapshot: Snapshot) -> str:
    """``vt=01:02:03 phases=dns_outage addrs=0 stuck=1 ...``"""
    active = snapshot.get("emulator_phase_active")
    phases = [labels[0] for labels, on in active.items() if on] if isinstance(active, dict) else []
    parts = [f"vt={format_duration(now)}", f"phases={','.join(phases) or '-'}"]
    for label, name, fold in KEY_NUMBERS:
        if name in snapshot:
            values = _values(snapshot[name])
            if values:
                parts.append(f"{label}={_number(fold(values))}")
    return " ".join(parts)


class StatusLine:
    """Prints statuses live (terminal) or as plain lines (pipe)."""

    def __init__(self, stream: TextIO, *, live: bool) -> None:
        self.stream = stream
        self.live = live
        self._shown = False

    def show(self, text: str) -> None:
        if self.live:
            self.stream.write(_ERASE + text)
            self._shown = True
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def clear(self) -> None:
        """Erase a live line (before someone else writes to the terminal)."""
        if self._shown:
            self.stream.write(_ERASE)
            self.stream.flush()
            self._shown = False

    def finish(self) -> None:
        """Leave the last live status on screen and move to a new line."""
        if self._shown:
            self.stream.write("\n")
            self.stream.flush()
            self._shown = False

    def observer(self, every_wall_s: float, speed: float) -> Observer:
        """An observer printing a status every ``every_wall_s`` wall seconds."""

        async def observe(world: World) -> None:
            while True:
                self.show(format_status(world.clock.now(), world.metrics_snapshot()))
                await world.clock.sleep(every_wall_s * speed)

        return observe


class ClearingStream:
    """A stream for log lines that first erases the live status line."""

    def __init__(self, stream: TextIO, status: StatusLine) -> None:
        self._stream = stream
        self._status = status

    def write(self, text: str) -> int:
        self._status.clear()
        return self._stream.write(text)

    def flush(self) -> None:
        self._stream.flush()
