"""Continuous cross-region copies: S3 replication, the MSK Replicator and the ElastiCache Global Datastore.

Who owns what, so the DR pair deploys in one pass (primary, then standby) without a cycle:

* S3 replication of the primary's buckets is owned by the stack deployed *after* both
  buckets exist. For warm standby that is the standby (prod-dr): it knows the primary's
  bucket names (deterministic, ``infra/naming.py``) and its own buckets and key, so the
  replica key is simply its own stack key (an alias ARN is not accepted as replica key,
  and the standby's key ARN cannot be known when the primary deploys first). The
  configuration itself lives on the source bucket, in the primary region (``region=``).
  It changes only when this program changes it, never during a failover, so the standby
  stays operable while the primary region is down. For backup-restore (staging) the stack
  creates its own copy buckets and key in the DR region and owns the replication too.
* The MSK Replicator lives in the target region (the standby) and reads the source
  cluster's ARN and subnets from the primary's stack outputs. Both clusters turn on
  multi-VPC connectivity and carry the cluster policy a cross-region Replicator needs. On
  failback (the primary's ``dr.activeRegion`` names the standby's region) the primary builds
  the reverse Replicator the same way, from the standby's outputs, in its own region.
* The Global Datastore is created by the primary around its cache; the standby's cache
  joins it with the id from the primary's outputs (``dr_peer.global_datastore_id``).

KMS permissions that name the peer's key use ``kms:ResourceAliases`` (the peer's
deterministic alias) instead of its ARN, which this stack cannot know.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import pulumi
import pulumi_aws as aws

from infra.components.cache import global_datastore_settings
from infra.components.network import service_trust
from infra.components.storage import ACCESS_LOGS, SSE_S3, kms_encryption, private_bucket
from infra.config.schema import StorageConfig, Tier
from infra.naming import Naming
from infra.planning.dr import RTC_MINUTES

if TYPE_CHECKING:
    from infra.components.cache import Cache
    from infra.components.kafka import Kafka

CACHE_EXPORTS = "cache-exports"

DeleteMarkers = Literal["Enabled", "Disabled"]
# Which buckets are copied, and whether a delete (a delete marker) follows the object to the
# DR region. Only deletes without a version id make markers; permanent version deletes and
# lifecycle expirations never replicate ("Replicating delete markers between buckets", S3 user
# guide, checked 2026-11-26).
REPLICATED: Mapping[str, DeleteMarkers] = {
    # A bad or malicious delete in the lake must not reach the copy: the DR lake keeps every
    # object; orphaned files after compaction cost a little storage, and table metadata never
    # points at them. Recovering = nothing to do in the DR region.
    "lake": "Disabled",
    # Artifacts are replaced by CI releases: the DR job must see the same set as the primary, and
    # versioning in the DR bucket still holds the deleted version (remove the marker to restore).
    "artifacts": "Enabled",
    # Exported cache snapshots expire by lifecycle in each region; a manual delete stays local.
    CACHE_EXPORTS: "Disabled",
}
# Not replicated, deliberately: "checkpoints" (a Spark checkpoint must never be resumed in another
# region: Kafka offsets differ between clusters, and CRR copies files one by one; the DR job starts a
# new checkpoint from a timestamp rewind), "logs" and "lb-logs" (diagnostics of the failed region,
# not state the service needs to recover; CloudWatch Logs holds the same broker and job logs),
# "access-logs" (S3 server access logs of the region's buckets, likewise diagnostics).
NOT_REPLICATED = {
    "checkpoints": "Spark checkpoints are never resumed in another region; the DR job starts a new one",
    "logs": "diagnostics of the failed region, not state needed to recover",
    "lb-logs": "load-balancer access logs: diagnostics, not state",
    "access-logs": "S3 server access logs: diagnostics (and audit) of the region's buckets, not state",
}

# MSK Replicator: cross-region needs multi-VPC connectivity on the source and this resource policy
# ("Prepare source and target clusters", Amazon MSK developer guide, checked 2026-11-26).
REPLICATOR_SOURCE_ACTIONS = ("kafka:CreateVpcConnection", "kafka:GetBootstrapBrokers", "kafka:DescribeClusterV2")
# The service execution role's actions: those of the managed policy AWSMSKReplicatorExecutionRole
# (AWS managed policy reference, v2, checked 2026-11-26), scoped here to the two clusters.
REPLICATOR_CLUSTER_ACTIONS = (
    "kafka-cluster:Connect",
    "kafka-cluster:DescribeCluster",
    "kafka-cluster:AlterCluster",
    "kafka-cluster:DescribeTopic",
    "kafka-cluster:CreateTopic",
    "kafka-cluster:AlterTopic",
    "kafka-cluster:WriteData",
    "kafka-cluster:ReadData",
    "kafka-cluster:AlterGroup",
    "kafka-cluster:DescribeGroup",
    "kafka-cluster:DescribeTopicDynamicConfiguration",
    "kafka-cluster:AlterTopicDynamicConfiguration",
    "kafka-cluster:WriteDataIdempotently",
)
REPLICATOR_TOPIC_ACTIONS = (
    "kafka-cluster:DescribeTopic",
    "kafka-cluster:CreateTopic",
    "kafka-cluster:AlterTopic",
    "kafka-cluster:WriteData",
    "kafka-cluster:ReadData",
    "kafka-cluster:DescribeTopicDynamicConfiguration",
    "kafka-cluster:AlterTopicDynamicConfiguration",
    "kafka-cluster:AlterCluster",
)
REPLICATOR_GROUP_ACTIONS = ("kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup")
# MSK Replicator connects with IAM authentication (port 9098), "Network requirements".
IAM_PORT = 9098
# Everything but Kafka's and MSK's internal topics/groups (__consumer_offsets, __amazon_msk_canary,
# the Replicator's own state); new topics and groups are picked up as they appear.
ALL = ".*"
INTERNAL_TOPICS = "__.*"
CANARY_GROUPS = "amazon\\.msk\\.canary.*"
REPLICATOR_COMPRESSION = "LZ4"


@dataclass(frozen=True)
class KeyRef:
    """A KMS key the replication role uses: by ARN when this stack knows it, else by its alias."""

    region: str
    alias: str
    """``alias/sp-<stack>-key``: the peer's key is known to this stack by alias only."""
    arn: pulumi.Input[str] | None = None


