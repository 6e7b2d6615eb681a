"""AWS's own timeline beside ours, so a reader can compare the shape.

The emulated clock is anchored on the first customer-visible DynamoDB error,
as AWS's timeline is (23:48 PDT, 19 October 2025). Each AWS milestone is
shown beside the first event of ours that corresponds to it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ANCHOR_EVENT", "AWS_MILESTONES", "annotate", "aws_clock"]

ANCHOR_EVENT = "dynamodb_errors_start"
ANCHOR_PDT_S = 23 * 3600 + 48 * 60

# our event -> AWS's milestone (PDT)
AWS_MILESTONES: dict[str, str] = {
    "dynamodb_errors_start": "23:48 DynamoDB errors start",
    "operator_restored_dns": "02:25 DNS records restored",
    "operator_throttled_dwfm": "04:14 DWFM throttled, hosts restarted",
    "dwfm_leases_recovered": "05:28 every droplet leased again",
    "network_propagation_slow": "06:21 propagation latency rises",
    "operator_paged_nlb": "06:52 NLB flapping detected",
    "operator_disabled_failover": "09:36 automatic failover disabled",
    "network_propagation_normal": "10:36 propagation back to normal",
    "operator_lifted_throttles": "13:50 EC2 fully recovered",
    "operator_reenabled_failover": "14:09 automatic failover re-enabled",
}


def aws_clock(t: float, anchor: float) -> str:
    """Virtual time ``t`` as a PDT wall clock, ``anchor`` being 23:48."""
    seconds = int(ANCHOR_PDT_S + t - anchor) % 86400
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def annotate(timeline: list[dict[str, Any]]) -> list[tuple[dict[str, Any], str | None, str | None]]:
    """Each entry with its emulated PDT time (once anchored) and AWS's milestone."""
    anchor = next((entry["t"] for entry in timeline if entry["event"] == ANCHOR_EVENT), None)
    seen: set[str] = set()
    annotated = []
    for entry in timeline:
        clock = aws_clock(entry["t"], anchor) if anchor is not None else None
        aws = None
        if entry["event"] in AWS_MILESTONES and entry["event"] not in seen:
            seen.add(entry["event"])
            aws = AWS_MILESTONES[entry["event"]]
        annotated.append((entry, clock, aws))
    return annotated
