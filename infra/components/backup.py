"""Point-in-time backups with copies in the DR region: AWS Backup for S3, and a daily ElastiCache export.

Replication copies corruption and bad deletes as faithfully as good data, so even a warm
standby keeps backups in both regions (AWS whitepaper "Disaster Recovery of Workloads on
AWS"). AWS Backup covers the S3 buckets that hold state (continuous point-in-time backups
for up to 35 days plus daily recovery points copied to a vault in the DR region, vault
locked in prod). AWS Backup supports neither MSK, ElastiCache nor EMR
(GetSupportedResourceTypes lists neither,
https://docs.aws.amazon.com/aws-backup/latest/devguide/API_GetSupportedResourceTypes.html, checked 2026-12-02): Kafka is covered by the Replicator and its retention, and the
cache by its own snapshots, exported daily to S3 (then replicated and backed up like any
bucket).

Cache export mechanism: ElastiCache can only export a *named* snapshot (CopySnapshot with a
target bucket), and automatic snapshot names are not predictable, so a Step Functions state
machine using SDK integrations (no Lambda code to own) takes a manual snapshot, waits for it,
exports it, and deletes the manual snapshot; EventBridge Scheduler starts it daily. Only the
active region runs it: a Global Datastore secondary is read-only and its export would be a
duplicate.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.components.network import service_trust
from infra.components.replication import CACHE_EXPORTS, KeyRef
from infra.components.storage import SSE_S3, PrivateBucket, private_bucket
from infra.config.schema import DrConfig, StorageConfig, Tier
from infra.naming import Naming

# AWS managed policies for S3 backup and restore ("Amazon S3 backups", AWS Backup developer guide;
# AWS managed policy reference; checked 2026-11-26).
S3_BACKUP_POLICIES = (
    "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup",
    "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore",
)
# If the backup role cannot use a key, jobs can report success while copying nothing
# ("Encryption for backups in AWS Backup",
# https://docs.aws.amazon.com/aws-backup/latest/devguide/encryption.html, checked 2026-12-02):
# grant every key it touches explicitly.
BACKUP_KMS_ACTIONS = (
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:DescribeKey",
)
# Backup windows, minutes: a job starts within START_WINDOW of the schedule and must finish within
# COMPLETION_WINDOW (AWS Backup requires completion >= start + 60; large buckets take hours).
START_WINDOW_MINUTES = 60
COMPLETION_WINDOW_MINUTES = 480

ELASTICACHE_SDK = "arn:aws:states:::aws-sdk:elasticache:"
S3_SDK = "arn:aws:states:::aws-sdk:s3:"
EXPORT_POLL_SECONDS = 300
EXPORT_TIMEOUT_SECONDS = 4 * 3600
# Transient errors worth a retry: a snapshot or a maintenance already running on the group, or the
# snapshot still busy exporting when we delete it (error names: "ElastiCache." + the API exception).
BUSY_ERRORS = (
    "ElastiCache.InvalidReplicationGroupStateException",
    "ElastiCache.InvalidSnapshotStateException",
    "ElastiCache.SnapshotQuotaExceededException",
)


@dataclass(frozen=True)
class CopyVault:
    """The vault in the DR region that receives the daily copies."""

    region: str
    name: str
    key: KeyRef
    """Its encryption key; the backup role needs it to write the copies."""
    create: bool
    """Create it here (backup-restore: no standby stack) or use the standby's (warm-standby)."""

    def arn(self, account_id: str) -> str:
        return f"arn:aws:backup:{self.region}:{account_id}:backup-vault:{self.name}"


@dataclass(frozen=True)
class CacheExport:
    replication_group_id: str
    enabled: bool
    """Only the active region exports (the standby's cache is a read-only Global Datastore member)."""
    export_bucket_tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BackupsArgs:
    config: DrConfig
    tier: Tier
    naming: Naming
    account_id: str
    storage: StorageConfig
    key: KeyRef
    """The stack key (with its ARN): local vault, source objects."""
    copy_vault: CopyVault
    bucket_arns: Mapping[str, str]
    """Buckets to back up, by role (deterministic ARNs)."""
    cache: CacheExport | None
    log_retention_days: int
    access_logs: PrivateBucket | None = None
    """The region's S3 access-log bucket (the stack's), for the cache export bucket."""


