"""The stack's S3 buckets: job artifacts, Spark checkpoints, the data lake, logs and load-balancer logs.

Every bucket is versioned, private (public access blocked, ACLs disabled through
BucketOwnerEnforced), TLS-only, and has lifecycle rules from ``storage.*`` config. Every
bucket but one sends S3 server access logs to the stack's ``access-logs`` bucket (SSE-S3, so
S3's logging service writes without a grant on the stack key; it does not log itself).
Four buckets use SSE-KMS with the stack key and S3 Bucket Keys (fewer KMS calls, lower
cost). The fifth, ``lb-logs``, exists because ALB access logs support SSE-S3 only, and
S3 default encryption is set per bucket, not per prefix ("Enable access logs for your
Application Load Balancer", Elastic Load Balancing user guide,
https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html,
checked 2026-11-26). Names are deterministic (``sp-<stack>-<role>-<account>-<region>``) so
the DR peer can derive them; prod buckets are protected. ``private_bucket`` is the one
recipe for every bucket of the platform, the DR copies and cache exports included.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.components.foundation import Built, Foundation
from infra.config.schema import StorageConfig, Tier
from infra.naming import Naming

KMS_BUCKETS = ("artifacts", "checkpoints", "lake", "logs")
LB_LOGS = "lb-logs"
ACCESS_LOGS = "access-logs"
SSE_S3_BUCKETS = (LB_LOGS, ACCESS_LOGS)
BUCKET_ROLES = (ACCESS_LOGS, *KMS_BUCKETS, LB_LOGS)
"""The access-log bucket first: every other bucket sends its server access logs to it."""
OUTPUT_KEYS = {
    "artifacts": "artifactsBucket",
    "checkpoints": "checkpointsBucket",
    "lake": "lakeBucket",
    "logs": "logsBucket",
    LB_LOGS: "lbLogsBucket",
    ACCESS_LOGS: "accessLogsBucket",
}

# Key prefixes writers use; the bucket policies grant log delivery on exactly these.
MSK_LOG_PREFIX = "msk"
EMR_LOG_PREFIX = "emr"
ALB_LOG_PREFIX = "alb"
NLB_LOG_PREFIX = "nlb"

# Elastic Load Balancing account per region, for ALB access-log delivery in Regions available
# before August 2022; later Regions use the logdelivery.elasticloadbalancing.amazonaws.com
# service principal instead. Source: "Enable access logs for your Application Load Balancer",
# step "Attach a policy to your S3 bucket",
# https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html
# (checked 2026-11-26).
ELB_ACCOUNTS = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-central-1": "054676820928",
}
ELB_LOG_DELIVERY_SERVICE = "logdelivery.elasticloadbalancing.amazonaws.com"
# Vended-log delivery (MSK broker logs, NLB access logs): "Enabling logging from AWS services",
# Amazon CloudWatch Logs user guide, "Logs sent to Amazon S3",
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-and-resource-policy.html
# (checked 2026-11-26).
LOG_DELIVERY_SERVICE = "delivery.logs.amazonaws.com"
# S3 server access logs: delivered by logging.s3.amazonaws.com to a bucket in the same region and
# account, granted by bucket policy when ACLs are disabled; a bucket logging to itself loops
# ("Enabling Amazon S3 server access logging", Amazon S3 user guide,
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html, checked 2026-12-02).
S3_LOGGING_SERVICE = "logging.s3.amazonaws.com"
ABORT_MULTIPART_DAYS = 7


@dataclass(frozen=True)
class StorageArgs:
    config: StorageConfig
    tier: Tier
    naming: Naming
    account_id: str
    kms_key_arn: pulumi.Input[str]


class Storage(pulumi.ComponentResource):
    """The buckets of one stack; ``buckets`` and ``versioning`` are keyed by role (see BUCKET_ROLES)."""

    buckets: dict[str, aws.s3.Bucket]
    versioning: dict[str, aws.s3.BucketVersioning]
    policies: dict[str, aws.s3.BucketPolicy]
    names: dict[str, str]
    access_logs: PrivateBucket
    """The bucket every other bucket of the stack (and the region's cache exports) logs to."""

    def __init__(self, name: str, args: StorageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:storage:Storage", name, None, opts)
        naming, account = args.naming, args.account_id
        protect = args.tier == "prod"
        self.names = {role: naming.bucket(role, account) for role in BUCKET_ROLES}
        self.buckets, self.versioning, self.policies = {}, {}, {}
        for role in BUCKET_ROLES:
            made = private_bucket(
                self,
                f"{name}-{role}",
                naming,
                role,
                account,
                sse=encryption_rule(role, args.kms_key_arn),
                storage=args.config,
                protect=protect,
                force_destroy=args.tier == "dev",
                access_logs=None if role == ACCESS_LOGS else self.access_logs,
            )
            if role == ACCESS_LOGS:
                self.access_logs = made
            self.buckets[role], self.versioning[role], self.policies[role] = made.bucket, made.versioning, made.policy
        self.register_outputs(
            {f"{OUTPUT_KEYS[role]}": {"name": b.bucket, "arn": b.arn} for role, b in self.buckets.items()}
        )

    def arn(self, role: str) -> str:
        """The bucket's ARN, known before creation because names are deterministic."""
        return f"arn:aws:s3:::{self.names[role]}"

    def uri(self, role: str, *parts: str) -> str:
        """``s3://<bucket>/<parts...>`` for a role's bucket."""
        return "/".join((f"s3://{self.names[role]}", *parts))


def build(foundation: Foundation) -> Built[Storage]:
    """Create the stack's buckets; their names and ARNs are stack outputs."""
    config = foundation.config
    storage = Storage(
        "storage",
        StorageArgs(
            config=config.storage,
            tier=config.tier,
            naming=foundation.naming,
            account_id=foundation.account_id,
            kms_key_arn=foundation.key.key.arn,
        ),
        foundation.opts(),
    )
    outputs = {
        OUTPUT_KEYS[role]: {"name": bucket.bucket, "arn": bucket.arn} for role, bucket in storage.buckets.items()
    }
    return Built(storage, outputs)


SSE_S3 = {"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}


def encryption_rule(role: str, kms_key_arn: pulumi.Input[str]) -> dict[str, Any]:
    """SSE-KMS with the stack key and a Bucket Key; SSE-S3 for the ALB (its only option) and S3 access-log buckets."""
    return dict(SSE_S3) if role in SSE_S3_BUCKETS else kms_encryption(kms_key_arn)


def kms_encryption(key_arn: pulumi.Input[str]) -> dict[str, Any]:
    return {
        "apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms", "kms_master_key_id": key_arn},
        "bucket_key_enabled": True,
    }


def lifecycle_rules(role: str, config: StorageConfig) -> list[dict[str, Any]]:
    """Lifecycle rules per bucket role; every bucket also drops noncurrent versions and stale multipart uploads."""
    everything: Mapping[str, str] = {"prefix": ""}
    housekeeping: dict[str, Any] = {
        "id": "noncurrent-and-incomplete-uploads",
        "status": "Enabled",
        "filter": dict(everything),
        "noncurrent_version_expiration": {"noncurrent_days": config.noncurrent_expire_days},
        "abort_incomplete_multipart_upload": {"days_after_initiation": ABORT_MULTIPART_DAYS},
    }
    rules = [housekeeping]
    if role in ("logs", *SSE_S3_BUCKETS):
        rules.append(
            {
                "id": "expire-logs",
                "status": "Enabled",
                "filter": dict(everything),
                "expiration": {"days": config.logs_expire_days},
            }
        )
    else:
        # Without a current-version expiry, delete markers left by Spark's cleanup pile up.
        housekeeping["expiration"] = {"expired_object_delete_marker": True}
    if role == "lake":
        rules.append(
            {
                "id": "lake-to-standard-ia",
                "status": "Enabled",
                "filter": dict(everything),
                "transitions": [{"days": config.lake_ia_after_days, "storage_class": "STANDARD_IA"}],
            }
        )
    return rules


def bucket_policy(role: str, bucket: str, account_id: str, region: str) -> dict[str, Any]:
    """TLS 1.2+ only for everyone; plus the log-delivery grants the logs buckets need."""
    arn = f"arn:aws:s3:::{bucket}"
    statements: list[dict[str, Any]] = [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arn, f"{arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "DenyTlsOlderThan12",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arn, f"{arn}/*"],
            "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}},
        },
    ]
    if role == "logs":
        statements += _vended_log_delivery(arn, MSK_LOG_PREFIX, account_id, region, "MskBrokerLogs")
    if role == ACCESS_LOGS:
        statements.append(server_access_log_delivery(arn, account_id))
    if role == LB_LOGS:
        statements.append(_alb_log_delivery(arn, account_id, region))
        statements += _vended_log_delivery(arn, NLB_LOG_PREFIX, account_id, region, "NlbAccessLogs")
    return {"Version": "2012-10-17", "Statement": statements}


def _vended_log_delivery(arn: str, prefix: str, account_id: str, region: str, sid: str) -> list[dict[str, Any]]:
    """delivery.logs.amazonaws.com writes under <prefix>/AWSLogs/<account>/, only for this account's sources."""
    source = {
        "StringEquals": {"aws:SourceAccount": account_id},
        "ArnLike": {"aws:SourceArn": f"arn:aws:logs:{region}:{account_id}:*"},
    }
    return [
        {
            "Sid": f"{sid}AclCheck",
            "Effect": "Allow",
            "Principal": {"Service": LOG_DELIVERY_SERVICE},
            "Action": "s3:GetBucketAcl",
            "Resource": arn,
            "Condition": source,
        },
        {
            "Sid": f"{sid}Write",
            "Effect": "Allow",
            "Principal": {"Service": LOG_DELIVERY_SERVICE},
            "Action": "s3:PutObject",
            "Resource": f"{arn}/{prefix}/AWSLogs/{account_id}/*",
            "Condition": {
                **source,
                "StringEquals": {**source["StringEquals"], "s3:x-amz-acl": "bucket-owner-full-control"},
            },
        },
    ]


def server_access_log_delivery(arn: str, account_id: str) -> dict[str, Any]:
    """S3's logging service writes server access logs of this account's buckets only."""
    return {
        "Sid": "S3ServerAccessLogsWrite",
        "Effect": "Allow",
        "Principal": {"Service": S3_LOGGING_SERVICE},
        "Action": "s3:PutObject",
        "Resource": f"{arn}/*",
        "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
    }


def _alb_log_delivery(arn: str, account_id: str, region: str) -> dict[str, Any]:
    """The regional ELB account (older Regions) or the ELB log-delivery service principal (newer ones)."""
    elb_account = ELB_ACCOUNTS.get(region)
    principal = {"AWS": f"arn:aws:iam::{elb_account}:root"} if elb_account else {"Service": ELB_LOG_DELIVERY_SERVICE}
    return {
        "Sid": "AlbAccessLogsWrite",
        "Effect": "Allow",
        "Principal": principal,
        "Action": "s3:PutObject",
        "Resource": f"{arn}/{ALB_LOG_PREFIX}/AWSLogs/{account_id}/*",
    }


# ElastiCache exports to, and seeds from, S3 with its own service identity: the bucket grants it
# READ, WRITE and READ_ACP through the bucket ACL, the canonical ID of every Region enabled by default
# ("Exporting a backup", step 2, Amazon ElastiCache user guide, checked 2026-11-26). That is why the
# export buckets allow ACLs (BucketOwnerPreferred) and use SSE-S3: the service cannot use our key.
ELASTICACHE_CANONICAL_ID = "540804c33a284a299d2547575ce1010f2312ef3da9b3a053c8bc45bf233e4353"
ELASTICACHE_BUCKET_PERMISSIONS = ("READ", "WRITE", "READ_ACP")


@dataclass(frozen=True)
class PrivateBucket:
    bucket: aws.s3.Bucket
    versioning: aws.s3.BucketVersioning
    """Lifecycle rules and replication configurations wait for it."""
    policy: aws.s3.BucketPolicy
    """Log delivery checks its grants when the delivering resource is created."""


def private_bucket(
    parent: pulumi.Resource,
    name: str,
    naming: Naming,
    role: str,
    account_id: str,
    *,
    sse: Mapping[str, Any],
    storage: StorageConfig,
    protect: bool,
    region: str | None = None,
    force_destroy: bool | None = None,
    acl_grants_for_elasticache: bool = False,
    expire_days: int | None = None,
    tags: Mapping[str, str] | None = None,
    access_logs: PrivateBucket | None = None,
) -> PrivateBucket:
    """A versioned, private, TLS-only bucket with the storage tier's lifecycle: the one recipe for every bucket.

    ``region`` places it outside the provider's region (the DR copies); ``acl_grants_for_elasticache``
    opens exactly the ACL grants ElastiCache export and seeding need (and nothing public).
    ``access_logs``, the region's access-log bucket, receives the server access logs.
    Children are named ``<name>-versioning``, ``<name>-sse``, ... under the bucket.
    """
    bucket_name = naming.bucket(role, account_id)
    placed = {"region": region} if region is not None else {}
    bucket = aws.s3.Bucket(
        name,
        bucket=bucket_name,
        tags={"Name": bucket_name, "role": role, **(tags or {})},
        opts=pulumi.ResourceOptions(parent=parent, protect=protect),
        **({"force_destroy": force_destroy} if force_destroy is not None else {}),
        **placed,
    )
    child = pulumi.ResourceOptions(parent=bucket)
    versioning = aws.s3.BucketVersioning(
        f"{name}-versioning", bucket=bucket.id, versioning_configuration={"status": "Enabled"}, opts=child, **placed
    )
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-sse", bucket=bucket.id, rules=[dict(sse)], opts=child, **placed
    )
    ownership = aws.s3.BucketOwnershipControls(
        f"{name}-ownership",
        bucket=bucket.id,
        rule={"object_ownership": "BucketOwnerPreferred" if acl_grants_for_elasticache else "BucketOwnerEnforced"},
        opts=child,
        **placed,
    )
    block = aws.s3.BucketPublicAccessBlock(
        f"{name}-public-access-block",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=child,
        **placed,
    )
    # S3 rejects concurrent PutBucketPolicy/PutPublicAccessBlock ("conflicting conditional
    # operation"): the policy waits for the block.
    policy = aws.s3.BucketPolicy(
        f"{name}-policy",
        bucket=bucket.id,
        policy=json.dumps(bucket_policy(role, bucket_name, account_id, naming.region)),
        opts=pulumi.ResourceOptions(parent=bucket, depends_on=[block]),
        **placed,
    )
    rules = lifecycle_rules(role, storage)
    if expire_days is not None:
        rules.append(
            {"id": "expire", "status": "Enabled", "filter": {"prefix": ""}, "expiration": {"days": expire_days}}
        )
    # Lifecycle rules on a versioned bucket must follow versioning (S3 validates noncurrent rules).
    aws.s3.BucketLifecycleConfiguration(
        f"{name}-lifecycle",
        bucket=bucket.id,
        rules=rules,
        opts=pulumi.ResourceOptions(parent=bucket, depends_on=[versioning]),
        **placed,
    )
    if access_logs is not None:
        aws.s3.BucketLogging(
            f"{name}-access-logging",
            bucket=bucket.id,
            target_bucket=access_logs.bucket.id,
            target_prefix=f"{bucket_name}/",
            opts=pulumi.ResourceOptions(parent=bucket, depends_on=[access_logs.policy]),
            **placed,
        )
    if acl_grants_for_elasticache:
        owner = aws.s3.get_canonical_user_id_output(opts=pulumi.InvokeOutputOptions(parent=bucket)).id
        aws.s3.BucketAcl(
            f"{name}-acl",
            bucket=bucket.id,
            access_control_policy=owner.apply(lambda owner_id: elasticache_acl(owner_id)),
            opts=pulumi.ResourceOptions(parent=bucket, depends_on=[ownership, block]),
            **placed,
        )
    return PrivateBucket(bucket, versioning, policy)


def elasticache_acl(owner_id: str) -> dict[str, Any]:
    """Owner keeps FULL_CONTROL; ElastiCache's canonical user gets list, write and read-ACL on the bucket."""
    grants = [{"grantee": {"type": "CanonicalUser", "id": owner_id}, "permission": "FULL_CONTROL"}]
    grants += [
        {"grantee": {"type": "CanonicalUser", "id": ELASTICACHE_CANONICAL_ID}, "permission": permission}
        for permission in ELASTICACHE_BUCKET_PERMISSIONS
    ]
    return {"owner": {"id": owner_id}, "grants": grants}
