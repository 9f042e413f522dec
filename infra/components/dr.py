"""Disaster recovery per stack: backups, cross-region copies, traffic failover, DR alarms and the targets they serve.

Strategies (``dr.strategy``): ``none`` (dev: multi-AZ only), ``backup-restore`` (staging:
backups and copies in the DR region, no standby compute) and ``warm-standby`` (prod + prod-dr:
a scaled-down copy of the platform running in the DR region, fed continuously). The DR
region is its own stack (``prod-dr``, role ``secondary``) that reads the primary's outputs
through a StackReference; the primary does not read the standby while it serves, so the
pair deploys in one pass (primary first) and the standby can be deployed and operated while
the primary region is down. Where the primary must name something of the standby (DR bucket,
vault, key, alarm bus), it derives the name from ``dr.peerStack`` and ``dr.region``
(``infra/naming.py``). The one exception is failback: once the primary's ``dr.activeRegion``
names the standby's region, the primary reads the standby's outputs and owns the reverse MSK
Replicator (standby's cluster -> its own); the standby exists by then (it took over first).

This module wires the pieces (``backup.py``, ``replication.py``, ``failover.py``), adds the
DR alarms through the observability tier (routed to the topics of both regions: CloudWatch
alarms can only notify a topic in their own region, so DR alarm state changes are forwarded
to the peer region's event bus, whose rule publishes them to the peer's topic), and
publishes what runbooks and drills need, including ``drTargets``: expected RTO/RPO per
failure scenario, from the design below.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

from infra.components import replication
from infra.components.backup import Backups, BackupsArgs, CacheExport, CopyVault
from infra.components.failover import Endpoint, Failover, FailoverArgs, RoutingControls, failover_role
from infra.components.kms import key_policy
from infra.components.network import service_trust
from infra.components.observability import AlarmSpec, Metric
from infra.components.replication import (
    CACHE_EXPORTS,
    RTC_MINUTES,
    BucketCopy,
    CopyBuckets,
    KafkaReplication,
    KeyRef,
    Replication,
    ReplicationArgs,
    S3Replication,
)
from infra.components.storage import ACCESS_LOGS
from infra.config.rules.dr import active_region, fails_back_from_standby, peer_stack_name, serves_traffic
from infra.config.schema import DrConfig, StackConfig
from infra.naming import Naming

if TYPE_CHECKING:
    from infra.program import Platform

# Buckets holding state that AWS Backup protects (see replication.NOT_REPLICATED for the others).
BACKED_UP = ("lake", "artifacts")
ALARM_FAMILY_PREFIX = "recovery"
# CloudWatch namespaces and metric names: "Monitoring AWS Backup metrics with CloudWatch" (AWS Backup
# developer guide), "Metrics reference" (MSK Replicator), "Metrics for Valkey and Redis OSS"
# (ElastiCache: GlobalDatastoreReplicationLag, seconds, on the secondary's primary nodes), "S3 Replication
# metrics" (S3 user guide) and "Monitoring Step Functions metrics"; all checked 2026-11-26.
S3_REPLICATION_METRICS = ("ReplicationLatency", "OperationsPendingReplication", "OperationsFailedReplication")


@dataclass(frozen=True)
class Target:
    """Expected recovery for one failure scenario: minutes until service is back, minutes of data lost per store."""

    rto_minutes: float | None
    rpo_minutes: Mapping[str, float | None]
    mechanism: str

    def to_output(self) -> dict[str, Any]:
        return {"rtoMinutes": self.rto_minutes, "rpoMinutes": dict(self.rpo_minutes), "mechanism": self.mechanism}


# Design figures behind drTargets (whitepaper "Disaster Recovery of Workloads on AWS": backup & restore =
# hours, warm standby = minutes). Create times from infra/data/create_times.yaml; RTC from S3 docs.
AZ_LOSS_RTO = 20.0
"""EMR lives in one AZ: relaunch in another (~11 min create) and restart the job; MSK, cache and ingest
fail over within Multi-AZ in about a minute."""
REGION_WARM_RTO = 30.0
"""Detect (~1 min of health checks + alarms) + decide (<= 10 min) + promote the Global Datastore
(~2 min) + start the EMR job in the standby (~10 min) + DNS TTL and client reconnects."""
REGION_REBUILD_RTO = 240.0
"""Backup-restore: deploy the stack in the DR region (MSK ~30 min, ElastiCache ~20 min in parallel,
EMR ~11 min, network and edge ~15 min), seed the cache from the export, restore or point at the copies."""
CORRUPTION_RTO = 240.0
"""Restore an AWS Backup point in time into a new bucket/prefix and repoint readers (size-bound)."""
CACHE_LAG_MINUTES = 1 / 60
"""Global Datastore lag is generally under a second (ElastiCache user guide)."""
DAILY = 24 * 60.0


def dr_targets(config: StackConfig) -> dict[str, Target]:
    """Per scenario the RTO/RPO the design aims for (drills measure against these; issue 7)."""
    az_loss = Target(
        AZ_LOSS_RTO,
        {"stream": 0.0, "lake": 0.0, "cache": CACHE_LAG_MINUTES},
        "Multi-AZ: MSK acks=all over 3 AZs, ElastiCache Multi-AZ failover, ALB/ECS across AZs, EMR relaunch in another AZ",
    )
    corruption = Target(
        CORRUPTION_RTO,
        {"stream": 0.0, "lake": 0.0, "cache": DAILY},
        "S3 point-in-time restore (AWS Backup continuous, then daily copies); consumers rewind by timestamp "
        "within Kafka retention; cache from the daily snapshot/export or rebuilt from the stream",
    )
    strategy = config.dr.strategy
    if strategy == "none":
        region = Target(
            None, {"stream": None, "lake": None, "cache": None}, "none: the stack is rebuilt from code, data is lost"
        )
        return {"az-loss": az_loss, "region-loss": region}
    if strategy == "backup-restore":
        region = Target(
            REGION_REBUILD_RTO,
            {"stream": float(RTC_MINUTES), "lake": float(RTC_MINUTES), "cache": DAILY},
            "rebuild in the DR region from code; lake and artifacts from S3 replicas (RTC 15 min), daily backup "
            "copies, cache seeded from the replicated export; Kafka's own log is not copied",
        )
        return {"az-loss": az_loss, "region-loss": region, "data-corruption": corruption}
    region = Target(
        REGION_WARM_RTO,
        {"stream": config.dr.stream_latency_alarm_seconds / 60, "lake": float(RTC_MINUTES), "cache": CACHE_LAG_MINUTES},
        "warm standby: MSK Replicator (identical topics, offsets synced), Global Datastore, S3 RTC replication; "
        "Route 53 failover (or ARC), then the EMR job starts in the standby from a timestamp rewind",
    )
    return {"az-loss": az_loss, "region-loss": region, "data-corruption": corruption}


def stack_key_alias(naming: Naming) -> str:
    """The alias infra/components/kms.py gives a stack's key (the same name in any region)."""
    return f"alias/{naming('key')}"


