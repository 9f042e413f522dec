"""The cache tier: a Multi-AZ, encrypted, IAM-authenticated cluster-mode Valkey replication group per stack."""

from __future__ import annotations

import json
import re
from typing import Any, get_args

import pulumi
import pytest
from hypothesis import given
from hypothesis import strategies as st

from infra.catalog.cache_engines import engine_catalog
from infra.components import cache as cache_component
from infra.components.cache import (
    APP_USER_ACCESS,
    DEFAULT_USER_ACCESS,
    PORT,
    Cache,
    CacheArgs,
    cache_parameters,
    member_cluster_ids,
    parameter_group_name,
)
from infra.config.rules.cache import (
    DAY_MINUTES,
    MAX_NODES,
    WEEK_MINUTES,
    daily_window,
    weekly_window,
    windows_overlap,
)
from infra.config.schema import CacheConfig
from infra.naming import Naming
from infra.offline.record import PlannedResource, StackPlan
from infra.offline.runtime import SECRET, run_alone
from tests.helpers import config_errors, plan_tier

RG = "aws:elasticache/replicationGroup:ReplicationGroup"
USER = "aws:elasticache/user:User"
USER_GROUP = "aws:elasticache/userGroup:UserGroup"
PARAMS = "aws:elasticache/parameterGroup:ParameterGroup"
SUBNET_GROUP = "aws:elasticache/subnetGroup:SubnetGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
SECRET_TYPE = "aws:secretsmanager/secret:Secret"
SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
COMPONENT = "streaming:cache:Cache"
MEMBER_ID = re.compile(r"^sp-[a-z0-9-]+-cache-\d{4}-\d{3}$")


def _cache_config(plan: StackPlan) -> dict[str, Any]:
    config: dict[str, Any] = plan.config["cache"]
    return config


def _component(plan: StackPlan) -> PlannedResource:
    return plan.one(COMPONENT)


def _in_cache(plan: StackPlan, type_token: str) -> list[PlannedResource]:
    component = _component(plan)
    return [r for r in plan.of_type(type_token) if plan.component_of(r) == component]


def _urn_of(plan: StackPlan, type_token: str) -> str:
    (resource,) = _in_cache(plan, type_token)
    return resource.urn


def _is_secondary(plan: StackPlan) -> bool:
    """The warm standby joins its primary's Global Datastore (dr.role: secondary)."""
    return bool(plan.config["dr"]["role"] == "secondary")


# What a Global Datastore secondary inherits from the primary and must not set.
INHERITED = (
    "engine",
    "engineVersion",
    "nodeType",
    "numNodeGroups",
    "parameterGroupName",
    "clusterMode",
    "atRestEncryptionEnabled",
    "transitEncryptionEnabled",
    "transitEncryptionMode",
    "port",
)


def _sg_id(plan: StackPlan, tier: str) -> str:
    groups: dict[str, str] = plan.outputs["securityGroupIds"]
    return groups[tier]


# --- the replication group --------------------------------------------------------------


def test_replication_group_is_cluster_mode_multi_az_with_the_configured_shape(stack_plan: StackPlan) -> None:
    cfg, rg = _cache_config(stack_plan), stack_plan.one(RG)
    assert rg.inputs["replicationGroupId"] == f"sp-{stack_plan.stack}-cache"
    if _is_secondary(stack_plan):
        assert [key for key in INHERITED if key in rg.inputs] == []
    else:
        assert rg.inputs["engine"] == cfg["engine"] == "valkey"
        assert rg.inputs["engineVersion"] == cfg["engine_version"]
        assert rg.inputs["nodeType"] == cfg["node_type"]
        assert rg.inputs["clusterMode"] == "enabled"
        assert rg.inputs["numNodeGroups"] == cfg["shards"]
        assert rg.inputs["port"] == PORT
    assert rg.inputs["replicasPerNodeGroup"] == cfg["replicas_per_shard"] >= 1
    assert rg.inputs["automaticFailoverEnabled"] is True
    assert rg.inputs["multiAzEnabled"] is True
    assert rg.parent == _component(stack_plan).urn
    assert rg.provider is not None and rg.provider.startswith("urn:pulumi:")