@dataclass(frozen=True)
class BucketCopy:
    """One replicated bucket: a rule on the source bucket copying into the destination bucket."""

    role: str
    source_bucket: str
    source_region: str
    destination_bucket: str
    destination_region: str

    @property
    def rule_id(self) -> str:
        return f"{self.role}-to-{self.destination_region}"

    @property
    def delete_markers(self) -> DeleteMarkers:
        return REPLICATED[self.role]

    def to_output(self) -> dict[str, str]:
        return {
            "ruleId": self.rule_id,
            "source": self.source_bucket,
            "sourceRegion": self.source_region,
            "destination": self.destination_bucket,
            "destinationRegion": self.destination_region,
            "deleteMarkerReplication": self.delete_markers,
        }


def bucket_copies(
    source: Naming, destination: Naming, account_id: str, roles: Sequence[str] = tuple(REPLICATED)
) -> list[BucketCopy]:
    """Copies from each source bucket to the same-role bucket of the destination naming (names are deterministic)."""
    return [
        BucketCopy(
            role=role,
            source_bucket=source.bucket(role, account_id),
            source_region=source.region,
            destination_bucket=destination.bucket(role, account_id),
            destination_region=destination.region,
        )
        for role in roles
    ]


def replication_rule(copy: BucketCopy, replica_key_arn: pulumi.Input[str]) -> dict[str, Any]:
    """An RTC rule copying every object (SSE-KMS ones re-encrypted with the replica key) with metrics on."""
    return {
        "id": copy.rule_id,
        "status": "Enabled",
        "priority": 1,
        "filter": {"prefix": ""},
        "delete_marker_replication": {"status": copy.delete_markers},
        "source_selection_criteria": {
            "sse_kms_encrypted_objects": {"status": "Enabled"},
            # Changes made to a replica (tags, ACLs) stay in its region: the copy is read-only in spirit.
            "replica_modifications": {"status": "Disabled"},
        },
        "destination": {
            "bucket": f"arn:aws:s3:::{copy.destination_bucket}",
            "storage_class": "STANDARD",
            "encryption_configuration": {"replica_kms_key_id": replica_key_arn},
            "replication_time": {"status": "Enabled", "time": {"minutes": RTC_MINUTES}},
            "metrics": {"status": "Enabled", "event_threshold": {"minutes": RTC_MINUTES}},
        },
    }


