"""Disaster recovery per stack: config rules, backups, copies, failover records, DR alarms, and the pair's wiring.

Tier differences under test: dev has nothing cross-region; staging (backup-restore) has
backups and S3 copies in us-west-2 but no standby compute; prod and prod-dr (warm standby)
have both regions, fed continuously, with the standby reading the primary's outputs.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from infra.catalog.cache_engines import GLOBAL_DATASTORE_TOO_SMALL, engine_catalog, supports_global_datastore
from infra.components import backup, cache, dr, failover, replication
from infra.components.dr_alarms import shard_nodes
from infra.components.replication import (
    CACHE_EXPORTS,
    NOT_REPLICATED,
    REPLICATED,
    BucketCopy,
    KeyRef,
)
from infra.components.storage import ACCESS_LOGS, ELASTICACHE_BUCKET_PERMISSIONS, ELASTICACHE_CANONICAL_ID
from infra.config import load_stack, parse
from infra.config.pair import active_region, peer_stack_name, serves_traffic
from infra.naming import Naming
from infra.offline.fake_outputs import ACCOUNT_ID
from infra.offline.record import PlannedResource, StackPlan
from infra.planning.dr import RTC_MINUTES
from tests.helpers import config_errors, plan_changed, raw_with

VAULT = "aws:backup/vault:Vault"
VAULT_LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
PLAN = "aws:backup/plan:Plan"
SELECTION = "aws:backup/selection:Selection"
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
REPLICATOR = "aws:msk/replicator:Replicator"
CLUSTER = "aws:msk/cluster:Cluster"
TOPIC = "aws:msk/topic:Topic"
CLUSTER_POLICY = "aws:msk/clusterPolicy:ClusterPolicy"
GLOBAL_DATASTORE = "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup"
RG = "aws:elasticache/replicationGroup:ReplicationGroup"
RECORD = "aws:route53/record:Record"
HEALTH_CHECK = "aws:route53/healthCheck:HealthCheck"
LISTENER_RULE = "aws:lb/listenerRule:ListenerRule"
STACK_REFERENCE = "pulumi:pulumi:StackReference"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_ACL = "aws:s3/bucketAcl:BucketAcl"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
STATE_MACHINE = "aws:sfn/stateMachine:StateMachine"
SCHEDULE = "aws:scheduler/schedule:Schedule"
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
KMS_KEY = "aws:kms/key:Key"
ARC_TYPES = (
    "aws:route53recoverycontrol/cluster:Cluster",
    "aws:route53recoverycontrol/controlPanel:ControlPanel",
    "aws:route53recoverycontrol/routingControl:RoutingControl",
    "aws:route53recoverycontrol/safetyRule:SafetyRule",
)
DR_TYPES = (VAULT, PLAN, REPLICATION, REPLICATOR, GLOBAL_DATASTORE, HEALTH_CHECK, STATE_MACHINE, CLUSTER_POLICY)


def named(plan: StackPlan, type_token: str, name: str) -> PlannedResource:
    found = [r for r in plan.of_type(type_token) if r.name == name]
    assert len(found) == 1, f"{plan.stack}: {type_token} {name}: {len(found)} found"
    return found[0]


def policy_of(plan: StackPlan, role_policy_name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(named(plan, ROLE_POLICY, role_policy_name).inputs["policy"])
    return document


def statement(document: dict[str, Any], sid: str) -> dict[str, Any]:
    [found] = [s for s in document["Statement"] if s.get("Sid") == sid]
    return found


def depends_on(plan: StackPlan, resource: PlannedResource, type_token: str, name: str) -> bool:
    return named(plan, type_token, name).urn in resource.dependencies


# ---------------------------------------------------------------------------------------------
# Config rules and the pure answers about the pair
# ---------------------------------------------------------------------------------------------


class TestRules:
    def test_the_stack_files_are_valid(self) -> None:
        for stack in ("dev", "staging", "prod", "prod-dr"):
            assert config_errors(stack) == []

    def test_warm_standby_primary_names_its_standby(self) -> None:
        errors = config_errors("prod", {"dr": {"peerStack": None}})
        assert any("dr.peerStack = None" in e and "names its standby" in e for e in errors)

    def test_warm_standby_needs_a_domain_and_zone(self) -> None:
        errors = config_errors("prod", {"edge": {"hostedZoneId": None}})
        assert any("edge.domainName" in e and "Route 53" in e for e in errors)

    def test_warm_standby_needs_a_global_datastore_node_type(self) -> None:
        errors = config_errors("prod", {"cache": {"nodeType": "cache.t4g.medium"}})
        assert any("cache.nodeType = 'cache.t4g.medium'" in e and "Global Datastore" in e for e in errors)

    def test_routing_controls_need_a_standby(self) -> None:
        errors = config_errors("staging", {"dr": {"routingControls": True}})
        assert any("dr.routingControls = True" in e for e in errors)

    def test_only_a_pair_has_an_active_region(self) -> None:
        errors = config_errors("dev", {"dr": {"activeRegion": "eu-west-1"}})
        assert any("dr.activeRegion = 'eu-west-1'" in e and "only a DR pair" in e for e in errors)

    @pytest.mark.parametrize("key", ["backupSchedule", "cacheExportSchedule"])
    def test_schedules_are_six_field_crons(self, key: str) -> None:
        errors = config_errors("staging", {"dr": {key: "rate(1 day)"}})
        assert any(f"dr.{key} = 'rate(1 day)'" in e and "six-field cron" in e for e in errors)

    def test_continuous_backups_are_capped_at_35_days(self) -> None:
        assert any("dr.continuousBackupDays" in e for e in config_errors("prod", {"dr": {"continuousBackupDays": 36}}))

    def test_vault_lock_grace_is_at_least_three_days(self) -> None:
        assert any("dr.vaultLockGraceDays" in e for e in config_errors("prod", {"dr": {"vaultLockGraceDays": 1}}))

    def test_a_standby_job_outside_the_active_region_is_a_warning(self) -> None:
        _, warnings = parse(raw_with("prod-dr", {"spark": {"runJob": True}}), "prod-dr")
        assert any(w.key == "spark.runJob" and "not dr.activeRegion" in w.message for w in warnings)
        _, none = parse(
            raw_with("prod-dr", {"spark": {"runJob": True}, "dr": {"activeRegion": "us-west-2"}}), "prod-dr"
        )
        assert not [w for w in none if w.key == "spark.runJob"]

    def test_active_region_defaults_to_the_primary(self) -> None:
        prod, _, _ = load_stack("prod")
        standby = prod.model_copy(
            update={"dr": prod.dr.model_copy(update={"role": "secondary", "active_region": None})}
        )
        primary = prod.model_copy(update={"dr": prod.dr.model_copy(update={"active_region": None})})
        assert active_region(primary) == "us-east-1" and serves_traffic(primary)
        assert active_region(standby) == "us-west-2" and not serves_traffic(standby)
        assert peer_stack_name(prod) == "prod-dr"

    @given(
        family=st.sampled_from([*sorted(engine_catalog().global_datastore_families), "t4g", "t3", "m6gd", "x2gd"]),
        size=st.sampled_from(["micro", "small", "medium", "large", "xlarge", "2xlarge", "16xlarge"]),
    )
    def test_global_datastore_node_types(self, family: str, size: str) -> None:
        expected = family in engine_catalog().global_datastore_families and size not in GLOBAL_DATASTORE_TOO_SMALL
        assert supports_global_datastore(f"cache.{family}.{size}") is expected
        assert not supports_global_datastore(f"{family}.{size}")


# ---------------------------------------------------------------------------------------------
# Per stack: what exists, per tier
# ---------------------------------------------------------------------------------------------


def test_dev_has_nothing_cross_region(plans: dict[str, StackPlan]) -> None:
    dev = plans["dev"]
    assert all(not dev.of_type(token) for token in DR_TYPES)
    assert {r.region for r in dev.custom_resources()} == {"eu-west-1"}
    assert dev.outputs["drStrategy"] == "none"
    assert "region-failover" not in dev.outputs["drTargets"]


def test_staging_has_copies_but_no_standby(plans: dict[str, StackPlan]) -> None:
    staging = plans["staging"]
    assert (
        not staging.of_type(REPLICATOR) and not staging.of_type(GLOBAL_DATASTORE) and not staging.of_type(HEALTH_CHECK)
    )
    assert not staging.of_type(STACK_REFERENCE)
    in_dr = {r.type for r in staging.custom_resources() if r.region == "us-west-2"}
    # Only storage for the copies lives in the DR region: a key, a vault and the copy buckets.
    assert in_dr <= {
        KMS_KEY,
        "aws:kms/alias:Alias",
        VAULT,
        BUCKET,
        SSE,
        OWNERSHIP,
        BUCKET_ACL,
        "aws:s3/bucketVersioning:BucketVersioning",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "aws:s3/bucketPolicy:BucketPolicy",
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "aws:s3/bucketLogging:BucketLogging",
    }
    copy_vault = named(staging, VAULT, "dr-backups-copy-vault")
    copy_key = named(staging, KMS_KEY, "dr-copy-key")
    assert copy_vault.region == copy_key.region == "us-west-2"
    assert copy_vault.inputs["kmsKeyArn"] == copy_key.outputs["arn"]
    assert not staging.of_type(VAULT_LOCK)
    copies = {r.inputs["bucket"]: r.region for r in staging.of_type(BUCKET) if r.region == "us-west-2"}
    # plus the region's S3 access-log bucket, which the copies log to
    roles = [*REPLICATED, ACCESS_LOGS]
    assert copies == {Naming("staging", "us-west-2").bucket(role, ACCOUNT_ID): "us-west-2" for role in roles}


def test_prod_pair_has_both_regions(plans: dict[str, StackPlan]) -> None:
    prod, standby = plans["prod"], plans["prod-dr"]
    assert prod.of_type(GLOBAL_DATASTORE) and not prod.of_type(REPLICATOR) and not prod.of_type(REPLICATION)
    assert standby.of_type(REPLICATOR) and len(standby.of_type(REPLICATION)) == len(REPLICATED)
    assert not standby.of_type(GLOBAL_DATASTORE)
    # Everything of prod-dr except the rules it puts on prod's buckets lives in us-west-2.
    elsewhere = {r.type for r in standby.custom_resources() if r.region != "us-west-2"}
    assert elsewhere <= {REPLICATION}


# ---------------------------------------------------------------------------------------------
# The pair: the standby reads the primary; the primary derives the standby's names
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("stack", "submitted"), [("prod", True), ("prod-dr", False), ("staging", True)])
def test_the_job_runs_in_the_active_region_only(plans: dict[str, StackPlan], stack: str, submitted: bool) -> None:
    assert plans[stack].outputs["emrJobSubmitted"] is submitted


def test_prod_cluster_names_the_stack_holding_its_copy(plans: dict[str, StackPlan]) -> None:
    assert named(plans["prod"], CLUSTER, "kafka-cluster").inputs["tags"]["dr-peer-stack"] == "prod-dr"
    assert "dr-peer-stack" not in named(plans["prod-dr"], CLUSTER, "kafka-cluster").inputs["tags"]


def test_only_the_standby_references_its_peer(plans: dict[str, StackPlan]) -> None:
    [reference] = plans["prod-dr"].of_type(STACK_REFERENCE)
    assert reference.inputs["name"] == "organization/streaming-platform/prod"
    owner = plans["prod-dr"].component_of(reference)
    assert owner is not None and owner.type == "streaming:dr:PeerStack"
    assert not plans["prod"].of_type(STACK_REFERENCE)


def test_replicator_copies_prod_into_the_standby(plans: dict[str, StackPlan]) -> None:
    prod, standby = plans["prod"], plans["prod-dr"]
    [replicator] = standby.of_type(REPLICATOR)
    info = replicator.inputs["replicationInfoList"]
    local_cluster = named(standby, CLUSTER, "kafka-cluster")
    assert info["sourceKafkaClusterArn"] == prod.outputs["kafkaClusterArn"]
    assert info["targetKafkaClusterArn"] == local_cluster.outputs["arn"]
    [topics] = info["topicReplications"]
    assert topics["topicNameConfiguration"]["type"] == "IDENTICAL"
    assert topics["topicsToReplicates"] == [".*"] and topics["copyTopicConfigurations"] is False
    assert topics["startingPosition"]["type"] == "EARLIEST"
    [groups] = info["consumerGroupReplications"]
    assert groups["synchroniseConsumerGroupOffsets"] is True and groups["consumerGroupsToReplicates"] == [".*"]
    source, target = replicator.inputs["kafkaClusters"]
    assert source["amazonMskCluster"]["mskClusterArn"] == prod.outputs["kafkaClusterArn"]
    assert source["vpcConfig"]["subnetIds"] == prod.outputs["privateDataSubnetIds"]
    assert "securityGroupsIds" not in source["vpcConfig"]  # cross-region: multi-VPC connectivity, no group
    replicator_sg = named(standby, "aws:ec2/securityGroup:SecurityGroup", "dr-replication-replicator-sg")
    assert target["vpcConfig"]["securityGroupsIds"] == [replicator_sg.outputs["id"]]
    assert target["vpcConfig"]["subnetIds"] == standby.outputs["privateDataSubnetIds"]
    # The StackReference feeds it, and it waits for its role's permissions.
    [reference] = standby.of_type(STACK_REFERENCE)
    assert reference.urn in replicator.dependencies
    assert depends_on(standby, replicator, ROLE_POLICY, "dr-replication-replicator-policy")


def test_the_program_alone_owns_the_standby_topics(plans: dict[str, StackPlan]) -> None:
    """One owner for topic configs: the program declares them in both clusters; the Replicator copies records only."""
    prod, standby = plans["prod"], plans["prod-dr"]
    [replicator] = standby.of_type(REPLICATOR)
    [topics] = replicator.inputs["replicationInfoList"]["topicReplications"]
    assert topics["copyTopicConfigurations"] is False
    declared = {t.inputs["name"]: t for t in standby.of_type(TOPIC)}
    assert set(declared) == set(prod.config["workload"]["topics"])
    # Created (and protected) by the program before the Replicator writes into them.
    assert all(t.protect and t.urn in replicator.dependencies for t in declared.values())
    # The same configs as the primary's topics: nothing is left for the Replicator to copy.
    primary = {t.inputs["name"]: t.inputs for t in prod.of_type(TOPIC)}
    for name, topic in declared.items():
        for key in ("configs", "partitionCount", "replicationFactor"):
            assert topic.inputs[key] == primary[name][key], (name, key)


def test_replicator_role_reaches_both_clusters_only(plans: dict[str, StackPlan]) -> None:
    document = policy_of(plans["prod-dr"], "dr-replication-replicator-policy")
    clusters = statement(document, "Clusters")["Resource"]
    assert clusters == [
        f"arn:aws:kafka:us-east-1:{ACCOUNT_ID}:cluster/sp-prod-kafka/*",
        f"arn:aws:kafka:us-west-2:{ACCOUNT_ID}:cluster/sp-prod-dr-kafka/*",
    ]
    assert "kafka-cluster:WriteDataIdempotently" in statement(document, "Clusters")["Action"]
    assert all(r.endswith("/*") and ":topic/" in r for r in statement(document, "Topics")["Resource"])


def test_replicator_reaches_the_brokers_on_the_iam_port(plans: dict[str, StackPlan]) -> None:
    standby = plans["prod-dr"]
    rule = named(
        standby, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "dr-replication-kafka-from-replicator"
    )
    kafka_sg = standby.outputs["securityGroupIds"]["kafka"]
    replicator_sg = named(standby, "aws:ec2/securityGroup:SecurityGroup", "dr-replication-replicator-sg").outputs["id"]
    assert rule.inputs["securityGroupId"] == kafka_sg and rule.inputs["referencedSecurityGroupId"] == replicator_sg
    assert rule.inputs["fromPort"] == rule.inputs["toPort"] == replication.IAM_PORT


@pytest.mark.parametrize("stack", ["prod", "prod-dr"])
def test_both_clusters_accept_a_cross_region_replicator(plans: dict[str, StackPlan], stack: str) -> None:
    plan = plans[stack]
    [policy] = plan.of_type(CLUSTER_POLICY)
    cluster = named(plan, CLUSTER, "kafka-cluster")
    assert policy.inputs["clusterArn"] == cluster.outputs["arn"]
    [grant] = json.loads(policy.inputs["policy"])["Statement"]
    assert grant["Principal"] == {"Service": "kafka.amazonaws.com"} and grant["Resource"] == cluster.outputs["arn"]
    assert set(grant["Action"]) == set(replication.REPLICATOR_SOURCE_ACTIONS)


def test_cache_joins_the_primary_global_datastore(plans: dict[str, StackPlan]) -> None:
    prod, standby = plans["prod"], plans["prod-dr"]
    [datastore] = prod.of_type(GLOBAL_DATASTORE)
    primary = named(prod, RG, "cache-replication-group")
    assert datastore.inputs["primaryReplicationGroupId"] == primary.outputs["id"]
    assert datastore.inputs["globalReplicationGroupIdSuffix"] == "sp-prod-cache"
    assert datastore.protect
    assert prod.outputs["cacheGlobalDatastoreId"] == datastore.outputs["globalReplicationGroupId"]
    secondary = named(standby, RG, "cache-replication-group")
    assert secondary.inputs["globalReplicationGroupId"] == prod.outputs["cacheGlobalDatastoreId"]
    assert not {"engine", "engineVersion", "nodeType", "parameterGroupName", "numNodeGroups"} & set(secondary.inputs)
    assert "globalReplicationGroupId" not in primary.inputs


def test_global_datastore_members_declare_what_aws_holds(plans: dict[str, StackPlan]) -> None:
    """Nothing a member of an existing global group is refused, nothing AWS changes after joining."""
    prod, standby = plans["prod"], plans["prod-dr"]
    primary = named(prod, RG, "cache-replication-group")
    secondary = named(standby, RG, "cache-replication-group")
    # AWS turns auto minor version upgrade off on joining (#24919): both members say so.
    assert primary.inputs["autoMinorVersionUpgrade"] is False and secondary.inputs["autoMinorVersionUpgrade"] is False
    # The secondary sends only what is its own in its region; the global group holds the rest (#24854).
    inherited = {"engine", "engineVersion", "nodeType", "numNodeGroups", "parameterGroupName", "port"}
    inherited |= {"atRestEncryptionEnabled", "transitEncryptionEnabled", "transitEncryptionMode", "clusterMode"}
    assert not inherited & set(secondary.inputs)
    # The primary keeps its parameter group name in code, but AWS swaps in a global-datastore-* copy
    # and refuses member changes (#27875, PR #49110): the program does not try to change them back.
    assert set(cache.GLOBAL_HELD) <= set(primary.ignore_changes)
    assert not set(cache.GLOBAL_HELD) & set(secondary.ignore_changes)


def test_global_datastore_scaling_goes_through_the_global_resource(plans: dict[str, StackPlan]) -> None:
    prod = plans["prod"]
    [datastore] = prod.of_type(GLOBAL_DATASTORE)
    cfg = prod.config["cache"]
    assert datastore.inputs["cacheNodeType"] == cfg["node_type"]
    assert datastore.inputs["numNodeGroups"] == cfg["shards"]
    assert datastore.inputs["engineVersion"] == cfg["engine_version"]
    # A parameter group is accepted there only with a major version upgrade (PR #49110): not set.
    assert "parameterGroupName" not in datastore.inputs


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_a_cache_outside_a_global_datastore_upgrades_minor_versions_itself(
    plans: dict[str, StackPlan], stack: str
) -> None:
    group = named(plans[stack], RG, "cache-replication-group")
    assert group.inputs["autoMinorVersionUpgrade"] is True
    assert not set(cache.GLOBAL_HELD) & set(group.ignore_changes)


def test_standby_replicates_prod_buckets_into_its_own(plans: dict[str, StackPlan]) -> None:
    prod, standby = plans["prod"], plans["prod-dr"]
    standby_key = standby.outputs["kmsKeyArn"]
    configs = {r.inputs["bucket"]: r for r in standby.of_type(REPLICATION)}
    for role, delete_markers in REPLICATED.items():
        source = Naming("prod", "us-east-1").bucket(role, ACCOUNT_ID)
        config = configs[source]
        assert config.region == "us-east-1"  # the configuration lives on the source bucket
        [rule] = config.inputs["rules"]
        destination = Naming("prod-dr", "us-west-2").bucket(role, ACCOUNT_ID)
        assert rule["destination"]["bucket"] == f"arn:aws:s3:::{destination}"
        assert rule["destination"]["encryptionConfiguration"]["replicaKmsKeyId"] == standby_key
        assert rule["destination"]["replicationTime"] == {"status": "Enabled", "time": {"minutes": RTC_MINUTES}}
        assert rule["destination"]["metrics"] == {"status": "Enabled", "eventThreshold": {"minutes": RTC_MINUTES}}
        assert rule["sourceSelectionCriteria"]["sseKmsEncryptedObjects"]["status"] == "Enabled"
        assert rule["deleteMarkerReplication"]["status"] == delete_markers
        assert rule["id"] == prod.outputs["s3ReplicationRules"][role]["ruleId"]
        versioning = "dr-backups-cache-exports-versioning" if role == CACHE_EXPORTS else f"storage-{role}-versioning"
        assert depends_on(standby, config, "aws:s3/bucketVersioning:BucketVersioning", versioning)
    # The destinations are the standby's real buckets, as its storage tier named them.
    assert standby.outputs["lakeBucket"]["name"] == Naming("prod-dr", "us-west-2").bucket("lake", ACCOUNT_ID)
    assert prod.outputs["s3ReplicationOwner"] == "prod-dr"


def test_lake_deletes_stay_local_and_artifact_deletes_follow() -> None:
    assert REPLICATED["lake"] == "Disabled" and REPLICATED["artifacts"] == "Enabled"
    assert not set(REPLICATED) & set(NOT_REPLICATED)


def test_standby_replication_role_uses_the_primary_key_by_alias(plans: dict[str, StackPlan]) -> None:
    standby = plans["prod-dr"]
    document = policy_of(standby, "dr-replication-s3-role-policy")
    decrypt = statement(document, "DecryptSources")
    assert decrypt["Resource"] == f"arn:aws:kms:us-east-1:{ACCOUNT_ID}:key/*"
    assert decrypt["Condition"]["ForAnyValue:StringEquals"] == {
        "kms:ResourceAliases": plans["prod"].outputs["kmsKeyAlias"]
    }
    assert decrypt["Condition"]["StringEquals"] == {"kms:ViaService": "s3.us-east-1.amazonaws.com"}
    encrypt = statement(document, "EncryptReplicas")
    assert (
        encrypt["Resource"] == standby.outputs["kmsKeyArn"] and "ForAnyValue:StringEquals" not in encrypt["Condition"]
    )
    lake = Naming("prod", "us-east-1").bucket("lake", ACCOUNT_ID)
    assert f"arn:aws:s3:::{lake}" in decrypt["Condition"]["StringLike"]["kms:EncryptionContext:aws:s3:arn"]


def test_primary_backups_copy_to_the_standby_vault(plans: dict[str, StackPlan]) -> None:
    prod, standby = plans["prod"], plans["prod-dr"]
    [plan] = prod.of_type(PLAN)
    daily = next(rule for rule in plan.inputs["rules"] if rule["ruleName"] == "daily")
    # The standby's vault first; prod's isolated copy (test_prod_copies_daily_points_to_a_logically_air_gapped_vault) after it.
    [copy, isolated] = daily["copyActions"]
    assert copy["destinationVaultArn"] == standby.outputs["backupVaultArn"] == prod.outputs["drBackupVaultArn"]
    assert isolated["destinationVaultArn"] == prod.outputs["isolatedBackupVaultArn"]
    assert prod.outputs["drKmsKeyAlias"] == standby.outputs["kmsKeyAlias"]
    # ...and the standby copies its own backups back to prod's vault (it is primary after a failover).
    [standby_plan] = standby.of_type(PLAN)
    back = next(rule for rule in standby_plan.inputs["rules"] if rule["ruleName"] == "daily")
    assert back["copyActions"][0]["destinationVaultArn"] == prod.outputs["backupVaultArn"]


@pytest.mark.parametrize("stack", ["staging", "prod", "prod-dr"])
def test_backup_plan_is_continuous_plus_daily(plans: dict[str, StackPlan], stack: str) -> None:
    plan = plans[stack]
    cfg = plan.config["dr"]
    [backup_plan] = plan.of_type(PLAN)
    rules = {rule["ruleName"]: rule for rule in backup_plan.inputs["rules"]}
    assert rules["continuous"]["enableContinuousBackup"] is True
    assert rules["continuous"]["lifecycle"]["deleteAfter"] == cfg["continuous_backup_days"] <= 35
    assert "copyActions" not in rules["continuous"]
    assert rules["daily"]["lifecycle"]["deleteAfter"] == cfg["backup_retention_days"]
    assert rules["daily"]["completionWindow"] >= rules["daily"]["startWindow"] + 60
    [selection] = plan.of_type(SELECTION)
    expected = sorted(
        f"arn:aws:s3:::{Naming(stack, plan.region).bucket(r, ACCOUNT_ID)}" for r in (*dr.BACKED_UP, CACHE_EXPORTS)
    )
    assert sorted(selection.inputs["resources"]) == expected
    role = named(plan, "aws:iam/role:Role", "dr-backups-role")
    assert selection.inputs["iamRoleArn"] == role.outputs["arn"]
    managed = {
        r.inputs["policyArn"]
        for r in plan.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if r.parent == role.urn
    }
    assert managed == set(backup.S3_BACKUP_POLICIES)


@pytest.mark.parametrize("stack", ["staging", "prod", "prod-dr"])
def test_backup_role_may_use_every_key_it_touches(plans: dict[str, StackPlan], stack: str) -> None:
    plan = plans[stack]
    document = policy_of(plan, "dr-backups-role-kms")
    assert statement(document, "StackKey")["Resource"] == plan.outputs["kmsKeyArn"]
    copy_key = statement(document, "CopyVaultKey")
    dr_region = plan.config["dr"]["region"]
    assert copy_key["Resource"] == f"arn:aws:kms:{dr_region}:{ACCOUNT_ID}:key/*"
    assert copy_key["Condition"]["ForAnyValue:StringEquals"]["kms:ResourceAliases"] == plan.outputs["drKmsKeyAlias"]
    assert {"kms:Decrypt", "kms:GenerateDataKey*"} <= set(copy_key["Action"])
    # kms:CreateGrant is scoped like the use of each key: same key, only for AWS Backup in the key's
    # region, only for AWS resources, only from this account.
    grant_statements = [s for s in document["Statement"] if s["Action"] == "kms:CreateGrant"]
    assert {s["Sid"] for s in grant_statements} == {"StackKeyGrantsForBackupOnly", "CopyVaultKeyGrantsForBackupOnly"}
    for use, region in (("StackKey", plan.region), ("CopyVaultKey", dr_region)):
        grants = statement(document, f"{use}GrantsForBackupOnly")
        assert grants["Resource"] == statement(document, use)["Resource"]
        assert grants["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}
        assert grants["Condition"]["StringEquals"] == {
            "kms:ViaService": f"backup.{region}.amazonaws.com",
            "kms:CallerAccount": ACCOUNT_ID,
        }
        for key, value in statement(document, use).get("Condition", {}).items():
            assert grants["Condition"][key] == value


@pytest.mark.parametrize("stack", ["prod", "prod-dr"])
def test_prod_vaults_are_locked_in_compliance_mode(plans: dict[str, StackPlan], stack: str) -> None:
    plan = plans[stack]
    vault = named(plan, VAULT, "dr-backups-vault")
    [lock] = plan.of_type(VAULT_LOCK)
    assert lock.inputs["backupVaultName"] == vault.inputs["name"]
    assert lock.inputs["changeableForDays"] >= 3  # compliance mode: immutable after the grace period
    assert lock.inputs["minRetentionDays"] == backup.min_retention_days(load_stack(stack)[0].dr)
    assert vault.protect and vault.inputs["kmsKeyArn"] == plan.outputs["kmsKeyArn"]


def test_staging_replicates_into_buckets_it_owns_in_the_dr_region(plans: dict[str, StackPlan]) -> None:
    staging = plans["staging"]
    dr_key = named(staging, KMS_KEY, "dr-copy-key").outputs["arn"]
    for config in staging.of_type(REPLICATION):
        [rule] = config.inputs["rules"]
        assert config.region == "us-east-1"
        assert rule["destination"]["bucket"].endswith("-us-west-2")
        assert rule["destination"]["encryptionConfiguration"]["replicaKmsKeyId"] == dr_key
        role = rule["id"].split("-to-")[0]
        assert depends_on(
            staging, config, "aws:s3/bucketVersioning:BucketVersioning", f"dr-replication-copy-{role}-versioning"
        )
    lake_sse = named(staging, SSE, "dr-replication-copy-lake-sse")
    assert lake_sse.region == "us-west-2"
    assert lake_sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"] == dr_key


@pytest.mark.parametrize("stack", ["staging", "prod", "prod-dr"])
def test_cache_export_bucket_grants_elasticache_only(plans: dict[str, StackPlan], stack: str) -> None:
    plan = plans[stack]
    acl = named(plan, BUCKET_ACL, "dr-backups-cache-exports-acl")
    grants = acl.inputs["accessControlPolicy"]["grants"]
    elasticache = {g["permission"] for g in grants if g["grantee"].get("id") == ELASTICACHE_CANONICAL_ID}
    assert elasticache == set(ELASTICACHE_BUCKET_PERMISSIONS)
    assert all(g["grantee"]["type"] == "CanonicalUser" for g in grants)  # no group (public) grantee
    assert (
        named(plan, OWNERSHIP, "dr-backups-cache-exports-ownership").inputs["rule"]["objectOwnership"]
        == "BucketOwnerPreferred"
    )
    sse = named(plan, SSE, "dr-backups-cache-exports-sse").inputs["rules"][0]
    assert sse["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "AES256"
    block = named(
        plan, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "dr-backups-cache-exports-public-access-block"
    )
    assert all(
        block.inputs[k] for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )


@pytest.mark.parametrize(("stack", "state"), [("staging", "ENABLED"), ("prod", "ENABLED"), ("prod-dr", "DISABLED")])
def test_only_the_active_region_exports_the_cache(plans: dict[str, StackPlan], stack: str, state: str) -> None:
    plan = plans[stack]
    schedule = _export_schedule(plan)
    [machine] = plan.of_type(STATE_MACHINE)
    assert schedule.inputs["state"] == state
    assert schedule.inputs["target"]["arn"] == machine.outputs["arn"]
    definition = json.loads(machine.inputs["definition"])
    rgid = plan.outputs["cacheReplicationGroupId"]
    assert definition["States"]["CreateSnapshot"]["Parameters"]["ReplicationGroupId"] == rgid
    assert definition["States"]["ExportSnapshot"]["Parameters"]["TargetBucket"] == plan.outputs["cacheExportBucket"]


@pytest.mark.parametrize("stack", ["staging", "prod", "prod-dr"])
def test_export_is_traced_and_its_schedule_encrypted_with_the_stack_key(
    plans: dict[str, StackPlan], stack: str
) -> None:
    plan = plans[stack]
    schedule = _export_schedule(plan)
    [machine] = plan.of_type(STATE_MACHINE)
    key = plan.outputs["kmsKeyArn"]
    assert machine.inputs["tracingConfiguration"] == {"enabled": True}
    assert schedule.inputs["kmsKeyArn"] == key
    [scheduler_policy] = [r for r in plan.of_type(ROLE_POLICY) if r.name == "dr-backups-cache-export-scheduler-policy"]
    grants = {s["Action"]: s["Resource"] for s in json.loads(scheduler_policy.inputs["policy"])["Statement"]}
    assert grants == {"states:StartExecution": machine.outputs["arn"], "kms:Decrypt": key}


def test_export_role_uses_star_only_for_actions_without_resource_scoping() -> None:
    document = backup.export_role_policy("us-east-1", ACCOUNT_ID, "sp-prod-cache", "b")
    star = {a for s in document["Statement"] if s["Resource"] == "*" for a in _actions(s)}
    assert star == {
        "s3:ListAllMyBuckets",
        *_actions(statement(document, "ExecutionLogs")),
        *_actions(statement(document, "XRayTraces")),
    }
    assert statement(document, "CopySnapshotChecksBucket")["Resource"] == "arn:aws:s3:::b"
    assert (
        statement(document, "DescribeSnapshots")["Resource"] == f"arn:aws:elasticache:us-east-1:{ACCOUNT_ID}:snapshot:*"
    )


def _actions(statement_: dict[str, Any]) -> list[str]:
    action = statement_["Action"]
    return [action] if isinstance(action, str) else list(action)


def _transitions(state: dict[str, Any]) -> set[str]:
    targets = {state[k] for k in ("Next", "Default") if k in state}
    targets |= {choice["Next"] for choice in state.get("Choices", [])}
    return targets | {catch["Next"] for catch in state.get("Catch", [])}


def test_export_state_machine_is_a_closed_loop() -> None:
    definition = backup.export_definition("sp-x-cache", "bucket", "owner-id")
    states = definition["States"]
    targets = {definition["StartAt"]}
    for state in states.values():
        targets |= _transitions(state)
    assert targets == set(states)  # every state reachable by name, no dangling transition
    ends = {name for name, state in states.items() if state.get("End") or state["Type"] in ("Fail", "Succeed")}
    assert ends == {"DeleteSnapshot", "SnapshotFailed", "ExportFailed", "ExportNotOwned"}
    assert definition["TimeoutSeconds"] == backup.EXPORT_TIMEOUT_SECONDS
    tasks = [s for s in states.values() if s["Type"] == "Task"]
    assert all(s["Resource"].startswith((backup.ELASTICACHE_SDK, backup.S3_SDK)) for s in tasks)
    inner = states["TakeOwnership"]["ItemProcessor"]
    inner_targets = {inner["StartAt"]}
    for state in inner["States"].values():
        inner_targets |= _transitions(state)
    assert inner_targets == set(inner["States"])


def test_every_exported_object_ends_up_owned_by_the_bucket_owner_with_sse_s3() -> None:
    definition = backup.export_definition("sp-x-cache", "bucket", "owner-id")
    states = definition["States"]
    # A finished export is listed with its owners before the manual snapshot goes.
    assert states["ExportDone"]["Choices"][0] == {
        "Variable": "$.snapshot.status",
        "StringEquals": "available",
        "Next": "ListExport",
    }
    listing = states["ListExport"]
    assert listing["Resource"] == f"{backup.S3_SDK}listObjectsV2"
    assert listing["Parameters"] == {"Bucket": "bucket", "Prefix.$": "$.snapshotName", "FetchOwner": True}
    take = states["TakeOwnership"]
    assert take["Next"] == "DeleteSnapshot" and take["ItemsPath"] == "$.export.objects"
    inner = take["ItemProcessor"]["States"]
    # Objects the bucket owner owns are left alone; any other is rewritten by this account (owner) with SSE-S3.
    assert inner["OwnedByBucketOwner"]["Choices"] == [
        {"Variable": "$.owner", "StringEquals": "owner-id", "Next": "Owned"}
    ]
    copy = inner["RewriteAsBucketOwner"]
    assert copy["Resource"] == f"{backup.S3_SDK}copyObject"
    assert copy["Parameters"]["Bucket"] == "bucket" and copy["Parameters"]["ServerSideEncryption"] == "AES256"
    assert copy["Parameters"]["CopySource.$"] == "States.Format('bucket/{}', $.key)"
    assert inner["DeleteForeignVersion"]["Parameters"]["VersionId.$"] == "$.copy.foreignVersion"
    # Anything that cannot be made ours fails the execution loudly, after the manual snapshot is gone.
    for state in (listing, take):
        assert [c["Next"] for c in state["Catch"]] == ["DeleteSnapshotNotOwned"]
    assert states["DeleteSnapshotNotOwned"]["Next"] == "ExportNotOwned"
    assert states["ExportNotOwned"]["Type"] == "Fail"


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_the_export_bucket_takes_elasticache_writes_and_the_machine_knows_its_owner(
    plans: dict[str, StackPlan], stack: str
) -> None:
    plan = plans[stack]
    ownership = named(
        plan, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", "dr-backups-cache-exports-ownership"
    )
    assert ownership.inputs["rule"] == {"objectOwnership": "BucketOwnerPreferred"}
    sse = named(
        plan,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "dr-backups-cache-exports-sse",
    )
    assert sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    machine = named(plan, "aws:sfn/stateMachine:StateMachine", "dr-backups-cache-export")
    definition = json.loads(machine.inputs["definition"])
    owner_choice = definition["States"]["TakeOwnership"]["ItemProcessor"]["States"]["OwnedByBucketOwner"]
    acl = named(plan, "aws:s3/bucketAcl:BucketAcl", "dr-backups-cache-exports-acl")
    owner_id = acl.inputs["accessControlPolicy"]["owner"]["id"]
    assert owner_choice["Choices"][0]["StringEquals"] == owner_id
    policy = backup.export_role_policy("us-east-1", ACCOUNT_ID, "g", "b")
    assert "s3:DeleteObjectVersion" in statement(policy, "ExportBucket")["Action"]


def test_export_role_is_scoped_to_one_group(plans: dict[str, StackPlan]) -> None:
    document = backup.export_role_policy("us-east-1", ACCOUNT_ID, "sp-prod-cache", "b")
    create = statement(document, "SnapshotTheGroup")["Resource"]
    assert f"arn:aws:elasticache:us-east-1:{ACCOUNT_ID}:replicationgroup:sp-prod-cache" in create
    assert statement(document, "ExportAndDeleteOurSnapshots")["Resource"].endswith(":snapshot:sp-prod-cache-export-*")


@pytest.mark.parametrize(("stack", "role"), [("prod", "PRIMARY"), ("prod-dr", "SECONDARY")])
def test_failover_records_follow_the_active_region(plans: dict[str, StackPlan], stack: str, role: str) -> None:
    plan = plans[stack]
    records = {r.name: r for r in plan.of_type(RECORD) if r.name.startswith("dr-dns")}
    assert set(records) == {"dr-dns-alb-record", "dr-dns-nlb-record"}
    checks = {r.name: r for r in plan.of_type(HEALTH_CHECK)}
    alb = records["dr-dns-alb-record"]
    assert alb.inputs["name"] == "ingest.streaming.example.com" and alb.inputs["setIdentifier"] == plan.region
    assert alb.inputs["failoverRoutingPolicies"] == [{"type": role}]
    # prod's default: ARC routing controls decide (an operator, through ARC's data plane); the endpoint checks stay.
    assert alb.inputs["healthCheckId"] == checks["dr-dns-routing-control-health"].outputs["id"]
    [alias] = alb.inputs["aliases"]
    assert alias["evaluateTargetHealth"] is False and alias["name"] == plan.outputs["albDnsName"]
    check = checks["dr-dns-alb-health"].inputs
    assert (check["type"], check["port"], check["resourcePath"]) == ("HTTPS", 443, failover.EDGE_HEALTH_PATH)
    assert check["fqdn"] == plan.outputs["albDnsName"]
    [rule] = plan.of_type(LISTENER_RULE)
    assert rule.inputs["actions"][0]["fixedResponse"]["statusCode"] == "200"
    assert rule.inputs["conditions"][0]["pathPattern"]["values"] == [failover.EDGE_HEALTH_PATH]
    assert checks["dr-dns-nlb-health"].inputs["type"] == "TCP"
    assert any(plan.of_type(token) for token in ARC_TYPES) is (stack == "prod")  # the primary owns the cluster
    # The standby re-exports what its failover needs, so nothing is read from the failed region's stack.
    assert plan.outputs["arcClusterEndpoints"] == plans["prod"].outputs["arcClusterEndpoints"]
    assert set(plan.outputs["drRoutingControlArns"]) == {"us-east-1", "us-west-2"}


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_stacks_without_a_pair_get_plain_records_for_their_domain(plans: dict[str, StackPlan], stack: str) -> None:
    plan = plans[stack]
    failover_urns = {c.urn for c in plan.components() if c.type == "streaming:failover:Failover"}
    records = [r for r in plan.of_type(RECORD) if r.parent in failover_urns]
    domain = plan.config["edge"]["domain_name"]
    assert not plan.of_type(HEALTH_CHECK) and not plan.of_type(LISTENER_RULE)
    if domain is None:
        assert records == [] and plan.outputs["dnsRecords"] is None
        return
    by_name = {r.inputs["name"]: r for r in records}
    assert set(by_name) <= {domain, f"stream.{domain}"} and domain in by_name
    for record in records:
        assert "setIdentifier" not in record.inputs and "failoverRoutingPolicies" not in record.inputs
        assert record.inputs["aliases"][0]["evaluateTargetHealth"] is True
    assert by_name[domain].inputs["aliases"][0]["name"] == plan.outputs["albDnsName"]


# ---------------------------------------------------------------------------------------------
# DR alarms and their routing to both regions
# ---------------------------------------------------------------------------------------------


def dr_alarms(plan: StackPlan) -> dict[str, PlannedResource]:
    return {r.inputs["name"]: r for r in plan.of_type(ALARM) if r.inputs["name"] in plan.outputs["drAlarmNames"]}


def test_standby_alarms_on_replicator_and_global_datastore(plans: dict[str, StackPlan]) -> None:
    standby = plans["prod-dr"]
    alarms = dr_alarms(standby)
    latency = alarms["sp-prod-dr-recovery-kafka-latency"].inputs
    assert (latency["namespace"], latency["metricName"]) == ("AWS/Kafka", "ReplicationLatency")
    assert latency["dimensions"] == {"ReplicatorName": standby.outputs["kafkaReplicatorName"]}
    assert latency["threshold"] == standby.config["dr"]["stream_latency_alarm_seconds"] * 1000
    assert alarms["sp-prod-dr-recovery-kafka-message-lag"].inputs["metricName"] == "MessageLag"
    shards = [name for name in alarms if name.startswith("sp-prod-dr-recovery-cache-global-lag-")]
    assert len(shards) == standby.config["cache"]["shards"]
    queries = alarms[shards[0]].inputs["metricQueries"]
    nodes = [q["metric"]["dimensions"]["CacheClusterId"] for q in queries if "metric" in q]
    assert nodes == [n for n in standby.outputs["cacheMemberClusters"] if "-0001-" in n]
    assert all(q["metric"]["metricName"] == "GlobalDatastoreReplicationLag" for q in queries if "metric" in q)
    topic = standby.outputs["alarmTopicArn"]
    assert all(a.inputs["alarmActions"] == [topic] for a in alarms.values())


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_replication_alarms_watch_the_source_region(plans: dict[str, StackPlan], stack: str) -> None:
    plan = plans[stack]
    alarms = dr_alarms(plan)
    for role, rule in plan.outputs["s3ReplicationRules"].items():
        latency = alarms[f"sp-{stack}-recovery-s3-latency-{role}"]
        assert latency.region == rule["sourceRegion"] == plan.region
        assert latency.inputs["dimensions"] == {
            "SourceBucket": rule["source"],
            "DestinationBucket": rule["destination"],
            "RuleId": rule["ruleId"],
        }
        assert latency.inputs["threshold"] == RTC_MINUTES * 60
        assert alarms[f"sp-{stack}-recovery-s3-failed-{role}"].inputs["metricName"] == "OperationsFailedReplication"
        assert alarms[f"sp-{stack}-recovery-s3-pending-{role}"].inputs["metricName"] == "OperationsPendingReplication"
    failed = alarms[f"sp-{stack}-recovery-backup-jobs-failed"].inputs
    assert (failed["namespace"], failed["dimensions"]) == (
        "AWS/Backup",
        {"BackupVaultName": plan.outputs["backupVaultName"]},
    )
    assert alarms[f"sp-{stack}-recovery-backup-copies-failed"].inputs["metricName"] == "NumberOfCopyJobsFailed"


def test_dr_alarms_reach_the_other_region_through_eventbridge(plans: dict[str, StackPlan]) -> None:
    for stack, peer, peer_region in (("prod", "prod-dr", "us-west-2"), ("prod-dr", "prod", "us-east-1")):
        plan = plans[stack]
        rules = {r.name: r for r in plan.of_type(EVENT_RULE) if r.name.startswith("dr-alarms")}
        targets = {r.name: r for r in plan.of_type(EVENT_TARGET)}
        out = json.loads(rules["dr-alarms-to-peer"].inputs["eventPattern"])
        assert out["detail"]["alarmName"] == [{"prefix": f"sp-{stack}-recovery-"}]
        assert (
            targets["dr-alarms-to-peer-target"].inputs["arn"]
            == f"arn:aws:events:{peer_region}:{ACCOUNT_ID}:event-bus/default"
        )
        incoming = json.loads(rules["dr-alarms-from-peer"].inputs["eventPattern"])
        assert incoming["region"] == [peer_region]
        assert incoming["detail"]["alarmName"] == [{"prefix": f"sp-{peer}-recovery-"}]
        assert targets["dr-alarms-from-peer-target"].inputs["arn"] == plan.outputs["alarmTopicArn"]
        # Each stack's forwarding pattern matches its own DR alarms and none of the peer's.
        assert all(name.startswith(out["detail"]["alarmName"][0]["prefix"]) for name in plan.outputs["drAlarmNames"])
        assert not any(
            name.startswith(out["detail"]["alarmName"][0]["prefix"]) for name in plans[peer].outputs["drAlarmNames"]
        )
    assert not [r for r in plans["staging"].of_type(EVENT_RULE) if r.name.startswith("dr-alarms")]


# ---------------------------------------------------------------------------------------------
# drTargets: the design figures, consistent with the mechanisms configured
# ---------------------------------------------------------------------------------------------


def test_prod_targets_meet_the_issue(plans: dict[str, StackPlan]) -> None:
    region = plans["prod"].outputs["drTargets"]["region-failover"]
    assert region["rtoMinutes"] <= 30
    assert region["rpoSeconds"]["kafka"] <= 60 and region["rpoSeconds"]["s3"] <= 15 * 60
    assert region["rpoSeconds"]["cache"] <= 1  # about one second


@pytest.mark.parametrize("stack", ["prod"])
def test_targets_follow_from_the_mechanisms(plans: dict[str, StackPlan], stack: str) -> None:
    plan = plans[stack]
    region = plan.outputs["drTargets"]["region-failover"]["rpoSeconds"]
    assert region["s3"] == RTC_MINUTES * 60  # what S3 RTC promises, nothing better
    # The replicator latency alarm fires before the stream RPO is exceeded.
    assert plan.config["dr"]["stream_latency_alarm_seconds"] <= region["kafka"]


# ---------------------------------------------------------------------------------------------
# Pure builders
# ---------------------------------------------------------------------------------------------


@given(
    st.sampled_from(sorted(REPLICATED)),
    st.sampled_from(["us-east-1", "eu-west-1"]),
    st.sampled_from(["us-west-2", "eu-central-1"]),
)
def test_replication_rule_is_rtc_with_metrics(role: str, source_region: str, destination_region: str) -> None:
    copy = BucketCopy(role, f"src-{role}", source_region, f"dst-{role}", destination_region)
    rule = replication.replication_rule(copy, "arn:aws:kms:key")
    assert rule["id"] == f"{role}-to-{destination_region}" and rule["status"] == "Enabled"
    assert rule["destination"]["replication_time"]["time"]["minutes"] == RTC_MINUTES
    assert rule["destination"]["metrics"]["event_threshold"]["minutes"] == RTC_MINUTES
    assert rule["delete_marker_replication"]["status"] == REPLICATED[role]
    assert rule["destination"]["bucket"] == f"arn:aws:s3:::dst-{role}"


def test_bucket_copies_use_deterministic_names() -> None:
    copies = replication.bucket_copies(Naming("prod", "us-east-1"), Naming("prod-dr", "us-west-2"), ACCOUNT_ID)
    assert [c.role for c in copies] == list(REPLICATED)
    assert copies[0].destination_bucket == f"sp-prod-dr-lake-{ACCOUNT_ID}-us-west-2"
    assert all(len(c.destination_bucket) <= 63 for c in copies)


def test_peer_key_by_alias_when_its_arn_is_unknown() -> None:
    copies = replication.bucket_copies(Naming("a", "us-east-1"), Naming("b", "us-west-2"), ACCOUNT_ID)
    document = replication.replication_role_policy(
        copies, ACCOUNT_ID, KeyRef("us-east-1", "alias/sp-a-key"), None, KeyRef("us-west-2", "alias/sp-b-key"), "arn:k"
    )
    assert statement(document, "DecryptSources")["Condition"]["ForAnyValue:StringEquals"] == {
        "kms:ResourceAliases": "alias/sp-a-key"
    }
    assert statement(document, "EncryptReplicas")["Resource"] == "arn:k"
    assert statement(document, "WriteReplicas")["Resource"] == [
        f"arn:aws:s3:::{c.destination_bucket}/*" for c in copies
    ]


@given(st.lists(st.tuples(st.integers(1, 9), st.integers(1, 6)), min_size=1, max_size=6, unique_by=lambda t: t[0]))
def test_shard_nodes_groups_every_node_once(layout: list[tuple[int, int]]) -> None:
    nodes = [f"sp-x-cache-{shard:04d}-{node:03d}" for shard, count in layout for node in range(1, count + 1)]
    grouped = shard_nodes(nodes)
    assert sorted(n for members in grouped.values() for n in members) == sorted(nodes)
    assert {shard: len(members) for shard, members in grouped.items()} == {f"{s:04d}": c for s, c in layout}


@pytest.mark.parametrize(
    ("region", "active", "expected"), [("us-east-1", "us-east-1", "PRIMARY"), ("us-west-2", "us-east-1", "SECONDARY")]
)
def test_failover_role(region: str, active: str, expected: str) -> None:
    assert failover.failover_role(region, active) == expected


def test_missing_routing_control_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no ARC routing control for us-west-2"):
        failover.own_routing_control({"us-east-1": "arn"}, "us-west-2")


# ---------------------------------------------------------------------------------------------
# Failover flip and ARC routing controls: the pair planned again with other config
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def flipped(plans: dict[str, StackPlan]) -> dict[str, StackPlan]:
    """prod and prod-dr after a failover (activeRegion us-west-2), with ARC routing controls on.

    A failing-back prod reads prod-dr (its reverse Replicator's source), and prod-dr reads prod:
    in the flip's order (README step 4), prod is planned against the deployed prod-dr's outputs
    (the cluster ARN and subnets it reads do not change with the flip), then prod-dr against prod's.
    """
    changes = {"dr": {"activeRegion": "us-west-2"}}  # routing controls: on by the prod tier default
    prod = plan_changed("prod", changes, {"prod-dr": plans["prod-dr"].outputs})
    return {"prod": prod, "prod-dr": plan_changed("prod-dr", changes, {"prod": prod.outputs})}


def test_flip_makes_the_standby_primary(flipped: dict[str, StackPlan]) -> None:
    prod, standby = flipped["prod"], flipped["prod-dr"]
    for plan, role, export in ((prod, "SECONDARY", "DISABLED"), (standby, "PRIMARY", "ENABLED")):
        records = [r for r in plan.of_type(RECORD) if r.name.startswith("dr-dns")]
        assert {r.inputs["failoverRoutingPolicies"][0]["type"] for r in records} == {role}
        assert _export_schedule(plan).inputs["state"] == export
    assert prod.outputs["drServesTraffic"] is False and standby.outputs["drServesTraffic"] is True
    # prod's job step is withdrawn although spark.runJob stays true there: only the active region runs it.
    assert prod.config["spark"]["run_job"] is True and prod.outputs["emrJobSubmitted"] is False
    # S3 replication keeps its direction (failback copies the lake back by Batch Replication, runbook).
    assert len(standby.of_type(REPLICATION)) == len(REPLICATED) and not prod.of_type(REPLICATION)


def test_a_failing_back_primary_replicates_the_standby_into_its_cluster(flipped: dict[str, StackPlan]) -> None:
    """The reverse Replicator: in prod's region, prod-dr's cluster -> prod's, the forward one's shape mirrored."""
    prod, standby = flipped["prod"], flipped["prod-dr"]
    [reverse] = prod.of_type(REPLICATOR)
    [forward] = standby.of_type(REPLICATOR)
    assert reverse.region == prod.region == "us-east-1"
    info = reverse.inputs["replicationInfoList"]
    # The two ARNs the failback drill matches with ListReplicators (its peer's and its own kafkaClusterArn).
    assert info["sourceKafkaClusterArn"] == standby.outputs["kafkaClusterArn"]
    assert info["targetKafkaClusterArn"] == named(prod, CLUSTER, "kafka-cluster").outputs["arn"]
    assert info["targetKafkaClusterArn"] == prod.outputs["kafkaClusterArn"] != info["sourceKafkaClusterArn"]
    [topics] = info["topicReplications"]
    assert topics["topicNameConfiguration"]["type"] == "IDENTICAL"
    [groups] = info["consumerGroupReplications"]
    assert groups["synchroniseConsumerGroupOffsets"] is True
    cluster_arns = ("sourceKafkaClusterArn", "targetKafkaClusterArn")
    assert {k: v for k, v in info.items() if k not in cluster_arns} == {
        k: v for k, v in forward.inputs["replicationInfoList"].items() if k not in cluster_arns
    }
    source, target = reverse.inputs["kafkaClusters"]
    assert source["amazonMskCluster"]["mskClusterArn"] == standby.outputs["kafkaClusterArn"]
    assert source["vpcConfig"] == {"subnetIds": standby.outputs["privateDataSubnetIds"]}
    replicator_sg = named(prod, "aws:ec2/securityGroup:SecurityGroup", "dr-replication-replicator-sg")
    assert target["vpcConfig"]["securityGroupsIds"] == [replicator_sg.outputs["id"]]
    assert target["vpcConfig"]["subnetIds"] == prod.outputs["privateDataSubnetIds"]
    clusters = statement(policy_of(prod, "dr-replication-replicator-policy"), "Clusters")["Resource"]
    assert clusters == [
        f"arn:aws:kafka:us-west-2:{ACCOUNT_ID}:cluster/sp-prod-dr-kafka/*",
        f"arn:aws:kafka:us-east-1:{ACCOUNT_ID}:cluster/sp-prod-kafka/*",
    ]
    # Fed by a StackReference to prod-dr, created only in this state.
    [reference] = prod.of_type(STACK_REFERENCE)
    assert reference.inputs["name"] == "organization/streaming-platform/prod-dr"
    owner = prod.component_of(reference)
    assert owner is not None and owner.type == "streaming:dr:PeerStack"
    assert reference.urn in reverse.dependencies
    assert prod.outputs["kafkaReverseReplicatorArn"] == reverse.outputs["arn"]
    assert prod.outputs["kafkaReverseReplicatorName"] == reverse.inputs["replicatorName"] == "sp-prod-kafka-replicator"
    assert prod.outputs["kafkaReverseReplicatorSourceClusterArn"] == standby.outputs["kafkaClusterArn"]
    assert "kafkaReplicatorArn" not in prod.outputs  # the forward replicator stays prod-dr's


def test_the_reverse_replicator_has_the_forward_ones_alarms(flipped: dict[str, StackPlan]) -> None:
    prod, standby = flipped["prod"], flipped["prod-dr"]
    families = ("kafka-latency", "kafka-message-lag", "kafka-replicator-failure")
    reverse, forward = dr_alarms(prod), dr_alarms(standby)
    for family in families:
        alarm = reverse[f"sp-prod-recovery-{family}"]
        assert alarm.region == "us-east-1"
        assert alarm.inputs["dimensions"] == {"ReplicatorName": prod.outputs["kafkaReverseReplicatorName"]}
        mirror = forward[f"sp-prod-dr-recovery-{family}"].inputs
        assert {k: alarm.inputs[k] for k in ("metricName", "threshold", "comparisonOperator")} == {
            k: mirror[k] for k in ("metricName", "threshold", "comparisonOperator")
        }


def test_a_serving_primary_neither_replicates_nor_references_its_standby(plans: dict[str, StackPlan]) -> None:
    prod = plans["prod"]
    assert not prod.of_type(REPLICATOR) and not prod.of_type(STACK_REFERENCE)
    assert not {"kafkaReverseReplicatorArn", "kafkaReverseReplicatorName"} & set(prod.outputs)
    assert not any("kafka-latency" in name for name in prod.outputs["drAlarmNames"])


@pytest.mark.parametrize(
    ("stack", "active", "expected"),
    [
        ("prod", None, False),
        ("prod", "us-west-2", True),
        ("prod-dr", "us-west-2", False),
        ("prod-dr", None, False),
        ("staging", "us-west-2", False),
    ],
)
def test_only_a_primary_that_does_not_serve_fails_back(stack: str, active: str | None, expected: bool) -> None:
    config, _ = parse(raw_with(stack, {"dr": {"activeRegion": active}} if active else {}), stack)
    assert dr.fails_back_from_standby(config) is expected


def test_routing_controls_decide_the_records(flipped: dict[str, StackPlan]) -> None:
    prod, standby = flipped["prod"], flipped["prod-dr"]
    assert all(len(prod.of_type(token)) >= 1 for token in ARC_TYPES) and not any(standby.of_type(t) for t in ARC_TYPES)
    controls = prod.of_type("aws:route53recoverycontrol/routingControl:RoutingControl")
    assert sorted(c.inputs["name"] for c in controls) == ["sp-prod-serve-us-east-1", "sp-prod-serve-us-west-2"]
    arns = prod.outputs["drRoutingControlArns"]
    assert set(arns) == {"us-east-1", "us-west-2"}
    rule = prod.one("aws:route53recoverycontrol/safetyRule:SafetyRule").inputs
    assert rule["ruleConfig"] == {"inverted": False, "threshold": 1, "type": "ATLEAST"}
    assert sorted(rule["assertedControls"]) == sorted(arns.values())
    for plan in (prod, standby):
        routing = next(r for r in plan.of_type(HEALTH_CHECK) if r.inputs["type"] == "RECOVERY_CONTROL")
        assert routing.inputs["routingControlArn"] == arns[plan.region]
        for record in (r for r in plan.of_type(RECORD) if r.name.startswith("dr-dns")):
            assert record.inputs["healthCheckId"] == routing.outputs["id"]
            assert record.inputs["aliases"][0]["evaluateTargetHealth"] is False  # an operator decides


def test_a_standby_flipped_alone_serves_but_keeps_its_record_secondary(plans: dict[str, StackPlan]) -> None:
    """The primary region is down and only prod-dr is flipped: job and export move, the record waits for prod."""
    changes = {"dr": {"activeRegion": "us-west-2"}, "spark": {"runJob": True}}
    standby = plan_changed("prod-dr", changes, {"prod": plans["prod"].outputs})
    records = [r for r in standby.of_type(RECORD) if r.name.startswith("dr-dns")]
    assert {r.inputs["failoverRoutingPolicies"][0]["type"] for r in records} == {"SECONDARY"}
    assert _export_schedule(standby).inputs["state"] == "ENABLED"
    assert standby.outputs["drServesTraffic"] is True and standby.outputs["emrJobSubmitted"] is True
    assert any("its primary has us-east-1" in w for w in standby.warnings)


@pytest.mark.parametrize("stack", ["prod", "prod-dr"])
def test_prod_copies_daily_points_to_a_logically_air_gapped_vault(plans: dict[str, StackPlan], stack: str) -> None:
    plan = plans[stack]
    dr_config = load_stack(stack)[0].dr
    assert dr_config.isolated_copy == "air-gapped"
    [vault] = plan.of_type("aws:backup/logicallyAirGappedVault:LogicallyAirGappedVault")
    assert vault.protect
    # AWS accepts a minimum of 7 days; the copies keep the daily points' retention, inside the vault's bounds.
    assert vault.inputs["minRetentionDays"] == vault.inputs["maxRetentionDays"] == dr_config.backup_retention_days >= 7
    [backup_plan] = plan.of_type("aws:backup/plan:Plan")
    daily = next(rule for rule in backup_plan.inputs["rules"] if rule["ruleName"] == "daily")
    destinations = [copy["destinationVaultArn"] for copy in daily["copyActions"]]
    assert destinations[-1] == vault.outputs["arn"] == plan.outputs["isolatedBackupVaultArn"]
    assert all(copy["lifecycle"]["deleteAfter"] == dr_config.backup_retention_days for copy in daily["copyActions"])
    assert vault.urn in backup_plan.dependencies
    assert plan.outputs["isolatedBackupVaultName"] == vault.inputs["name"]
    assert plan.outputs["isolatedBackupVaultRegion"] == plan.region


def test_staging_has_no_isolated_copy(plans: dict[str, StackPlan]) -> None:
    staging = plans["staging"]
    assert staging.of_type("aws:backup/logicallyAirGappedVault:LogicallyAirGappedVault") == []
    [backup_plan] = staging.of_type("aws:backup/plan:Plan")
    daily = next(rule for rule in backup_plan.inputs["rules"] if rule["ruleName"] == "daily")
    assert len(daily["copyActions"]) == 1 and staging.outputs["isolatedBackupVaultArn"] is None


def test_isolated_copies_to_another_account_by_config() -> None:
    arn = "arn:aws:backup:us-east-1:210987654321:backup-vault:org-backups"
    config = load_stack("prod")[0]
    dr_config = config.dr.model_copy(update={"isolated_copy": "account", "isolated_vault_arn": arn})
    [_, daily] = backup.plan_rules(dr_config, "local", "dr-copy", dr_config.isolated_vault_arn)
    assert [copy["destination_vault_arn"] for copy in daily["copy_actions"]] == ["dr-copy", arn]
    errors = config_errors("prod", {"dr": {"isolatedCopy": "account"}})
    assert any("dr.isolatedVaultArn" in e and "required with dr.isolatedCopy 'account'" in e for e in errors)
    errors = config_errors("prod", {"dr": {"isolatedVaultArn": arn}})
    assert any("dr.isolatedVaultArn" in e and "only with dr.isolatedCopy 'account'" in e for e in errors)
    assert config_errors("prod", {"dr": {"isolatedCopy": "account", "isolatedVaultArn": arn}}) == []


def _export_schedule(plan: StackPlan) -> PlannedResource:
    """The cache export's schedule (the RPO canary has a schedule of its own)."""
    [schedule] = [s for s in plan.of_type(SCHEDULE) if s.name.endswith("cache-export-schedule")]
    return schedule