def test_shape_differs_per_tier_as_configured(plans: dict[str, StackPlan]) -> None:
    primaries = {stack: plan.one(RG).inputs for stack, plan in plans.items() if not _is_secondary(plan)}
    shapes = {
        stack: (rg["numNodeGroups"], rg["replicasPerNodeGroup"], rg["nodeType"]) for stack, rg in primaries.items()
    }
    assert shapes["dev"] == (1, 1, "cache.t4g.small")
    assert shapes["staging"] == (2, 1, "cache.r7g.large")
    assert shapes["prod"] == (3, 2, "cache.r7g.xlarge")
    catalog = engine_catalog()  # the warm-standby pair forms a Global Datastore
    assert catalog.node_family(shapes["prod"][2]) in catalog.global_datastore_families


def test_the_standby_config_mirrors_its_primary(plans: dict[str, StackPlan]) -> None:
    """The secondary inherits shards and node type; its own config must agree, as its alarms count nodes from it."""
    primary, standby = _cache_config(plans["prod"]), _cache_config(plans["prod-dr"])
    keys = ("engine", "engine_version", "node_type", "shards", "replicas_per_shard")
    assert {k: standby[k] for k in keys} == {k: primary[k] for k in keys}
    assert plans["prod-dr"].one(RG).inputs["replicasPerNodeGroup"] == primary["replicas_per_shard"]


def test_encrypted_at_rest_with_the_stack_key_and_tls_required(
    plans: dict[str, StackPlan], stack_plan: StackPlan
) -> None:
    rg = stack_plan.one(RG)
    assert rg.inputs["kmsKeyId"] == stack_plan.outputs["kmsKeyArn"]  # the secondary: its own region's key
    primary = plans["prod"].one(RG) if _is_secondary(stack_plan) else rg  # a secondary inherits the flags
    assert primary.inputs["atRestEncryptionEnabled"] is True
    assert primary.inputs["transitEncryptionEnabled"] is True
    assert primary.inputs["transitEncryptionMode"] == "required"


def test_iam_mode_uses_the_user_group_and_no_password(stack_plan: StackPlan) -> None:
    rg = stack_plan.one(RG)
    assert rg.inputs["userGroupIds"] == [f"sp-{stack_plan.stack}-cache-users"]
    assert "authToken" not in rg.inputs
    assert not _in_cache(stack_plan, SECRET_TYPE)
    assert stack_plan.outputs["cacheAuth"] == "iam" and stack_plan.outputs["cacheAuthSecretArn"] is None


def test_snapshots_maintenance_and_deletion_safety_per_tier(stack_plan: StackPlan) -> None:
    cfg, rg, tier = _cache_config(stack_plan), stack_plan.one(RG), stack_plan.config["tier"]
    assert rg.inputs["snapshotRetentionLimit"] == cfg["snapshot_retention_days"]
    assert rg.inputs["snapshotWindow"] == cfg["snapshot_window"]
    assert rg.inputs["maintenanceWindow"] == cfg["maintenance_window"]
    assert rg.protect is (tier == "prod")
    assert rg.inputs.get("finalSnapshotIdentifier") == (None if tier == "dev" else f"sp-{stack_plan.stack}-cache-final")
    assert rg.inputs["applyImmediately"] is True  # the old parameter group must be free to delete
    expected_retention = {"dev": 1, "staging": 7, "prod": 14}[tier]
    assert rg.inputs["snapshotRetentionLimit"] == expected_retention


def test_replication_group_waits_for_its_subnet_group_parameters_users_and_logs(stack_plan: StackPlan) -> None:
    rg = stack_plan.one(RG)
    for type_token in (SUBNET_GROUP, USER_GROUP) if _is_secondary(stack_plan) else (SUBNET_GROUP, PARAMS, USER_GROUP):
        assert _urn_of(stack_plan, type_token) in rg.dependencies, type_token
    for group in _in_cache(stack_plan, LOG_GROUP):
        assert group.urn in rg.dependencies


