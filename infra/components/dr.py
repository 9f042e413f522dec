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

This module wires the pieces (``backup.py``, ``replication.py``, the Route 53 records of
``traffic.py``), returns the DR alarm specs (``dr_alarms.py``) for the observability tier to
create (routed to the topics of both regions: CloudWatch alarms can only notify a topic in
their own region, so DR alarm state changes are forwarded to the peer region's event bus,
whose rule publishes them to the peer's topic), and publishes what runbooks and drills need,
including ``drTargets``: expected RTO/RPO per failure scenario (``infra/planning/dr.py``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.components import replication
from infra.components.alarm_spec import AlarmSpec
from infra.components.backup import Backups, BackupsArgs, CacheExport, CopyVault
from infra.components.cache import Cache
from infra.components.dr_alarms import (
    ALARM_FAMILY_PREFIX,
    alarm_event_pattern,
    backup_alarms,
    export_alarms,
    global_datastore_alarms,
    replicator_alarms,
    s3_replication_alarms,
)
from infra.components.dr_peer import PeerStack
from infra.components.edge import Edge
from infra.components.failover import Failover
from infra.components.foundation import Built, Foundation
from infra.components.kafka import Kafka
from infra.components.kms import key_policy
from infra.components.network import Network, service_trust
from infra.components.replication import (
    CACHE_EXPORTS,
    BucketCopy,
    CopyBuckets,
    KafkaReplication,
    KeyRef,
    Replication,
    ReplicationArgs,
    S3Replication,
)
from infra.components.storage import Storage
from infra.components.traffic import failover_outputs, traffic
from infra.config.pair import active_region, fails_back_from_standby, peer_stack_name, serves_traffic
from infra.config.schema import StackConfig
from infra.naming import Naming
from infra.planning.dr import dr_targets

# Buckets holding state that AWS Backup protects (see replication.NOT_REPLICATED for the others).
BACKED_UP = ("lake", "artifacts")


def stack_key_alias(naming: Naming) -> str:
    """The alias infra/components/kms.py gives a stack's key (the same name in any region)."""
    return f"alias/{naming('key')}"


def peer_naming(config: StackConfig) -> Naming | None:
    """How the other half of the pair names things: the standby stack (warm-standby) or this stack in the DR region."""
    if config.dr.region is None or config.dr.strategy == "none":
        return None
    return Naming(peer_stack_name(config) or config.stack, config.dr.region)


def standby_reference(config: StackConfig, parent: pulumi.Resource) -> pulumi.StackReference | None:
    """The standby's outputs, read by the primary only while it fails back (source of the reverse Replicator).

    Only in that state: the normal deploy order (primary, then standby) stays free of cycles, and
    after a failover the standby stack exists and has published its outputs.
    """
    peer_stack = config.dr.peer_stack
    if not fails_back_from_standby(config) or peer_stack is None:
        return None
    return PeerStack("dr-standby", peer_stack, pulumi.ResourceOptions(parent=parent)).reference


@dataclass(frozen=True)
class DisasterRecoveryArgs:
    config: StackConfig
    naming: Naming
    account_id: str
    kms_key_arn: pulumi.Input[str]
    network: Network
    storage: Storage
    kafka: Kafka
    cache: Cache
    edge: Edge
    alarm_topic_arn: pulumi.Input[str]
    """Where the peer region's DR alarm state changes arrive (warm standby)."""
    primary: pulumi.StackReference | None
    """A standby's view of its primary's outputs (infra/components/dr_peer.py); None elsewhere."""


class DisasterRecovery(pulumi.ComponentResource):
    """Everything cross-region of one stack; children: Backups, Replication, Failover, alarm forwarding."""

    backups: Backups
    replication: Replication
    failover: Failover | None
    copy_key: aws.kms.Key | None
    bucket_copies: list[BucketCopy]
    alarm_specs: list[AlarmSpec]
    """The DR alarms, created by the observability tier with every other tier's."""
    reference: pulumi.StackReference | None
    """A standby's view of its primary's outputs."""
    standby: pulumi.StackReference | None
    """A failing-back primary's view of its standby's outputs (``fails_back_from_standby``)."""

    def __init__(self, name: str, args: DisasterRecoveryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:dr:DisasterRecovery", name, None, opts)
        config, naming = args.config, args.naming
        dr = config.dr
        peer = peer_naming(config)
        if peer is None or dr.region is None:  # config rules require dr.region for a DR strategy
            raise ValueError(f"{config.stack}: strategy {dr.strategy} needs dr.region")
        self._name, self._args, self.peer = name, args, peer
        child = pulumi.ResourceOptions(parent=self)
        self.reference = args.primary
        self.standby = standby_reference(config, self)
        warm = dr.strategy == "warm-standby"
        own_key = KeyRef(config.region, stack_key_alias(naming), args.kms_key_arn)
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
                bucket_arns={role: args.storage.arn(role) for role in BACKED_UP},
                cache=CacheExport(
                    replication_group_id=args.cache.replication_group_id,
                    enabled=serves_traffic(config),
                    export_bucket_tags=self._peer_tag() if warm and dr.role == "primary" else {},
                ),
                log_retention_days=config.cache.log_retention_days,
                access_logs=args.storage.access_logs,
            ),
            child,
        )
        self.replication = Replication(f"{name}-replication", self._replication_args(own_key, copy_key), child)
        self.bucket_copies = self._copies()
        self.failover = self._failover()
        self.alarm_specs = self._alarm_specs()
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
        args = self._args
        config, naming = args.config, args.naming
        dr, account = config.dr, args.account_id
        common: dict[str, Any] = {"naming": naming, "account_id": account, "tier": config.tier}
        backups = self.backups
        export_ready = [backups.export_versioning] if backups.export_versioning else []
        storage_ready = [args.storage.versioning[role] for role in BACKED_UP]
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
        common["kafka_source"] = args.kafka
        if dr.role == "primary":
            # Failback: the reverse Replicator (standby -> this cluster), same builder and shape as the forward
            # one: identical topic names, starting at the earliest offset; the Replicator filters out records
            # that came from this cluster (still read and billed). Deleted when dr.activeRegion returns here.
            # ("Failback", identical topic name replication, Amazon MSK developer guide, checked 2026-11-26.)
            reverse = self._kafka_from(self.standby) if self.standby is not None else None
            return ReplicationArgs(**common, cache_primary=args.cache, kafka=reverse)
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
        args = self._args
        network = args.network
        return KafkaReplication(
            source_cluster_arn=peer_outputs.get_output("kafkaClusterArn"),
            source_cluster_name=self.peer("kafka"),
            source_region=self.peer.region,
            source_subnet_ids=peer_outputs.get_output("privateDataSubnetIds"),
            target=args.kafka,
            target_subnet_ids=[s.id for s in network.subnets["private-data"]],
            vpc_id=network.vpc.id,
            kms_key_arn=args.kms_key_arn,
            log_retention_days=args.config.kafka.log_retention_days,
        )

    def _failover(self) -> Failover | None:
        args = self._args
        return traffic(
            args.config, args.naming, args.edge, self.reference, "dr-dns", pulumi.ResourceOptions(parent=self)
        )

    def _alarm_specs(self) -> list[AlarmSpec]:
        config = self._args.config
        specs = s3_replication_alarms(self.bucket_copies, config.dr.s3_pending_operations_alarm)
        specs += backup_alarms(self._args.naming("backup"))
        if self.backups.export_state_machine is not None:
            specs += export_alarms(self.backups.export_state_machine.arn)
        if self.replication.replicator is not None:
            specs += replicator_alarms(replication.replicator_name(self._args.naming), config.dr)
        if config.dr.role == "secondary":
            specs += global_datastore_alarms(self._args.cache.member_cluster_ids, config.dr)
        return specs

    def _forward_alarms(self) -> None:
        """This region's DR alarm state changes go to the peer region's bus; the peer's arrive and reach our topic."""
        config, naming = self._args.config, self._args.naming
        dr, account = config.dr, self._args.account_id
        if dr.region is None:  # checked in __init__
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
            arn=self._args.alarm_topic_arn,
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
        copy_vault = backups.copy_vault_spec
        outputs.update(
            {
                "backupVaultName": backups.vault.name,
                "backupVaultArn": backups.vault.arn,
                "backupVaultLocked": bool(backups.vault_locks),
                "drBackupVaultName": copy_vault.name,
                "drBackupVaultArn": backups.copy_vault.arn if backups.copy_vault else copy_vault.arn(account),
                # Copies out of this account's reach (dr.isolatedCopy); None when off.
                "isolatedBackupVaultArn": backups.isolated_vault_arn,
                "isolatedBackupVaultName": backups.isolated_vault.name
                if backups.isolated_vault
                else (dr.isolated_vault_arn.rsplit(":backup-vault:", 1)[1] if dr.isolated_vault_arn else None),
                "isolatedBackupVaultRegion": dr.isolated_vault_arn.split(":")[3]
                if dr.isolated_vault_arn
                else (naming.region if backups.isolated_vault else None),
                "isolatedBackupVaultKind": dr.isolated_copy,
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
                    "drKafkaClusterArn": self._args.kafka.cluster.arn,
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
        outputs["drAlarmNames"] = sorted(naming(spec.key) for spec in self.alarm_specs)
        return outputs

    def _replication_owner(self) -> str:
        dr = self._args.config.dr
        if dr.strategy == "warm-standby" and dr.role == "primary":
            return peer_stack_name(self._args.config) or ""
        return self._args.config.stack


def build(
    foundation: Foundation,
    storage: Storage,
    kafka: Kafka,
    cache: Cache,
    edge: Edge,
    alarm_topic_arn: pulumi.Input[str],
    primary: pulumi.StackReference | None,
) -> Built[DisasterRecovery | None]:
    """Build the stack's DR (or, for strategy none, just its DNS records); its alarms come back as specs."""
    config = foundation.config
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
        outputs.update(failover_outputs(traffic(config, foundation.naming, edge, None, "dns", foundation.opts())))
        return Built(None, outputs)
    component = DisasterRecovery(
        "dr",
        DisasterRecoveryArgs(
            config=config,
            naming=foundation.naming,
            account_id=foundation.account_id,
            kms_key_arn=foundation.key.key.arn,
            network=foundation.network,
            storage=storage,
            kafka=kafka,
            cache=cache,
            edge=edge,
            alarm_topic_arn=alarm_topic_arn,
            primary=primary,
        ),
        foundation.opts(),
    )
    outputs.update(component.stack_outputs())
    _warn_on_active_region_mismatch(config, component)
    return Built(component, outputs, tuple(component.alarm_specs))


def _warn_on_active_region_mismatch(config: StackConfig, component: DisasterRecovery) -> None:
    """Both stacks must name the same active region; during a flip the standby is usually changed first."""
    if component.reference is None:
        return
    mine = active_region(config)
    stack = config.stack

    def check(theirs: Any) -> None:
        if theirs is not None and theirs != mine:
            pulumi.log.warn(
                f"dr: {stack} has dr.activeRegion {mine} but its primary has {theirs}: finish the flip in both stack files"
            )

    component.reference.get_output("drActiveRegion").apply(check)