class Backups(pulumi.ComponentResource):
    """Local vault, DR vault (when owned), backup role, plan and selection; the cache export pipeline."""

    vault: aws.backup.Vault
    copy_vault: aws.backup.Vault | None
    vault_locks: list[aws.backup.VaultLockConfiguration]
    isolated_vault: aws.backup.LogicallyAirGappedVault | None
    """dr.isolatedCopy 'air-gapped': the logically air-gapped vault the daily points are also copied to."""
    role: aws.iam.Role
    plan: aws.backup.Plan
    selection: aws.backup.Selection
    export_bucket: aws.s3.Bucket | None
    export_versioning: aws.s3.BucketVersioning | None
    export_state_machine: aws.sfn.StateMachine | None
    export_schedule: aws.scheduler.Schedule | None

    def __init__(self, name: str, args: BackupsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:backup:Backups", name, None, opts)
        cfg, naming = args.config, args.naming
        protect = args.tier == "prod"
        self._name, self._args = name, args
        self.copy_vault_spec = args.copy_vault
        self.vault = aws.backup.Vault(
            f"{name}-vault",
            name=naming("backup"),
            kms_key_arn=args.key.arn,
            opts=pulumi.ResourceOptions(parent=self, protect=protect),
        )
        self.copy_vault = None
        if args.copy_vault.create:
            self.copy_vault = aws.backup.Vault(
                f"{name}-copy-vault",
                name=args.copy_vault.name,
                kms_key_arn=args.copy_vault.key.arn,
                region=args.copy_vault.region,
                opts=pulumi.ResourceOptions(parent=self, protect=protect),
            )
        self.vault_locks = self._locks(name) if cfg.vault_lock else []
        # Compliance-locked by AWS, encrypted with an AWS-owned key, its recovery points shareable to a
        # recovery account (AWS RAM) when this one is compromised; retention bounds are fixed at creation
        # ("Logically air-gapped vault", AWS Backup developer guide,
        # https://docs.aws.amazon.com/aws-backup/latest/devguide/logicallyairgappedvault.html,
        # checked 2026-12-02; minimum 7 days, CreateLogicallyAirGappedBackupVault API reference).
        self.isolated_vault = (
            aws.backup.LogicallyAirGappedVault(
                f"{name}-isolated-vault",
                name=naming("backup-isolated"),
                min_retention_days=cfg.backup_retention_days,
                max_retention_days=cfg.backup_retention_days,
                opts=pulumi.ResourceOptions(parent=self, protect=protect),
            )
            if cfg.isolated_copy == "air-gapped"
            else None
        )
        self.isolated_vault_arn: pulumi.Input[str] | None = (
            self.isolated_vault.arn if self.isolated_vault is not None else cfg.isolated_vault_arn
        )
        self.role = self._role(name)
        self.export_bucket = self.export_versioning = self.export_state_machine = self.export_schedule = None
        buckets = dict(args.bucket_arns)
        if args.cache is not None:
            self._cache_export(name, args.cache)
            buckets[CACHE_EXPORTS] = f"arn:aws:s3:::{naming.bucket(CACHE_EXPORTS, args.account_id)}"
        self.plan = aws.backup.Plan(
            f"{name}-plan",
            name=naming("backup"),
            rules=plan_rules(cfg, self.vault.name, args.copy_vault.arn(args.account_id), self.isolated_vault_arn),
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[v for v in (self.copy_vault, self.isolated_vault) if v is not None]
            ),
        )
        ready: list[pulumi.Resource] = []
        if self.export_bucket is not None:
            ready.append(self.export_bucket)
        self.selection = aws.backup.Selection(
            f"{name}-selection",
            name=naming("backup"),
            plan_id=self.plan.id,
            iam_role_arn=self.role.arn,
            resources=sorted(buckets.values()),
            opts=pulumi.ResourceOptions(parent=self.plan, depends_on=ready),
        )
        self.selected = sorted(buckets)
        self.register_outputs(
            {
                "vaultName": self.vault.name,
                "copyVaultArn": args.copy_vault.arn(args.account_id),
                "planId": self.plan.id,
                "selected": self.selected,
            }
        )

    def _locks(self, name: str) -> list[aws.backup.VaultLockConfiguration]:
        """Compliance mode: after the grace period nobody (root included) can delete recovery points early."""
        cfg = self._args.config
        lock = {"changeable_for_days": cfg.vault_lock_grace_days, "min_retention_days": min_retention_days(cfg)}
        locks = [
            aws.backup.VaultLockConfiguration(
                f"{name}-vault-lock",
                backup_vault_name=self.vault.name,
                opts=pulumi.ResourceOptions(parent=self.vault),
                **lock,
            )
        ]
        if self.copy_vault is not None:
            locks.append(
                aws.backup.VaultLockConfiguration(
                    f"{name}-copy-vault-lock",
                    backup_vault_name=self.copy_vault.name,
                    region=self._args.copy_vault.region,
                    opts=pulumi.ResourceOptions(parent=self.copy_vault),
                    **lock,
                )
            )
        return locks

    def _role(self, name: str) -> aws.iam.Role:
        args = self._args
        role = aws.iam.Role(
            f"{name}-role",
            name=args.naming("backup"),
            assume_role_policy=json.dumps(service_trust("backup.amazonaws.com")),
            description="AWS Backup: S3 backups, restores and cross-region copies",
            opts=pulumi.ResourceOptions(parent=self),
        )
        for index, policy_arn in enumerate(S3_BACKUP_POLICIES):
            aws.iam.RolePolicyAttachment(
                f"{name}-role-managed-{index}",
                role=role.name,
                policy_arn=policy_arn,
                opts=pulumi.ResourceOptions(parent=role),
            )
        aws.iam.RolePolicy(
            f"{name}-role-kms",
            role=role.id,
            policy=pulumi.Output.from_input(args.key.arn).apply(
                lambda arn: json.dumps(backup_kms_policy(args.account_id, args.key, str(arn), args.copy_vault.key))
            ),
            opts=pulumi.ResourceOptions(parent=role),
        )
        return role

    def _cache_export(self, name: str, spec: CacheExport) -> None:
        args, naming = self._args, self._args.naming
        made = private_bucket(
            self,
            f"{name}-cache-exports",
            naming,
            CACHE_EXPORTS,
            args.account_id,
            sse=SSE_S3,
            storage=args.storage,
            protect=args.tier == "prod",
            region=naming.region,
            acl_grants_for_elasticache=True,
            expire_days=args.config.cache_export_retention_days,
            tags=spec.export_bucket_tags,
            access_logs=args.access_logs,
        )
        self.export_bucket, self.export_versioning = made.bucket, made.versioning
        bucket_name = naming.bucket(CACHE_EXPORTS, args.account_id)
        child = pulumi.ResourceOptions(parent=self)
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-cache-export-logs",
            name=naming.log_group("states", "cache-export"),
            retention_in_days=args.log_retention_days,
            kms_key_id=args.key.arn,
            opts=child,
        )
        sfn_role = aws.iam.Role(
            f"{name}-cache-export-role",
            name=naming("cache-export"),
            assume_role_policy=json.dumps(service_trust("states.amazonaws.com")),
            opts=child,
        )
        sfn_policy = aws.iam.RolePolicy(
            f"{name}-cache-export-policy",
            role=sfn_role.id,
            policy=json.dumps(
                export_role_policy(naming.region, args.account_id, spec.replication_group_id, bucket_name)
            ),
            opts=pulumi.ResourceOptions(parent=sfn_role),
        )
        self.export_state_machine = aws.sfn.StateMachine(
            f"{name}-cache-export",
            name=naming("cache-export"),
            role_arn=sfn_role.arn,
            type="STANDARD",
            definition=aws.s3.get_canonical_user_id_output(opts=pulumi.InvokeOutputOptions(parent=self)).id.apply(
                lambda owner_id: json.dumps(export_definition(spec.replication_group_id, bucket_name, owner_id))
            ),
            logging_configuration={
                "level": "ERROR",
                "include_execution_data": True,
                "log_destination": log_group.arn.apply(lambda arn: f"{arn}:*"),
            },
            tracing_configuration={"enabled": True},  # X-Ray: where an export spends its time, per step
            opts=pulumi.ResourceOptions(parent=self, depends_on=[sfn_policy, made.versioning]),
        )
        scheduler_role = aws.iam.Role(
            f"{name}-cache-export-scheduler",
            name=naming("cache-export-scheduler"),
            assume_role_policy=json.dumps(service_trust("scheduler.amazonaws.com")),
            opts=child,
        )
        start = aws.iam.RolePolicy(
            f"{name}-cache-export-scheduler-policy",
            role=scheduler_role.id,
            policy=pulumi.Output.all(self.export_state_machine.arn, args.key.arn).apply(
                lambda arns: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {"Effect": "Allow", "Action": "states:StartExecution", "Resource": arns[0]},
                            {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": arns[1]},
                        ],
                    }
                )
            ),
            opts=pulumi.ResourceOptions(parent=scheduler_role),
        )
        self.export_schedule = aws.scheduler.Schedule(
            f"{name}-cache-export-schedule",
            name=naming("cache-export"),
            description=f"Daily export of {spec.replication_group_id} to s3://{bucket_name} (active region only)",
            schedule_expression=args.config.cache_export_schedule,
            schedule_expression_timezone="UTC",
            flexible_time_window={"mode": "OFF"},
            # Scheduler encrypts the schedule's target input with our key; its role may decrypt it
            # (https://docs.aws.amazon.com/scheduler/latest/UserGuide/encryption-rest.html, checked 2026-12-02).
            kms_key_arn=args.key.arn,
            state="ENABLED" if spec.enabled else "DISABLED",
            target={
                "arn": self.export_state_machine.arn,
                "role_arn": scheduler_role.arn,
                "retry_policy": {"maximum_retry_attempts": 3, "maximum_event_age_in_seconds": 3600},
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[start]),
        )


