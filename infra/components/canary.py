"""The RPO canary: a Lambda function that measures, every few seconds, what each data store would lose.

The function (canary/rpo_canary) runs every minute (EventBridge Scheduler) and ticks every
``canary.intervalSeconds`` inside the minute. In the active region of the stack's DR pair it
writes a sequence-numbered, timestamped record to the ``rpo-canary`` topic (MSK, IAM auth), the
``{rpo-canary}:<region>`` key (ElastiCache, IAM auth) and ``canary/<region>/`` in the lake
bucket, then reads them back; in the standby region it reads what arrived through the MSK
Replicator, the Global Datastore and S3 replication. Metrics: ``StreamingPlatform/Canary``
(WriteSuccess, ReplicatedAgeSeconds, SequenceGaps per store); the drills read them
(infra/drills/canary_metrics.py) and the alarms here watch them.

The function runs in the private-app subnets (NAT for the AWS APIs) under the network tier's
``canary`` security group, which the Kafka and cache tiers admit on their client ports
(``network.client_tiers``). Its role may
write and read only the canary topic, connect to the cache only as the stack's IAM user (the
cache tier's connect policy), publish metrics only to the canary namespace and touch only the
canary prefix of the lake bucket.

Facts (checked 2026-12-02): Lambda functions in a VPC need the ENI permissions of the AWS
managed policy AWSLambdaVPCAccessExecutionRole ("Giving Lambda functions access to resources in
an Amazon VPC", https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html); PutMetricData
supports the ``cloudwatch:namespace`` condition key ("Using condition keys to limit access to
CloudWatch namespaces", https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/iam-cw-condition-keys-namespace.html).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.components.alarm_spec import AlarmSpec, Metric
from infra.components.cache import Cache
from infra.components.foundation import Built, Foundation
from infra.components.kafka import Kafka
from infra.components.network import service_trust
from infra.components.spark_package import under_mocks
from infra.components.storage import Storage
from infra.config.schema import StackConfig
from infra.paths import BUILD, CANARY_DEPENDENCIES, CANARY_SOURCE
from infra.planning.dr import RTC_MINUTES

NAMESPACE = "StreamingPlatform/Canary"
TOPIC = "rpo-canary"
S3_PREFIX = "canary/"
RUNTIME = "python3.12"
HANDLER = "rpo_canary.handler.handler"
# One invocation per minute ticks for the rest of it: the timeout leaves a tick's margin.
TIMEOUT_SECONDS = 75
TOPIC_RETENTION_MS = 24 * 3600 * 1000
VPC_ACCESS_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
STORES = ("Kafka", "Cache", "S3")


@dataclass(frozen=True)
class CanaryPlan:
    """What the canary of one stack does: whether it writes, whose records it reads, how often."""

    stack: str
    region: str
    source_region: str
    writes: bool
    interval_seconds: int

    @property
    def window_seconds(self) -> int:
        return 30 * self.interval_seconds


def active_region(config: StackConfig) -> str:
    """The region serving now: ``dr.activeRegion``, else the pair's primary region (this one outside a pair)."""
    dr = config.dr
    primary = config.region if dr.role == "primary" or dr.region is None else dr.region
    return dr.active_region or primary


def plan_canary(config: StackConfig) -> CanaryPlan:
    source = active_region(config)
    return CanaryPlan(config.stack, config.region, source, source == config.region, config.canary.interval_seconds)


def rpo_age_limits(config: StackConfig, interval: int) -> dict[str, float]:
    """Replicated age above which a store's copy misses its RPO: the DR alarm targets plus one write interval."""
    return {
        "Kafka": config.dr.stream_latency_alarm_seconds + interval,
        "Cache": config.dr.cache_lag_alarm_seconds + interval,
        "S3": RTC_MINUTES * 60.0 + interval,
    }


