"""Per grid point statistics of a sweep's rows: what ``summary.json`` holds and the plots draw.

Numeric outcomes get mean, p50, p95 and a 95% confidence interval of the mean
(Student's t: sweeps often have only a handful of seeds, where the normal
approximation is far too narrow). Boolean outcomes get their rate with a 95%
Wilson interval, which stays inside [0, 1] and is honest at rates of 0 or 1 —
exactly where "the race never happened in 20 seeds" needs an upper bound.
Null cells (e.g. ``lease_recovery_seconds`` when leases never recovered) are
counted as ``missing`` rather than silently averaged away. Failed runs are
left out of every statistic and listed with the command that reproduces them.
"""

from __future__ import annotations

import math
from typing import Any

from emulator.experiments.sweep_spec import FIXED_COLUMNS, SweepSpec, run_command
from emulator.experiments.sweep_store import decode_cell

__all__ = [
    "charted_outcomes",
    "mean_interval",
    "outcome_kinds",
    "quantile",
    "summarise",
    "value_and_band",
    "wilson_interval",
]

Z_95 = 1.959963984540054
# Two-sided 95% critical values of Student's t for 1..30 degrees of freedom.
_T_95 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval of a binomial rate; ``(0, 1)`` when there are no trials."""
    if trials == 0:
        return 0.0, 1.0
    rate = successes / trials
    denominator = 1 + z * z / trials
    centre = (rate + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(rate * (1 - rate) / trials + z * z / (4 * trials * trials)) / denominator
    # Clamp to the observed rate: rounding must never put 0 or 1 outside its own interval.
    return min(rate, max(0.0, centre - half)), max(rate, min(1.0, centre + half))


def quantile(sorted_values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), on already sorted values."""
    position = (len(sorted_values) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def mean_interval(values: list[float]) -> tuple[float, float]:
    """95% confidence interval of the mean (Student's t); a point when fewer than two values."""
    mean = math.fsum(values) / len(values)
    if len(values) < 2:
        return mean, mean
    variance = math.fsum((value - mean) ** 2 for value in values) / (len(values) - 1)
    critical = _T_95[len(values) - 2] if len(values) - 1 <= len(_T_95) else Z_95
    half = critical * math.sqrt(variance / len(values))
    return mean - half, mean + half


def outcome_kinds(rows: list[dict[str, str]], grid_keys: tuple[str, ...]) -> dict[str, str]:
    """``{"dns.race_occurred": "boolean", "dns.plans_deleted": "numeric", ...}`` over the ok rows.

    A column is boolean if every non-empty cell is true/false, numeric if every
    one is a number; all-empty columns (an outcome that never had a value)
    are left out.
    """
    skip = {*grid_keys, *FIXED_COLUMNS}
    columns: list[str] = []
    for row in rows:
        columns += [name for name in row if name not in skip and name not in columns]
    kinds: dict[str, str] = {}
    for column in columns:
        cells = [decode_cell(row.get(column, "")) for row in rows if row["status"] == "ok"]
        present = [cell for cell in cells if cell is not None]
        if present and all(isinstance(cell, bool) for cell in present):
            kinds[column] = "boolean"
        elif present and all(isinstance(cell, float) for cell in present):
            kinds[column] = "numeric"
    return kinds


def _numeric(cells: list[Any]) -> dict[str, Any]:
    values = sorted(float(cell) for cell in cells if cell is not None)
    stats: dict[str, Any] = {"n": len(values), "missing": len(cells) - len(values)}
    if values:
        low, high = mean_interval(values)
        stats.update(
            mean=math.fsum(values) / len(values),
            p50=quantile(values, 0.5),
            p95=quantile(values, 0.95),
            min=values[0],
            max=values[-1],
            mean_ci95=[low, high],
        )
    return stats


def _boolean(cells: list[Any]) -> dict[str, Any]:
    present = [bool(cell) for cell in cells if cell is not None]
    successes = sum(present)
    low, high = wilson_interval(successes, len(present))
    return {
        "n": len(present),
        "missing": len(cells) - len(present),
        "count": successes,
        "rate": successes / len(present) if present else None,
        "ci95": [low, high],
    }


# A plain sweep (no study) always reports whether the chain played, even where it never varies:
# a grid on which every run raced is a finding, and a table without the race would hide it.
CHAIN_OUTCOMES = ("dns.race_occurred", "phases.dwfm_collapse.occurred", "phases.nlb_flapping.occurred")


def summarise(spec: SweepSpec, rows: list[dict[str, str]], headline: tuple[str, ...] = ()) -> dict[str, Any]:
    """The whole ``summary.json``: the sweep's parameters, one entry per grid point, and the failures.

    ``headline`` outcomes (a study's) are always summarised: one that never had
    a value (``lease_recovery_seconds`` when leases never recovered in any run)
    would otherwise vanish from the table and the plots, and its absence read
    as "not measured" rather than "never happened".
    """
    keys = spec.grid_keys
    kinds = outcome_kinds(rows, keys)
    kinds.update({name: "numeric" for name in headline if name not in kinds})
    by_point: dict[tuple[str, ...], list[dict[str, str]]] = {}
    for row in rows:
        by_point.setdefault(tuple(row[key] for key in keys), []).append(row)
    points = []
    for point in spec.points():
        point_rows = sorted(by_point.get(point, []), key=lambda row: int(row["seed"]))
        ok = [row for row in point_rows if row["status"] == "ok"]
        entry: dict[str, Any] = {
            "grid": dict(zip(keys, point, strict=True)),
            "runs": len(point_rows),
            "failed": len(point_rows) - len(ok),
            "numeric": {},
            "boolean": {},
        }
        for column, kind in kinds.items():
            cells = [decode_cell(row.get(column, "")) for row in ok]
            entry[kind][column] = _numeric(cells) if kind == "numeric" else _boolean(cells)
        points.append(entry)
    failures = []
    for row in sorted(rows, key=lambda row: (tuple(row[key] for key in keys), int(row["seed"]))):
        if row["status"] == "failed":
            task = spec.task(tuple(row[key] for key in keys), int(row["seed"]))
            failures.append(
                {"grid": dict(task.point), "seed": task.seed, "error": row["error"], "command": run_command(task)}
            )
    first, last = spec.seeds
    return {
        "parameters": spec.to_json(),
        "runs": len(rows),
        "expected_runs": len(spec.points()) * (last - first + 1),
        "failed": len(failures),
        "outcomes": kinds,
        "points": points,
        "failures": failures,
    }


def value_and_band(stats: dict[str, Any], kind: str) -> tuple[float, float, float]:
    """Mean or rate with its 95% interval; NaN where the point has no value."""
    if kind == "boolean":
        if stats["rate"] is None:
            return math.nan, math.nan, math.nan
        return stats["rate"], stats["ci95"][0], stats["ci95"][1]
    if "mean" not in stats:
        return math.nan, math.nan, math.nan
    return stats["mean"], stats["mean_ci95"][0], stats["mean_ci95"][1]


def charted_outcomes(summary: dict[str, Any], outcomes: tuple[str, ...] = ()) -> list[str]:
    """The outcomes a sweep draws and tabulates, in order.

    ``outcomes`` (a study's) are all drawn even if they never vary (every run
    raced: a flat 1.0 is the finding); otherwise the chain's outcomes
    (``CHAIN_OUTCOMES``, for the same reason) and then every other outcome that
    differs somewhere across the grid (constant ones, e.g. always 0, would only
    add noise). The same list whether or not the plots are drawn (``--no-plots``).
    """
    kinds: dict[str, str] = summary["outcomes"]
    if outcomes:
        return [name for name in outcomes if name in kinds]
    chosen = [name for name in CHAIN_OUTCOMES if name in kinds]
    return chosen + [name for name, kind in kinds.items() if name not in chosen and _varies(summary, name, kind)]


def _varies(summary: dict[str, Any], outcome: str, kind: str) -> bool:
    values = {value_and_band(point[kind][outcome], kind) for point in summary["points"]}
    return len(values) > 1
