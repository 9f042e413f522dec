"""Recovery targets have one source (infra/data/dr_targets.yaml): outputs, README, runbooks and drills agree with it."""

from __future__ import annotations

import pytest

from infra import paths
from infra.catalog.dr_targets import TargetsFileError, parse_scenario, scenario_targets
from infra.config.loader import load_stack
from infra.drills.clock import SystemClock
from infra.drills.model import DrillContext, Peer
from infra.drills.rehearsal import offline_clients
from infra.drills.scenarios import SCENARIOS
from infra.drills.targets import duration, target_for
from infra.offline.record import StackPlan
from infra.planning.dr import kafka_durability
from infra.reference import README
from infra.reference.dr_targets_table import END, START, render_table
from tests.conftest import STACKS


def expected(plan: StackPlan, scenario: str) -> dict[str, float | None]:
    """The file's RPOs for the stack's tier, the derived words resolved by hand from the plan's config."""
    words = {
        "kafka-acks": None if plan.config["tier"] == "dev" else 0.0,
        "replicator-alarm": plan.config["dr"]["stream_latency_alarm_seconds"],
    }
    tier = scenario_targets()[scenario].tiers[str(plan.config["tier"])]
    return {store: words[v] if isinstance(v, str) else float(v) for store, v in tier.rpo_seconds.items()}


@pytest.mark.parametrize("stack", STACKS)
def test_the_outputs_carry_the_files_figures(plans: dict[str, StackPlan], stack: str) -> None:
    plan = plans[stack]
    for scenario, output in plan.outputs["drTargets"].items():
        spec = scenario_targets()[scenario]
        assert output["rtoMinutes"] == spec.tiers[str(plan.config["tier"])].rto_minutes
        assert output["rpoSeconds"] == expected(plan, scenario)
        assert output["runbook"] == spec.runbook
        assert [(s["name"], s["minMinutes"], s["maxMinutes"]) for s in output["steps"]] == [
            (s.name, s.min_minutes, s.max_minutes) for s in spec.steps
        ]


def test_which_stacks_have_which_targets(plans: dict[str, StackPlan]) -> None:
    targets = {stack: set(plans[stack].outputs["drTargets"]) for stack in STACKS}
    assert targets["dev"] == {"broker-reboot", "cache-failover"}
    assert targets["staging"] == {"az-outage", "broker-reboot", "cache-failover", "restore"}
    assert targets["prod"] == set(SCENARIOS)
    # The standby is failed over to by prod's runbook and drill, so it has no region target of its own.
    assert targets["prod-dr"] == {"az-outage", "broker-reboot", "cache-failover", "restore"}


@pytest.mark.parametrize("stack", STACKS)
def test_every_target_has_a_runbook_and_a_drill_behind_it(plans: dict[str, StackPlan], stack: str) -> None:
    outputs = plans[stack].outputs
    for scenario, output in outputs["drTargets"].items():
        assert scenario in SCENARIOS, f"{stack}: target {scenario} has no drill scenario"
        assert SCENARIOS[scenario].applies(outputs) is None, f"{stack}: the {scenario} drill does not apply"
        assert (paths.RUNBOOKS / stack / f"{output['runbook']}.md").is_file(), f"{stack}: no {output['runbook']}.md"


def test_every_runbooks_step_estimates_fit_its_rto() -> None:
    for scenario, spec in scenario_targets().items():
        for tier, target in spec.tiers.items():
            assert spec.max_minutes <= target.rto_minutes, f"{scenario} on {tier}: steps take up to {spec.max_minutes}"


def test_the_readme_table_is_rendered_from_the_outputs(plans: dict[str, StackPlan]) -> None:
    text = README.read_text()
    table = text.split(START, 1)[1].split(END, 1)[0].strip()
    assert table == render_table({stack: plans[stack] for stack in STACKS})
    assert (
        "| dev | `broker-reboot` |" in table
        and "no claim" in table.split("| dev | `broker-reboot` |")[1].split("\n")[0]
    )