def peer_naming(config: StackConfig) -> Naming | None:
    """How the other half of the pair names things: the standby stack (warm-standby) or this stack in the DR region."""
    if config.dr.region is None or config.dr.strategy == "none":
        return None
    return Naming(peer_stack_name(config) or config.stack, config.dr.region)


class PeerStack(pulumi.ComponentResource):
    """The DR primary's outputs as the standby reads them: a StackReference, under a component of its own."""

    reference: pulumi.StackReference

    def __init__(self, name: str, peer_stack: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:dr:PeerStack", name, None, opts)
        self.reference = pulumi.StackReference(peer_stack, opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({"peerStack": peer_stack})


def peer_reference(platform: Platform) -> pulumi.StackReference | None:
    """The primary's outputs, for a warm-standby secondary (created once per run, before the cache needs it)."""
    dr = platform.config.dr
    if dr.role != "secondary" or dr.peer_stack is None:
        return None
    if platform.peer is None:
        platform.peer = PeerStack("dr-peer", dr.peer_stack, platform.opts()).reference
    reference: pulumi.StackReference = platform.peer
    return reference


def standby_reference(config: StackConfig, parent: pulumi.Resource) -> pulumi.StackReference | None:
    """The standby's outputs, read by the primary only while it fails back (source of the reverse Replicator).

    Only in that state: the normal deploy order (primary, then standby) stays free of cycles, and
    after a failover the standby stack exists and has published its outputs.
    """
    peer_stack = config.dr.peer_stack
    if not fails_back_from_standby(config) or peer_stack is None:
        return None
    return PeerStack("dr-standby", peer_stack, pulumi.ResourceOptions(parent=parent)).reference


def cache_global_datastore_id(platform: Platform) -> pulumi.Output[Any] | None:
    """For the standby's cache: the Global Datastore its primary created (None everywhere else)."""
    reference = peer_reference(platform)
    return reference.get_output("cacheGlobalDatastoreId") if reference is not None else None


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


@dataclass(frozen=True)
class DisasterRecoveryArgs:
    config: StackConfig
    naming: Naming
    account_id: str
    platform: Platform
    """The tiers built so far (storage, kafka, cache, edge, observability); read, never changed."""


class DisasterRecovery(pulumi.ComponentResource):
    """Everything cross-region of one stack; children: Backups, Replication, Failover, alarm forwarding."""

    backups: Backups | None
    replication: Replication
    failover: Failover | None
    copy_key: aws.kms.Key | None
    bucket_copies: list[BucketCopy]
    alarms: dict[str, aws.cloudwatch.MetricAlarm]
    reference: pulumi.StackReference | None
    """A standby's view of its primary's outputs."""
    standby: pulumi.StackReference | None
    """A failing-back primary's view of its standby's outputs (``fails_back_from_standby``)."""

    def __init__(self, name: str, args: DisasterRecoveryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:dr:DisasterRecovery", name, None, opts)
        config, naming, platform = args.config, args.naming, args.platform
        dr = config.dr
        peer = peer_naming(config)
        if peer is None or dr.region is None:  # config rules require dr.region for a DR strategy
            raise ValueError(f"{config.stack}: strategy {dr.strategy} needs dr.region")
        self._name, self._args, self.peer = name, args, peer
        child = pulumi.ResourceOptions(parent=self)
        self.reference = peer_reference(platform)
        self.standby = standby_reference(config, self)
        warm = dr.strategy == "warm-standby"
        own_key = KeyRef(config.region, stack_key_alias(naming), platform.key.key.arn)
        self.copy_key = None
        if warm:
            copy_key = KeyRef(dr.region, stack_key_alias(peer))
        else:
            self.copy_key = aws.kms.Key(
                f"{name}-copy-key",
                description=f"{naming('key')} in {dr.region}: backup copies and S3 replicas of {config.stack}",
                enable_key_rotation=True,
                rotation_period_in_days=365,
                deletion_window_in_days=config.kms.deletion_window_days,
                policy=json.dumps(key_policy(args.account_id, dr.region)),
                region=dr.region,
                opts=pulumi.ResourceOptions(parent=self, protect=config.tier == "prod"),
            )
            aws.kms.Alias(
                f"{name}-copy-key-alias",
                name=stack_key_alias(naming),
                target_key_id=self.copy_key.key_id,
                region=dr.region,
                opts=pulumi.ResourceOptions(parent=self.copy_key),
            )
            copy_key = KeyRef(dr.region, stack_key_alias(naming), self.copy_key.arn)

        self.backups = Backups(
            f"{name}-backups",
            BackupsArgs(
                config=dr,
                tier=config.tier,
                naming=naming,
                account_id=args.account_id,
                storage=config.storage,
                key=own_key,
                copy_vault=CopyVault(
                    region=dr.region,
                    name=peer("backup"),
                    key=copy_key,
                    create=not warm,
                ),
                bucket_arns={role: platform.storage.arn(role) for role in BACKED_UP},
                cache=CacheExport(
                    replication_group_id=platform.cache.replication_group_id,
                    enabled=serves_traffic(config),
                    export_bucket_tags=self._peer_tag() if warm and dr.role == "primary" else {},
                )
                if platform.cache is not None
                else None,
                log_retention_days=config.cache.log_retention_days,
                access_logs_bucket=platform.storage.buckets[ACCESS_LOGS],
            ),
            child,
        )
        self.replication = Replication(f"{name}-replication", self._replication_args(own_key, copy_key), child)
        self.bucket_copies = self._copies()
        self.failover = self._failover()
        self.alarms = self._alarms()
        if warm:
            self._forward_alarms()
        self.register_outputs({"strategy": dr.strategy, "activeRegion": active_region(config)})

    def _peer_tag(self) -> dict[str, str]:
        """Declares that this store's cross-region path lives in the standby's stack (checked by the policy pack)."""
        return {"dr-peer-stack": peer_stack_name(self._args.config) or ""}

    def _copies(self) -> list[BucketCopy]:
        """Every S3 copy of this stack's buckets, whoever owns the rule (the alarms watch them in the source region)."""
        config, naming = self._args.config, self._args.naming
        if config.dr.role == "secondary":
            return []
        return replication.bucket_copies(naming, self.peer, self._args.account_id)

    def _replication_args(self, own_key: KeyRef, copy_key: KeyRef) -> ReplicationArgs:
        config, naming, platform = self._args.config, self._args.naming, self._args.platform
        dr, account = config.dr, self._args.account_id
        common: dict[str, Any] = {"naming": naming, "account_id": account, "tier": config.tier}
        backups = self.backups
        export_ready = [backups.export_versioning] if backups is not None and backups.export_versioning else []
        storage_ready = [platform.storage.versioning[role] for role in BACKED_UP]
        if dr.strategy == "backup-restore":
            return ReplicationArgs(
                **common,
                s3=S3Replication(
                    copies=replication.bucket_copies(naming, self.peer, account),
                    source_key=own_key,
                    destination_key=copy_key,
                    destination_ready=[*storage_ready, *export_ready],
                ),
                copy_buckets=CopyBuckets(
                    naming=self.peer,
                    storage=config.storage,
                    key_arn=copy_key.arn or "",
                    expire_days={CACHE_EXPORTS: dr.cache_export_retention_days},
                ),
            )
        # Both clusters of the pair accept a cross-region Replicator: the standby is the source on failback.
        common["kafka_source"] = platform.kafka
        if dr.role == "primary":
            # Failback: the reverse Replicator (standby -> this cluster), same builder and shape as the forward
            # one: identical topic names, starting at the earliest offset; the Replicator filters out records
            # that came from this cluster (still read and billed). Deleted when dr.activeRegion returns here.
            # ("Failback", identical topic name replication, Amazon MSK developer guide, checked 2026-11-26.)
            reverse = self._kafka_from(self.standby) if self.standby is not None else None
            return ReplicationArgs(**common, cache_primary=platform.cache, kafka=reverse)
        reference = self.reference
        if reference is None:  # a secondary always has one (config rules require dr.peerStack)
            raise ValueError("a warm-standby secondary needs dr.peerStack")
        return ReplicationArgs(
            **common,
            s3=S3Replication(
                copies=replication.bucket_copies(self.peer, naming, account),
                source_key=KeyRef(self.peer.region, stack_key_alias(self.peer)),
                destination_key=own_key,
                destination_ready=[*storage_ready, *export_ready],
            ),
            kafka=self._kafka_from(reference),
        )

    def _kafka_from(self, peer_outputs: pulumi.StackReference) -> KafkaReplication:
        """A Replicator in this region copying the peer's cluster (ARN and subnets from its outputs) into ours."""
        config, platform = self._args.config, self._args.platform
        network = platform.network
        return KafkaReplication(
            source_cluster_arn=peer_outputs.get_output("kafkaClusterArn"),
            source_cluster_name=self.peer("kafka"),
            source_region=self.peer.region,
            source_subnet_ids=peer_outputs.get_output("privateDataSubnetIds"),
            target=platform.kafka,
            target_subnet_ids=[s.id for s in network.subnets["private-data"]],
            vpc_id=network.vpc.id,
            kms_key_arn=platform.key.key.arn,
            log_retention_days=config.kafka.log_retention_days,
        )

    def _failover(self) -> Failover | None:
        return traffic(self._args.platform, self, self.reference)

    def _alarms(self) -> dict[str, aws.cloudwatch.MetricAlarm]:
        platform, config = self._args.platform, self._args.config
        observability = platform.observability
        if observability is None:
            pulumi.log.warn(f"dr: {config.stack} has no observability tier: DR alarms are not created")
            return {}
        specs = s3_replication_alarms(self.bucket_copies, config.dr.s3_pending_operations_alarm)
        if self.backups is not None:
            specs += backup_alarms(self._args.naming("backup"))
            if self.backups.export_state_machine is not None:
                specs += export_alarms(self.backups.export_state_machine.arn)
        if self.replication.replicator is not None:
            specs += replicator_alarms(replication.replicator_name(self._args.naming), config.dr)
        if config.dr.role == "secondary" and platform.cache is not None:
            specs += global_datastore_alarms(platform.cache.member_cluster_ids, config.dr)
        return {spec.key: observability.add_alarm(spec) for spec in specs}

    def _forward_alarms(self) -> None:
        """This region's DR alarm state changes go to the peer region's bus; the peer's arrive and reach our topic."""
        config, naming, platform = self._args.config, self._args.naming, self._args.platform
        dr, account = config.dr, self._args.account_id
        if platform.observability is None or dr.region is None:
            return
        child = pulumi.ResourceOptions(parent=self)
        peer_bus = f"arn:aws:events:{dr.region}:{account}:event-bus/default"
        role = aws.iam.Role(
            f"{self._name}-alarm-forwarder",
            name=naming("recovery-alarm-forwarder"),
            assume_role_policy=json.dumps(service_trust("events.amazonaws.com")),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{self._name}-alarm-forwarder-policy",
            role=role.id,
            policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "events:PutEvents", "Resource": peer_bus}],
                }
            ),
            opts=pulumi.ResourceOptions(parent=role),
        )
        outgoing = aws.cloudwatch.EventRule(
            f"{self._name}-alarms-to-peer",
            name=naming("recovery-alarms-to", dr.region),
            description=f"DR alarm state changes of {config.stack} to the {dr.region} default bus",
            event_pattern=json.dumps(alarm_event_pattern(naming(ALARM_FAMILY_PREFIX) + "-")),
            opts=child,
        )
        aws.cloudwatch.EventTarget(
            f"{self._name}-alarms-to-peer-target",
            rule=outgoing.name,
            arn=peer_bus,
            role_arn=role.arn,
            opts=pulumi.ResourceOptions(parent=outgoing),
        )
        incoming = aws.cloudwatch.EventRule(
            f"{self._name}-alarms-from-peer",
            name=naming("recovery-alarms-from", dr.region),
            description=f"DR alarm state changes of {self.peer.stack} ({dr.region}) to this stack's alarm topic",
            event_pattern=json.dumps(alarm_event_pattern(self.peer(ALARM_FAMILY_PREFIX) + "-", dr.region)),
            opts=child,
        )
        aws.cloudwatch.EventTarget(
            f"{self._name}-alarms-from-peer-target",
            rule=incoming.name,
            arn=platform.observability.topic.arn,
            input_transformer={
                "input_paths": {
                    "alarm": "$.detail.alarmName",
                    "state": "$.detail.state.value",
                    "reason": "$.detail.state.reason",
                    "region": "$.region",
                },
                "input_template": '"DR alarm <alarm> in <region> is <state>: <reason>"',
            },
            opts=pulumi.ResourceOptions(parent=incoming),
        )

    def stack_outputs(self) -> dict[str, Any]:
        """What runbooks, drills and operators read: vaults, plan, copies, replicator, datastore, DNS, ARC."""
        config, naming, account = self._args.config, self._args.naming, self._args.account_id
        dr = config.dr
        outputs: dict[str, Any] = {}
        backups = self.backups
        if backups is not None:
            copy_vault = backups.copy_vault_spec
            outputs.update(
                {
                    "backupVaultName": backups.vault.name,
                    "backupVaultArn": backups.vault.arn,
                    "backupVaultLocked": bool(backups.vault_locks),
                    "drBackupVaultName": copy_vault.name,
                    "drBackupVaultArn": backups.copy_vault.arn if backups.copy_vault else copy_vault.arn(account),
                    "backupPlanId": backups.plan.id,
                    "backupPlanArn": backups.plan.arn,
                    "backupSelectionId": backups.selection.id,
                    "backupRoleArn": backups.role.arn,
                    "backupSelectedBuckets": backups.selected,
                    "cacheExportBucket": backups.export_bucket.bucket if backups.export_bucket else None,
                    "cacheExportStateMachineArn": backups.export_state_machine.arn
                    if backups.export_state_machine
                    else None,
                    "cacheExportScheduleName": backups.export_schedule.name if backups.export_schedule else None,
                    "cacheExportEnabled": serves_traffic(config),
                }
            )
        repl = self.replication
        outputs["drKmsKeyArn"] = self.copy_key.arn if self.copy_key is not None else None
        outputs["drKmsKeyAlias"] = stack_key_alias(self.peer)
        outputs["s3ReplicationRules"] = {
            copy.role: copy.to_output() for copy in (self.bucket_copies or self.replication.copies)
        }
        outputs["s3ReplicationOwner"] = self._replication_owner()
        outputs["s3ReplicationRoleArn"] = repl.replication_role.arn if repl.replication_role else None
        outputs["s3CopyBuckets"] = {role: bucket.bucket for role, bucket in repl.copy_buckets.items()}
        if repl.replicator is not None and self.reference is not None:
            outputs.update(
                {
                    "kafkaReplicatorArn": repl.replicator.arn,
                    "kafkaReplicatorName": replication.replicator_name(naming),
                    "kafkaReplicatorSourceClusterArn": self.reference.get_output("kafkaClusterArn"),
                    "drKafkaClusterArn": self._args.platform.kafka.cluster.arn,
                }
            )
        elif dr.strategy == "warm-standby":
            outputs["kafkaReplicatorName"] = replication.replicator_name(self.peer)
            outputs["drKafkaClusterName"] = self.peer("kafka")
        if repl.replicator is not None and self.standby is not None:
            outputs.update(
                {
                    "kafkaReverseReplicatorArn": repl.replicator.arn,
                    "kafkaReverseReplicatorName": replication.replicator_name(naming),
                    "kafkaReverseReplicatorSourceClusterArn": self.standby.get_output("kafkaClusterArn"),
                }
            )
        if repl.global_datastore is not None:
            outputs["cacheGlobalDatastoreId"] = repl.global_datastore.global_replication_group_id
            outputs["cacheGlobalDatastoreArn"] = repl.global_datastore.arn
        elif self.reference is not None:
            outputs["cacheGlobalDatastoreId"] = self.reference.get_output("cacheGlobalDatastoreId")
        outputs.update(failover_outputs(self.failover))
        outputs["drAlarmNames"] = sorted(naming(key) for key in self.alarms)
        return outputs

    def _replication_owner(self) -> str:
        dr = self._args.config.dr
        if dr.strategy == "warm-standby" and dr.role == "primary":
            return peer_stack_name(self._args.config) or ""
        return self._args.config.stack


