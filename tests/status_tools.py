"""Reading a soak status line back, to check it against the report of the same run."""

from __future__ import annotations

from typing import Any

from emulator.cli.status_fields import FIELDS, figure

__all__ = ["assert_status_agrees"]


def _parsed(line: str) -> dict[str, float]:
    """The full-form figures of a status line, by report path."""
    pairs = dict(part.split("=", 1) for part in line.split())
    by_label = {field.label: field for field in FIELDS}
    return {"/".join(by_label[k].path): float(v.rstrip("s")) for k, v in pairs.items() if k in by_label}


def _tolerance(kind: str, value: float) -> float:
    """Half the last printed digit: the line rounds, it does not compute anew."""
    return {"fraction": 0.005, "count": 0.5}.get(kind, 0.05 if value < 10 else 0.5)


def assert_status_agrees(line: str, report: dict[str, Any]) -> None:
    parsed = _parsed(line)
    for field in FIELDS:
        expected = figure(report, field.path)
        if expected is None:
            assert "/".join(field.path) not in parsed
            continue
        shown = parsed["/".join(field.path)]
        assert abs(shown - expected) <= _tolerance(field.kind, expected), (field.label, shown, expected)
