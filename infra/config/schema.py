"""The one typed schema of a stack's configuration.

Every key a stack file may set is a field here, with its type, bounds and a description
(rendered into docs/config-reference.md by `blueprint docs`). Stack files use camelCase keys under the project
namespace (``streaming-platform:network: {azCount: 3}``); Python code uses snake_case.
Defaults that differ per environment tier live in ``tier_defaults.py``, not here: a
field's default below is the value every tier shares.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from infra.catalog.sizing import DEFAULT_FILL_TARGET

Tier = Literal["dev", "staging", "prod"]
Role = Literal["primary", "secondary"]
DrStrategy = Literal["none", "backup-restore", "warm-standby"]

# CloudWatch Logs accepts only these retention values (PutRetentionPolicy, AWS API reference,
# checked 2026-11-26).
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)

# Interface endpoint short names -> service suffix (com.amazonaws.<region>.<suffix>).
INTERFACE_ENDPOINTS = (
    "sts",
    "kms",
    "logs",
    "secretsmanager",
    "ecr.api",
    "ecr.dkr",
    "monitoring",
    "ssm",
    "ssmmessages",
    "ec2messages",
    "elasticmapreduce",
    "kafka",
    "elasticache",
    "sqs",
    "sns",
    "ecs",
    "ecs-agent",
    "ecs-telemetry",
    "execute-api",
)


class Section(BaseModel):
    """Base of every config section: camelCase keys, unknown keys rejected, immutable."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True)


class NetworkConfig(Section):
    cidr: str = Field(description="VPC IPv4 CIDR (RFC 1918). Must not overlap the DR region's VPC.")
    az_count: int = Field(ge=1, le=6, description="Availability Zones the VPC spans (prod >= 3).")
    nat_gateways: Literal["single", "per-az"] = Field(
        description="One shared NAT gateway (cheap, an AZ loss cuts egress) or one per AZ."
    )
    interface_endpoints: tuple[str, ...] = Field(
        description=f"Interface VPC endpoints to create, from: {', '.join(INTERFACE_ENDPOINTS)}."
    )
    flow_log_retention_days: int = Field(description="Retention of the VPC flow log group.")
    flow_log_traffic_type: Literal["ALL", "ACCEPT", "REJECT"] = Field(
        default="ALL", description="Which traffic the VPC flow log records."
    )
    subnet_prefix_lengths: dict[str, int] | None = Field(
        default=None,
        description="Override subnet sizes per tier (public, private-app, private-data).",
    )


class KmsConfig(Section):
    deletion_window_days: int = Field(
        ge=7, le=30, description="Waiting period before a scheduled key deletion (7-30 days)."
    )


class WorkloadConfig(Section):
    """The declared streaming workload; MSK sizing and retention derive from it."""

    ingress_mbps: float = Field(gt=0, description="Average producer ingress, MB/s.")
    peak_factor: float = Field(ge=1, le=10, description="Peak ingress / average ingress.")
    retention_hours: float = Field(gt=0, le=24 * 365, description="Kafka log retention, hours.")
    replication_factor: int = Field(ge=2, le=5, description="Topic replication factor.")
    consumer_groups: int = Field(ge=1, le=50, description="Consumer groups reading the tip.")
    partitions: int = Field(ge=1, le=100_000, description="Partitions across all topics.")
    topics: tuple[str, ...] = Field(
        default=("events", "events-dlq"),
        description="Topics the platform owns; the ingest tier may write only these.",
    )


class StorageAutoscalingConfig(Section):
    enabled: bool = Field(default=True, description="Application Auto Scaling of broker volumes.")
    max_volume_gib: int = Field(
        default=16384,
        ge=1,
        le=16384,
        description="Upper bound the scaler may grow a broker volume to, GiB (MSK max 16384; >= the sized volume).",
    )