def _kms_statement(
    sid: str, actions: list[str], key: KeyRef, key_arn: str | None, buckets: Sequence[str], account_id: str
) -> dict[str, Any]:
    """Use a key only through S3 in its region, only for the given buckets (Bucket Keys use the bucket ARN as context)."""
    condition: dict[str, Any] = {
        "StringEquals": {"kms:ViaService": f"s3.{key.region}.amazonaws.com"},
        "StringLike": {
            "kms:EncryptionContext:aws:s3:arn": [
                arn for b in buckets for arn in (f"arn:aws:s3:::{b}", f"arn:aws:s3:::{b}/*")
            ]
        },
    }
    if key_arn is None:
        condition["ForAnyValue:StringEquals"] = {"kms:ResourceAliases": key.alias}
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Action": actions,
        "Resource": key_arn or f"arn:aws:kms:{key.region}:{account_id}:key/*",
        "Condition": condition,
    }


def replication_role_policy(
    copies: Sequence[BucketCopy],
    account_id: str,
    source_key: KeyRef,
    source_key_arn: str | None,
    destination_key: KeyRef,
    destination_key_arn: str | None,
) -> dict[str, Any]:
    """The S3 replication role: read versions of the sources, replicate into the destinations, and the two keys.

    From "Setting up permissions for live replication" (Amazon S3 user guide, checked 2026-11-26).
    """
    sources = [c.source_bucket for c in copies]
    destinations = [c.destination_bucket for c in copies]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadSourceConfiguration",
                "Effect": "Allow",
                "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
                "Resource": [f"arn:aws:s3:::{b}" for b in sources],
            },
            {
                "Sid": "ReadSourceVersions",
                "Effect": "Allow",
                "Action": ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"],
                "Resource": [f"arn:aws:s3:::{b}/*" for b in sources],
            },
            {
                "Sid": "WriteReplicas",
                "Effect": "Allow",
                "Action": ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
                "Resource": [f"arn:aws:s3:::{b}/*" for b in destinations],
            },
            _kms_statement("DecryptSources", ["kms:Decrypt"], source_key, source_key_arn, sources, account_id),
            _kms_statement(
                "EncryptReplicas",
                ["kms:Encrypt", "kms:GenerateDataKey"],
                destination_key,
                destination_key_arn,
                destinations,
                account_id,
            ),
        ],
    }


def replicator_name(naming: Naming) -> str:
    return naming("kafka-replicator")


def kafka_resource_arns(region: str, account_id: str, cluster_name: str) -> dict[str, str]:
    """IAM resources of a cluster by name (any UUID): the cluster, its topics and its groups."""
    prefix = f"arn:aws:kafka:{region}:{account_id}"
    return {
        "cluster": f"{prefix}:cluster/{cluster_name}/*",
        "topic": f"{prefix}:topic/{cluster_name}/*",
        "group": f"{prefix}:group/{cluster_name}/*",
    }


def replicator_role_policy(account_id: str, clusters: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """kafka-cluster actions on the source and target clusters (region, cluster name) and nothing else."""
    arns = [kafka_resource_arns(region, account_id, name) for region, name in clusters]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Clusters",
                "Effect": "Allow",
                "Action": list(REPLICATOR_CLUSTER_ACTIONS),
                "Resource": [a["cluster"] for a in arns],
            },
            {
                "Sid": "Topics",
                "Effect": "Allow",
                "Action": list(REPLICATOR_TOPIC_ACTIONS),
                "Resource": [a["topic"] for a in arns],
            },
            {
                "Sid": "Groups",
                "Effect": "Allow",
                "Action": list(REPLICATOR_GROUP_ACTIONS),
                "Resource": [a["group"] for a in arns],
            },
        ],
    }


