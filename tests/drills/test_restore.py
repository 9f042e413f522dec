"""restore: AWS Backup and ElastiCache snapshot restore through Stubber (not in moto), the buckets in moto."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import ANY

from infra.drills.canaries import S3Canary
from infra.drills.report import build_report
from infra.drills.scenarios import SCENARIOS
from infra.drills.scenarios.restore import scratch_names
from infra.drills.targets import target_for
from infra.offline.record import StackPlan
from tests.drills.conftest import START, create_alarms, kit

SCENARIO = SCENARIOS["restore"]
REGION = "us-east-1"


@pytest.fixture
def prod(plans: dict[str, StackPlan]) -> dict[str, Any]:
    return dict(plans["prod"].outputs)


def _lake(outputs: dict[str, Any]) -> Any:
    s3 = boto3.client("s3", region_name=REGION)
    lake = outputs["lakeBucket"]["name"]
    s3.create_bucket(Bucket=lake)
    s3.put_bucket_tagging(Bucket=lake, Tagging={"TagSet": [{"Key": "stack", "Value": "prod"}]})
    s3.put_object(Bucket=lake, Key="events/date=2026-11-25/part-0.parquet", Body=b"PAR1")
    return s3


def _restored_by_aws_backup(s3: Any, lake: str, scratch: str) -> None:
    """What the restore job does: a new bucket with the lake's objects as of the recovery point."""
    s3.create_bucket(Bucket=scratch)
    for item in s3.list_objects_v2(Bucket=lake)["Contents"]:
        s3.copy_object(Bucket=scratch, Key=item["Key"], CopySource={"Bucket": lake, "Key": item["Key"]})