def min_retention_days(config: DrConfig) -> int:
    """The vault lock's floor: no recovery point this plan writes may be kept shorter."""
    return min(config.backup_retention_days, config.continuous_backup_days)


def plan_rules(
    config: DrConfig,
    vault_name: pulumi.Input[str],
    copy_vault_arn: str,
    isolated_vault_arn: pulumi.Input[str] | None = None,
) -> list[dict[str, Any]]:
    """Continuous (point-in-time, <= 35 days) and daily rules; the daily recovery point is copied to the DR region
    and, with dr.isolatedCopy, to the isolated vault (air-gapped, or another account's).

    Continuous S3 backups are not copied: the daily copies are what exists outside the source vault.
    """
    retention = {"delete_after": config.backup_retention_days}
    copies: list[dict[str, Any]] = [{"destination_vault_arn": copy_vault_arn, "lifecycle": retention}]
    if isolated_vault_arn is not None:
        copies.append({"destination_vault_arn": isolated_vault_arn, "lifecycle": retention})
    return [
        {
            "rule_name": "continuous",
            "target_vault_name": vault_name,
            "schedule": config.backup_schedule,
            "enable_continuous_backup": True,
            "start_window": START_WINDOW_MINUTES,
            "completion_window": COMPLETION_WINDOW_MINUTES,
            "lifecycle": {"delete_after": config.continuous_backup_days},
        },
        {
            "rule_name": "daily",
            "target_vault_name": vault_name,
            "schedule": config.backup_schedule,
            "start_window": START_WINDOW_MINUTES,
            "completion_window": COMPLETION_WINDOW_MINUTES,
            "lifecycle": retention,
            "copy_actions": copies,
        },
    ]


