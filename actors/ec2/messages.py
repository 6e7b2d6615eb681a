"""EC2's message protocol: droplets, DWFM hosts, the launcher and their controls.

Who sends what:

* DWFM host -> droplet (its :class:`~emulator.kernel.mailbox.Inbox`):
  :class:`ReestablishmentOpen`, when the droplet's lease lapsed and the host
  can re-establish it (DynamoDB answers, and under admission control the
  queue has room).
* Droplet -> DWFM host (its work channel): :class:`ReestablishLease`, with
  the droplet's deadline and a one-shot reply; the reply is True when the
  lease is active again. The droplet owns the timeout and retries.
* DWFM host -> subscribers (launcher, Network Manager): :class:`LeaseChanges`.
* Launcher -> subscribers: :class:`InstanceLaunched`; customers' terminations
  -> subscribers: :class:`InstanceTerminated`.
* Operator -> DWFM host (:data:`HostControl`): :class:`SetAdmission`,
  :class:`RestartHost`; operator and Network Manager -> launcher
  (:data:`LauncherControl`): :class:`SetLaunchThrottle`,
  :class:`SetLaunchAdmission`.

:class:`Lease` is not a message: it is a subscriber's view of one droplet's
lease, built from :class:`LeaseChanges` (Network Manager's, for now).
"""

from __future__ import annotations

import enum
from typing import TypeAlias

import attrs

from emulator.kernel.mailbox import Reply

__all__ = [
    "HostControl",
    "InstanceLaunched",
    "InstanceTerminated",
    "LauncherControl",
    "Lease",
    "LeaseChanges",
    "LeaseState",
    "ReestablishLease",
    "ReestablishmentOpen",
    "RestartHost",
    "SetAdmission",
    "SetLaunchAdmission",
    "SetLaunchThrottle",
    "WorkOutcome",
]


class LeaseState(enum.IntEnum):
    ACTIVE = 0
    EXPIRED = 1
    REESTABLISHING = 2


class WorkOutcome(enum.Enum):
    COMPLETED = "completed"  # done in time: the lease is back
    WASTED = "wasted"  # done, but the requester had already given up
    TIMED_OUT = "timed_out"  # the requester gave up waiting
    REJECTED = "rejected"  # not admitted: the queue was over its limit
    DROPPED = "dropped"  # skipped by a worker because the requester had given up
    DISCARDED = "discarded"  # still queued when its host restarted


class Lease:
    """A subscriber's view of one droplet's lease, kept up to date from :class:`LeaseChanges`."""

    __slots__ = ("az", "droplet_id", "state")

    def __init__(self, droplet_id: int, az: int, state: LeaseState = LeaseState.ACTIVE) -> None:
        self.droplet_id = droplet_id
        self.az = az
        self.state = state


# -- DWFM host <-> droplets (EC2's own) -------------------------------------------------


@attrs.frozen
class ReestablishmentOpen:
    """DWFM host -> droplet: your lease lapsed and can be re-established now; ask for it."""


@attrs.frozen(eq=False)
class ReestablishLease:
    """Droplet -> DWFM host's work channel: re-establish my lease by ``deadline``.

    ``attempt`` counts the droplet's earlier timeouts for this lapse (0 for
    the first request after :class:`ReestablishmentOpen`). ``reply`` gets
    True when a worker re-established the lease; a worker whose
    ``reply.send`` returns False learns that the droplet had given up.
    """

    droplet: int
    attempt: int
    deadline: float
    reply: Reply[bool]


# -- EC2's published protocol (read by Network Manager, NLB and the operator) ----------


@attrs.frozen
class InstanceLaunched:
    """Launcher -> subscribers (Network Manager, NLB autoscaling): a new instance on ``droplet``."""

    instance_id: int
    az: int
    droplet: int
    at: float


@attrs.frozen
class InstanceTerminated:
    """-> Network Manager: an instance went away (customers, or NLB retiring a target)."""

    instance_id: int
    az: int
    droplet: int
    at: float


@attrs.frozen
class LeaseChanges:
    """DWFM host -> subscribers (launcher, Network Manager), once per check tick with news.

    ``lapsed``: droplets whose lease this host found lapsed; ``restored``:
    droplets whose lease it re-established since its last message. A
    subscriber keeps its own view of which droplets are leased from these.
    """

    host: str
    lapsed: tuple[int, ...]
    restored: tuple[int, ...]


@attrs.frozen
class SetLaunchAdmission:
    """Network Manager -> launcher (queue-size throttling): refuse launches while closed."""

    open: bool


@attrs.frozen
class SetLaunchThrottle:
    """Operator -> launcher: a token-bucket limit on launches (0: none)."""

    per_s: float


@attrs.frozen
class SetAdmission:
    """Operator -> DWFM host: admission control by queue size (AWS remediation 6)."""

    enabled: bool
    max_queue: int


@attrs.frozen
class RestartHost:
    """Operator -> DWFM host: restart it, which empties its work queue."""


HostControl: TypeAlias = SetAdmission | RestartHost
LauncherControl: TypeAlias = SetLaunchThrottle | SetLaunchAdmission