def test_nodes_live_in_the_private_data_subnets(stack_plan: StackPlan) -> None:
    (subnet_group,) = _in_cache(stack_plan, SUBNET_GROUP)
    assert subnet_group.inputs["subnetIds"] == stack_plan.outputs["privateDataSubnetIds"]
    assert len(subnet_group.inputs["subnetIds"]) == stack_plan.config["network"]["az_count"]
    rg = stack_plan.one(RG)
    assert rg.inputs["subnetGroupName"] == subnet_group.inputs["name"]
    assert rg.inputs["securityGroupIds"] == [_sg_id(stack_plan, "cache")]


def test_only_the_processing_and_ingest_tiers_and_the_canary_reach_port_6379(stack_plan: StackPlan) -> None:
    cache_sg = _sg_id(stack_plan, "cache")
    rules = [r for r in stack_plan.of_type(INGRESS) if r.inputs["securityGroupId"] == cache_sg]
    canary = {_sg_id(stack_plan, "canary")} if stack_plan.config["canary"]["enabled"] else set()
    assert {r.inputs["referencedSecurityGroupId"] for r in rules} == {
        _sg_id(stack_plan, "processing"),
        _sg_id(stack_plan, "ingest"),
        *canary,
    }
    for rule in rules:
        assert (rule.inputs["ipProtocol"], rule.inputs["fromPort"], rule.inputs["toPort"]) == ("tcp", PORT, PORT)
        assert "cidrIpv4" not in rule.inputs and "cidrIpv6" not in rule.inputs
        assert stack_plan.component_of(rule) == _component(stack_plan)


# --- authentication ---------------------------------------------------------------------


def test_default_user_is_disabled_and_the_app_user_authenticates_with_iam(stack_plan: StackPlan) -> None:
    users = {r.inputs["userName"]: r for r in _in_cache(stack_plan, USER)}
    default_name, app_name = "default", f"sp-{stack_plan.stack}-cache-app"
    assert set(users) == {default_name, app_name}
    default = users[default_name]
    assert default.inputs["accessString"] == DEFAULT_USER_ACCESS
    assert default.inputs["accessString"].split()[0] == "off"  # a disabled user cannot authenticate
    assert default.inputs["authenticationMode"] == {"type": "no-password-required"}
    assert "passwords" not in default.inputs
    app = users[app_name]
    assert app.inputs["authenticationMode"] == {"type": "iam"}
    assert app.inputs["userId"] == app.inputs["userName"]  # required for IAM authentication
    assert app.inputs["accessString"] == APP_USER_ACCESS and "-@dangerous" in APP_USER_ACCESS
    (group,) = _in_cache(stack_plan, USER_GROUP)
    assert set(group.inputs["userIds"]) == {default.inputs["userId"], app.inputs["userId"]}
    assert {u.inputs["engine"] for u in users.values()} == {group.inputs["engine"]} == {"redis"}
    assert stack_plan.outputs["cacheIamUserId"] == app_name
    assert stack_plan.outputs["cacheUserGroupId"] == group.inputs["userGroupId"]


def test_connect_policy_grants_only_elasticache_connect_on_this_group_and_user(stack_plan: StackPlan) -> None:
    (policy,) = [
        r
        for r in stack_plan.of_type("aws:iam/policy:Policy")
        if r.inputs["name"] == f"sp-{stack_plan.stack}-cache-connect"
    ]
    document = json.loads(policy.inputs["policy"])
    (statement,) = document["Statement"]
    assert statement["Action"] == ["elasticache:Connect"]
    assert statement["Resource"] == [
        stack_plan.outputs["cacheReplicationGroupArn"],
        stack_plan.outputs["cacheIamUserArn"],
    ]
    assert stack_plan.outputs["cacheConnectPolicyArn"].endswith(f":policy/sp-{stack_plan.stack}-cache-connect")


# --- parameter group and logs -------------------------------------------------------------