def canary_alarms(plan: CanaryPlan, limits: Mapping[str, float]) -> list[AlarmSpec]:
    """Per store: any lost record; in the writing region failed writes, in the standby a copy older than its RPO."""
    specs: list[AlarmSpec] = []
    for store in STORES:
        dims = {"Stack": plan.stack, "Store": store}
        target = store.lower()
        specs.append(
            AlarmSpec(
                "canary",
                "canary-sequence-gaps",
                "RPO canary SequenceGaps (acknowledged records lost)",
                {"gaps": Metric(NAMESPACE, "SequenceGaps", dims, "Maximum")},
                "GreaterThanThreshold",
                0,
                1,
                1,
                target,
            )
        )
        if plan.writes:
            specs.append(
                AlarmSpec(
                    "canary",
                    "canary-write-failures",
                    "RPO canary WriteSuccess, minimum",
                    {"writes": Metric(NAMESPACE, "WriteSuccess", dims, "Minimum")},
                    "LessThanThreshold",
                    1,
                    3,
                    2,
                    target,
                    treat_missing_data="breaching",
                )
            )
        else:
            specs.append(
                AlarmSpec(
                    "canary",
                    "canary-replicated-age",
                    "RPO canary ReplicatedAgeSeconds (how far the copy trails), s",
                    {"age": Metric(NAMESPACE, "ReplicatedAgeSeconds", dims, "Maximum")},
                    "GreaterThanThreshold",
                    limits[store],
                    3,
                    2,
                    target,
                    treat_missing_data="breaching",
                )
            )
    return specs


def role_policy(
    plan: CanaryPlan,
    cluster_arn: str,
    topic_arn: str,
    bucket: str,
    key_arn: str,
    log_group_arn: str,
) -> dict[str, Any]:
    """Everything the function may do besides the cache connect policy and the VPC ENI policy."""
    kafka_data = ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"]
    s3_objects = ["s3:PutObject", "s3:DeleteObject"] if plan.writes else []
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ConnectToTheCluster",
            "Effect": "Allow",
            "Action": ["kafka-cluster:Connect", "kafka-cluster:DescribeCluster"],
            "Resource": cluster_arn,
        },
        {
            "Sid": "TheCanaryTopicOnly",
            "Effect": "Allow",
            "Action": kafka_data + (["kafka-cluster:WriteData"] if plan.writes else []),
            "Resource": topic_arn,
        },
        {
            "Sid": "CanaryMetricsOnly",
            "Effect": "Allow",
            "Action": "cloudwatch:PutMetricData",
            "Resource": "*",
            "Condition": {"StringEquals": {"cloudwatch:namespace": NAMESPACE}},
        },
        {
            "Sid": "ListTheCanaryPrefix",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": f"arn:aws:s3:::{bucket}",
            "Condition": {"StringLike": {"s3:prefix": [f"{S3_PREFIX}*"]}},
        },
        {
            # X-Ray has no resource-level permissions for these actions.
            "Sid": "Tracing",
            "Effect": "Allow",
            "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
            "Resource": "*",
        },
        {
            "Sid": "OwnLogGroup",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"{log_group_arn}:*",
        },
    ]
    if s3_objects:
        statements += [
            {
                "Sid": "WriteTheCanaryPrefix",
                "Effect": "Allow",
                "Action": s3_objects,
                "Resource": f"arn:aws:s3:::{bucket}/{S3_PREFIX}{plan.region}/*",
            },
            {
                # The lake is SSE-KMS with the stack key: a write needs a data key, only through S3.
                "Sid": "EncryptCanaryObjects",
                "Effect": "Allow",
                "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                "Resource": key_arn,
                "Condition": {"StringEquals": {"kms:ViaService": f"s3.{plan.region}.amazonaws.com"}},
            },
        ]
    return {"Version": "2012-10-17", "Statement": statements}