def test_restore_into_scratch_resources_verifies_and_deletes_them(aws: None, prod: dict[str, Any]) -> None:
    k = kit(stubbed=("backup", "elasticache"))
    create_alarms(REGION, prod["drillAlarms"]["stop"])
    s3 = _lake(prod)
    backup, cache = k.factory.stub("backup", REGION, k.clients), k.factory.stub("elasticache", REGION, k.clients)
    ctx = k.context("restore", "prod", prod, execute=True)
    names = scratch_names(ctx)
    ctx.canaries = {
        "s3": S3Canary(k.clients("s3", REGION), prod["lakeBucket"]["name"], k.clients("s3", REGION), names["bucket"])
    }
    vault_arn, group_id = prod["backupVaultArn"], prod["cacheReplicationGroupId"]
    continuous = f"arn:aws:backup:{REGION}:123456789012:recovery-point:continuous:sp-prod-lake-1a2b3c4d"
    daily = f"arn:aws:backup:{REGION}:123456789012:recovery-point:1EB3B5E7-9EB0-435A-A80B-108B488B0D45"
    backup.add_response(
        "list_recovery_points_by_backup_vault",
        {
            "RecoveryPoints": [
                {
                    "RecoveryPointArn": daily,
                    "BackupVaultArn": vault_arn,
                    "Status": "COMPLETED",
                    "CreationDate": START - timedelta(hours=7),
                },
                {
                    "RecoveryPointArn": continuous,
                    "BackupVaultArn": vault_arn,
                    "Status": "COMPLETED",
                    "CreationDate": START - timedelta(days=3),
                },
            ]
        },
        {"BackupVaultName": prod["backupVaultName"], "ByResourceArn": prod["lakeBucket"]["arn"]},
    )
    snapshot = {
        "SnapshotName": "automatic.sp-prod-cache-2026-11-26-03-00",
        "SnapshotStatus": "available",
        "NodeSnapshots": [{"SnapshotCreateTime": START - timedelta(hours=6)}],
    }
    cache.add_response("describe_snapshots", {"Snapshots": [snapshot]}, {"ReplicationGroupId": group_id})
    cache.add_response(
        "describe_replication_groups",
        {
            "ReplicationGroups": [
                {
                    "ReplicationGroupId": group_id,
                    "Status": "available",
                    "CacheNodeType": "cache.r7g.xlarge",
                    "KmsKeyId": prod["kmsKeyArn"],
                    "NodeGroups": [{"NodeGroupId": "0001"}, {"NodeGroupId": "0002"}, {"NodeGroupId": "0003"}],
                    "MemberClusters": prod["cacheMemberClusters"],
                    "ClusterEnabled": True,
                    "UserGroupIds": [prod["cacheUserGroupId"]],
                }
            ]
        },
        {"ReplicationGroupId": group_id},
    )
    cache.add_response(
        "describe_cache_clusters",
        {
            "CacheClusters": [
                {
                    "CacheClusterId": prod["cacheMemberClusters"][0],
                    "Engine": "valkey",
                    "EngineVersion": "8.2.0",
                    "CacheSubnetGroupName": "sp-prod-cache-subnets",
                    "CacheParameterGroup": {"CacheParameterGroupName": prod["cacheParameterGroupName"]},
                    "SecurityGroups": [{"SecurityGroupId": prod["securityGroupIds"]["cache"], "Status": "active"}],
                }
            ]
        },
        {"CacheClusterId": prod["cacheMemberClusters"][0]},
    )
    backup.add_response("list_tags", {"Tags": {"stack": "prod"}}, {"ResourceArn": vault_arn})
    cache.add_response(
        "list_tags_for_resource",
        {"TagList": [{"Key": "stack", "Value": "prod"}]},
        {"ResourceName": prod["cacheReplicationGroupArn"]},
    )
    backup.add_response(
        "start_restore_job",
        {"RestoreJobId": "restore-1"},
        {
            "RecoveryPointArn": continuous,
            "IamRoleArn": prod["backupRoleArn"],
            "ResourceType": "S3",
            "IdempotencyToken": f"{ctx.drill_id}-s3",
            "Metadata": {
                "DestinationBucketName": names["bucket"],
                "NewBucket": "true",
                "CreationToken": ctx.drill_id,
                "Encrypted": "true",
                "EncryptionType": "SSE-KMS",
                "KMSKey": prod["kmsKeyArn"],
            },
        },
    )
    backup.add_response(
        "describe_restore_job", {"RestoreJobId": "restore-1", "Status": "RUNNING"}, {"RestoreJobId": "restore-1"}
    )
    backup.add_response(
        "describe_restore_job", {"RestoreJobId": "restore-1", "Status": "COMPLETED"}, {"RestoreJobId": "restore-1"}
    )
    k.clock.after(60, lambda: _restored_by_aws_backup(s3, prod["lakeBucket"]["name"], names["bucket"]))
    cache.add_response(
        "create_replication_group",
        {"ReplicationGroup": {"ReplicationGroupId": names["cache"]}},
        {
            "ReplicationGroupId": names["cache"],
            "ReplicationGroupDescription": ANY,
            "SnapshotName": snapshot["SnapshotName"],
            "CacheNodeType": "cache.r7g.xlarge",
            "Engine": "valkey",
            "EngineVersion": "8.2.0",
            "NumNodeGroups": 3,
            "ReplicasPerNodeGroup": 0,
            "AutomaticFailoverEnabled": True,
            "CacheSubnetGroupName": "sp-prod-cache-subnets",
            "SecurityGroupIds": [prod["securityGroupIds"]["cache"]],
            "CacheParameterGroupName": prod["cacheParameterGroupName"],
            "UserGroupIds": [prod["cacheUserGroupId"]],
            "AtRestEncryptionEnabled": True,
            "TransitEncryptionEnabled": True,
            "KmsKeyId": prod["kmsKeyArn"],
            "Tags": [{"Key": "stack", "Value": "prod"}, {"Key": "drill", "Value": ctx.drill_id}],
        },
    )
    scratch_group = {"ReplicationGroups": [{"ReplicationGroupId": names["cache"], "Status": "available"}]}
    cache.add_response("describe_replication_groups", scratch_group, {"ReplicationGroupId": names["cache"]})
    scratch_arn = f"arn:aws:elasticache:{REGION}:123456789012:replicationgroup:{names['cache']}"
    cache.add_response(
        "list_tags_for_resource", {"TagList": [{"Key": "stack", "Value": "prod"}]}, {"ResourceName": scratch_arn}
    )
    cache.add_response("describe_replication_groups", scratch_group, {"ReplicationGroupId": names["cache"]})
    cache.add_response(
        "delete_replication_group",
        {"ReplicationGroup": {"ReplicationGroupId": names["cache"]}},
        {"ReplicationGroupId": names["cache"], "RetainPrimaryCluster": False},
    )

    state = k.runner(SCENARIO, ctx, {REGION: prod["drillAlarms"]["stop"]}).execute()

    assert state.status == "completed", state.stop_reason
    backup.assert_no_pending_responses()
    cache.assert_no_pending_responses()
    assert [r.operation for r in k.clients.mutating_calls()] == [
        *["PutObject"] * 5,
        "StartRestoreJob",
        "PutBucketTagging",
        "CreateReplicationGroup",
        "DeleteObjects",
        "DeleteBucket",
        "DeleteReplicationGroup",
    ]
    assert names["bucket"] not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    report = build_report(state, target_for("restore", prod), SCENARIO.canary_stores)
    assert report["recoveryPointAgeSeconds"] == {"s3": 3 * 86400.0, "cache": 6 * 3600.0}
    assert report["canaries"][0]["lost"] == [] and report["canaries"][0]["rpo_seconds"] == 0.0
    assert (
        report["rtoSeconds"]["total"] == 60.0
    )  # one 60 s poll of the restore job; the cache group was available at once
    verdicts = {row["target"]: row["verdict"] for row in report["targets"]}
    assert verdicts == {"RTO": "PASS", "RPO s3": "PASS", "RPO cache": "PASS"}