def test_parameter_group_name_is_version_derived_and_created_before_the_old_one_goes(stack_plan: StackPlan) -> None:
    cfg = _cache_config(stack_plan)
    if _is_secondary(stack_plan):  # the Global Datastore applies the primary's parameter group
        assert _in_cache(stack_plan, PARAMS) == [] and stack_plan.outputs["cacheParameterGroupName"] is None
        return
    (group,) = _in_cache(stack_plan, PARAMS)
    family = engine_catalog().family(cfg["engine"], cfg["engine_version"])
    assert group.inputs["family"] == family == "valkey8"
    assert re.fullmatch(rf"sp-{stack_plan.stack}-cache-valkey8-[0-9a-f]{{8}}", group.inputs["name"])
    assert {p["name"]: p["value"] for p in group.inputs["parameters"]} == {
        "cluster-enabled": "yes",
        "maxmemory-policy": cfg["maxmemory_policy"],
    }
    assert group.delete_before_replace is False
    assert (
        stack_plan.one(RG).inputs["parameterGroupName"]
        == group.inputs["name"]
        == stack_plan.outputs["cacheParameterGroupName"]
    )


@given(
    st.sampled_from(sorted(get_args(CacheConfig.model_fields["maxmemory_policy"].annotation))),
    st.sampled_from(["valkey7", "valkey8", "valkey9", "redis7"]),
)
def test_parameter_group_name_changes_with_any_parameter_or_family(policy: str, family: str) -> None:
    naming = Naming("prod", "us-east-1")
    base = {"cluster-enabled": "yes", "maxmemory-policy": "volatile-lru"}
    changed = {**base, "maxmemory-policy": policy}
    same = parameter_group_name(naming, "valkey8", base)
    assert parameter_group_name(naming, "valkey8", dict(reversed(list(base.items())))) == same  # order-free
    assert (parameter_group_name(naming, family, changed) == same) == (family == "valkey8" and policy == "volatile-lru")
    assert re.fullmatch(r"[a-z][a-z0-9-]*", parameter_group_name(naming, family, changed))


def test_an_engine_upgrade_renames_the_parameter_group() -> None:
    naming = Naming("prod", "us-east-1")
    names = set()
    for version in ("7.2", "8.2", "9.0"):
        cfg = _config_with(engineVersion=version)
        family = engine_catalog().family("valkey", version)
        assert family is not None
        names.add(parameter_group_name(naming, family, cache_parameters(cfg)))
    assert len(names) == 3


def test_slow_and_engine_logs_go_to_encrypted_log_groups(stack_plan: StackPlan) -> None:
    cfg = _cache_config(stack_plan)
    groups = {g.inputs["name"]: g for g in _in_cache(stack_plan, LOG_GROUP)}
    assert set(groups) == {f"/sp/{stack_plan.stack}/cache/slow-log", f"/sp/{stack_plan.stack}/cache/engine-log"}
    for group in groups.values():
        assert group.inputs["kmsKeyId"] == stack_plan.outputs["kmsKeyArn"]
        assert group.inputs["retentionInDays"] == cfg["log_retention_days"]
    deliveries = stack_plan.one(RG).inputs["logDeliveryConfigurations"]
    assert {(d["logType"], d["destination"]) for d in deliveries} == {
        ("slow-log", f"/sp/{stack_plan.stack}/cache/slow-log"),
        ("engine-log", f"/sp/{stack_plan.stack}/cache/engine-log"),
    }
    assert {(d["destinationType"], d["logFormat"]) for d in deliveries} == {("cloudwatch-logs", "json")}


# --- outputs and node ids -----------------------------------------------------------------

REQUIRED_OUTPUTS = (
    "cacheReplicationGroupId",
    "cacheConfigurationEndpoint",
    "cachePort",
    "cacheEngine",
    "cacheEngineVersion",
    "cacheNodeType",
    "cacheShards",
    "cacheReplicasPerShard",
    "cacheIamUserId",
    "cacheUserGroupId",
    "cacheParameterGroupName",
)