def source_cluster_policy(cluster_arn: str) -> dict[str, Any]:
    """The cluster policy a cross-region Replicator needs on its source (MSK service principal, three actions)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "MskReplicatorReadsAcrossRegions",
                "Effect": "Allow",
                "Principal": {"Service": "kafka.amazonaws.com"},
                "Action": list(REPLICATOR_SOURCE_ACTIONS),
                "Resource": cluster_arn,
            }
        ],
    }


def replication_info(source_arn: pulumi.Input[str], target_arn: pulumi.Input[str]) -> dict[str, Any]:
    """Active/passive copy: identical topic names, records and ACLs, consumer offsets translated.

    One owner per topic config: the program declares every platform topic (``workload.topics``) as
    ``aws.msk.Topic`` in BOTH clusters, with the same configs (the standby's workload is derived
    from the primary's stack file, ``infra/config/parity.py``). With ``copyTopicConfigurations``
    on, the Replicator would also "periodically configure remote topics to match their
    corresponding upstream topics" (retention.ms, cleanup.policy, ...: "Topic configuration
    replication permissions", Amazon MSK developer guide,
    https://docs.aws.amazon.com/msk/latest/developerguide/msk-replicator-perms-topic-config-replication.html,
    checked 2026-12-02), i.e. write the protected topics the program manages in the standby, and
    a drift in either would be fought over on every `pulumi up`. So it is off: the Replicator
    copies records only, into topics the program created first (the Replicator waits on them).
    """
    return {
        "source_kafka_cluster_arn": source_arn,
        "target_kafka_cluster_arn": target_arn,
        "target_compression_type": REPLICATOR_COMPRESSION,
        "topic_replications": [
            {
                "topics_to_replicates": [ALL],
                "topics_to_excludes": [INTERNAL_TOPICS],
                "topic_name_configuration": {"type": "IDENTICAL"},
                # The program owns topic configs in both clusters (see the docstring).
                "copy_topic_configurations": False,
                "copy_access_control_lists_for_topics": True,
                "detect_and_copy_new_topics": True,
                # The whole retained log on creation: the standby starts complete, not from "now".
                "starting_position": {"type": "EARLIEST"},
            }
        ],
        "consumer_group_replications": [
            {
                "consumer_groups_to_replicates": [ALL],
                "consumer_groups_to_excludes": [CANARY_GROUPS],
                "synchronise_consumer_group_offsets": True,
                "detect_and_copy_new_consumer_groups": True,
                # ENHANCED needs a reverse Replicator; offsets translate for groups idle on the target.
                "consumer_group_offset_sync_mode": "LEGACY",
            }
        ],
    }


@dataclass(frozen=True)
class S3Replication:
    copies: Sequence[BucketCopy]
    source_key: KeyRef
    destination_key: KeyRef
    destination_ready: Sequence[pulumi.Resource] = ()
    """Versioning of destination buckets this stack owns elsewhere: S3 checks it when the rule is put."""


@dataclass(frozen=True)
class CopyBuckets:
    """Destination buckets this stack creates in the DR region (backup-restore: no standby stack owns them)."""

    naming: Naming
    """Naming in the DR region; bucket names come from ``naming.bucket``."""
    storage: StorageConfig
    key_arn: pulumi.Input[str]
    roles: Sequence[str] = tuple(REPLICATED)
    expire_days: Mapping[str, int] = field(default_factory=dict)
    """Current-version expiry per role (the exported cache snapshots), on top of the storage lifecycle."""


@dataclass(frozen=True)
class KafkaReplication:
    """The Replicator in this (target) region, fed by the peer's outputs (the primary's, or the standby's on failback)."""

    source_cluster_arn: pulumi.Input[str]
    source_cluster_name: str
    source_region: str
    source_subnet_ids: pulumi.Input[Sequence[str]]
    target: Kafka
    target_subnet_ids: Sequence[pulumi.Input[str]]
    vpc_id: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    log_retention_days: int


@dataclass(frozen=True)
class ReplicationArgs:
    naming: Naming
    account_id: str
    tier: Tier
    s3: S3Replication | None = None
    copy_buckets: CopyBuckets | None = None
    kafka: KafkaReplication | None = None
    kafka_source: Kafka | None = None
    """This stack's cluster, as the source of a cross-region Replicator: gets the cluster policy it needs."""
    cache_primary: Cache | None = None
    """The primary's cache: becomes the primary of a new Global Datastore."""


