"""What the CLI prints: logging set-up, the timeline beside AWS's, the summary.

Shared by every subcommand that runs a world (``run``, ``soak``), so they
print the same things the same way.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any, TextIO

import structlog

from emulator.kernel.durations import format_duration
from emulator.world.aws_timeline import annotate

__all__ = [
    "PROG",
    "configure_logging",
    "print_aws_comparison",
    "print_summary",
    "print_timeline",
    "stream_to_devnull",
]

PROG = "outage-emulator"


def _stderr_logger(*_: object) -> structlog.PrintLogger:
    """A logger on whatever ``sys.stderr`` is when the event is logged, not when logging was set up
    (a caller that swaps stderr, as a test harness does, must not leave logs writing to a closed file)."""
    return structlog.PrintLogger(sys.stderr)


def stream_to_devnull(stream: TextIO) -> None:
    """Point ``stream``'s file at /dev/null: its reader went away (| head) or it is full.

    What is left in its buffer, flushed at exit, then goes nowhere instead of
    raising a second time.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, stream.fileno())
    os.close(devnull)


def configure_logging(log_format: str, quiet: bool) -> None:
    """structlog to stderr; every event already carries virtual time (``vt``)."""
    renderer: Any = (
        structlog.processors.JSONRenderer() if log_format == "json" else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[structlog.processors.add_log_level, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING if quiet else logging.INFO),
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )


# What each cause of an NLB connection error means, for the summary line.
_ERROR_CAUSES = {
    "no_connectivity": "sent to targets in service before their network state propagated",
    "overflow": "beyond what the working targets could carry",
}


def print_timeline(report: dict[str, Any]) -> None:
    entries = annotate(report)
    if not entries:
        # A healthy or remediated run: say so rather than print a header over nothing.
        print("Timeline: no milestones in this run (no stage of the chain broke).")
        return
    print("Timeline (virtual time since start | as PDT, anchored on the first DynamoDB error | AWS's):")
    for entry, clock, aws in entries:
        details = " ".join(f"{k}={v}" for k, v in entry.items() if k not in ("t", "event", "actor"))
        line = f"  {format_duration(entry['t'])} {clock or '':>5}  {entry['event']:<31} {entry['actor']:<24} {details}"
        print(f"{line.rstrip():<118} [AWS {aws}]" if aws else line.rstrip())


def print_summary(report: dict[str, Any]) -> None:
    dns, ddb = report["dns"], report["dynamodb"]
    first = dns["first_empty_at"]
    print(
        f"Summary: scenario={report['scenario']} seed={report['seed']} "
        f"virtual={format_duration(report['virtual_seconds'])} wall={report['wall_seconds']:.1f}s "
        f"events={report['events']} trace_hash={report['trace_hash'][:16]}"
    )
    print(
        f"  DNS: race={'yes' if dns['race_occurred'] else 'no'} "
        f"first_empty_at={format_duration(first) if first is not None else '-'} "
        f"empty_for={dns['empty_record_seconds']:.0f}s stuck={'yes' if dns['stuck'] else 'no'} "
        f"max_lag={dns['enactor_max_lag_generations']} lock_conflicts={dns['lock_conflicts']}"
    )
    print(
        f"  DynamoDB: requests={ddb['requests']} unresolvable={ddb['failed_unresolvable']} "
        f"error_seconds={ddb['error_seconds']:.0f}"
    )
    dwfm, ec2, nm, nlb = report["dwfm"], report["ec2"], report["network_manager"], report["nlb"]
    recovery = dwfm["lease_recovery_seconds"]
    # Leases not all back when the run ended (its --duration, or a stop) proves only that: "never" would
    # read as a verdict that a longer run could contradict.
    unrecovered = "not_by_the_end" if dwfm["leases_expired_peak"] else "-"
    recovered = f"{recovery:.0f}s" if recovery is not None else unrecovered
    print(
        f"  DWFM: leases_expired_peak={dwfm['leases_expired_peak']} collapse={'yes' if dwfm['collapse'] else 'no'} "
        f"collapse_for={dwfm['collapse_seconds']:.0f}s "
        f"lease_recovery={recovered} "
        f"max_queue={dwfm['max_queue_depth']} timeouts={dwfm['work_timeouts']}"
    )
    print(
        f"  EC2: launches ok={ec2['launches_ok']} insufficient_capacity={ec2['launches_insufficient_capacity']} "
        f"throttled={ec2['launches_throttled']}"
    )
    print(
        f"  Network Manager: max_backlog={nm['max_backlog']} p99_propagation={_seconds(nm['p99_propagation_seconds'])} "
        f"without_connectivity_peak={nm['instances_without_connectivity_peak']}"
    )
    print(
        f"  NLB: flaps={nlb['health_flaps']} az_failovers={nlb['az_failovers']} "
        f"min_capacity={nlb['min_capacity_fraction']:.2f} connection_errors={nlb['connection_errors']:.0f} "
        f"healthcheck_max_delay={nlb['healthcheck_max_delay_seconds']:.0f}s"
    )
    causes = [
        (_ERROR_CAUSES.get(cause, cause), value) for cause, value in nlb.get("connection_errors_by_cause", {}).items()
    ]
    if any(value >= 0.5 for _, value in causes):
        print(
            "    connection errors by cause: "
            + ", ".join(f"{value:,.0f} {why}" for why, value in causes if value >= 0.5)
        )
    lag = report.get("realtime_max_lag_seconds")
    if lag is not None and lag > LAG_WARNING_S:
        print(
            f"  warning: the world fell up to {format_duration(lag)} of virtual time behind real time; "
            "timers fired late, so lower --speed for a faithful real-time run",
            file=sys.stderr,
        )


# A real-time world this far behind its timers no longer plays in real time.
LAG_WARNING_S = 60.0


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value}s"


def _hm(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes = round(abs(seconds) / 60)
    sign = " " if minutes == 0 else "-" if seconds < 0 else "+"
    return f"{sign}{minutes // 60}h{minutes % 60:02d}"


def print_aws_comparison(report: dict[str, Any]) -> None:
    """AWS's milestones against ours: calibrated (a copied operator delay) or emergent."""
    comparison = report.get("aws_comparison")
    if not comparison:
        return
    print("Beside AWS's timeline (PDT; calibrated = placed by an operator delay copied from AWS's gaps):")
    print(f"  {'AWS':>5} {'ours':>5} {'delta':>6}  {'kind':<10} milestone")
    for row in comparison["milestones"]:
        ours = row["ours_pdt"] or "-"
        keys = f" ({', '.join(row['calibrated_by'])})" if row["calibrated_by"] else ""
        print(f"  {row['aws_pdt']:>5} {ours:>5} {_hm(row['delta_s']):>6}  {row['kind']:<10} {row['what']}{keys}")
    print(f"  {'phase':<16} {'AWS':>6} {'ours':>6} {'ratio':>6}  {'kind':<10} end placed by")
    for row in comparison["phases"]:
        ratio = f"{row['ratio']:.2f}" if row["ratio"] is not None else "-"
        aws, ours = _hm(row["aws_s"]).strip("+"), _hm(row["ours_s"]).strip("+")
        ended_by = ", ".join(row["calibrated_by"]) or (
            "the model, on capacities below" if row.get("assumes") else "the model"
        )
        print(f"  {row['phase']:<16} {aws:>6} {ours:>6} {ratio:>6}  {row['kind']:<10} {ended_by}")
    for row in comparison["phases"]:
        if row.get("assumes"):
            print(f"  {row['phase']} rests on assumed capacities (no AWS figure): {', '.join(row['assumes'])}")