class KafkaConfig(Section):
    kafka_version: str = Field(description="MSK Kafka version (see infra/data/msk_versions.yaml).")
    sizing: Literal["workload", "explicit"] = Field(
        description="'workload': brokers come from the sizing model; 'explicit': use the fields below."
    )
    instance_type: str | None = Field(default=None, description="Broker type (explicit sizing).")
    brokers: int | None = Field(default=None, ge=1, description="Broker count (explicit sizing).")
    volume_gib: int | None = Field(default=None, ge=1, le=16384, description="Volume per broker.")
    volume_throughput_mbps: int | None = Field(
        default=None, ge=250, le=1000, description="Provisioned storage throughput, MiB/s."
    )
    disk_fill_percent: int = Field(
        default=round(DEFAULT_FILL_TARGET * 100),
        ge=10,
        le=80,
        description=(
            "Broker disk use at full retention, %: the one fill target. Sizing gives each broker a volume "
            "retention fills to this share (the cost prices it), storage autoscaling tracks it and "
            "observability.mskDiskUsedPercent must sit above it. MSK accepts 10-80% as the autoscaling "
            "target and recommends 50-60% "
            "(https://docs.aws.amazon.com/msk/latest/developerguide/msk-autoexpand-details.html, checked 2026-12-02)."
        ),
    )
    storage_autoscaling: StorageAutoscalingConfig = Field(default_factory=StorageAutoscalingConfig)
    enhanced_monitoring: Literal["DEFAULT", "PER_BROKER", "PER_TOPIC_PER_BROKER", "PER_TOPIC_PER_PARTITION"] = Field(
        description="MSK enhanced monitoring level."
    )
    scram: bool = Field(default=False, description="Also enable SASL/SCRAM (secret in Secrets Manager).")
    log_retention_days: int = Field(description="Retention of the broker log group.")


class CacheConfig(Section):
    engine: Literal["valkey", "redis"] = Field(default="valkey", description="Cache engine.")
    engine_version: str = Field(description="Engine version (see infra/data/cache_engines.yaml).")
    node_type: str = Field(description="Node type, e.g. cache.r7g.large.")
    shards: int = Field(ge=1, le=500, description="Node groups (cluster mode shards).")
    replicas_per_shard: int = Field(ge=0, le=5, description="Replicas per shard (>= 1 for Multi-AZ).")
    auth: Literal["iam", "token"] = Field(
        default="iam", description="IAM-authenticated RBAC users, or an auth token in Secrets Manager."
    )
    snapshot_retention_days: int = Field(ge=0, le=35, description="Automatic snapshot retention.")
    snapshot_window: str = Field(default="03:00-05:00", description="Daily snapshot window, UTC.")
    maintenance_window: str = Field(default="sun:05:30-sun:06:30", description="Weekly maintenance window, UTC.")
    log_retention_days: int = Field(description="Retention of slow and engine log groups.")
    maxmemory_policy: Literal[
        "volatile-lru",
        "allkeys-lru",
        "volatile-lfu",
        "allkeys-lfu",
        "volatile-ttl",
        "volatile-random",
        "allkeys-random",
        "noeviction",
    ] = Field(
        default="volatile-lru",
        description="Eviction policy (parameter group); volatile-lru is ElastiCache's default: only keys with a TTL go.",
    )


class IngestConfig(Section):
    image: str = Field(
        description=(
            "Gateway container image, pinned by tag or digest. A Redpanda Connect build: the task runs "
            "'/redpanda-connect run <config>' and uses the image's /bin/sh and wget (busybox) for the "
            "config writer and the container health check."
        )
    )
    config_template: str = Field(
        default="ingest/redpanda-connect.yaml.j2",
        description="Gateway config template under templates/ (rendered with the MSK brokers and topic).",
    )
    container_port: int = Field(
        default=8080, ge=1, le=65535, description="Gateway ingest port: the load balancers' target port."
    )
    admin_port: int = Field(
        default=4195,
        ge=1,
        le=65535,
        description="Gateway service port (/ping, /ready, /metrics): health checks only, never routed to clients.",
    )
    ingest_path: str = Field(
        default="/v1/events",
        description="Path clients POST events to; websocket clients use <path>/ws.",
    )
    topic: str = Field(default="events", description="Topic the gateway writes to (one of workload.topics).")
    health_check_path: str = Field(
        default="/ping", description="Health check path on the service port (target groups and container)."
    )
    cpu: int = Field(description="Fargate task CPU units (256..16384).")
    memory_mib: int = Field(description="Fargate task memory, MiB.")
    # ARM64 $0.03238 vs x86 $0.04048 per vCPU-hour in us-east-1 (https://aws.amazon.com/fargate/pricing/,
    # infra/data/prices.yaml, checked 2026-11-26); the Redpanda Connect image is built for both.
    cpu_architecture: Literal["ARM64", "X86_64"] = Field(
        default="ARM64", description="Fargate CPU architecture (Graviton ARM64 costs about 20% less per vCPU-hour)."
    )
    min_tasks: int = Field(ge=1, description="Autoscaling floor (prod: >= AZ count).")
    max_tasks: int = Field(ge=1, description="Autoscaling ceiling.")
    cpu_target_percent: int = Field(default=60, ge=10, le=90, description="CPU tracking target.")
    requests_per_target: int = Field(
        default=1000, ge=1, description="ALB requests per target per minute the request-count policy keeps."
    )
    log_retention_days: int = Field(description="Retention of the task log group.")