def package_bytes(source: Path = CANARY_SOURCE, dependencies: Path = CANARY_DEPENDENCIES) -> bytes:
    """The function's zip, reproducible (fixed timestamps and order): ``rpo_canary/...`` and, at the root, the
    pinned libraries of canary/requirements.txt installed into ``dependencies`` (absent offline)."""
    members = [(f"{source.name}/{p.relative_to(source).as_posix()}", p) for p in _files(source)]
    if dependencies.is_dir():
        members += [(p.relative_to(dependencies).as_posix(), p) for p in _files(dependencies)]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member, path in sorted(members):
            info = zipfile.ZipInfo(member, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")


def preflight(dependencies: Path = CANARY_DEPENDENCIES) -> None:
    """Stop a real preview/up when the function's libraries were not installed: it would fail at import."""
    if not under_mocks() and not dependencies.is_dir():
        raise pulumi.RunError(
            f"the RPO canary's libraries are missing: run `pip install -r canary/requirements.txt "
            f"--target {dependencies}` (python 3.12) first, or set canary.enabled: false"
        )


def write_package(body: bytes, out_dir: Path = BUILD / "canary") -> Path:
    """The zip under its content hash in build/; written once per version."""
    version = hashlib.sha256(body).hexdigest()[:12]
    path = out_dir / version / "rpo_canary.zip"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    return path


@dataclass(frozen=True)
class CanaryArgs:
    foundation: Foundation
    kafka: Kafka
    cache: Cache
    storage: Storage
    plan: CanaryPlan


class RpoCanary(pulumi.ComponentResource):
    function: aws.lambda_.Function
    role: aws.iam.Role
    security_group: aws.ec2.SecurityGroup
    log_group: aws.cloudwatch.LogGroup
    schedule: aws.scheduler.Schedule
    topic: aws.msk.Topic | None

    def __init__(self, name: str, args: CanaryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:canary:RpoCanary", name, None, opts)
        foundation, plan = args.foundation, args.plan
        naming, network, key = foundation.naming, foundation.network, foundation.key.key
        child = pulumi.ResourceOptions(parent=self)
        self.function_name = naming("rpo-canary")
        self.security_group = network.security_groups["canary"]
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/lambda/{self.function_name}",
            retention_in_days=foundation.config.canary.log_retention_days,
            kms_key_id=key.arn,
            opts=child,
        )
        # The Replicator creates the topic in the standby (identical names); only the pair's primary creates it.
        self.topic = (
            aws.msk.Topic(
                f"{name}-topic",
                name=TOPIC,
                cluster_arn=args.kafka.cluster.arn,
                partition_count=1,
                replication_factor=min(3, args.kafka.sizing.brokers),
                configs=json.dumps({"retention.ms": str(TOPIC_RETENTION_MS)}, sort_keys=True),
                opts=child,
            )
            if foundation.config.dr.role == "primary"
            else None
        )
        self.role = self._role(name, args)
        preflight()
        body = package_bytes()
        bucket = args.storage.buckets["lake"].bucket
        self.function = aws.lambda_.Function(
            f"{name}-function",
            name=self.function_name,
            description=f"RPO canary of {plan.stack}: {'writes and reads' if plan.writes else 'reads the copies of'} "
            f"the canary records of {plan.source_region}",
            runtime=RUNTIME,
            handler=HANDLER,
            code=pulumi.FileArchive(str(write_package(body))),
            source_code_hash=base64.b64encode(hashlib.sha256(body).digest()).decode(),
            role=self.role.arn,
            timeout=TIMEOUT_SECONDS,
            memory_size=256,
            kms_key_arn=key.arn,
            reserved_concurrent_executions=1,
            vpc_config={
                "subnet_ids": [s.id for s in network.subnets["private-app"]],
                "security_group_ids": [self.security_group.id],
            },
            logging_config={"log_format": "JSON", "log_group": self.log_group.name},
            tracing_config={"mode": "Active"},  # X-Ray: a slow tick shows which store it waited on
            environment={"variables": self._environment(args, bucket)},
            tags={"Name": self.function_name},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.log_group]),
        )
        self.schedule = self._schedule(name, args)
        self.register_outputs({"functionName": self.function.name, "writes": plan.writes})

    def _role(self, name: str, args: CanaryArgs) -> aws.iam.Role:
        foundation, plan = args.foundation, args.plan
        role = aws.iam.Role(
            f"{name}-role",
            name=foundation.naming("rpo-canary"),
            assume_role_policy=json.dumps(service_trust("lambda.amazonaws.com")),
            description="RPO canary: the canary topic, the cache as its IAM user, canary metrics and S3 prefix",
            opts=pulumi.ResourceOptions(parent=self),
        )
        in_role = pulumi.ResourceOptions(parent=role)
        aws.iam.RolePolicyAttachment(
            f"{name}-vpc-access", role=role.name, policy_arn=VPC_ACCESS_POLICY_ARN, opts=in_role
        )
        if args.cache.connect_policy is not None:
            aws.iam.RolePolicyAttachment(
                f"{name}-cache-connect", role=role.name, policy_arn=args.cache.connect_policy.arn, opts=in_role
            )
        document = pulumi.Output.all(
            args.kafka.cluster.arn,
            args.kafka.topic_arn(TOPIC),
            args.storage.buckets["lake"].bucket,
            foundation.key.key.arn,
            self.log_group.arn,
        ).apply(lambda values: json.dumps(role_policy(plan, *values)))
        aws.iam.RolePolicy(f"{name}-policy", role=role.id, policy=document, opts=in_role)
        return role

    def _environment(self, args: CanaryArgs, bucket: pulumi.Output[str]) -> dict[str, pulumi.Input[str]]:
        plan, cache = args.plan, args.cache
        environment: dict[str, pulumi.Input[str]] = {
            "CANARY_STACK": plan.stack,
            "CANARY_SOURCE_REGION": plan.source_region,
            "CANARY_WRITES": "true" if plan.writes else "false",
            "CANARY_INTERVAL_SECONDS": str(plan.interval_seconds),
            "CANARY_WINDOW_SECONDS": str(plan.window_seconds),
            "KAFKA_BOOTSTRAP": args.kafka.bootstrap_brokers,
            "KAFKA_TOPIC": TOPIC,
            "S3_READ_BUCKET": bucket,
            "S3_PREFIX": S3_PREFIX,
        }
        if plan.writes:
            environment["S3_WRITE_BUCKET"] = bucket
        if cache.iam_user_id is not None:
            environment |= {
                "CACHE_ENDPOINT": cache.configuration_endpoint,
                "CACHE_NAME": cache.replication_group_id,
                "CACHE_USER": cache.iam_user_id,
            }
        return environment

    def _schedule(self, name: str, args: CanaryArgs) -> aws.scheduler.Schedule:
        naming, key = args.foundation.naming, args.foundation.key.key
        role = aws.iam.Role(
            f"{name}-scheduler",
            name=naming("rpo-canary-scheduler"),
            assume_role_policy=json.dumps(service_trust("scheduler.amazonaws.com")),
            opts=pulumi.ResourceOptions(parent=self),
        )
        invoke = aws.iam.RolePolicy(
            f"{name}-scheduler-policy",
            role=role.id,
            policy=pulumi.Output.all(self.function.arn, key.arn).apply(
                lambda arns: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": arns[0]},
                            {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": arns[1]},
                        ],
                    }
                )
            ),
            opts=pulumi.ResourceOptions(parent=role),
        )
        return aws.scheduler.Schedule(
            f"{name}-schedule",
            name=naming("rpo-canary"),
            description="Start the RPO canary every minute; it ticks every few seconds inside the minute",
            schedule_expression="rate(1 minute)",
            flexible_time_window={"mode": "OFF"},
            kms_key_arn=key.arn,
            target={
                "arn": self.function.arn,
                "role_arn": role.arn,
                # A late minute is worth nothing: the next invocation measures afresh.
                "retry_policy": {"maximum_retry_attempts": 0, "maximum_event_age_in_seconds": 60},
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[invoke]),
        )


def build(foundation: Foundation, kafka: Kafka, cache: Cache, storage: Storage) -> Built[RpoCanary | None]:
    """The stack's RPO canary when ``canary.enabled``; its ``canary`` output is what the drills read."""
    config = foundation.config
    if not config.canary.enabled:
        return Built(None, {})
    plan = plan_canary(config)
    canary = RpoCanary("rpo-canary", CanaryArgs(foundation, kafka, cache, storage, plan), foundation.opts())
    outputs = {
        "canary": {
            "functionName": canary.function.name,
            "namespace": NAMESPACE,
            "metricStack": plan.stack,
            "intervalSeconds": plan.interval_seconds,
            "writes": plan.writes,
            "sourceRegion": plan.source_region,
            "topic": TOPIC,
            "s3Prefix": S3_PREFIX,
        }
    }
    alarms = canary_alarms(plan, rpo_age_limits(config, plan.interval_seconds))
    return Built(canary, outputs, tuple(alarms))