def _key_scope(key: KeyRef, key_arn: str | None, account_id: str) -> tuple[str, dict[str, Any]]:
    """The Resource and Condition that name one key: its ARN, or (a key of another stack) its alias."""
    if key_arn is not None:
        return key_arn, {}
    return f"arn:aws:kms:{key.region}:{account_id}:key/*", {
        "ForAnyValue:StringEquals": {"kms:ResourceAliases": key.alias}
    }


def _key_statements(sid: str, key: KeyRef, key_arn: str | None, account_id: str) -> list[dict[str, Any]]:
    """Use of one key, and grants on the same key only for AWS Backup acting in this account in the key's region.

    kms:GrantIsForAWSResource, kms:ViaService and kms:CallerAccount are KMS condition keys
    ("AWS KMS condition keys", https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html,
    checked 2026-12-02); AWS Backup creates the grants on the vault's key when it writes a recovery
    point ("Encryption for backups in AWS Backup",
    https://docs.aws.amazon.com/aws-backup/latest/devguide/encryption.html, checked 2026-12-02).
    """
    resource, scope = _key_scope(key, key_arn, account_id)
    use: dict[str, Any] = {"Sid": sid, "Effect": "Allow", "Action": list(BACKUP_KMS_ACTIONS), "Resource": resource}
    if scope:
        use["Condition"] = scope
    grant = {
        "Sid": f"{sid}GrantsForBackupOnly",
        "Effect": "Allow",
        "Action": "kms:CreateGrant",
        "Resource": resource,
        "Condition": {
            **scope,
            "Bool": {"kms:GrantIsForAWSResource": "true"},
            "StringEquals": {"kms:ViaService": f"backup.{key.region}.amazonaws.com", "kms:CallerAccount": account_id},
        },
    }
    return [use, grant]