class EdgeConfig(Section):
    certificate_arn: str | None = Field(default=None, description="ACM certificate for HTTPS/TLS.")
    domain_name: str | None = Field(
        default=None,
        description=(
            "Ingest hostname of the ALB; the NLB is stream.<domainName>. With hostedZoneId an ACM certificate "
            "for both is issued and DNS-validated (the records pointing the names at the LBs are the DR tier's)."
        ),
    )
    hosted_zone_id: str | None = Field(default=None, description="Route 53 hosted zone id.")
    ssl_policy: str = Field(
        default="ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
        description="ELB security policy of the HTTPS and TLS listeners (see infra/data/elb_tls_policies.yaml).",
    )
    waf_rate_limit: int = Field(default=2000, ge=10, le=2_000_000_000, description="Requests per 5 min per IP (WAF).")
    nlb: bool = Field(default=True, description="Also create the NLB for TCP/TLS streaming clients.")
    deregistration_delay_seconds: int = Field(
        default=30, ge=0, le=3600, description="Seconds a draining task keeps its in-flight requests."
    )


class SparkConfig(Section):
    release_label: str = Field(description="EMR release (see infra/data/emr_releases.yaml).")
    primary_instance_type: str = Field(description="Primary node type.")
    primary_count: Literal[1, 3] = Field(description="Primary nodes (3 = HA, prod).")
    core_instance_types: tuple[str, ...] = Field(description="Core fleet types (on-demand).")
    core_capacity: int = Field(ge=1, description="Core fleet on-demand units.")
    task_instance_types: tuple[str, ...] = Field(description="Task fleet types (spot).")
    task_max_capacity: int = Field(ge=0, description="Task fleet upper bound (managed scaling).")
    managed_scaling_max: int = Field(ge=1, description="Managed scaling maximum units.")
    task_on_demand_percent: int = Field(
        default=50,
        ge=0,
        le=100,
        description=(
            "Share of spark.taskMaxCapacity managed scaling may launch on-demand when spot is short, % "
            "(the policy's MaximumOnDemandCapacityUnits = coreCapacity + this share of the task units; "
            "https://docs.aws.amazon.com/emr/latest/ManagementGuide/managed-scaling-allocation-strategy.html, "
            "checked 2026-12-02)."
        ),
    )
    in_transit_encryption: bool = Field(description="TLS between nodes (security configuration).")
    idle_timeout_minutes: int | None = Field(
        default=None, ge=60, le=10080, description="Auto-terminate when idle (dev)."
    )
    run_job: bool = Field(default=True, description="Submit the streaming job as an EMR step.")
    ebs_volume_gib: int = Field(
        default=128, ge=32, le=2048, description="gp3 volume per core and task node, GiB (shuffle, state)."
    )
    tls_certificates_s3_uri: str | None = Field(
        default=None,
        description=(
            "s3://.../*.zip of PEM files (privateKey.pem, certificateChain.pem, trustedCertificates.pem) "
            "for in-transit encryption; default: tls/emr-in-transit-certs.zip in the artifacts bucket, "
            "uploaded by an operator before the first `pulumi up` (never generated into the repo)."
        ),
    )
    job_generation: int = Field(
        default=0, ge=0, description="Checkpoint generation of the job: +1 starts a NEW checkpoint (DR, reprocessing)."
    )
    starting_offsets: Literal["earliest", "latest"] = Field(
        default="earliest", description="Where a NEW checkpoint starts reading (ignored when it exists)."
    )
    starting_timestamp: str | None = Field(
        default=None,
        description="ISO-8601 time with offset (e.g. 2026-11-26T10:00:00Z): a NEW checkpoint starts here (DR rewind); "
        "replaces startingOffsets.",
    )


