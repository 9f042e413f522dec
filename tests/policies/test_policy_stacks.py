"""Every stack's offline plan through the whole pack: no blocking violation may remain.

Uses the session-wide plans from tests/conftest.py (the real program under mocks), with
the tier each stack file declares. Advisory findings are allowed (they never block a
`pulumi up`) but are listed when a stack fails, so a reviewer sees the whole picture.
"""

from __future__ import annotations

from streaming_policies import evaluate_dr_pairing, evaluate_plan

from infra.offline.record import StackPlan


def test_stack_passes_the_policy_pack(stack_plan: StackPlan) -> None:
    violations = evaluate_plan(stack_plan.resources, stack_plan.config["tier"], stack_plan.stack)
    blocking = [f"{v.rule} {v.resource_name}: {v.message}" for v in violations if v.blocking]
    advisory = [f"{v.rule} {v.resource_name}: {v.message}" for v in violations if not v.blocking]
    assert blocking == [], "\n".join(["blocking:", *blocking, "advisory:", *advisory])


def test_dr_pairs_declared_in_the_plans_hold(plans: dict[str, StackPlan]) -> None:
    pairs = [
        (name, str(plan.config["dr"]["peer_stack"]).rsplit("/", 1)[-1])
        for name, plan in plans.items()
        if plan.config["dr"].get("role") == "primary" and plan.config["dr"].get("peer_stack")
    ]
    assert pairs, "no stack declares a DR peer"
    for primary, standby in pairs:
        assert standby in plans, f"{primary}: DR peer {standby} has no stack file"
        assert evaluate_dr_pairing(plans[primary].resources, primary, plans[standby].resources, standby) == []
