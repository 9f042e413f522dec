"""`evaluate_plan`: the whole pack over one stack, from plan records or plain dicts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from streaming_policies import ALL_RULES, TIERS, enforcement_for, evaluate_plan

from infra.offline.record import PlannedResource
from tests.policies.policy_fixtures import DELETE, prod_dr_stack, prod_stack


def as_record(resource: dict[str, Any]) -> PlannedResource:
    """The fixture dict as the offline runtime's record type."""
    return PlannedResource(
        urn=resource["urn"],
        type=resource["type"],
        name=resource["name"],
        custom=True,
        parent=None,
        provider=resource["provider"],
        region=resource["region"],
        dependencies=tuple(urn for urns in resource["property_dependencies"].values() for urn in urns),
        property_dependencies=resource["property_dependencies"],
        inputs=resource["inputs"],
        outputs=resource["outputs"],
        resource_id=resource["resource_id"],
    )


def test_pack_has_at_least_25_uniquely_named_rules() -> None:
    names = [rule.name for rule in ALL_RULES]
    assert len(names) >= 25
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("tier", TIERS)
def test_complete_prod_pair_passes_the_whole_pack(tier: str) -> None:
    """The fixtures say environment=prod, so only the prod tier run is clean."""
    for fixture in (prod_stack(), prod_dr_stack()):
        violations = evaluate_plan(fixture.resources, tier, fixture.stack)
        if tier == "prod":
            assert violations == []
        else:
            assert {v.rule for v in violations} == {"tier-matches-environment-tag"}


def test_plan_records_and_dicts_give_the_same_result() -> None:
    fixture = prod_stack()
    broken = fixture.replaced("kafka-cluster", {"encryptionInfo": DELETE})
    from_dicts = evaluate_plan(broken, "prod", "prod")
    from_records = evaluate_plan([as_record(r) for r in broken], "prod", "prod")
    assert from_records == from_dicts
    assert {v.rule for v in from_dicts} == {"msk-encryption-at-rest-cmk"}


def test_violation_names_rule_resource_and_enforcement() -> None:
    fixture = prod_stack()
    violations = evaluate_plan(fixture.replaced("spark-cluster", {"terminationProtection": False}), "prod", "prod")
    assert len(violations) == 1
    violation = violations[0]
    assert violation.rule == "emr-termination-protection"
    assert violation.urn == fixture.by_name("spark-cluster")["urn"]
    assert (violation.resource_type, violation.resource_name) == ("aws:emr/cluster:Cluster", "spark-cluster")
    assert violation.enforcement == "mandatory" and violation.blocking
    assert violation.severity == "medium"


def test_same_problem_is_advisory_outside_prod() -> None:
    fixture = prod_stack()
    broken = fixture.replaced("stack-key-key", {"enableKeyRotation": False})
    for tier, expected in (("prod", "mandatory"), ("staging", "advisory"), ("dev", "advisory")):
        rotation = [v for v in evaluate_plan(broken, tier, "s") if v.rule == "kms-key-rotation"]
        assert [v.enforcement for v in rotation] == [expected]


def test_prod_only_rules_are_disabled_elsewhere() -> None:
    fixture = prod_stack()
    broken = fixture.without("backup-vault-lock", "cache-global")
    rules_by_tier = {tier: {v.rule for v in evaluate_plan(broken, tier, "s")} for tier in TIERS}
    assert {"backup-vault-lock", "dr-cross-region-path"} <= rules_by_tier["prod"]
    assert not {"backup-vault-lock", "dr-cross-region-path"} & (rules_by_tier["dev"] | rules_by_tier["staging"])


def test_enforcement_mapping_by_tier() -> None:
    for rule in ALL_RULES:
        levels = {tier: enforcement_for(rule, tier) for tier in TIERS}
        for tier, level in levels.items():
            if tier not in rule.tiers:
                assert level == "disabled"
            elif rule.always_mandatory or tier == "prod":
                assert level == "mandatory"
            else:
                assert level == "advisory"
    guard = next(rule for rule in ALL_RULES if rule.name == "tier-matches-environment-tag")
    assert {enforcement_for(guard, tier) for tier in TIERS} == {"mandatory"}


def test_violations_are_sorted_and_stable() -> None:
    fixture = prod_stack()
    broken = fixture.replaced("edge-alb", {"accessLogs": DELETE, "dropInvalidHeaderFields": False})
    first, second = evaluate_plan(broken, "prod", "prod"), evaluate_plan(list(reversed(broken)), "prod", "prod")
    assert first == second == sorted(first)
    assert [v.rule for v in first] == ["alb-drop-invalid-headers", "lb-access-logs"]


def test_unknown_tier_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown tier 'production': expected one of dev, staging, prod"):
        evaluate_plan([], "production", "prod")


def test_stack_rule_violation_points_at_the_resource_at_fault() -> None:
    fixture = prod_stack()
    violations = evaluate_plan(fixture.without("network-flow-log"), "prod", "prod")
    assert [(v.rule, v.urn, v.resource_type) for v in violations] == [
        ("vpc-flow-logs", fixture.by_name("network-vpc")["urn"], "aws:ec2/vpc:Vpc")
    ]


def test_readme_documents_every_rule() -> None:
    readme = (Path(__file__).resolve().parents[2] / "policies" / "README.md").read_text()
    missing = [rule.name for rule in ALL_RULES if f"| `{rule.name}` |" not in readme]
    assert missing == []
    assert f"{len(ALL_RULES)} rules" in readme
