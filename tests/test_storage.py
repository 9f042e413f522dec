"""The storage tier: six private, versioned, encrypted, TLS-only buckets with lifecycle rules by tier."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from infra.components.storage import (
    ACCESS_LOGS,
    ALB_LOG_PREFIX,
    BUCKET_ROLES,
    ELB_ACCOUNTS,
    ELB_LOG_DELIVERY_SERVICE,
    KMS_BUCKETS,
    LB_LOGS,
    LOG_DELIVERY_SERVICE,
    MSK_LOG_PREFIX,
    NLB_LOG_PREFIX,
    S3_LOGGING_SERVICE,
    SSE_S3_BUCKETS,
    bucket_policy,
    lifecycle_rules,
)
from infra.config.schema import StorageConfig
from infra.offline.record import PlannedResource, StackPlan

S3 = "aws:s3/"
BUCKET = "aws:s3/bucket:Bucket"


def _buckets(plan: StackPlan) -> dict[str, PlannedResource]:
    return {r.inputs["tags"]["role"]: r for r in plan.of_type(BUCKET) if r.name.startswith("storage-")}


def _child(plan: StackPlan, bucket: PlannedResource, type_token: str) -> PlannedResource:
    found = [r for r in plan.children_of(bucket.urn) if r.type == type_token]
    assert len(found) == 1, f"{bucket.name}: expected one {type_token}, found {len(found)}"
    return found[0]


def _policy(plan: StackPlan, role: str) -> dict[str, Any]:
    bucket = _buckets(plan)[role]
    policy: dict[str, Any] = json.loads(_child(plan, bucket, "aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
    return policy


def _statement(policy: dict[str, Any], sid: str) -> dict[str, Any]:
    matches = [s for s in policy["Statement"] if s["Sid"] == sid]
    assert len(matches) == 1, sid
    return matches[0]


def test_every_stack_has_the_six_buckets_with_deterministic_names(stack_plan: StackPlan) -> None:
    buckets = _buckets(stack_plan)
    assert set(buckets) == set(BUCKET_ROLES)
    account = stack_plan.outputs["accountId"]
    for role, bucket in buckets.items():
        expected = f"sp-{stack_plan.stack}-{role}-{account}-{stack_plan.region}"
        assert bucket.inputs["bucket"] == expected
        assert len(expected) <= 63 and expected == expected.lower()  # S3 bucket naming rules


def test_buckets_are_children_of_the_storage_component(stack_plan: StackPlan) -> None:
    component = stack_plan.one("streaming:storage:Storage")
    for bucket in _buckets(stack_plan).values():
        assert bucket.parent == component.urn
        assert bucket.provider is not None and f"aws-{stack_plan.region}" in bucket.provider
        kinds = {r.type for r in stack_plan.children_of(bucket.urn)} - {"aws:s3/bucketLogging:BucketLogging"}
        assert kinds == {
            "aws:s3/bucketVersioning:BucketVersioning",
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            "aws:s3/bucketPolicy:BucketPolicy",
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        }


def test_kms_buckets_use_the_stack_key_with_bucket_keys(stack_plan: StackPlan) -> None:
    key_arn = stack_plan.outputs["kmsKeyArn"]
    for role, bucket in _buckets(stack_plan).items():
        sse = _child(
            stack_plan, bucket, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
        )
        (rule,) = sse.inputs["rules"]
        default = rule["applyServerSideEncryptionByDefault"]
        if role in KMS_BUCKETS:
            assert default == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key_arn}
            assert rule["bucketKeyEnabled"] is True
        else:  # ALB and S3 access-log delivery support SSE-S3 only
            assert role in SSE_S3_BUCKETS
            assert default == {"sseAlgorithm": "AES256"}


def test_versioning_ownership_and_public_access_block(stack_plan: StackPlan) -> None:
    for bucket in _buckets(stack_plan).values():
        versioning = _child(stack_plan, bucket, "aws:s3/bucketVersioning:BucketVersioning")
        assert versioning.inputs["versioningConfiguration"] == {"status": "Enabled"}
        ownership = _child(stack_plan, bucket, "aws:s3/bucketOwnershipControls:BucketOwnershipControls")
        assert ownership.inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
        block = _child(stack_plan, bucket, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
        for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"):
            assert block.inputs[flag] is True, flag


def test_every_bucket_policy_denies_plain_http_and_old_tls(stack_plan: StackPlan) -> None:
    for role, bucket in _buckets(stack_plan).items():
        policy = _policy(stack_plan, role)
        arn = f"arn:aws:s3:::{bucket.inputs['bucket']}"
        insecure = _statement(policy, "DenyInsecureTransport")
        assert insecure["Effect"] == "Deny" and insecure["Resource"] == [arn, f"{arn}/*"]
        assert insecure["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        old_tls = _statement(policy, "DenyTlsOlderThan12")
        assert old_tls["Condition"] == {"NumericLessThan": {"s3:TlsVersion": "1.2"}}
        assert all(s["Principal"] != "*" for s in policy["Statement"] if s["Effect"] == "Allow")


def test_policy_waits_for_public_access_block_and_lifecycle_for_versioning(stack_plan: StackPlan) -> None:
    for bucket in _buckets(stack_plan).values():
        policy = _child(stack_plan, bucket, "aws:s3/bucketPolicy:BucketPolicy")
        block = _child(stack_plan, bucket, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
        assert block.urn in policy.dependencies
        lifecycle = _child(stack_plan, bucket, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
        versioning = _child(stack_plan, bucket, "aws:s3/bucketVersioning:BucketVersioning")
        assert versioning.urn in lifecycle.dependencies


def test_logs_bucket_lets_msk_deliver_broker_logs_only_under_its_prefix(stack_plan: StackPlan) -> None:
    account, region = stack_plan.outputs["accountId"], stack_plan.region
    arn = stack_plan.outputs["logsBucket"]["arn"]
    policy = _policy(stack_plan, "logs")
    write = _statement(policy, "MskBrokerLogsWrite")
    assert write["Principal"] == {"Service": LOG_DELIVERY_SERVICE}
    assert write["Resource"] == f"{arn}/{MSK_LOG_PREFIX}/AWSLogs/{account}/*"
    assert write["Condition"]["StringEquals"] == {
        "aws:SourceAccount": account,
        "s3:x-amz-acl": "bucket-owner-full-control",
    }
    assert write["Condition"]["ArnLike"] == {"aws:SourceArn": f"arn:aws:logs:{region}:{account}:*"}
    acl = _statement(policy, "MskBrokerLogsAclCheck")
    assert acl["Action"] == "s3:GetBucketAcl" and acl["Resource"] == arn


def test_lb_logs_bucket_admits_the_regional_elb_account_and_nlb_delivery(stack_plan: StackPlan) -> None:
    account = stack_plan.outputs["accountId"]
    arn = stack_plan.outputs["lbLogsBucket"]["arn"]
    policy = _policy(stack_plan, LB_LOGS)
    alb = _statement(policy, "AlbAccessLogsWrite")
    expected_elb = {"us-east-1": "127311923021", "us-west-2": "797873946194", "eu-west-1": "156460612806"}[
        stack_plan.region
    ]
    assert alb["Principal"] == {"AWS": f"arn:aws:iam::{expected_elb}:root"}
    assert alb["Resource"] == f"{arn}/{ALB_LOG_PREFIX}/AWSLogs/{account}/*"
    nlb = _statement(policy, "NlbAccessLogsWrite")
    assert nlb["Resource"] == f"{arn}/{NLB_LOG_PREFIX}/AWSLogs/{account}/*"
    # Only the log buckets carry Allow statements.
    for role in ("artifacts", "checkpoints", "lake"):
        assert [s for s in _policy(stack_plan, role)["Statement"] if s["Effect"] == "Allow"] == []


def test_lifecycle_rules_follow_the_tier_config(stack_plan: StackPlan) -> None:
    cfg = stack_plan.config["storage"]
    buckets = _buckets(stack_plan)

    def rules(role: str) -> dict[str, dict[str, Any]]:
        lifecycle = _child(
            stack_plan, buckets[role], "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
        )
        return {rule["id"]: rule for rule in lifecycle.inputs["rules"]}

    for role in BUCKET_ROLES:
        housekeeping = rules(role)["noncurrent-and-incomplete-uploads"]
        assert housekeeping["noncurrentVersionExpiration"] == {"noncurrentDays": cfg["noncurrent_expire_days"]}
        assert housekeeping["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}
    assert rules("lake")["lake-to-standard-ia"]["transitions"] == [
        {"days": cfg["lake_ia_after_days"], "storageClass": "STANDARD_IA"}
    ]
    for role in ("logs", *SSE_S3_BUCKETS):
        assert rules(role)["expire-logs"]["expiration"] == {"days": cfg["logs_expire_days"]}
    assert "expire-logs" not in rules("lake") and "expire-logs" not in rules("checkpoints")


def test_tier_differences_in_lifecycle(plans: dict[str, StackPlan]) -> None:
    expiry = {stack: plan.config["storage"]["logs_expire_days"] for stack, plan in plans.items()}
    assert expiry["dev"] < expiry["staging"] < expiry["prod"]


def test_prod_buckets_are_protected_and_dev_buckets_can_be_torn_down(stack_plan: StackPlan) -> None:
    prod = stack_plan.config["tier"] == "prod"
    for bucket in _buckets(stack_plan).values():
        assert bucket.protect is prod
        assert bucket.inputs.get("forceDestroy", False) is (stack_plan.config["tier"] == "dev")
        # Protection reaches the bucket's settings too (children inherit protect).
        assert all(child.protect is prod for child in stack_plan.children_of(bucket.urn))


def test_outputs_name_every_bucket(stack_plan: StackPlan) -> None:
    buckets = _buckets(stack_plan)
    keys = {
        "artifacts": "artifactsBucket",
        "checkpoints": "checkpointsBucket",
        "lake": "lakeBucket",
        "logs": "logsBucket",
        LB_LOGS: "lbLogsBucket",
    }
    for role, key in keys.items():
        name = buckets[role].inputs["bucket"]
        assert stack_plan.outputs[key] == {"name": name, "arn": f"arn:aws:s3:::{name}"}


@given(
    lake_ia=st.integers(min_value=30, max_value=3650),
    logs=st.integers(min_value=1, max_value=3650),
    noncurrent=st.integers(min_value=1, max_value=3650),
    role=st.sampled_from(BUCKET_ROLES),
)
def test_lifecycle_rules_are_valid_s3_for_any_config(lake_ia: int, logs: int, noncurrent: int, role: str) -> None:
    config = StorageConfig(lake_ia_after_days=lake_ia, logs_expire_days=logs, noncurrent_expire_days=noncurrent)
    rules = lifecycle_rules(role, config)
    ids = [rule["id"] for rule in rules]
    assert len(ids) == len(set(ids))  # S3 requires unique rule ids
    for rule in rules:
        assert rule["status"] == "Enabled" and rule["filter"] == {"prefix": ""}
        expiration = rule.get("expiration", {})
        # S3 rejects an expiration with both days and expired_object_delete_marker.
        assert not ("days" in expiration and "expired_object_delete_marker" in expiration)
    assert sum(1 for rule in rules if "noncurrent_version_expiration" in rule) == 1


@given(region=st.sampled_from([*ELB_ACCOUNTS, "ap-southeast-5", "mx-central-1"]), role=st.sampled_from(BUCKET_ROLES))
def test_alb_delivery_principal_by_region_age(region: str, role: str) -> None:
    policy = bucket_policy(role, "bucket", "123456789012", region)
    sids = [s["Sid"] for s in policy["Statement"]]
    assert len(sids) == len(set(sids))
    if role != LB_LOGS:
        assert "AlbAccessLogsWrite" not in sids
        return
    alb = _statement(policy, "AlbAccessLogsWrite")
    if region in ELB_ACCOUNTS:
        assert alb["Principal"] == {"AWS": f"arn:aws:iam::{ELB_ACCOUNTS[region]}:root"}
    else:  # Regions opened in or after August 2022
        assert alb["Principal"] == {"Service": ELB_LOG_DELIVERY_SERVICE}


# --- S3 server access logs ---------------------------------------------------------------------


def test_every_bucket_logs_access_to_an_access_log_bucket_of_its_region(stack_plan: StackPlan) -> None:
    """Each bucket but the access-log buckets sends server access logs to the access-log bucket of its region."""
    buckets = stack_plan.of_type(BUCKET)
    log_buckets = {b.region: b for b in buckets if b.inputs["tags"]["role"] == ACCESS_LOGS}
    logging = {r.parent: r for r in stack_plan.of_type("aws:s3/bucketLogging:BucketLogging")}
    for bucket in buckets:
        if bucket.inputs["tags"]["role"] == ACCESS_LOGS:
            assert bucket.urn not in logging  # never into itself: every delivery would log another
            continue
        target = log_buckets[bucket.region]
        assert logging[bucket.urn].inputs["targetBucket"] == target.resource_id
        assert logging[bucket.urn].inputs["targetPrefix"] == f"{bucket.inputs['bucket']}/"
    assert len(logging) == len(buckets) - len(log_buckets)


def test_access_log_bucket_lets_only_this_accounts_buckets_deliver() -> None:
    policy = bucket_policy(ACCESS_LOGS, "logs-bucket", "123456789012", "us-east-1")
    [grant] = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert grant["Principal"] == {"Service": S3_LOGGING_SERVICE}
    assert grant["Action"] == "s3:PutObject" and grant["Resource"] == "arn:aws:s3:::logs-bucket/*"
    assert grant["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
