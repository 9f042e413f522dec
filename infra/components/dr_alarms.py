"""The DR alarms as specs: S3 replication, AWS Backup jobs, cache exports, MSK Replicator, Global Datastore lag.

Observability creates them with every other tier's alarms; their names share the
``recovery`` prefix, which the DR tier's EventBridge rules forward between the two regions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

from infra.components.alarm_spec import AlarmSpec, Metric
from infra.components.replication import BucketCopy
from infra.config.schema import DrConfig
from infra.planning.dr import RTC_MINUTES

ALARM_FAMILY_PREFIX = "recovery"
# CloudWatch namespaces and metric names: "Monitoring AWS Backup metrics with CloudWatch" (AWS Backup
# developer guide), "Metrics reference" (MSK Replicator), "Metrics for Valkey and Redis OSS"
# (ElastiCache: GlobalDatastoreReplicationLag, seconds, on the secondary's primary nodes), "S3 Replication
# metrics" (S3 user guide) and "Monitoring Step Functions metrics"; all checked 2026-11-26.
S3_REPLICATION_METRICS = ("ReplicationLatency", "OperationsPendingReplication", "OperationsFailedReplication")


def alarm_event_pattern(alarm_prefix: str, region: str | None = None) -> dict[str, Any]:
    """EventBridge pattern for state changes of the DR alarms named ``<alarm_prefix>...`` (optionally from one region)."""
    pattern: dict[str, Any] = {
        "source": ["aws.cloudwatch"],
        "detail-type": ["CloudWatch Alarm State Change"],
        "detail": {"alarmName": [{"prefix": alarm_prefix}]},
    }
    if region is not None:
        pattern["region"] = [region]
    return pattern


def s3_replication_alarms(copies: Sequence[BucketCopy], pending_max: int) -> list[AlarmSpec]:
    """Per replicated bucket: RTC threshold missed, backlog, failures (metrics live in the source region)."""
    specs = []
    for copy in copies:
        dims = {
            "SourceBucket": copy.source_bucket,
            "DestinationBucket": copy.destination_bucket,
            "RuleId": copy.rule_id,
        }

        def metric(name: str, stat: str, dims: Mapping[str, str] = dims) -> dict[str, Metric]:
            return {"m": Metric("AWS/S3", name, dims, stat, period=300)}

        specs += [
            AlarmSpec(
                tier="dr",
                family=f"{ALARM_FAMILY_PREFIX}-s3-latency",
                target=copy.role,
                summary=f"S3 ReplicationLatency {copy.role} -> {copy.destination_region}, s",
                metrics=metric("ReplicationLatency", "Maximum"),
                comparison="GreaterThanThreshold",
                threshold=RTC_MINUTES * 60,
                evaluation_periods=3,
                datapoints_to_alarm=2,
                treat_missing_data="notBreaching",
            ),
            AlarmSpec(
                tier="dr",
                family=f"{ALARM_FAMILY_PREFIX}-s3-pending",
                target=copy.role,
                summary=f"S3 OperationsPendingReplication {copy.role}",
                metrics=metric("OperationsPendingReplication", "Maximum"),
                comparison="GreaterThanThreshold",
                threshold=pending_max,
                evaluation_periods=3,
                datapoints_to_alarm=3,
                treat_missing_data="notBreaching",
            ),
            AlarmSpec(
                tier="dr",
                family=f"{ALARM_FAMILY_PREFIX}-s3-failed",
                target=copy.role,
                summary=f"S3 OperationsFailedReplication {copy.role}",
                metrics=metric("OperationsFailedReplication", "Sum"),
                comparison="GreaterThanThreshold",
                threshold=0,
                evaluation_periods=1,
                datapoints_to_alarm=1,
                treat_missing_data="notBreaching",
            ),
        ]
    return specs


def backup_alarms(vault_name: str) -> list[AlarmSpec]:
    """Failed backup and copy jobs of the stack's vault (AWS Backup emits these every 5 minutes)."""
    return _any_failure_alarms(
        "AWS/Backup",
        {"BackupVaultName": vault_name},
        "AWS Backup {metric}",
        "backup-{kind}-failed",
        (("jobs", "NumberOfBackupJobsFailed"), ("copies", "NumberOfCopyJobsFailed")),
    )


