"""The AZ-outage FIS templates the program provisions (infra/components/chaos.py), per stack."""

from __future__ import annotations

import json

import pytest

from infra.components.chaos import FAULT_DURATION, STOP_ALARM_KEYS, experiment_role_policy, select_alarm_keys
from infra.offline.record import StackPlan

TEMPLATE = "aws:fis/experimentTemplate:ExperimentTemplate"


def test_dev_gets_drill_alarms_but_no_experiments(plans: dict[str, StackPlan]) -> None:
    dev = plans["dev"]
    assert dev.of_type(TEMPLATE) == []
    assert "fisExperimentTemplateIds" not in dev.outputs
    assert dev.outputs["drillAlarms"]["stop"] == [
        f"sp-dev-{key}" for key in ("kafka-offline-partitions", "edge-alb-elb-5xx", "edge-alb-no-healthy-hosts")
    ]


@pytest.mark.parametrize("stack", ["staging", "prod", "prod-dr"])
def test_one_template_per_az_cuts_its_private_subnets_and_cache_power(plans: dict[str, StackPlan], stack: str) -> None:
    plan = plans[stack]
    templates = plan.of_type(TEMPLATE)
    zones = plan.outputs["availabilityZones"]
    assert len(templates) == len(zones) == len(plan.outputs["fisExperimentTemplateIds"])
    private = list(zip(plan.outputs["privateAppSubnetIds"], plan.outputs["privateDataSubnetIds"], strict=True))
    for index, az in enumerate(zones):
        template = next(t for t in templates if t.inputs["tags"]["az"] == az)
        actions = {a["actionId"]: a for a in template.inputs["actions"]}
        assert set(actions) == {
            "aws:network:disrupt-connectivity",
            "aws:elasticache:replicationgroup-interrupt-az-power",
        }
        assert {"key": "scope", "value": "all"} in actions["aws:network:disrupt-connectivity"]["parameters"]
        assert all({"key": "duration", "value": FAULT_DURATION} in a["parameters"] for a in actions.values())
        targets = {t["name"]: t for t in template.inputs["targets"]}
        assert targets["az-private-subnets"]["resourceArns"] == [
            f"arn:aws:ec2:{plan.region}:123456789012:subnet/{subnet}" for subnet in private[index]
        ]
        cache = targets["az-cache"]
        assert cache["resourceTags"] == [{"key": "Name", "value": plan.outputs["cacheReplicationGroupId"]}]
        assert cache["parameters"] == {"availabilityZoneIdentifier": az}
        stops = {c["value"] for c in template.inputs["stopConditions"]}
        assert stops == {
            f"arn:aws:cloudwatch:{plan.region}:123456789012:alarm:sp-{stack}-{key}" for key in STOP_ALARM_KEYS
        }
        assert template.inputs["experimentOptions"] == {
            "accountTargeting": "single-account",
            "emptyTargetResolutionMode": "fail",
        }
        assert template.inputs["roleArn"].endswith(f"role/sp-{stack}-fis")
        assert len(template.dependencies) >= 2  # waits for the role's policies


def test_the_role_may_interrupt_only_this_stacks_cache(plans: dict[str, StackPlan]) -> None:
    plan = plans["prod"]
    trust = json.loads(
        next(r for r in plan.of_type("aws:iam/role:Role") if r.name == "chaos-fis-role").inputs["assumeRolePolicy"]
    )
    assert trust["Statement"][0]["Principal"] == {"Service": ["fis.amazonaws.com"]}
    account = plan.outputs["accountId"]
    assert trust["Statement"][0]["Condition"] == {
        "StringEquals": {"aws:SourceAccount": account},
        "ArnLike": {"aws:SourceArn": f"arn:aws:fis:{plan.region}:{account}:experiment/*"},
    }
    policy = json.loads(
        next(p for p in plan.of_type("aws:iam/rolePolicy:RolePolicy") if p.name == "chaos-fis-cache-access").inputs[
            "policy"
        ]
    )
    assert policy == experiment_role_policy("us-east-1", "123456789012", "sp-prod-cache")
    assert (
        policy["Statement"][0]["Resource"]
        == "arn:aws:elasticache:us-east-1:123456789012:replicationgroup:sp-prod-cache"
    )
    attachment = next(
        a
        for a in plan.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if a.name == "chaos-fis-network-access"
    )
    assert (
        attachment.inputs["policyArn"] == "arn:aws:iam::aws:policy/service-role/AWSFaultInjectionSimulatorNetworkAccess"
    )


def test_alarm_selection_takes_families_and_their_per_target_alarms() -> None:
    keys = [
        "kafka-under-replicated-broker-1",
        "kafka-under-replicated-broker-2",
        "kafka-offline-partitions",
        "kafka-cpu-broker-1",
    ]
    assert select_alarm_keys(keys, ("kafka-under-replicated",)) == keys[:2]
    assert select_alarm_keys(keys, ("kafka-offline-partitions",)) == ["kafka-offline-partitions"]
    assert select_alarm_keys(keys, ("kafka-cp",)) == []  # families match whole words only
