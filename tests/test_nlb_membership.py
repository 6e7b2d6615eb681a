"""Autoscaling's membership: a new instance replaces the oldest target, at once or (the fix) once propagated."""

from __future__ import annotations

from actors.network.messages import DATA_PLANE, FULLY_PROPAGATED, checker_bit
from actors.nlb.membership import Membership
from actors.nlb.targets import Target


def _members(*, wait: bool) -> Membership:
    members = Membership(azs=1, slots=1, wait_for_propagation=wait)
    for instance in (1, 2):
        members.join(0, Target(instance, droplet=instance, check_slot=0, propagated=FULLY_PROPAGATED))
    return members


def _in_service(members: Membership) -> list[int]:
    return [target.instance_id for target in members.groups[0].targets]


def test_without_the_fix_a_new_instance_takes_the_oldest_targets_place_at_once() -> None:
    members = _members(wait=False)
    retired = members.launched(0, Target(3, droplet=3, check_slot=0))
    assert retired is not None and retired[1].instance_id == 1
    assert _in_service(members) == [2, 3], "in service with nothing propagated: the incident's NLB"


def test_with_the_fix_a_new_instance_waits_out_of_service_and_the_oldest_stays_until_it_is_propagated() -> None:
    members = _members(wait=True)
    assert members.launched(0, Target(3, droplet=3, check_slot=0)) is None
    assert members.propagated(3, checker_bit(0) | DATA_PLANE) is None
    assert _in_service(members) == [1, 2], "half propagated: not in service, and no capacity taken away"
    assert 3 not in members.due[0][0], "nor health-checked"
    retired = members.propagated(3, checker_bit(1) | checker_bit(2))
    assert retired is not None and retired[1].instance_id == 1
    assert _in_service(members) == [2, 3] and 3 in members.due[0][0]
    assert members.waiting == {}