def backup_kms_policy(account_id: str, key: KeyRef, key_arn: str, copy_key: KeyRef) -> dict[str, Any]:
    """Explicit use of the stack key (sources, local vault) and of the DR vault's key (copies); grants only for AWS Backup."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            *_key_statements("StackKey", key, key_arn, account_id),
            *_key_statements("CopyVaultKey", copy_key, None, account_id),
        ],
    }


def export_definition(replication_group_id: str, bucket: str, bucket_owner_id: str) -> dict[str, Any]:
    """Amazon States Language: snapshot -> wait until available -> export to S3 -> wait -> make sure the bucket
    owner owns every exported object -> delete the manual snapshot.

    ElastiCache writes the export with its own canonical user, through the bucket ACL grants ("Exporting
    a backup", https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/backups-exporting.html, checked
    2026-12-02); the bucket is BucketOwnerPreferred, so an object is the bucket owner's only when the
    writer sends ``bucket-owner-full-control``. S3 replication and AWS Backup take only objects the
    bucket owner owns, so the machine lists the export with its owners and rewrites any object the
    bucket owner does not own: a copy onto itself by this account's role is owned by the bucket owner
    and encrypted SSE-S3 (what ElastiCache export supports; the service cannot use our key), and the
    foreign version is deleted. If that fails (the object is unreadable to us, or above CopyObject's
    5 GB), the execution fails with ExportNotOwned, which the failed-executions alarm reports.
    """

    def describe(next_state: str) -> dict[str, Any]:
        return {
            "Type": "Task",
            "Resource": f"{ELASTICACHE_SDK}describeSnapshots",
            "Parameters": {"SnapshotName.$": "$.snapshotName"},
            "ResultSelector": {"status.$": "$.Snapshots[0].SnapshotStatus"},
            "ResultPath": "$.snapshot",
            "Next": next_state,
        }

    busy = [
        {"ErrorEquals": list(BUSY_ERRORS), "IntervalSeconds": EXPORT_POLL_SECONDS, "MaxAttempts": 6, "BackoffRate": 1.0}
    ]
    not_owned = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "DeleteSnapshotNotOwned"}]
    return {
        "Comment": f"Daily export of ElastiCache {replication_group_id} to s3://{bucket}",
        "TimeoutSeconds": EXPORT_TIMEOUT_SECONDS,
        "StartAt": "NameSnapshot",
        "States": {
            "NameSnapshot": {
                "Type": "Pass",
                # Execution names are unique UUIDs: letters, digits and single hyphens, as snapshot names need.
                "Parameters": {
                    "snapshotName.$": f"States.Format('{replication_group_id}-export-{{}}', $$.Execution.Name)"
                },
                "Next": "CreateSnapshot",
            },
            "CreateSnapshot": {
                "Type": "Task",
                "Resource": f"{ELASTICACHE_SDK}createSnapshot",
                "Parameters": {"ReplicationGroupId": replication_group_id, "SnapshotName.$": "$.snapshotName"},
                "ResultPath": None,
                "Retry": busy,
                "Next": "WaitForSnapshot",
            },
            "WaitForSnapshot": {"Type": "Wait", "Seconds": EXPORT_POLL_SECONDS, "Next": "DescribeSnapshot"},
            "DescribeSnapshot": describe("SnapshotReady"),
            "SnapshotReady": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.snapshot.status", "StringEquals": "available", "Next": "ExportSnapshot"},
                    {"Variable": "$.snapshot.status", "StringEquals": "creating", "Next": "WaitForSnapshot"},
                ],
                "Default": "SnapshotFailed",
            },
            "ExportSnapshot": {
                "Type": "Task",
                "Resource": f"{ELASTICACHE_SDK}copySnapshot",
                "Parameters": {
                    "SourceSnapshotName.$": "$.snapshotName",
                    "TargetSnapshotName.$": "$.snapshotName",
                    "TargetBucket": bucket,
                },
                "ResultPath": None,
                "Retry": busy,
                "Next": "WaitForExport",
            },
            "WaitForExport": {"Type": "Wait", "Seconds": EXPORT_POLL_SECONDS, "Next": "DescribeExport"},
            "DescribeExport": describe("ExportDone"),
            "ExportDone": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.snapshot.status", "StringEquals": "available", "Next": "ListExport"},
                    {"Variable": "$.snapshot.status", "StringEquals": "exporting", "Next": "WaitForExport"},
                    {"Variable": "$.snapshot.status", "StringEquals": "copying", "Next": "WaitForExport"},
                ],
                "Default": "ExportFailed",
            },
            "ListExport": {
                "Type": "Task",
                "Resource": f"{S3_SDK}listObjectsV2",
                "Parameters": {"Bucket": bucket, "Prefix.$": "$.snapshotName", "FetchOwner": True},
                "ResultSelector": {"objects.$": "$.Contents"},
                "ResultPath": "$.export",
                "Catch": not_owned,
                "Next": "TakeOwnership",
            },
            "TakeOwnership": {
                "Type": "Map",
                "ItemsPath": "$.export.objects",
                "ItemSelector": {"key.$": "$$.Map.Item.Value.Key", "owner.$": "$$.Map.Item.Value.Owner.ID"},
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": "OwnedByBucketOwner",
                    "States": {
                        "OwnedByBucketOwner": {
                            "Type": "Choice",
                            "Choices": [{"Variable": "$.owner", "StringEquals": bucket_owner_id, "Next": "Owned"}],
                            "Default": "RewriteAsBucketOwner",
                        },
                        "Owned": {"Type": "Succeed"},
                        "RewriteAsBucketOwner": {
                            "Type": "Task",
                            "Resource": f"{S3_SDK}copyObject",
                            "Parameters": {
                                "Bucket": bucket,
                                "Key.$": "$.key",
                                "CopySource.$": f"States.Format('{bucket}/{{}}', $.key)",
                                "MetadataDirective": "COPY",
                                "ServerSideEncryption": "AES256",
                            },
                            "ResultSelector": {"foreignVersion.$": "$.CopySourceVersionId"},
                            "ResultPath": "$.copy",
                            "Next": "DeleteForeignVersion",
                        },
                        "DeleteForeignVersion": {
                            "Type": "Task",
                            "Resource": f"{S3_SDK}deleteObject",
                            "Parameters": {"Bucket": bucket, "Key.$": "$.key", "VersionId.$": "$.copy.foreignVersion"},
                            "ResultPath": None,
                            "End": True,
                        },
                    },
                },
                "ResultPath": None,
                "Catch": not_owned,
                "Next": "DeleteSnapshot",
            },
            "DeleteSnapshot": {
                "Type": "Task",
                "Resource": f"{ELASTICACHE_SDK}deleteSnapshot",
                "Parameters": {"SnapshotName.$": "$.snapshotName"},
                "ResultPath": None,
                "Retry": busy,
                "End": True,
            },
            "DeleteSnapshotNotOwned": {
                "Type": "Task",
                "Resource": f"{ELASTICACHE_SDK}deleteSnapshot",
                "Parameters": {"SnapshotName.$": "$.snapshotName"},
                "ResultPath": None,
                "Retry": busy,
                "Next": "ExportNotOwned",
            },
            "ExportNotOwned": {
                "Type": "Fail",
                "Error": "ExportNotOwned",
                "Cause": "an exported object is missing or could not be rewritten as the bucket owner's",
            },
            "SnapshotFailed": {
                "Type": "Fail",
                "Error": "SnapshotFailed",
                "Cause": "the manual snapshot did not become available",
            },
            "ExportFailed": {"Type": "Fail", "Error": "ExportFailed", "Cause": "the export to S3 did not complete"},
        },
    }


def export_role_policy(region: str, account_id: str, replication_group_id: str, bucket: str) -> dict[str, Any]:
    """What the state machine calls: snapshot and export of one group, plus the S3 access CopySnapshot checks.

    S3 actions per "Exporting a backup", step 3 (Amazon ElastiCache user guide, checked 2026-11-26),
    each scoped to the export bucket or this account's snapshots except ListAllMyBuckets; log delivery
    actions per "Logging using CloudWatch Logs" and X-Ray actions per "IAM policies for using AWS
    X-Ray" (AWS Step Functions developer guide,
    https://docs.aws.amazon.com/step-functions/latest/dg/xray-iam.html, checked 2026-12-02), which
    accept only "*".
    """
    elasticache = f"arn:aws:elasticache:{region}:{account_id}"
    snapshots = f"{elasticache}:snapshot:{replication_group_id}-export-*"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "SnapshotTheGroup",
                "Effect": "Allow",
                "Action": "elasticache:CreateSnapshot",
                "Resource": [f"{elasticache}:replicationgroup:{replication_group_id}", snapshots],
            },
            {
                "Sid": "ExportAndDeleteOurSnapshots",
                "Effect": "Allow",
                "Action": ["elasticache:CopySnapshot", "elasticache:DeleteSnapshot"],
                "Resource": snapshots,
            },
            {
                "Sid": "DescribeSnapshots",
                "Effect": "Allow",
                "Action": "elasticache:DescribeSnapshots",
                "Resource": f"{elasticache}:snapshot:*",
            },
            {
                "Sid": "CopySnapshotChecksBucket",
                "Effect": "Allow",
                "Action": "s3:GetBucketLocation",
                "Resource": f"arn:aws:s3:::{bucket}",
            },
            {"Sid": "CopySnapshotListsBuckets", "Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"},
            {
                "Sid": "ExportBucket",
                "Effect": "Allow",
                # DeleteObjectVersion: the foreign-owned version of an export, once rewritten as ours.
                "Action": [
                    "s3:ListBucket",
                    "s3:GetObject",
                    "s3:PutObject",
                    "s3:DeleteObject",
                    "s3:DeleteObjectVersion",
                ],
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            },
            {
                "Sid": "ExecutionLogs",
                "Effect": "Allow",
                "Action": [
                    "logs:CreateLogDelivery",
                    "logs:GetLogDelivery",
                    "logs:UpdateLogDelivery",
                    "logs:DeleteLogDelivery",
                    "logs:ListLogDeliveries",
                    "logs:PutResourcePolicy",
                    "logs:DescribeResourcePolicies",
                    "logs:DescribeLogGroups",
                ],
                "Resource": "*",
            },
            {
                "Sid": "XRayTraces",
                "Effect": "Allow",
                "Action": [
                    "xray:PutTraceSegments",
                    "xray:PutTelemetryRecords",
                    "xray:GetSamplingRules",
                    "xray:GetSamplingTargets",
                ],
                "Resource": "*",
            },
        ],
    }