def test_no_recovery_point_means_no_restore(aws: None, prod: dict[str, Any]) -> None:
    k = kit(stubbed=("backup",))
    create_alarms(REGION, prod["drillAlarms"]["stop"])
    backup = k.factory.stub("backup", REGION, k.clients)
    backup.add_response("list_recovery_points_by_backup_vault", {"RecoveryPoints": []}, None)
    state = k.runner(
        SCENARIO, k.context("restore", "prod", prod, execute=True), {REGION: prod["drillAlarms"]["stop"]}
    ).execute()
    assert state.status == "failed"
    assert "has no completed recovery point" in (state.stop_reason or "")
    assert k.clients.mutating_calls() == []


def test_isolated_restore_reads_the_air_gapped_vault(aws: None, prod: dict[str, Any]) -> None:
    """--isolated: the lake's recovery point comes from the logically air-gapped vault, not the stack's own."""
    assert prod["isolatedBackupVaultKind"] == "air-gapped"
    isolated = prod["isolatedBackupVaultName"]
    assert prod["isolatedBackupVaultArn"].endswith(f":backup-vault:{isolated}")
    assert isolated != prod["backupVaultName"]
    k = kit(stubbed=("backup",))
    create_alarms(REGION, prod["drillAlarms"]["stop"])
    backup = k.factory.stub("backup", REGION, k.clients)
    backup.add_response(
        "list_recovery_points_by_backup_vault",
        {"RecoveryPoints": []},
        {"BackupVaultName": isolated, "ByResourceArn": prod["lakeBucket"]["arn"]},
    )
    ctx = k.context("restore", "prod", prod, execute=True)
    ctx.options = {"isolated": True}
    state = k.runner(SCENARIO, ctx, {REGION: prod["drillAlarms"]["stop"]}).execute()
    assert state.status == "failed"
    assert f"vault {isolated} has no completed recovery point" in (state.stop_reason or "")
    assert k.clients.mutating_calls() == []


def test_a_cache_without_rbac_is_not_copied_into_an_open_scratch_group(aws: None, prod: dict[str, Any]) -> None:
    """With no user group the scratch copy of production data would accept anyone: refused before any change."""
    k = kit(stubbed=("backup", "elasticache"))
    create_alarms(REGION, prod["drillAlarms"]["stop"])
    backup, cache = k.factory.stub("backup", REGION, k.clients), k.factory.stub("elasticache", REGION, k.clients)
    point = {
        "RecoveryPointArn": f"arn:aws:backup:{REGION}:123456789012:recovery-point:1EB3B5E7",
        "Status": "COMPLETED",
        "BackupVaultArn": prod["backupVaultArn"],
        "CreationDate": START - timedelta(hours=7),
    }
    backup.add_response("list_recovery_points_by_backup_vault", {"RecoveryPoints": [point]}, None)
    snapshot = {
        "SnapshotName": "automatic.sp-prod-cache",
        "SnapshotStatus": "available",
        "NodeSnapshots": [{"SnapshotCreateTime": START - timedelta(hours=6)}],
    }
    cache.add_response("describe_snapshots", {"Snapshots": [snapshot]}, None)
    token_group = {
        "ReplicationGroupId": prod["cacheReplicationGroupId"],
        "Status": "available",
        "AuthTokenEnabled": True,
        "ClusterEnabled": True,
        "UserGroupIds": [],
        "MemberClusters": prod["cacheMemberClusters"],
    }
    cache.add_response("describe_replication_groups", {"ReplicationGroups": [token_group]}, None)
    state = k.runner(
        SCENARIO, k.context("restore", "prod", prod, execute=True), {REGION: prod["drillAlarms"]["stop"]}
    ).execute()
    assert state.status == "failed"
    assert "has no RBAC user group" in (state.stop_reason or "")
    assert k.clients.mutating_calls() == []
    cache.assert_no_pending_responses()


def test_dev_has_no_backups_to_restore(plans: dict[str, StackPlan]) -> None:
    assert SCENARIO.applies(plans["dev"].outputs) == "the stack has no AWS Backup vault (DR strategy none)"
