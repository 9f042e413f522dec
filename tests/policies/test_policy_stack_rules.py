"""Every stack rule with a passing and a failing stack, and the DR pairing of two plans.

The passing stacks are the complete prod / prod-dr fixtures; each failing case removes or
changes the resources the rule is about and expects a finding on the resource at fault.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from streaming_policies import STACK_RULES, RuleContext, Tier, build_views, evaluate_dr_pairing

from tests.policies.policy_fixtures import (
    DELETE,
    DR_REGION,
    PRIMARY_REGION,
    StackFixture,
    backup_plan_props,
    prod_dr_stack,
    prod_stack,
    stack_tags,
)

RULES = {rule.name: rule for rule in STACK_RULES}


def findings(rule: str, resources: list[dict[str, Any]], tier: Tier = "prod", stack: str = "prod") -> list[Any]:
    context = RuleContext(tier=tier, stack=stack, resources=build_views(resources))
    return RULES[rule].run(context)


def with_provider_tags(fixture: StackFixture, tags: dict[str, str]) -> list[dict[str, Any]]:
    provider = fixture.provider["name"]
    return fixture.replaced(provider, {"defaultTags": json.dumps({"tags": tags})})


def retagged(fixture: StackFixture, name: str, tags: dict[str, str]) -> list[dict[str, Any]]:
    return fixture.replaced(name, {"tags": tags})


@dataclass(frozen=True)
class StackCase:
    rule: str
    build: Callable[[], list[dict[str, Any]]]
    culprit: str
    """Logical name of the resource the finding must point at."""
    expect: str
    tier: Tier = "prod"


FAILING = [
    StackCase(
        "s3-bucket-guardrails",
        lambda: prod_stack().without("storage-lake-versioning"),
        "storage-lake",
        "bucket storage-lake lacks its BucketVersioning.",
    ),
    StackCase(
        "s3-bucket-guardrails",
        lambda: prod_stack().without("storage-logs-policy", "storage-logs-public-access-block"),
        "storage-logs",
        "lacks its BucketPublicAccessBlock, BucketPolicy (TLS-only access)",
    ),
    StackCase("vpc-flow-logs", lambda: prod_stack().without("network-flow-log"), "network-vpc", "has no flow log"),
    StackCase(
        "vpc-flow-logs",
        lambda: prod_stack().replaced("network-flow-log", {"trafficType": "REJECT"}),
        "network-vpc",
        "do not capture trafficType ALL",
        tier="dev",
    ),
    StackCase(
        "emr-private-subnets",
        lambda: prod_stack().replaced("network-private-app-1", {"mapPublicIpOnLaunch": True}),
        "spark-cluster",
        "network-private-app-1, which maps public IPs",
    ),
    StackCase(
        "sg-no-world-ingress",
        lambda: prod_stack().replaced("network-alb-world-443", {"fromPort": 22.0, "toPort": 22.0}),
        "network-alb-world-443",
        "opens 0.0.0.0/0 on protocol 'tcp' ports 22.0-22.0",
    ),
    StackCase(
        "sg-no-world-ingress",
        lambda: prod_stack().replaced("network-alb-sg", {"tags": {"tier": "alb"}}),
        "network-alb-world-80",
        "only the edge load balancer's group",
    ),
    StackCase(
        "sg-no-world-ingress",
        lambda: prod_stack().replaced(
            "network-kafka-sg",
            {"ingress": [{"protocol": "tcp", "fromPort": 443.0, "toPort": 443.0, "ipv6CidrBlocks": ["::/0"]}]},
        ),
        "network-kafka-sg",
        "network-kafka-sg ingress[0] opens ::/0",
    ),
    StackCase(
        "sg-no-world-ingress",
        lambda: prod_stack().replaced("network-alb-world-443", {"ipProtocol": "-1"}),
        "network-alb-world-443",
        "protocol '-1'",
    ),
    StackCase(
        "tags-required",
        lambda: with_provider_tags(prod_stack(), {k: v for k, v in stack_tags("prod", "prod").items() if k != "owner"}),
        "stack-key-key",
        "lacks tag(s) owner",
    ),
    StackCase(
        "tags-required",
        lambda: prod_stack().replaced("storage-lake", {"tags": {"cost-center": ""}}),
        "storage-lake",
        "lacks tag(s) cost-center",
    ),
    StackCase(
        "tier-matches-environment-tag",
        lambda: prod_stack().resources,
        "aws-us-east-1",
        "tagged environment='prod' but the pack runs as tier 'dev'",
        tier="dev",
    ),
    StackCase(
        "tier-matches-environment-tag",
        lambda: retagged(prod_stack(), "kafka-cluster", {"environment": "staging", "dr-peer-stack": "prod-dr"}),
        "kafka-cluster",
        "tagged environment='staging'",
    ),
    StackCase(
        "dr-cross-region-path",
        lambda: prod_stack().without("storage-lake-replication"),
        "storage-lake",
        "Bucket storage-lake has no cross-region path",
    ),
    StackCase(
        "dr-cross-region-path",
        lambda: prod_stack().replaced("storage-lake-replication", {"rules.0.destination.replicationTime": DELETE}),
        "storage-lake",
        "Bucket storage-lake has no cross-region path",
    ),
    StackCase(
        "dr-cross-region-path",
        lambda: prod_stack().without("cache-global"),
        "cache-group",
        "ReplicationGroup cache-group has no cross-region path",
    ),
    StackCase(
        "dr-cross-region-path",
        lambda: retagged(prod_stack(), "kafka-cluster", {}),
        "kafka-cluster",
        "Cluster kafka-cluster has no cross-region path",
    ),
    StackCase(
        "dr-cross-region-path",
        lambda: prod_stack().without("backup-artifacts"),
        "storage-artifacts",
        "Bucket storage-artifacts has no cross-region path",
    ),
    StackCase(
        "dr-cross-region-path",
        lambda: prod_stack().replaced("backup-plan", backup_plan_props(destination_region=PRIMARY_REGION)),
        "storage-artifacts",
        "Bucket storage-artifacts has no cross-region path",
    ),
    StackCase(
        "backup-vault-lock",
        lambda: prod_stack().without("backup-vault-lock"),
        "backup-vault",
        "has no VaultLockConfiguration",
    ),
]


@pytest.mark.parametrize("rule", sorted(RULES))
@pytest.mark.parametrize("fixture", [prod_stack, prod_dr_stack], ids=["prod", "prod-dr"])
def test_compliant_stack_passes(rule: str, fixture: Callable[[], StackFixture]) -> None:
    stack = fixture()
    assert stack.tier in RULES[rule].tiers
    assert findings(rule, stack.resources, stack=stack.stack) == []


@pytest.mark.parametrize("case", FAILING, ids=lambda case: f"{case.rule}:{case.expect}")
def test_violating_stack_is_reported(case: StackCase) -> None:
    assert case.tier in RULES[case.rule].tiers
    resources = case.build()
    culprit_urn = next(r["urn"] for r in resources if r["name"] == case.culprit)
    found = findings(case.rule, resources, tier=case.tier)
    assert any(f.urn == culprit_urn and case.expect in f.message for f in found), found


def test_every_stack_rule_has_a_failing_case() -> None:
    assert {case.rule for case in FAILING} == set(RULES)


def test_logs_and_checkpoint_buckets_need_no_cross_region_path() -> None:
    """Spark checkpoints must never be resumed in another region; access logs are not data."""
    stack = prod_stack()
    found = findings("dr-cross-region-path", stack.without("storage-lake-replication"))
    assert {f.urn for f in found} == {stack.by_name("storage-lake")["urn"]}


def test_references_fall_back_to_values_when_dependencies_are_missing() -> None:
    """Plans recorded without property dependencies still link by bucket name."""
    stack = prod_stack()
    stripped = [{**r, "property_dependencies": {}} for r in stack.resources]
    assert findings("s3-bucket-guardrails", stripped) == []


def test_unknown_tags_during_preview_are_not_judged() -> None:
    unknown_object = "dd056dcd-154b-4c76-9bd3-c8f88648b5ff"
    stack = prod_stack()
    assert findings("tags-required", stack.replaced(stack.provider["name"], {"defaultTags": unknown_object})) == []


def test_dr_pair_declarations_are_verified_against_both_plans() -> None:
    primary, standby = prod_stack(), prod_dr_stack()
    assert evaluate_dr_pairing(primary.resources, "prod", standby.resources, "prod-dr") == []


def test_dr_pair_missing_replicator_is_reported() -> None:
    primary, standby = prod_stack(), prod_dr_stack()
    problems = evaluate_dr_pairing(primary.resources, "prod", standby.without("kafka-replicator"), "prod-dr")
    assert problems == ["prod: kafka-cluster declares DR peer 'prod-dr', whose plan has no path for it."]


def test_dr_pair_replica_bucket_without_source_replication_is_reported() -> None:
    primary, standby = prod_stack(), prod_dr_stack()
    problems = evaluate_dr_pairing(primary.without("storage-lake-replication"), "prod", standby.resources, "prod-dr")
    assert problems == ["prod-dr: storage-lake declares DR peer 'prod', whose plan has no path for it."]


def test_dr_pair_wrong_peer_name_is_reported() -> None:
    primary, standby = prod_stack(), prod_dr_stack()
    wrong = retagged(primary, "kafka-cluster", {"dr-peer-stack": "staging"})
    problems = evaluate_dr_pairing(wrong, "prod", standby.resources, "organization/streaming-platform/prod-dr")
    assert problems == ["prod: kafka-cluster names DR peer 'staging', not 'organization/streaming-platform/prod-dr'."]


def test_dr_pair_accepts_replicator_fed_from_a_stack_reference() -> None:
    """During a preview ARNs are unknown: the StackReference dependency is the link."""
    primary, standby = prod_stack(), prod_dr_stack()
    unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
    previewed = standby.replaced(
        "kafka-replicator",
        {
            "kafkaClusters.0.amazonMskCluster.mskClusterArn": unknown,
            "replicationInfoList.sourceKafkaClusterArn": unknown,
        },
    )
    assert evaluate_dr_pairing(primary.resources, "prod", previewed, "prod-dr") == []


def test_dr_stack_regions_differ() -> None:
    """Guards the fixtures: the pair must really span two regions."""
    assert prod_stack().region != prod_dr_stack().region == DR_REGION