class Replication(pulumi.ComponentResource):
    """The continuous copies this stack owns (see the module docstring for who owns which)."""

    copy_buckets: dict[str, aws.s3.Bucket]
    bucket_configs: dict[str, aws.s3.BucketReplicationConfig]
    replication_role: aws.iam.Role | None
    replicator: aws.msk.Replicator | None
    replicator_security_group: aws.ec2.SecurityGroup | None
    source_cluster_policy: aws.msk.ClusterPolicy | None
    global_datastore: aws.elasticache.GlobalReplicationGroup | None

    def __init__(self, name: str, args: ReplicationArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:replication:Replication", name, None, opts)
        self._name, self._args = name, args
        self.copies: list[BucketCopy] = list(args.s3.copies) if args.s3 is not None else []
        self.copy_buckets, self.bucket_configs = {}, {}
        self.replication_role = self.replicator = self.replicator_security_group = None
        self.source_cluster_policy = self.global_datastore = None
        copy_ready: list[pulumi.Resource] = []
        if args.copy_buckets is not None:
            copy_ready = self._copy_buckets(args.copy_buckets)
        if args.s3 is not None and args.s3.copies:
            self._s3(args.s3, [*args.s3.destination_ready, *copy_ready])
        if args.kafka_source is not None:
            self.source_cluster_policy = aws.msk.ClusterPolicy(
                f"{name}-kafka-source-policy",
                cluster_arn=args.kafka_source.cluster.arn,
                policy=args.kafka_source.cluster.arn.apply(lambda arn: json.dumps(source_cluster_policy(arn))),
                opts=pulumi.ResourceOptions(parent=self),
            )
        if args.kafka is not None:
            self._replicator(args.kafka)
        if args.cache_primary is not None:
            self.global_datastore = aws.elasticache.GlobalReplicationGroup(
                f"{name}-cache-global",
                global_replication_group_id_suffix=args.naming("cache"),
                primary_replication_group_id=args.cache_primary.replication_group.id,
                global_replication_group_description=f"{args.naming('cache')}: warm standby in the DR region",
                # Node type, shards and version of every member change here (infra/components/cache.py).
                **global_datastore_settings(args.cache_primary.config),
                opts=pulumi.ResourceOptions(parent=self, protect=args.tier == "prod"),
            )
        self.register_outputs(
            {
                "bucketReplicationRules": {role: c.bucket for role, c in self.bucket_configs.items()},
                "replicatorArn": self.replicator.arn if self.replicator else None,
                "globalDatastoreId": self.global_datastore.global_replication_group_id
                if self.global_datastore
                else None,
            }
        )

    def _copy_buckets(self, spec: CopyBuckets) -> list[pulumi.Resource]:
        ready: list[pulumi.Resource] = []
        access_logs = private_bucket(
            self,
            f"{self._name}-copy-{ACCESS_LOGS}",
            spec.naming,
            ACCESS_LOGS,
            self._args.account_id,
            sse=SSE_S3,
            storage=spec.storage,
            protect=self._args.tier == "prod",
            region=spec.naming.region,
        )
        for role in spec.roles:
            made = private_bucket(
                self,
                f"{self._name}-copy-{role}",
                spec.naming,
                role,
                self._args.account_id,
                sse=SSE_S3 if role == CACHE_EXPORTS else kms_encryption(spec.key_arn),
                storage=spec.storage,
                protect=self._args.tier == "prod",
                region=spec.naming.region,
                acl_grants_for_elasticache=role == CACHE_EXPORTS,
                expire_days=spec.expire_days.get(role),
                access_logs=access_logs,
            )
            self.copy_buckets[role] = made.bucket
            ready.append(made.versioning)
        return ready

    def _s3(self, spec: S3Replication, ready: Sequence[pulumi.Resource]) -> None:
        naming = self._args.naming
        role = aws.iam.Role(
            f"{self._name}-s3-role",
            name=naming("s3-replication"),
            assume_role_policy=json.dumps(service_trust("s3.amazonaws.com")),
            description="S3 replication of the DR pair's buckets (RTC, SSE-KMS replicas)",
            opts=pulumi.ResourceOptions(parent=self),
        )
        policy = pulumi.Output.all(spec.source_key.arn, spec.destination_key.arn).apply(
            lambda arns: json.dumps(
                replication_role_policy(
                    spec.copies, self._args.account_id, spec.source_key, arns[0], spec.destination_key, arns[1]
                )
            )
        )
        role_policy = aws.iam.RolePolicy(
            f"{self._name}-s3-role-policy", role=role.id, policy=policy, opts=pulumi.ResourceOptions(parent=role)
        )
        self.replication_role = role
        replica_key = spec.destination_key.arn
        if replica_key is None:  # the config rules and DisasterRecovery never allow it
            raise ValueError("S3 replication needs the destination key's ARN (the replica key)")
        for copy in spec.copies:
            self.bucket_configs[copy.role] = aws.s3.BucketReplicationConfig(
                f"{self._name}-s3-{copy.role}",
                bucket=copy.source_bucket,
                role=role.arn,
                rules=[replication_rule(copy, replica_key)],
                region=copy.source_region,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[role_policy, *ready]),
            )

    def _replicator(self, spec: KafkaReplication) -> None:
        naming, target = self._args.naming, spec.target
        child = pulumi.ResourceOptions(parent=self)
        group = aws.ec2.SecurityGroup(
            f"{self._name}-replicator-sg",
            name=naming("kafka-replicator"),
            vpc_id=spec.vpc_id,
            description="MSK Replicator network interfaces; rules are separate resources",
            tags={"Name": naming("kafka-replicator")},
            opts=child,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{self._name}-replicator-to-kafka",
            security_group_id=group.id,
            referenced_security_group_id=target.security_group.id,
            ip_protocol="tcp",
            from_port=IAM_PORT,
            to_port=IAM_PORT,
            description="SASL/IAM to the target brokers",
            opts=pulumi.ResourceOptions(parent=group),
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{self._name}-kafka-from-replicator",
            security_group_id=target.security_group.id,
            referenced_security_group_id=group.id,
            ip_protocol="tcp",
            from_port=IAM_PORT,
            to_port=IAM_PORT,
            description="MSK Replicator (SASL/IAM) writing the DR copy",
            opts=pulumi.ResourceOptions(parent=group),
        )
        self.replicator_security_group = group
        role = aws.iam.Role(
            f"{self._name}-replicator-role",
            name=naming("kafka-replicator"),
            assume_role_policy=json.dumps(service_trust("kafka.amazonaws.com")),
            description="MSK Replicator service execution role",
            opts=child,
        )
        policy = aws.iam.RolePolicy(
            f"{self._name}-replicator-policy",
            role=role.id,
            policy=json.dumps(
                replicator_role_policy(
                    self._args.account_id,
                    [(spec.source_region, spec.source_cluster_name), (naming.region, target.cluster_name)],
                )
            ),
            opts=pulumi.ResourceOptions(parent=role),
        )
        log_group = aws.cloudwatch.LogGroup(
            f"{self._name}-replicator-logs",
            name=naming.log_group("kafka-replicator"),
            retention_in_days=spec.log_retention_days,
            kms_key_id=spec.kms_key_arn,
            opts=child,
        )
        self.replicator = aws.msk.Replicator(
            f"{self._name}-replicator",
            replicator_name=replicator_name(naming),
            description=f"{spec.source_cluster_name} ({spec.source_region}) -> {target.cluster_name}, identical topic names",
            service_execution_role_arn=role.arn,
            kafka_clusters=[
                # Cross-region: the source is reached over multi-VPC connectivity; no security group there.
                {
                    "amazon_msk_cluster": {"msk_cluster_arn": spec.source_cluster_arn},
                    "vpc_config": {"subnet_ids": spec.source_subnet_ids},
                },
                {
                    "amazon_msk_cluster": {"msk_cluster_arn": target.cluster.arn},
                    "vpc_config": {"subnet_ids": list(spec.target_subnet_ids), "security_groups_ids": [group.id]},
                },
            ],
            replication_info_list=replication_info(spec.source_cluster_arn, target.cluster.arn),
            log_delivery={
                "replicator_log_delivery": {"cloudwatch_logs": {"enabled": True, "log_group": log_group.name}}
            },
            tags={"Name": replicator_name(naming)},
            # The program creates the target's topics (their owner) before the Replicator writes into them.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy, *target.topics.values()]),
        )