def test_stack_outputs_describe_the_cache(stack_plan: StackPlan) -> None:
    cfg, outputs, rg = _cache_config(stack_plan), stack_plan.outputs, stack_plan.one(RG)
    inherited = {"cacheParameterGroupName"} if _is_secondary(stack_plan) else set()
    missing = [k for k in REQUIRED_OUTPUTS if outputs.get(k) is None and k not in inherited]
    assert missing == []
    assert outputs["cacheReplicationGroupId"] == rg.inputs["replicationGroupId"]
    assert outputs["cacheConfigurationEndpoint"] == rg.outputs["configurationEndpointAddress"]
    assert outputs["cachePort"] == PORT
    assert (outputs["cacheShards"], outputs["cacheReplicasPerShard"]) == (cfg["shards"], cfg["replicas_per_shard"])
    assert (outputs["cacheEngine"], outputs["cacheEngineVersion"], outputs["cacheNodeType"]) == (
        cfg["engine"],
        cfg["engine_version"],
        cfg["node_type"],
    )


def test_member_cluster_ids_match_what_elasticache_reports(plans: dict[str, StackPlan], stack_plan: StackPlan) -> None:
    members = stack_plan.outputs["cacheMemberClusters"]
    if _is_secondary(stack_plan):  # same shards as the primary, under the standby's own group id
        reported = [
            m.replace("sp-prod-cache-", "sp-prod-dr-cache-") for m in plans["prod"].one(RG).outputs["memberClusters"]
        ]
    else:
        reported = stack_plan.one(RG).outputs["memberClusters"]
    assert sorted(members) == sorted(reported)
    assert all(MEMBER_ID.match(m) for m in members)


@given(st.integers(1, 90), st.integers(0, 5))
def test_member_cluster_ids_one_per_node_unique_and_well_formed(shards: int, replicas: int) -> None:
    members = member_cluster_ids("sp-prod-cache", shards, replicas)
    assert len(members) == len(set(members)) == shards * (replicas + 1)
    assert all(MEMBER_ID.match(m) for m in members)
    assert {m.rsplit("-", 2)[1] for m in members} == {f"{s:04d}" for s in range(1, shards + 1)}


# --- config rules -------------------------------------------------------------------------


def test_multi_az_without_a_replica_is_a_config_error() -> None:
    errors = config_errors("dev", {"cache": {"replicasPerShard": 0}})
    assert errors == [
        "stacks/Pulumi.dev.yaml: streaming-platform:cache.replicasPerShard = 0: Multi-AZ with automatic failover "
        "needs at least 1 replica per shard (allowed: 1..5)"
    ]


def test_unsupported_node_type_is_a_config_error() -> None:
    (message,) = config_errors("staging", {"cache": {"nodeType": "cache.r7g.medium"}})
    assert "cache.nodeType = 'cache.r7g.medium': not an ElastiCache node type for valkey" in message
    assert "cache.r7g.{large,xlarge" in message
    (message,) = config_errors("dev", {"cache": {"nodeType": "r7g.large"}})
    assert "cache.nodeType = 'r7g.large'" in message


def test_unsupported_engine_version_is_a_config_error() -> None:
    (message,) = config_errors("dev", {"cache": {"engineVersion": "6.2"}})
    assert message.endswith("cache.engineVersion = '6.2': valkey versions supported: 7.2, 8.0, 8.1, 8.2, 9.0")
    (message,) = config_errors("dev", {"cache": {"engine": "redis", "engineVersion": "5.0.6"}})
    assert message.endswith("redis versions supported: 6.2, 7.0, 7.1")


def test_iam_authentication_needs_redis_7_or_a_token() -> None:
    (message,) = config_errors("dev", {"cache": {"engine": "redis", "engineVersion": "6.2"}})
    assert "IAM authentication needs redis 7.0 or later" in message
    # A token serves clients without IAM signing; the streaming job itself signs with IAM (rules/spark.py).
    token_only = {"cache": {"engine": "redis", "engineVersion": "6.2", "auth": "token"}, "spark": {"runJob": False}}
    assert config_errors("dev", token_only) == []
    assert config_errors("dev", {"cache": {"engine": "redis", "engineVersion": "7.1"}}) == []