class StorageConfig(Section):
    lake_ia_after_days: int = Field(ge=30, description="Lake objects move to Standard-IA after.")
    logs_expire_days: int = Field(ge=1, description="Logs bucket objects expire after.")
    noncurrent_expire_days: int = Field(ge=1, description="Noncurrent versions expire after.")


class ObservabilityConfig(Section):
    """Alarm thresholds per tier; every alarm notifies the stack's alarm topic on ALARM and OK."""

    alarm_email: str | None = Field(
        default=None,
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
        description="Subscribed to the alarm topic (the address must confirm the subscription).",
    )
    msk_disk_used_percent: float = Field(
        default=85,
        gt=0,
        le=100,
        description="KafkaDataLogsDiskUsed per broker, %: the act-now level above kafka.diskFillPercent (the scaler fell behind, hit maxVolumeGib, or retention outgrew the plan); MSK best practices alarm at 85% (https://docs.aws.amazon.com/msk/latest/developerguide/bestpractices.html, checked 2026-12-02).",
    )
    msk_cpu_percent: float = Field(
        default=60,
        gt=0,
        le=100,
        description="CpuUser + CpuSystem per broker, %: MSK best practices keep it under 60%.",
    )
    cache_cpu_percent: float = Field(
        default=70,
        gt=0,
        le=100,
        description="EngineCPUUtilization per node, %: add shards before the engine thread saturates (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/CacheMetrics.WhichShouldIMonitor.html suggests alarming by 90%; 70% leaves time to reshard; checked 2026-12-02).",
    )
    cache_memory_percent: float = Field(
        default=80, gt=0, le=100, description="DatabaseMemoryUsagePercentage per node, %."
    )
    cache_evictions_max: int = Field(
        default=0,
        ge=0,
        description="Evictions per node per 5 minutes above which the node alarms (0: any eviction; the job keeps state there).",
    )
    cache_replication_lag_seconds: float = Field(
        default=5, gt=0, description="ReplicationLag per replica node, seconds."
    )
    cache_max_connections: int = Field(
        default=50_000, gt=0, description="CurrConnections per node (the engine allows 65,000)."
    )
    lb_5xx_per_minute: int = Field(
        default=10, gt=0, description="ALB 5XX responses per minute, generated by the ALB or by targets."
    )
    lb_p99_seconds: float = Field(default=1.0, gt=0, description="ALB TargetResponseTime p99, seconds.")
    ecs_cpu_percent: float = Field(
        default=80, gt=0, le=100, description="Ingest service CPUUtilization, % (autoscaling targets less)."
    )
    ecs_memory_percent: float = Field(default=80, gt=0, le=100, description="Ingest service MemoryUtilization, %.")
    emr_apps_pending: int = Field(default=5, gt=0, description="YARN applications pending on the EMR cluster.")
    emr_yarn_memory_available_percent: float = Field(
        default=15, gt=0, le=100, description="Alarm when YARNMemoryAvailablePercentage falls below this, %."
    )