def endpoints(platform: Platform) -> list[Endpoint]:
    """The ALB (and NLB) of the stack, as records of edge.domainName (and stream.<domain>)."""
    from infra.components.edge import STREAM_SUBDOMAIN

    edge, domain = platform.edge, platform.config.edge.domain_name
    if edge is None or domain is None:
        return []
    tls = edge.https_listener is not None
    found = [
        Endpoint(
            key="alb",
            record_name=domain,
            load_balancer=edge.alb,
            health_protocol="HTTPS" if tls else "HTTP",
            port=443 if tls else 80,
            https_listener=edge.https_listener,
        )
    ]
    if edge.nlb is not None:
        found.append(
            Endpoint(
                key="nlb",
                record_name=f"{STREAM_SUBDOMAIN}.{domain}",
                load_balancer=edge.nlb,
                health_protocol="TCP",
                port=443 if tls else 80,
            )
        )
    return found


def traffic(
    platform: Platform, parent: pulumi.Resource | None, reference: pulumi.StackReference | None
) -> Failover | None:
    """Route 53 records for edge.domainName: failover pair for warm-standby, plain aliases otherwise."""
    config = platform.config
    found = endpoints(platform)
    zone = config.edge.hosted_zone_id
    if not found or zone is None:
        return None
    warm = config.dr.strategy == "warm-standby"
    controls = None
    if warm and config.dr.routing_controls:
        regions = sorted(r for r in (config.region, config.dr.region) if r)
        controls = RoutingControls(
            create=config.dr.role == "primary",
            regions=regions,
            peer_control_arns=reference.get_output("drRoutingControlArns") if reference is not None else None,
        )
    opts = pulumi.ResourceOptions(parent=parent) if parent is not None else platform.opts()
    return Failover(
        "dns" if parent is None else "dr-dns",
        FailoverArgs(
            naming=platform.naming,
            hosted_zone_id=zone,
            endpoints=found,
            mode="failover" if warm else "simple",
            role=record_role(config, reference),
            routing_controls=controls,
        ),
        opts,
    )


