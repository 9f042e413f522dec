"""`restore`: restore the newest backups into scratch resources, verify them, delete them.

Backups are only proven by restores. The lake bucket's newest AWS Backup recovery point is
restored into a new scratch bucket (StartRestoreJob, S3 restore metadata per the AWS Backup
Developer Guide, "Restore S3 data using AWS Backup", checked 2026-11-26); the cache's newest
snapshot into a scratch replication group with the source group's own network, parameter
group, encryption settings and RBAC user group (AWS Backup does not cover ElastiCache:
https://docs.aws.amazon.com/aws-backup/latest/devguide/API_GetSupportedResourceTypes.html, checked 2026-12-02). A cluster-mode group must be created with automatic failover on, even with
no replicas ("AutomaticFailoverEnabled", CreateReplicationGroup, ElastiCache API reference,
checked 2026-11-26); without the user group the copy of production data would accept
unauthenticated connections, so a source without one (AUTH token) is refused. Both
scratch resources carry the stack and drill tags, so the guard lets the drill delete them.
RPO: S3 canaries written just before T0 found in the restored bucket (a continuous recovery
point restores to its latest restorable time), else the age at T0 of what was restored; RTO
runs from T0 to both restores available.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from infra.drills.calls import Call
from infra.drills.clock import iso, parse_iso
from infra.drills.guard import TagTarget
from infra.drills.model import DrillContext, Facts, PreconditionError, Record, Scenario, Step, Verdict
from infra.drills.scenarios.common import canary_verify_step, canary_write_step, own, replication_group

# Stack outputs this scenario reads besides the tiers' own.
BACKUP_VAULT = "backupVaultName"
ISOLATED_VAULT = "isolatedBackupVaultName"
BACKUP_ROLE = "backupRoleArn"
S3_DELETE_BATCH = 1000  # DeleteObjects takes up to 1,000 keys (Amazon S3 API reference)


def applies(outputs: Mapping[str, Any]) -> str | None:
    if not outputs.get(BACKUP_VAULT):
        return "the stack has no AWS Backup vault (DR strategy none)"
    return None


def scratch_names(ctx: DrillContext) -> dict[str, str]:
    """Short, unique, tagged names: buckets <= 63 chars, replication group ids <= 40."""
    suffix = ctx.drill_id.rsplit("-", 1)[-1] + ctx.drill_id.split("-")[-2][-6:].lower()
    account = ctx.out("accountId")
    return {
        "bucket": f"sp-{ctx.stack}-restore-{suffix}-{account}-{ctx.region}",
        "cache": f"sp-{ctx.stack}-restore-{suffix}"[:40],
    }


def _newest(items: list[dict[str, Any]], key: str) -> dict[str, Any] | None:
    return max(items, key=lambda item: str(item[key])) if items else None


def source_vault(ctx: DrillContext) -> str:
    """The vault the lake is restored from: the stack's own, or with ``--isolated`` its isolated copy.

    The isolated vault (a logically air-gapped vault of this account, or another account's vault) is
    where the recovery points survive a compromised account; in that event the same restore runs
    from a recovery account the vault is shared with (AWS RAM), with that account's credentials.
    """
    if ctx.options.get("isolated"):
        return str(ctx.out(ISOLATED_VAULT))
    return str(ctx.out(BACKUP_VAULT))


def _preflight(ctx: DrillContext) -> Facts:
    now = ctx.clock.now()
    vault = source_vault(ctx)
    backup = ctx.clients("backup", ctx.region)
    points = backup.list_recovery_points_by_backup_vault(BackupVaultName=vault, ByResourceArn=ctx.out("lakeBucket.arn"))
    completed = [p for p in points["RecoveryPoints"] if p["Status"] == "COMPLETED"]
    # A continuous (point-in-time) recovery point restores to its latest restorable time: prefer it.
    point = _newest([p for p in completed if ":continuous:" in p["RecoveryPointArn"]], "CreationDate") or _newest(
        completed, "CreationDate"
    )
    if point is None:
        raise PreconditionError(f"vault {vault} has no completed recovery point of {ctx.out('lakeBucket.name')}")
    group_id = ctx.out("cacheReplicationGroupId")
    snapshots = ctx.clients("elasticache", ctx.region).describe_snapshots(ReplicationGroupId=group_id)["Snapshots"]
    snapshot = _newest(
        [
            {**s, "createdAt": s["NodeSnapshots"][0]["SnapshotCreateTime"]}
            for s in snapshots
            if s["SnapshotStatus"] == "available"
        ],
        "createdAt",
    )
    if snapshot is None:
        raise PreconditionError(f"replication group {group_id} has no available snapshot")
    group = replication_group(ctx, group_id, ctx.region)
    if not group.get("UserGroupIds"):
        raise PreconditionError(
            f"replication group {group_id} has no RBAC user group: a scratch copy would accept unauthenticated clients"
        )
    member = ctx.clients("elasticache", ctx.region).describe_cache_clusters(CacheClusterId=group["MemberClusters"][0])
    node = member["CacheClusters"][0]
    return {
        "vault": vault,
        "vaultArn": point["BackupVaultArn"],
        "recoveryPoint": point["RecoveryPointArn"],
        "snapshot": snapshot["SnapshotName"],
        "recovery_point_age_seconds": {
            "s3": (now - parse_iso(iso(point["CreationDate"]))).total_seconds(),
            "cache": (now - parse_iso(iso(snapshot["createdAt"]))).total_seconds(),
        },
        "cache": {
            "nodeType": group["CacheNodeType"],
            "shards": len(group["NodeGroups"]),
            "clusterEnabled": bool(group.get("ClusterEnabled")),
            "userGroupIds": list(group["UserGroupIds"]),
            "engine": node["Engine"],
            "engineVersion": node["EngineVersion"],
            "subnetGroup": node["CacheSubnetGroupName"],
            "parameterGroup": node["CacheParameterGroup"]["CacheParameterGroupName"],
            "securityGroups": [g["SecurityGroupId"] for g in node.get("SecurityGroups", [])],
            "kmsKeyId": group.get("KmsKeyId"),
        },
    }


def _preflight_targets(ctx: DrillContext, facts: Facts) -> list[TagTarget]:
    return [
        own(ctx, facts["vaultArn"]),
        own(ctx, ctx.out("lakeBucket.arn")),
        own(ctx, ctx.out("cacheReplicationGroupArn")),
    ]


def _s3_restore_calls(ctx: DrillContext, _: Facts) -> list[Call]:
    bucket = scratch_names(ctx)["bucket"]
    metadata = {
        "DestinationBucketName": bucket,
        "NewBucket": "true",
        "CreationToken": ctx.drill_id,
        "Encrypted": "true",
        "EncryptionType": "SSE-KMS",
        "KMSKey": ctx.out("kmsKeyArn"),
    }
    return [
        Call(
            "backup",
            "start_restore_job",
            ctx.region,
            {
                "RecoveryPointArn": ctx.recorded("preflight", "facts", "recoveryPoint"),
                "IamRoleArn": ctx.out(BACKUP_ROLE),
                "ResourceType": "S3",
                "IdempotencyToken": f"{ctx.drill_id}-s3",
                "Metadata": metadata,
            },
            key="restore",
        ),
    ]


def _s3_restored(ctx: DrillContext, record: Record) -> Verdict:
    job = ctx.clients("backup", ctx.region).describe_restore_job(
        RestoreJobId=record["results"]["restore"]["RestoreJobId"]
    )
    status = job["Status"]
    return Verdict(
        status == "COMPLETED",
        f"restore job {status} {job.get('StatusMessage', '')}".strip(),
        failed=status in ("FAILED", "ABORTED"),
    )


def _bucket_deletion(ctx: DrillContext) -> list[Call]:
    """Every object version and delete marker of the scratch bucket, then the bucket; nothing when it is gone."""
    bucket = scratch_names(ctx)["bucket"]
    s3 = ctx.clients("s3", ctx.region)
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as error:
        if error.response["Error"]["Code"] in ("404", "NoSuchBucket", "NotFound"):
            return []
        raise
    keys: list[dict[str, str]] = []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        keys += [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
        ]
    calls = [
        Call(
            "s3",
            "delete_objects",
            ctx.region,
            {"Bucket": bucket, "Delete": {"Objects": keys[i : i + S3_DELETE_BATCH], "Quiet": True}},
        )
        for i in range(0, len(keys), S3_DELETE_BATCH)
    ]
    return [*calls, Call("s3", "delete_bucket", ctx.region, {"Bucket": bucket})]


def _cache_restore_calls(ctx: DrillContext, _: Facts) -> list[Call]:
    source = ctx.recorded("preflight", "facts", "cache")
    params: dict[str, Any] = {
        "ReplicationGroupId": scratch_names(ctx)["cache"],
        "ReplicationGroupDescription": f"restore drill {ctx.drill_id}: delete after the drill",
        "SnapshotName": ctx.recorded("preflight", "facts", "snapshot"),
        "CacheNodeType": source["nodeType"],
        "Engine": source["engine"],
        "EngineVersion": source["engineVersion"],
        "NumNodeGroups": source["shards"],
        "ReplicasPerNodeGroup": 0,
        "AutomaticFailoverEnabled": source["clusterEnabled"],
        "CacheSubnetGroupName": source["subnetGroup"],
        "SecurityGroupIds": source["securityGroups"],
        "CacheParameterGroupName": source["parameterGroup"],
        "UserGroupIds": source["userGroupIds"],
        "AtRestEncryptionEnabled": True,
        "TransitEncryptionEnabled": True,
        "Tags": [{"Key": "stack", "Value": ctx.stack}, {"Key": "drill", "Value": ctx.drill_id}],
    }
    if source.get("kmsKeyId"):
        params["KmsKeyId"] = source["kmsKeyId"]
    return [Call("elasticache", "create_replication_group", ctx.region, params, key="cache")]


def _cache_restored(ctx: DrillContext, _: Record) -> Verdict:
    status = replication_group(ctx, scratch_names(ctx)["cache"], ctx.region).get("Status")
    return Verdict(status == "available", f"scratch group {status}", failed=status == "create-failed")


def _cache_deletion(ctx: DrillContext) -> list[Call]:
    group_id = scratch_names(ctx)["cache"]
    try:
        replication_group(ctx, group_id, ctx.region)
    except ClientError as error:
        if error.response["Error"]["Code"] == "ReplicationGroupNotFoundFault":
            return []
        raise
    return [
        Call(
            "elasticache",
            "delete_replication_group",
            ctx.region,
            {"ReplicationGroupId": group_id, "RetainPrimaryCluster": False},
        )
    ]


def _restored_data(ctx: DrillContext, record: Record) -> Verdict:
    """The scratch bucket holds objects, and the scratch cache answers as available."""
    listed = ctx.clients("s3", ctx.region).list_objects_v2(Bucket=scratch_names(ctx)["bucket"], MaxKeys=1000)
    record["restoredObjects"] = listed.get("KeyCount", 0)
    return Verdict(
        record["restoredObjects"] > 0, f"{record['restoredObjects']} objects in the scratch bucket (first page)"
    )


def _scratch_targets(ctx: DrillContext, _: Facts) -> list[TagTarget]:
    names = scratch_names(ctx)
    account = ctx.out("accountId")
    return [
        own(ctx, f"arn:aws:s3:::{names['bucket']}"),
        own(ctx, f"arn:aws:elasticache:{ctx.region}:{account}:replicationgroup:{names['cache']}"),
    ]


def _cleanup_calls(ctx: DrillContext, _: Facts) -> list[Call]:
    if not ctx.execute:
        names = scratch_names(ctx)
        return [
            Call(
                "s3",
                "delete_objects",
                ctx.region,
                {"Bucket": names["bucket"], "Delete": "<every version, 1,000 per call>"},
            ),
            Call("s3", "delete_bucket", ctx.region, {"Bucket": names["bucket"]}),
            Call(
                "elasticache",
                "delete_replication_group",
                ctx.region,
                {"ReplicationGroupId": names["cache"], "RetainPrimaryCluster": False},
            ),
        ]
    return _bucket_deletion(ctx) + _cache_deletion(ctx)


def _tag_scratch_bucket(ctx: DrillContext, _: Facts) -> list[Call]:
    """A restore creates the bucket untagged; tag it so the guard lets the drill delete it later."""
    tags = {"TagSet": [{"Key": "stack", "Value": ctx.stack}, {"Key": "drill", "Value": ctx.drill_id}]}
    return [Call("s3", "put_bucket_tagging", ctx.region, {"Bucket": scratch_names(ctx)["bucket"], "Tagging": tags})]


def steps(ctx: DrillContext) -> list[Step]:
    return [
        Step(
            "preflight",
            "preflight",
            "newest lake recovery point and cache snapshot; source group settings",
            30,
            prepare=_preflight,
            targets=_preflight_targets,
        ),
        canary_write_step(),
        Step("declare-loss", "fault", "T0: data loss declared; the restore clock starts", 1),
        Step(
            "restore-lake",
            "recover",
            "restore the newest lake recovery point into a new scratch bucket",
            3600,
            calls=_s3_restore_calls,
            verify=_s3_restored,
            rollback=lambda c, r: _bucket_deletion(c),
            timeout_seconds=6 * 3600,
            poll_seconds=60,
        ),
        Step(
            "tag-scratch-bucket",
            "recover",
            "tag the scratch bucket with the stack and drill",
            5,
            calls=_tag_scratch_bucket,
        ),
        Step(
            "restore-cache",
            "recover",
            "create a scratch replication group from the newest snapshot",
            1800,
            calls=_cache_restore_calls,
            verify=_cache_restored,
            rollback=lambda c, r: _cache_deletion(c),
            timeout_seconds=2 * 3600,
            poll_seconds=60,
        ),
        Step(
            "verify-restore",
            "verify",
            "the scratch bucket holds the lake's objects",
            30,
            verify=_restored_data,
            timeout_seconds=300,
        ),
        canary_verify_step(
            timeout=300, poll=30, summary="the lake canaries written before T0 are in the restored bucket"
        ),
        Step(
            "cleanup",
            "cleanup",
            "delete the scratch bucket (every version) and the scratch replication group",
            600,
            targets=_scratch_targets,
            calls=_cleanup_calls,
        ),
    ]


SCENARIO = Scenario(
    "restore",
    "restore the newest lake backup and cache snapshot into scratch resources, verify, delete",
    steps,
    canary_stores=("s3",),
    applies=applies,
)
