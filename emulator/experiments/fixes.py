"""The fixes ``compare`` switches on, declared once, and the variants built from them.

Each fix is a set of config overrides (real switches of the actors' configs,
so the same world runs with and without it), the AWS remediation it stands
for, numbered as in AWS's post-event summary (§5 of the incident notes: 1
the DNS automation's off-switch, 2 the race fix, 3 plan protection, 4 NLB
velocity control, 5 a DWFM recovery test suite, 6 throttling by queue size),
or ``None`` for the general remedies of metastable failures that AWS did not
announce. Remediation 5 is a test suite, not a switch, so no fix stands for it.

The variants answer "which fix alone would have stopped what?" and "which
one can the others not do without?": no fix, each fix alone, all but one
(for each), all. With a subset (``--fix``) the same four kinds are built
from the subset; duplicates (with one fix, "all" is that fix alone) are kept
once, under the first name.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import attrs

from emulator.config.loading import ConfigError

__all__ = ["FIXES", "NOT_A_SWITCH", "Fix", "Variant", "fixes_by_name", "variants"]


@attrs.frozen
class Fix:
    name: str  # as typed after --fix
    label: str  # as written in the interpretation lines
    overrides: tuple[tuple[str, str], ...]
    remediation: int | None  # AWS's number (incident notes §5); None: a general remedy, not AWS's
    description: str


FIXES: tuple[Fix, ...] = (
    Fix(
        "kill-switch",
        "DNS automation kill switch",
        (("dns.automation_enabled", "false"),),
        1,
        "the DNS automation off for the whole run: no Enactor applies any plan, stale or fresh",
    ),
    Fix(
        "race-fix",
        "race fix",
        (("dns.race_fix", "true"),),
        2,
        "an Enactor's freshness check holds at the moment of the write (commit conditional on the generation)",
    ),
    Fix(
        "plan-protection",
        "plan protection",
        (("dns.plan_protection", "true"),),
        3,
        "clean-up never deletes the active or a recent plan, and an empty plan is refused",
    ),
    Fix(
        "velocity-control",
        "velocity control",
        (("nlb.velocity_control.enabled", "true"),),
        4,
        "an NLB refuses an AZ failover that would take out more than its share of nodes",
    ),
    Fix(
        "dwfm-throttle",
        "DWFM throttling",
        (("dwfm.throttle.enabled", "true"),),
        6,
        "DWFM admits lease work by the size of its queue: refused at the queue, offered again as it drains",
    ),
    Fix(
        "network-throttle",
        "Network Manager throttling",
        (("network_manager.throttle.enabled", "true"),),
        6,
        "launches are refused while Network Manager's backlog is over its limit",
    ),
    Fix(
        "retry-budget",
        "retry budget",
        (("dwfm.retry_budget.enabled", "true"),),
        None,
        "every DWFM retry takes a token from a per-host bucket refilled at a share of the host's capacity",
    ),
    Fix(
        "backoff",
        "backoff with jitter",
        (("dwfm.backoff.enabled", "true"),),
        None,
        "a droplet waits a capped exponential backoff with full jitter before asking DWFM again",
    ),
    Fix(
        "drop-expired",
        "dropping expired work",
        (("dwfm.drop_expired_work", "true"),),
        None,
        "a DWFM worker skips work whose requester has already given up, at no cost",
    ),
)

# Said by `compare --list`, so nobody looks for remediation 5 among the switches.
NOT_A_SWITCH = {5: "a test suite exercising DWFM's recovery at scale: not a switch of the world, so no fix here"}


@attrs.frozen
class Variant:
    """One row of the comparison: a name, the fixes it switches on, and what it is compared against."""

    name: str
    fixes: tuple[str, ...]
    kind: str  # "none", "alone", "all-but" or "all"

    def overrides(self) -> tuple[tuple[str, str], ...]:
        by_name = {fix.name: fix for fix in FIXES}
        return tuple(pair for name in self.fixes for pair in by_name[name].overrides)


def fixes_by_name(names: Sequence[str]) -> tuple[Fix, ...]:
    """The declared fixes named, in declared order; every name must be known and given once."""
    known = {fix.name: fix for fix in FIXES}
    allowed = ", ".join(known)
    for name in names:
        if name not in known:
            raise ConfigError(f"invalid --fix {name!r}: allowed {allowed}")
        if names.count(name) > 1:
            raise ConfigError(f"invalid --fix {name!r}: given twice")
    if not names:
        return FIXES
    return tuple(fix for fix in FIXES if fix.name in names)


def variants(chosen: Sequence[Fix] = FIXES, only: Collection[str] | None = None) -> list[Variant]:
    """No fix, each alone, all but each, all: in that order, each set of fixes once.

    ``only`` keeps the variants of those names (a test that needs a few of
    them need not pay for the rest); the command always builds them all.
    """
    names = tuple(fix.name for fix in chosen)
    candidates = [Variant("none", (), "none")]
    candidates += [Variant(name, (name,), "alone") for name in names]
    candidates += [Variant(f"all-but-{name}", tuple(n for n in names if n != name), "all-but") for name in names]
    candidates.append(Variant("all", names, "all"))
    if only is not None:
        unknown = set(only) - {variant.name for variant in candidates}
        if unknown:
            raise ValueError(f"no such variants: {', '.join(sorted(unknown))}")
        candidates = [variant for variant in candidates if variant.name in only]
    seen: set[tuple[str, ...]] = set()
    unique = []
    for variant in candidates:
        if variant.fixes not in seen:
            seen.add(variant.fixes)
            unique.append(variant)
    return unique