def record_role(config: StackConfig, reference: pulumi.StackReference | None) -> pulumi.Input[str]:
    """PRIMARY where dr.activeRegion points; a standby waits until its primary publishes the same active region.

    Route 53 accepts one PRIMARY per name, so a flip demotes the primary first. The standby may be
    flipped while the primary region is down (its job and export follow at once) and its record
    stays SECONDARY until then: health checks (or ARC) already send the clients to it.
    """
    role = failover_role(config.region, active_region(config))
    if role == "SECONDARY" or config.dr.role != "secondary" or reference is None:
        return role
    region = config.region

    def agreed(primary_active: Any) -> str:
        return failover_role(region, str(primary_active))

    return reference.get_output("drActiveRegion").apply(agreed)


def failover_outputs(component: Failover | None) -> dict[str, Any]:
    if component is None:
        return {"dnsRecords": None, "healthCheckIds": None}
    return {
        "dnsRecords": {
            key: {
                "name": record.name,
                "fqdn": record.fqdn,
                "setIdentifier": record.set_identifier,
                "failover": component.role,
            }
            for key, record in component.records.items()
        },
        "healthCheckIds": {key: check.id for key, check in component.health_checks.items()},
        "drRoutingControlArns": component.routing_control_arns,
        "arcClusterArn": component.arc_cluster.arn if component.arc_cluster else None,
        "arcClusterEndpoints": component.arc_cluster.cluster_endpoints if component.arc_cluster else None,
        "arcControlPanelArn": component.control_panel.arn if component.control_panel else None,
    }


