"""Parsing of human durations (``90s``, ``10m``, ``2h``, ``1.5h``, ``1h30m``, ``45``)."""

from __future__ import annotations

import re

__all__ = ["format_duration", "parse_duration"]

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_BARE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*$")
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_COMBINED = re.compile(r"^\s*(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+\s*$")


def parse_duration(text: str) -> float:
    """Seconds in ``text`` (``1h30m`` adds up); a bare number means seconds. Raises ValueError."""
    bare = _BARE.match(text)
    if bare is not None:
        return float(bare.group(1))
    if _COMBINED.match(text) is None:
        raise ValueError(f"{text!r} is not a duration (use e.g. 90s, 10m, 2h, 1h30m)")
    return sum(float(number) * _UNITS[unit] for number, unit in _PART.findall(text))


def format_duration(seconds: float) -> str:
    """``HH:MM:SS`` since the start of the run, for timelines."""
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