@pytest.mark.parametrize("stack", STACKS)
def test_the_committed_runbooks_print_the_files_figures(plans: dict[str, StackPlan], stack: str) -> None:
    for output in plans[stack].outputs["drTargets"].values():
        text = (paths.RUNBOOKS / stack / f"{output['runbook']}.md").read_text()
        assert f"RTO <= {duration(output['rtoMinutes'] * 60)}" in text
        for step in output["steps"]:
            assert f"| {step['name']} | {step['minMinutes']:g}-{step['maxMinutes']:g} |" in text
        total = sum(step["maxMinutes"] for step in output["steps"])
        assert f"{total:g} min of the {output['rtoMinutes']:g}-min RTO" in text


@pytest.mark.parametrize("stack", STACKS)
def test_the_drills_judge_against_the_files_figures(plans: dict[str, StackPlan], stack: str) -> None:
    plan = plans[stack]
    for scenario in plan.outputs["drTargets"]:
        target = target_for(scenario, plan.outputs)
        assert target is not None
        assert target.rto_seconds == scenario_targets()[scenario].tiers[str(plan.config["tier"])].rto_minutes * 60
        claimed = {store: rpo for store, rpo in expected(plan, scenario).items() if rpo is not None}
        assert dict(target.rpo_seconds) == claimed


def test_kafka_claims_zero_loss_only_when_two_azs_hold_every_acknowledged_write(plans: dict[str, StackPlan]) -> None:
    dev, prod = (load_stack(s)[0] for s in ("dev", "prod"))
    assert kafka_durability(prod).rpo_seconds == 0.0
    honest = kafka_durability(dev)
    assert honest.rpo_seconds is None
    assert "replication factor 2 over 2 AZs, min.insync.replicas 1" in honest.mechanism
    assert "3 AZs" not in plans["dev"].outputs["drTargets"]["broker-reboot"]["mechanism"]
    judged = target_for("broker-reboot", plans["dev"].outputs)
    assert judged is not None and judged.rpo_seconds == {} and judged.unclaimed == ("kafka",)
    assert judged.describe() == "RTO <= 20 min; RPO kafka no claim"


GOOD = {
    "runbook": "r",
    "mechanism": "m",
    "steps": [{"name": "s", "minutes": [1, 2]}],
    "sources": ["https://example.com"],
    "tiers": {"prod": {"rto_minutes": 5, "rpo_seconds": {"kafka": "kafka-acks", "cache": 1}}},
}


@pytest.mark.parametrize(
    "change",
    [
        {"steps": [{"name": "s", "minutes": [3, 2]}]},
        {"tiers": {"prod": {"rto_minutes": 5, "rpo_seconds": {"disk": 1}}}},
        {"tiers": {"prod": {"rto_minutes": 5, "rpo_seconds": {"kafka": "whatever"}}}},
        {"steps": [{"name": "s"}]},
    ],
)
def test_a_malformed_scenario_is_refused_naming_it(change: dict[str, object]) -> None:
    assert parse_scenario("ok", GOOD).max_minutes == 2
    with pytest.raises(TargetsFileError, match="bad"):
        parse_scenario("bad", {**GOOD, **change})


@pytest.mark.parametrize("stack", STACKS)
def test_the_drills_own_step_expectations_fit_the_rto(plans: dict[str, StackPlan], stack: str) -> None:
    """From the fault to the end of recovery, what each drill step expects adds up to no more than the target RTO."""
    outputs = plans[stack].outputs
    peer_stack = str(outputs.get("drPeerStack") or "").rsplit("/", 1)[-1]
    peer = Peer(peer_stack, str(plans[peer_stack].outputs["region"]), plans[peer_stack].outputs) if peer_stack else None
    for scenario, output in outputs["drTargets"].items():
        ctx = DrillContext(
            scenario, stack, str(outputs["region"]), outputs, offline_clients(SystemClock()), SystemClock(), "d", False
        )
        ctx.peer, ctx.options = peer, {"since": "2026-11-26T09:30:00.000Z"}
        steps = SCENARIOS[scenario].steps(ctx)
        timed = [s.expected_seconds for s in steps if s.phase in ("fault", "detect", "decide", "recover")]
        assert timed and sum(timed) <= output["rtoMinutes"] * 60, f"{stack} {scenario}: {sum(timed)} s"