def add_to(platform: Platform) -> DisasterRecovery | None:
    """Build the stack's DR (or, for strategy none, just its DNS records) and publish the outputs."""
    config = platform.config
    dr = config.dr
    outputs: dict[str, Any] = {
        "drStrategy": dr.strategy,
        "drRole": dr.role,
        "drRegion": dr.region,
        "drPeerStack": dr.peer_stack,
        "drActiveRegion": active_region(config) if dr.strategy != "none" else config.region,
        "drServesTraffic": serves_traffic(config) if dr.strategy != "none" else True,
        "drTargets": {scenario: target.to_output() for scenario, target in dr_targets(config).items()},
        "drNotReplicated": dict(replication.NOT_REPLICATED),
    }
    if dr.strategy == "none":
        outputs.update(failover_outputs(traffic(platform, None, None)))
        platform.outputs.update(outputs)
        return None
    component = DisasterRecovery(
        "dr",
        DisasterRecoveryArgs(config=config, naming=platform.naming, account_id=platform.account_id, platform=platform),
        platform.opts(),
    )
    outputs.update(component.stack_outputs())
    platform.outputs.update(outputs)
    _warn_on_active_region_mismatch(platform, component)
    return component


def _warn_on_active_region_mismatch(platform: Platform, component: DisasterRecovery) -> None:
    """Both stacks must name the same active region; during a flip the standby is usually changed first."""
    if component.reference is None:
        return
    mine = active_region(platform.config)
    stack = platform.config.stack

    def check(theirs: Any) -> None:
        if theirs is not None and theirs != mine:
            pulumi.log.warn(
                f"dr: {stack} has dr.activeRegion {mine} but its primary has {theirs}: finish the flip in both stack files"
            )

    component.reference.get_output("drActiveRegion").apply(check)