def export_alarms(state_machine_arn: pulumi.Input[str]) -> list[AlarmSpec]:
    """A cache export that fails or times out (the state machine gives up after 4 hours)."""
    return _any_failure_alarms(
        "AWS/States",
        {"StateMachineArn": state_machine_arn},
        "Step Functions {metric} (cache export)",
        "cache-export-{kind}",
        (("failed", "ExecutionsFailed"), ("timed-out", "ExecutionsTimedOut")),
    )


def _any_failure_alarms(
    namespace: str,
    dimensions: dict[str, pulumi.Input[str]],
    summary: str,
    family: str,
    kinds: tuple[tuple[str, str], ...],
) -> list[AlarmSpec]:
    """One alarm per failure-count metric: a single failure in an hour is worth a page."""
    return [
        AlarmSpec(
            tier="dr",
            family=f"{ALARM_FAMILY_PREFIX}-{family.format(kind=kind)}",
            summary=summary.format(metric=metric),
            metrics={"m": Metric(namespace, metric, dimensions, "Sum", period=3600)},
            comparison="GreaterThanOrEqualToThreshold",
            threshold=1,
            evaluation_periods=1,
            datapoints_to_alarm=1,
            treat_missing_data="notBreaching",
        )
        for kind, metric in kinds
    ]


def replicator_alarms(name: str, config: DrConfig) -> list[AlarmSpec]:
    """Replication latency (the stream RPO), records behind the source, and replicator failures."""
    dims = {"ReplicatorName": name}
    return [
        AlarmSpec(
            tier="dr",
            family=f"{ALARM_FAMILY_PREFIX}-kafka-latency",
            summary="MSK Replicator ReplicationLatency, ms",
            metrics={"m": Metric("AWS/Kafka", "ReplicationLatency", dims, "Maximum")},
            comparison="GreaterThanThreshold",
            threshold=config.stream_latency_alarm_seconds * 1000,
            evaluation_periods=5,
            datapoints_to_alarm=3,
            treat_missing_data="notBreaching",
        ),
        AlarmSpec(
            tier="dr",
            family=f"{ALARM_FAMILY_PREFIX}-kafka-message-lag",
            summary="MSK Replicator MessageLag, records",
            metrics={"m": Metric("AWS/Kafka", "MessageLag", dims, "Maximum")},
            comparison="GreaterThanThreshold",
            threshold=config.stream_message_lag_alarm,
            evaluation_periods=5,
            datapoints_to_alarm=3,
        ),
        AlarmSpec(
            tier="dr",
            family=f"{ALARM_FAMILY_PREFIX}-kafka-replicator-failure",
            summary="MSK Replicator ReplicatorFailure",
            metrics={"m": Metric("AWS/Kafka", "ReplicatorFailure", dims, "Maximum")},
            comparison="GreaterThanThreshold",
            threshold=0,
            evaluation_periods=3,
            datapoints_to_alarm=2,
            treat_missing_data="notBreaching",
        ),
    ]


def shard_nodes(member_cluster_ids: Sequence[str]) -> dict[str, list[str]]:
    """Node ids per shard (``<rgid>-0001-002`` belongs to shard ``0001``)."""
    shards: dict[str, list[str]] = {}
    for node in member_cluster_ids:
        shards.setdefault(node.rsplit("-", 2)[-2], []).append(node)
    return shards


def global_datastore_alarms(member_cluster_ids: Sequence[str], config: DrConfig) -> list[AlarmSpec]:
    """Per shard of the secondary: the lag of whichever node is its primary now (MAX over the shard's nodes)."""
    specs = []
    for shard, nodes in sorted(shard_nodes(member_cluster_ids).items()):
        metrics = {
            f"n{index}": Metric("AWS/ElastiCache", "GlobalDatastoreReplicationLag", {"CacheClusterId": node}, "Maximum")
            for index, node in enumerate(nodes)
        }
        specs.append(
            AlarmSpec(
                tier="dr",
                family=f"{ALARM_FAMILY_PREFIX}-cache-global-lag",
                target=shard,
                summary="ElastiCache GlobalDatastoreReplicationLag, s",
                metrics=metrics,
                expression=f"MAX([{', '.join(metrics)}])",
                comparison="GreaterThanThreshold",
                threshold=config.cache_lag_alarm_seconds,
                evaluation_periods=5,
                datapoints_to_alarm=3,
                treat_missing_data="notBreaching",
            )
        )
    return specs
