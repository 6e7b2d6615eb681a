"""The last shared switch: NLB's automatic AZ failover, flipped by the operator's NLB runbook.

Every other control now travels as a message to the actor it concerns; this
one goes when the NLB stage takes SetAutomaticFailover on its own channels.
"""

from __future__ import annotations

import attrs

__all__ = ["ControlPlane"]


@attrs.define
class ControlPlane:
    nlb_automatic_failover: bool = True
