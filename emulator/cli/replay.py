"""``outage-emulator replay`` and ``diff``: a seed is a bug recipe.

``replay REPORT.json [--until T]`` re-runs a report's config and seed and
confirms its ``trace_hash`` (or, for a report cut short, the hashes noted
every 1,000 events up to where it stopped). If they differ it names the
window of events where they part. ``diff A.json B.json`` re-runs both reports
up to the first window where their noted hashes differ and prints the first
event that differs, then the outcomes that differ: the what-if tool for "same
seed, one knob changed".

A report carries its whole resolved config, so the command that rebuilds it
is the defaults plus every key that differs (:func:`reproduce_command`).
"""

from __future__ import annotations

import argparse
import json
import shlex
from pathlib import Path
from typing import Any

from emulator.cli.options import add_output_style, duration, subcommand
from emulator.config.loading import ConfigError, build_config, flatten_config
from emulator.config.tree import Config
from emulator.experiments.sweep_row import flatten_outcomes
from emulator.kernel.trace import Trace
from emulator.world.runner import RunFailed, run_world
from emulator.world.world import World

__all__ = ["add_replay_parsers", "command_diff", "command_replay", "reproduce_command"]

PROG = "outage-emulator"


def add_replay_parsers(commands: Any) -> None:
    replay = subcommand(commands, "replay", help="re-run a report's config and seed and confirm its trace")
    replay.add_argument("report", type=Path, help="a JSON report written by run --report")
    replay.add_argument("--until", type=duration, metavar="TIME", help="replay only to this virtual time")
    add_output_style(replay, quiet="the verdict")
    diff = subcommand(commands, "diff", help="the first event and the outcomes where two reports differ")
    diff.add_argument("first", type=Path, help="a JSON report")
    diff.add_argument("second", type=Path, help="another JSON report")
    add_output_style(diff, quiet="the first divergent event")


def _load(path: Path) -> dict[str, Any]:
    try:
        report = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"invalid report {str(path)!r}: cannot read it as JSON ({exc})") from None
    if not isinstance(report, dict) or not {"config", "seed", "trace_hash"} <= report.keys():
        raise ConfigError(f"invalid report {str(path)!r}: not a report of `{PROG} run --report`")
    return report


def _overrides(config: dict[str, Any]) -> tuple[list[tuple[str, str]], list[str]]:
    """The ``--set`` pairs and ``--fault`` strings that rebuild ``config`` from the defaults."""
    defaults = flatten_config(Config())
    sets = []
    for key, value in config.items():
        if key == "faults" or key not in defaults or value == defaults[key]:
            continue
        sets.append((key, json.dumps(value) if isinstance(value, bool) else str(value)))
    return sets, list(config.get("faults", []))


def reproduce_command(report: dict[str, Any], until: float | None = None) -> str:
    """The ``run`` command line that replays ``report`` (to just past ``until``, if given)."""
    sets, faults = _overrides(report["config"])
    argv = [PROG, "run", "--seed", str(report["seed"])]
    for key, value in sets:
        if key == "run.duration_s" and until is not None:
            continue
        argv += ["--set", f"{key}={value}"]
    for fault in faults:
        argv += ["--fault", fault]
    if until is not None:
        argv += ["--duration", f"{until + 1:g}s"]
    return shlex.join(argv)


def _rerun(
    report: dict[str, Any], until: float | None, window: tuple[int, int] | None = None
) -> tuple[Any, list[tuple[int, str]]]:
    """Run ``report`` again; the report (or failure) and the event lines inside ``window``."""
    sets, faults = _overrides(report["config"])
    if until is not None:
        sets = [*(pair for pair in sets if pair[0] != "run.duration_s"), ("run.duration_s", str(until))]
    _, config = build_config("incident", sets, faults)
    seen: list[tuple[int, str]] = []

    async def tap(world: World) -> None:
        trace: Trace = world.trace
        if window is not None:
            low, high = window
            trace.tap = lambda number, line: seen.append((number, line)) if low < number <= high else None

    try:
        result = run_world(config, seed=int(report["seed"]), observers=[tap]).report
    except RunFailed as failure:
        result = failure.partial
    return result, seen


def _first_difference(first: list[Any], second: list[Any]) -> int | None:
    for index, (a, b) in enumerate(zip(first, second, strict=False)):
        if a != b:
            return index
    return None if len(first) == len(second) else min(len(first), len(second))


def command_replay(args: argparse.Namespace) -> int:
    report = _load(args.report)
    until = args.until if args.until is not None else (None if report.get("completed") else report["virtual_seconds"])
    again, _ = _rerun(report, until)
    if until is None:
        same = again["trace_hash"] == report["trace_hash"]
    else:
        # Events at the very instant a run stops may fall either side of its end.
        noted = [c for c in report.get("trace_checkpoints", []) if c[1] < until]
        same = again.get("trace_checkpoints", [])[: len(noted)] == noted
    if same:
        what = f"trace_hash {report['trace_hash'][:16]}" if until is None else f"the trace up to {until:g} s"
        print(f"replay matches: {what} ({again['events']} events)")
        if "violated_invariant" in again:
            print(f"  and reproduces: {again['error']}")
        return 0
    mine, theirs = report.get("trace_checkpoints", []), again.get("trace_checkpoints", [])
    index = _first_difference(mine, theirs)
    if index is None:
        print(f"replay diverges after the last noted hash ({len(mine) * 1000} events)")
    else:
        print(f"replay diverges within events {index * 1000 + 1}..{(index + 1) * 1000}")
    return 1


def command_diff(args: argparse.Namespace) -> int:
    first, second = _load(args.first), _load(args.second)
    if first["trace_hash"] == second["trace_hash"]:
        print("the two runs are identical: same trace_hash")
        return 0
    marks_a, marks_b = first.get("trace_checkpoints", []), second.get("trace_checkpoints", [])
    index = _first_difference([m[2] for m in marks_a], [m[2] for m in marks_b])
    index = min(len(marks_a), len(marks_b)) if index is None else index
    window = (index * 1000, (index + 1) * 1000)
    ends = [
        marks[index][1] if index < len(marks) else report["virtual_seconds"]
        for marks, report in ((marks_a, first), (marks_b, second))
    ]
    (_, events_a), (_, events_b) = _rerun(first, ends[0] + 1, window), _rerun(second, ends[1] + 1, window)
    at = _first_difference(events_a, events_b)
    if at is None:
        print(f"no event differs within events {window[0] + 1}..{window[1]}; the runs part later")
    else:
        print("first divergent event (virtual time|actor|event|fields):")
        for path, events in ((args.first, events_a), (args.second, events_b)):
            number, line = events[at] if at < len(events) else (window[0] + at + 1, "(no more events)")
            print(f"  #{number} {path}: {line}")
    if not args.quiet:
        outcomes_a, outcomes_b = flatten_outcomes(first), flatten_outcomes(second)
        changed = [
            key for key in sorted(outcomes_a.keys() | outcomes_b.keys()) if outcomes_a.get(key) != outcomes_b.get(key)
        ]
        print(f"outcomes that differ ({len(changed)}):")
        for key in changed:
            print(f"  {key}: {outcomes_a.get(key)} -> {outcomes_b.get(key)}")
    return 0
