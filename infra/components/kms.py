"""The stack's customer-managed KMS key: every store and log group of the stack uses it."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.naming import Naming


@dataclass(frozen=True)
class StackKeyArgs:
    naming: Naming
    account_id: str
    deletion_window_days: int


class StackKey(pulumi.ComponentResource):
    """A symmetric key with yearly rotation and a policy that lets the AWS services we use encrypt with it.

    IAM policies grant our own roles; the key policy must name the service principals that
    act without a role of ours: CloudWatch Logs, the publishers of the encrypted alarm topic
    (CloudWatch alarms, EventBridge rules, AWS Backup) and vended-log delivery to S3.
    """

    key: aws.kms.Key
    alias: aws.kms.Alias

    def __init__(self, name: str, args: StackKeyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:security:StackKey", name, None, opts)
        region, account = args.naming.region, args.account_id
        child = pulumi.ResourceOptions(parent=self)
        self.key = aws.kms.Key(
            f"{name}-key",
            description=f"{args.naming('key')}: encryption at rest for stack {args.naming.stack}",
            enable_key_rotation=True,
            rotation_period_in_days=365,
            deletion_window_in_days=args.deletion_window_days,
            policy=json.dumps(key_policy(account, region)),
            opts=child,
        )
        self.alias = aws.kms.Alias(
            f"{name}-alias", name=f"alias/{args.naming('key')}", target_key_id=self.key.key_id, opts=child
        )
        self.register_outputs({"keyArn": self.key.arn, "alias": self.alias.name})


def key_policy(account: str, region: str) -> dict[str, object]:
    """The key policy of a stack key in ``region`` (also the DR copy key, infra/components/dr.py)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministersKeyThroughIam",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "CloudWatchLogsEncryptsThisAccountsLogGroups",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                "Resource": "*",
                "Condition": {
                    "ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{region}:{account}:log-group:*"}
                },
            },
            {
                "Sid": "AlarmsPublishToEncryptedTopics",
                "Effect": "Allow",
                "Principal": {"Service": ["cloudwatch.amazonaws.com", "backup.amazonaws.com"]},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
            },
            {
                # No aws:SourceAccount / aws:SourceArn here: KMS policies with them are not supported
                # for EventBridge-to-encrypted-topic delivery, and every event would be dropped
                # ("Key management", Amazon SNS developer guide, section "Enable compatibility between
                # event sources from AWS services and encrypted topics",
                # https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html, checked 2026-11-26).
                "Sid": "EventBridgePublishesToEncryptedTopics",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
            },
            {
                # MSK broker logs into the SSE-KMS logs bucket (ElastiCache logs go to CloudWatch
                # Logs, NLB access logs to the SSE-S3 lb-logs bucket).
                "Sid": "VendedLogsToEncryptedBuckets",
                "Effect": "Allow",
                "Principal": {"Service": "delivery.logs.amazonaws.com"},
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
            },
        ],
    }
