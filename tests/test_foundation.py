"""Shared foundations, per stack: the KMS key, tags on every resource, components own everything."""

from __future__ import annotations

import json

from infra.offline.record import StackPlan

REQUIRED_TAGS = {"project", "stack", "environment", "owner", "cost-center"}


def test_customer_managed_key_rotates_and_has_an_alias(stack_plan: StackPlan) -> None:
    [key] = [k for k in stack_plan.of_type("aws:kms/key:Key") if k.region == stack_plan.region]
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["deletionWindowInDays"] == stack_plan.config["kms"]["deletion_window_days"]
    statements = json.loads(key.inputs["policy"])["Statement"]
    assert any(s["Principal"] == {"Service": f"logs.{stack_plan.region}.amazonaws.com"} for s in statements)
    aliases = [a.inputs["name"] for a in stack_plan.of_type("aws:kms/alias:Alias")]
    assert f"alias/sp-{stack_plan.stack}-key" in aliases


def test_key_policy_lets_the_alarm_topic_publishers_use_the_key(stack_plan: StackPlan) -> None:
    """CloudWatch and Backup are held to this account; EventBridge must not be: KMS requests it makes
    for an encrypted topic carry no aws:SourceAccount, and a condition on it drops every event."""
    [key] = [k for k in stack_plan.of_type("aws:kms/key:Key") if k.region == stack_plan.region]
    statements = {s["Sid"]: s for s in json.loads(key.inputs["policy"])["Statement"]}
    account = stack_plan.outputs["accountId"]
    alarms = statements["AlarmsPublishToEncryptedTopics"]
    assert set(alarms["Principal"]["Service"]) == {"cloudwatch.amazonaws.com", "backup.amazonaws.com"}
    assert alarms["Condition"] == {"StringEquals": {"aws:SourceAccount": account}}
    events = statements["EventBridgePublishesToEncryptedTopics"]
    assert events["Principal"] == {"Service": "events.amazonaws.com"} and "Condition" not in events
    assert set(events["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    services = [s["Principal"].get("Service") for s in statements.values()]
    assert sum("events.amazonaws.com" in (p if isinstance(p, list) else [p]) for p in services) == 1


def test_prod_key_waits_longest_before_deletion(plans: dict[str, StackPlan]) -> None:
    windows = {s: p.config["kms"]["deletion_window_days"] for s, p in plans.items()}
    assert windows["prod"] == 30 and windows["dev"] == 7


def test_every_resource_uses_the_stack_provider_with_the_required_default_tags(stack_plan: StackPlan) -> None:
    providers = {p.urn: p for p in stack_plan.of_type("pulumi:providers:aws")}
    assert providers, "an explicit provider carries the default tags"
    for provider in providers.values():
        tags = json.loads(provider.inputs["defaultTags"])["tags"]
        assert set(tags) >= REQUIRED_TAGS
        assert tags["stack"] == stack_plan.stack and tags["environment"] == stack_plan.config["tier"]
    for resource in stack_plan.custom_resources():
        if resource.type.startswith("aws:"):
            assert resource.provider is not None, resource.urn
            assert resource.provider.rsplit("::", 1)[0] in providers, resource.urn


def test_every_resource_is_a_child_of_a_component(stack_plan: StackPlan) -> None:
    orphans = [r.urn for r in stack_plan.custom_resources() if stack_plan.component_of(r) is None]
    assert not orphans


def test_component_type_tokens_are_namespaced(stack_plan: StackPlan) -> None:
    for component in stack_plan.components():
        package, module, name = component.type.split(":")
        assert package == "streaming" and module and name[0].isupper()


def test_outputs_name_the_vpc_subnets_and_key(stack_plan: StackPlan) -> None:
    outputs = stack_plan.outputs
    azs = stack_plan.config["network"]["az_count"]
    assert outputs["kmsKeyArn"].startswith(f"arn:aws:kms:{stack_plan.region}:")
    assert len(outputs["privateDataSubnetIds"]) == azs and outputs["availabilityZones"][0].startswith(stack_plan.region)