def test_warm_standby_needs_a_global_datastore_node_type() -> None:
    errors = config_errors("prod", {"cache": {"nodeType": "cache.t4g.medium"}})
    expected = "cache.nodeType = 'cache.t4g.medium': warm-standby replicates the cache with a Global Datastore"
    assert any(expected in message for message in errors), errors
    assert config_errors("staging", {"cache": {"nodeType": "cache.t4g.medium"}}) == []  # backup-restore: no datastore
    assert config_errors("prod", {"cache": {"nodeType": "cache.m7g.large"}}) == []


def test_data_tiering_nodes_are_rejected() -> None:
    (message,) = config_errors("staging", {"cache": {"nodeType": "cache.r6gd.xlarge"}})
    assert "r6gd nodes run only with data tiering" in message


def test_too_many_nodes_is_a_config_error() -> None:
    (message,) = config_errors("staging", {"cache": {"shards": 100, "replicasPerShard": 5}})
    assert f"600 nodes in total; a replication group holds at most {MAX_NODES}" in message


def test_staging_and_prod_keep_snapshots() -> None:
    (message,) = config_errors("staging", {"cache": {"snapshotRetentionDays": 0}})
    assert "staging keeps daily snapshots" in message
    assert config_errors("dev", {"cache": {"snapshotRetentionDays": 0}}) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"snapshotWindow": "3:00-5:00"}, "cache.snapshotWindow = '3:00-5:00': format hh24:mi-hh24:mi"),
        ({"snapshotWindow": "03:00-03:30"}, "cache.snapshotWindow = '03:00-03:30': must last at least 60 minutes"),
        (
            {"maintenanceWindow": "sunday:05:00-sunday:06:00"},
            "cache.maintenanceWindow = 'sunday:05:00-sunday:06:00': format",
        ),
        (
            {"maintenanceWindow": "sun:05:00-sun:05:30"},
            "cache.maintenanceWindow = 'sun:05:00-sun:05:30': must last at least 60",
        ),
        (
            {"maintenanceWindow": "wed:04:00-wed:05:00"},
            "cache.snapshotWindow = '03:00-05:00': overlaps cache.maintenanceWindow",
        ),
    ],
)
def test_window_errors(changes: dict[str, str], expected: str) -> None:
    (message,) = config_errors("dev", {"cache": changes})
    assert expected in message


def test_windows_across_midnight_and_week_end() -> None:
    assert daily_window("23:00-01:00") == (23 * 60, 60)
    assert weekly_window("sat:23:30-sun:00:30") == (6 * DAY_MINUTES + 23 * 60 + 30, 30)
    assert windows_overlap((23 * 60, 60), weekly_window("sun:00:00-sun:01:00") or (0, 0))
    assert not windows_overlap((3 * 60, 5 * 60), weekly_window("sun:05:30-sun:06:30") or (0, 0))
    assert config_errors(
        "dev", {"cache": {"snapshotWindow": "23:00-01:00", "maintenanceWindow": "sat:23:30-sun:00:30"}}
    )


@given(st.integers(0, DAY_MINUTES - 1), st.integers(60, DAY_MINUTES - 60), st.integers(0, 6))
def test_maintenance_overlaps_exactly_when_it_shares_a_snapshot_minute(start: int, length: int, day: int) -> None:
    snapshot = (start, (start + length) % DAY_MINUTES)
    inside = day * DAY_MINUTES + start
    assert windows_overlap(snapshot, (inside % WEEK_MINUTES, (inside + 60) % WEEK_MINUTES))
    after = inside + length  # the gap before the next day's snapshot lasts at least 60 minutes
    assert not windows_overlap(snapshot, (after % WEEK_MINUTES, (after + 60) % WEEK_MINUTES))


# --- token mode and the Global Datastore secondary ---------------------------------------


