"""The stages of the failure chain, in the order the incident flowed.

Dashboard rows and plot panels follow this order; a stage declared in
:mod:`metrics.schema` but missing here still shows up, after the known ones,
under its own name.
"""

from __future__ import annotations

from collections.abc import Sequence

from metrics.schema import MetricSpec

__all__ = ["STAGE_ORDER", "STAGE_TITLES", "by_stage", "stage_title"]

STAGE_ORDER = ("run", "dns", "dynamodb", "dwfm", "ec2", "network_manager", "nlb", "operator")
STAGE_TITLES = {
    "run": "Run and phases",
    "dns": "DNS automation",
    "dynamodb": "DynamoDB",
    "dwfm": "DWFM (droplet leases)",
    "ec2": "EC2 launches",
    "network_manager": "Network Manager",
    "nlb": "NLB health checks",
    "operator": "Operator",
}


def stage_title(stage: str) -> str:
    return STAGE_TITLES.get(stage, stage.replace("_", " ").title())


def by_stage(specs: Sequence[MetricSpec]) -> list[tuple[str, list[MetricSpec]]]:
    """Specs grouped by stage, stages in chain order, specs in declaration order."""
    stages = list(STAGE_ORDER) + sorted({spec.stage for spec in specs} - set(STAGE_ORDER))
    groups = [(stage, [spec for spec in specs if spec.stage == stage]) for stage in stages]
    return [(stage, group) for stage, group in groups if group]
