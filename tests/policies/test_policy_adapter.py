"""The CrossGuard adapter: policies built from the rules behave like the pure rules.

Arguments are built the way pulumi-policy builds them for `pulumi preview`: props wrapped in
its unknown-checking proxies (with the engine's unknown sentinels), providers as
PolicyProviderResource, property dependencies as PolicyResource objects.
"""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import unknown_checking_proxy
from streaming_policies import ALL_RULES, TIERS, StackRule, Tier, enforcement_for
from streaming_policies.adapter import build_policies, view_of_policy_resource

from tests.policies.policy_fixtures import (
    DELETE,
    msk_cluster_props,
    patched,
    prod_stack,
    replication_group_props,
)

MSK = "aws:msk/cluster:Cluster"
UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
UNKNOWN_ARRAY = "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2"


def options() -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


def resource_args(resource_type: str, props: dict[str, Any], name: str = "resource") -> ResourceValidationArgs:
    urn = f"urn:pulumi:prod::streaming-platform::{resource_type}::{name}"
    return ResourceValidationArgs(resource_type, unknown_checking_proxy(props), urn, name, options(), None)


def policies_by_name(tier: Tier = "prod") -> dict[str, Any]:
    return {policy.name: policy for policy in build_policies(tier, "prod")}


class Reports:
    def __init__(self) -> None:
        self.items: list[tuple[str, str | None]] = []

    def __call__(self, message: str, urn: str | None = None) -> None:
        self.items.append((message, urn))


@pytest.mark.parametrize("tier", TIERS)
def test_one_policy_per_rule_with_the_tier_enforcement(tier: Tier) -> None:
    policies = policies_by_name(tier)
    assert set(policies) == {rule.name for rule in ALL_RULES}
    for rule in ALL_RULES:
        policy = policies[rule.name]
        assert policy.enforcement_level == EnforcementLevel(enforcement_for(rule, tier))
        expected_type = StackValidationPolicy if isinstance(rule, StackRule) else ResourceValidationPolicy
        assert isinstance(policy, expected_type)
        assert policy.url == rule.reference and policy.description == rule.description


def test_prod_is_mandatory_and_dev_advisory_for_an_ordinary_rule() -> None:
    assert policies_by_name("prod")["msk-iam-client-auth"].enforcement_level == EnforcementLevel.MANDATORY
    assert policies_by_name("dev")["msk-iam-client-auth"].enforcement_level == EnforcementLevel.ADVISORY
    assert policies_by_name("dev")["msk-enhanced-monitoring"].enforcement_level == EnforcementLevel.DISABLED


def test_resource_policy_reports_each_violation() -> None:
    report = Reports()
    props = patched(
        msk_cluster_props(), {"clientAuthentication.sasl.iam": False, "clientAuthentication.unauthenticated": True}
    )
    policies_by_name()["msk-iam-client-auth"].validate(resource_args(MSK, props), report)
    assert [message.split(":")[0] for message, _ in report.items] == [
        "clientAuthentication.sasl.iam is not true",
        "clientAuthentication.unauthenticated is true",
    ]


def test_resource_policy_passes_compliant_props_and_ignores_other_types() -> None:
    report = Reports()
    policies = policies_by_name()
    policies["msk-iam-client-auth"].validate(resource_args(MSK, msk_cluster_props()), report)
    policies["msk-iam-client-auth"].validate(resource_args("aws:s3/bucket:Bucket", {"bucket": "b"}), report)
    assert report.items == []


def test_unknown_values_during_preview_neither_raise_nor_violate() -> None:
    """pulumi-policy's proxies raise on unknowns; the adapter reads the raw values instead."""
    props = patched(
        msk_cluster_props(),
        {
            "encryptionInfo.encryptionAtRestKmsKeyArn": UNKNOWN_STRING,
            "brokerNodeGroupInfo.clientSubnets": UNKNOWN_ARRAY,
        },
    )
    report = Reports()
    policies = policies_by_name()
    for name in ("msk-encryption-at-rest-cmk", "msk-broker-spread"):
        policies[name].validate(resource_args(MSK, props), report)
    assert report.items == []


def test_secret_markers_are_not_expected_under_crossguard() -> None:
    """pulumi-policy hands secrets over in plain text, so 'clear text' cannot be judged there."""
    props = patched(replication_group_props(), {"userGroupIds": DELETE, "authToken": "a-token-from-a-secret"})
    report = Reports()
    policies_by_name()["elasticache-auth"].validate(
        resource_args("aws:elasticache/replicationGroup:ReplicationGroup", props), report
    )
    assert report.items == []


def policy_resources(records: list[dict[str, Any]]) -> list[PolicyResource]:
    """Fixture records as the PolicyResource graph pulumi-policy builds for a stack policy."""
    providers = {r["urn"]: r for r in records if r["type"].startswith("pulumi:providers:")}
    resources = {}
    for record in records:
        provider_record = providers.get((record["provider"] or "").rsplit("::", 1)[0])
        provider = (
            PolicyProviderResource(
                provider_record["type"],
                unknown_checking_proxy(provider_record["inputs"]),
                provider_record["urn"],
                provider_record["name"],
            )
            if provider_record
            else None
        )
        resources[record["urn"]] = PolicyResource(
            record["type"],
            unknown_checking_proxy({**record["outputs"], **record["inputs"]}),
            record["urn"],
            record["name"],
            options(),
            provider,
            None,
            [],
            {},
        )
    for record in records:
        resources[record["urn"]].property_dependencies = {
            key: [resources[urn] for urn in urns] for key, urns in record["property_dependencies"].items()
        }
    return list(resources.values())


def test_stack_policies_pass_the_compliant_stack() -> None:
    args = StackValidationArgs(policy_resources(prod_stack().resources))
    report = Reports()
    for policy in policies_by_name().values():
        if isinstance(policy, StackValidationPolicy):
            policy.validate(args, report)
    assert report.items == []


def test_stack_policy_reports_the_urn_at_fault() -> None:
    fixture = prod_stack()
    args = StackValidationArgs(policy_resources(fixture.without("storage-lake-replication")))
    report = Reports()
    policies_by_name()["dr-cross-region-path"].validate(args, report)
    assert [urn for _, urn in report.items] == [fixture.by_name("storage-lake")["urn"]]


def test_stack_policy_sees_provider_default_tags() -> None:
    fixture = prod_stack()
    args = StackValidationArgs(policy_resources(fixture.replaced(fixture.provider["name"], {"defaultTags": "{}"})))
    report = Reports()
    policies_by_name()["tags-required"].validate(args, report)
    flagged = {urn for _, urn in report.items}
    assert fixture.by_name("stack-key-key")["urn"] in flagged
    assert fixture.by_name("spark-policy")["urn"] not in flagged  # RolePolicy has no tags input


def test_view_of_policy_resource_keeps_links_and_identities() -> None:
    fixture = prod_stack()
    resources = {r.urn: r for r in policy_resources(fixture.resources)}
    versioning = view_of_policy_resource(resources[fixture.by_name("storage-lake-versioning")["urn"]])
    bucket = view_of_policy_resource(resources[fixture.by_name("storage-lake")["urn"]])
    assert versioning.property_dependencies["bucket"] == (bucket.urn,)
    assert f"arn:aws:s3:::{bucket.props['bucket']}" in bucket.identities
    assert versioning.provider_props is not None and "defaultTags" in versioning.provider_props