class DrConfig(Section):
    """Cross-region recovery: backups and copies (backup-restore), plus a running standby stack (warm-standby)."""

    strategy: DrStrategy = Field(description="none (dev), backup-restore, warm-standby (prod).")
    role: Role = Field(default="primary", description="This stack's role in its DR pair.")
    region: str | None = Field(default=None, description="The other region of the pair.")
    peer_cidr: str | None = Field(default=None, description="The other region's VPC CIDR.")
    peer_stack: str | None = Field(
        default=None,
        description=(
            "Fully qualified peer stack (org/project/stack): another stack of this project, with a file in stacks/. "
            "A secondary reads its primary's file and inherits what the pair must share (workload, Kafka and cache "
            "shape, storage lifecycle, domain; infra/config/parity.py): its own file may not set those keys."
        ),
    )
    active_region: str | None = Field(
        default=None,
        description=(
            "Region serving traffic now (default: the primary's region). Reconciled in both stack files after a "
            "failover (the runbook's last, separate step); a failover itself needs no `pulumi up`. "
            "Route 53 PRIMARY/SECONDARY records, the cache export schedule and the EMR job step follow it."
        ),
    )
    vault_lock: bool = Field(default=False, description="AWS Backup vault lock (compliance).")
    isolated_copy: Literal["none", "air-gapped", "account"] = Field(
        default="none",
        description=(
            "Where the daily recovery points are also copied, out of reach of this account's credentials: "
            "'air-gapped' = an AWS Backup logically air-gapped vault of this stack (compliance-locked, "
            "shareable to a recovery account through AWS RAM; "
            "https://docs.aws.amazon.com/aws-backup/latest/devguide/logicallyairgappedvault.html, checked 2026-12-02), "
            "'account' = the vault of another account named by dr.isolatedVaultArn (on in prod: air-gapped)."
        ),
    )
    isolated_vault_arn: str | None = Field(
        default=None,
        pattern=r"^arn:aws:backup:[a-z0-9-]+:\d{12}:backup-vault:[A-Za-z0-9_.-]{2,50}$",
        description=(
            "dr.isolatedCopy 'account': the vault in a separate (backup) account; its access policy must allow "
            "backup:CopyIntoBackupVault from this account "
            "(https://docs.aws.amazon.com/aws-backup/latest/devguide/create-cross-account-backup.html, checked 2026-12-02)."
        ),
    )
    routing_controls: bool = Field(
        default=False,
        description="ARC routing controls for failover: data-plane calls to any of five regional endpoints (on in prod).",
    )
    backup_schedule: str = Field(
        default="cron(0 5 ? * * *)", description="AWS Backup daily snapshot rule schedule (UTC cron expression)."
    )
    backup_retention_days: int = Field(
        default=35, ge=7, le=3650, description="Days daily recovery points (and their cross-region copies) are kept."
    )
    continuous_backup_days: int = Field(
        default=35, ge=1, le=35, description="Point-in-time (continuous) S3 backup window, days (AWS Backup max 35)."
    )
    vault_lock_grace_days: int = Field(
        default=3,
        ge=3,
        le=36500,
        description="Days a compliance-mode vault lock can still be removed; after that it is immutable (min 3).",
    )
    cache_export_schedule: str = Field(
        default="cron(0 7 * * ? *)",
        description="Daily ElastiCache snapshot export to S3 (UTC; after the snapshot window, off the maintenance window).",
    )
    cache_export_retention_days: int = Field(
        default=35, ge=1, le=3650, description="Days exported .rdb files are kept (both regions)."
    )
    stream_latency_alarm_seconds: float = Field(
        default=60, gt=0, description="MSK Replicator ReplicationLatency alarm, seconds (the stream RPO target)."
    )
    stream_message_lag_alarm: int = Field(
        default=100_000,
        gt=0,
        description="MSK Replicator MessageLag alarm: records the replicator is behind the source.",
    )
    cache_lag_alarm_seconds: float = Field(
        default=5, gt=0, description="GlobalDatastoreReplicationLag alarm, seconds (target lag is about 1 s)."
    )
    s3_pending_operations_alarm: int = Field(
        default=100_000, gt=0, description="S3 OperationsPendingReplication alarm per replication rule, objects."
    )


class CanaryConfig(Section):
    """The RPO canary (infra/components/canary.py): numbered records through Kafka, the cache and S3, measured."""

    enabled: bool = Field(description="Deploy the RPO canary function (both stacks of a warm-standby pair).")
    interval_seconds: int = Field(
        default=10, ge=1, le=30, description="Seconds between two canary records (the RPO resolution of the drills)."
    )
    log_retention_days: int = Field(default=14, description="Retention of the canary function's log group.")


class StackConfig(Section):
    """The whole validated configuration of one stack."""

    stack: str = Field(description="Stack name (set by the loader, not by the stack file).")
    region: str = Field(description="aws:region of the stack.")
    tier: Tier = Field(description="Environment tier: dev, staging or prod.")
    owner: str = Field(min_length=1, description="Team that owns the stack (tag 'owner').")
    cost_center: str = Field(min_length=1, description="Cost centre (tag 'cost-center').")
    network: NetworkConfig
    kms: KmsConfig
    workload: WorkloadConfig
    kafka: KafkaConfig
    cache: CacheConfig
    ingest: IngestConfig
    edge: EdgeConfig
    spark: SparkConfig
    storage: StorageConfig
    observability: ObservabilityConfig = Field(default_factory=ObservabilityConfig)
    dr: DrConfig
    canary: CanaryConfig