def _config_with(**changes: Any) -> CacheConfig:
    """A staging-like cache section with some stack-file (camelCase) keys changed."""
    base = {
        "engineVersion": "8.2",
        "nodeType": "cache.r7g.large",
        "shards": 2,
        "replicasPerShard": 1,
        "snapshotRetentionDays": 7,
        "logRetentionDays": 30,
    }
    return CacheConfig.model_validate({**base, **changes})


TOKEN_MODE = {"cache": {"auth": "token"}, "spark": {"runJob": False}}


@pytest.fixture(scope="module")
def token_plan() -> StackPlan:
    """Staging's cache tier planned with cache.auth: token and no streaming job (no stack does this; it is the
    escape hatch). Staging is a primary of no pair, so its cache joins no Global Datastore."""
    return plan_tier("staging", lambda foundation: cache_component.build(foundation).outputs, TOKEN_MODE)


def test_token_mode_keeps_a_generated_token_in_secrets_manager(token_plan: StackPlan) -> None:
    (secret,) = _in_cache(token_plan, SECRET_TYPE)
    assert secret.inputs["kmsKeyId"] == token_plan.outputs["kmsKeyArn"]
    assert secret.inputs["name"] == "sp-staging-cache/auth-token"
    (version,) = [r for r in token_plan.of_type(SECRET_VERSION) if r.parent == secret.urn]
    assert version.inputs["secretString"] == SECRET  # never in plain text in the plan
    assert version.ignore_changes == ("secretString",)  # generated once, not on every run
    rg = token_plan.one(RG)
    assert rg.inputs["authToken"] == SECRET and rg.ignore_changes == ("authToken",)
    assert rg.inputs["transitEncryptionEnabled"] is True
    assert "userGroupIds" not in rg.inputs
    assert not _in_cache(token_plan, USER) and not _in_cache(token_plan, USER_GROUP)
    assert token_plan.outputs["cacheAuthSecretArn"] == secret.outputs["arn"]
    assert token_plan.outputs["cacheIamUserId"] is None and token_plan.outputs["cacheConnectPolicyArn"] is None


def test_cache_args_build_a_global_datastore_secondary() -> None:
    def program() -> None:
        Cache(
            "cache",
            CacheArgs(
                config=_config_with(shards=3, replicasPerShard=2),
                naming=Naming("prod-dr", "us-west-2"),
                subnet_ids=["subnet-a", "subnet-b", "subnet-c"],
                security_group_id="sg-cache",
                client_security_groups={"processing": "sg-processing", "ingest": "sg-ingest"},
                kms_key_arn="arn:aws:kms:us-west-2:123456789012:key/dr",
                protect=True,
                final_snapshot=True,
                global_replication_group_id=pulumi.Output.from_input("ldgnf-sp-prod-cache-global"),
            ),
        )

    records = run_alone(program, stack="prod-dr", region="us-west-2")
    (rg,) = [r for r in records if r.type == RG]
    assert rg.inputs["globalReplicationGroupId"] == "ldgnf-sp-prod-cache-global"
    assert [key for key in INHERITED if key in rg.inputs] == []
    assert rg.inputs["replicasPerNodeGroup"] == 2 and rg.inputs["multiAzEnabled"] is True
    assert rg.inputs["kmsKeyId"] == "arn:aws:kms:us-west-2:123456789012:key/dr"  # the DR region's own key
    assert rg.inputs["userGroupIds"] == ["sp-prod-dr-cache-users"] and rg.protect is True
    assert not [r for r in records if r.type == PARAMS]  # the Global Datastore manages parameters
    assert {r.inputs["referencedSecurityGroupId"] for r in records if r.type == INGRESS} == {
        "sg-processing",
        "sg-ingest",
    }


def test_only_the_warm_standby_joins_the_primarys_global_datastore(
    plans: dict[str, StackPlan], stack_plan: StackPlan
) -> None:
    rg = stack_plan.one(RG)
    if not _is_secondary(stack_plan):
        assert "globalReplicationGroupId" not in rg.inputs
        return
    assert rg.inputs["globalReplicationGroupId"] == plans["prod"].outputs["cacheGlobalDatastoreId"]
    assert [key for key in INHERITED if key in rg.inputs] == []
