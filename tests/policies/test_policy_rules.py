"""Every resource rule with a compliant and a violating resource (hand-built camelCase props).

Each case names its rule; a failing case changes only the property the rule is about and
names a fragment the violation message must contain, so a case cannot pass because some
other check happened to fire.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from streaming_policies import RESOURCE_RULES, RuleContext, Tier
from streaming_policies.rules import parse_server_properties

from tests.policies.policy_fixtures import (
    DELETE,
    alb_props,
    emr_cluster_props,
    emr_security_configuration_document,
    emr_security_configuration_props,
    global_secondary_props,
    http_redirect_listener_props,
    https_listener_props,
    internal_nlb_props,
    kms_key_props,
    least_privilege_policy,
    msk_cluster_props,
    msk_configuration_props,
    msk_replicator_props,
    patched,
    public_access_block_props,
    replication_group_props,
    replication_props,
    role_policy_props,
    sse_kms_props,
    tls_only_policy,
    versioning_props,
)

RULES = {rule.name: rule for rule in RESOURCE_RULES}

MSK = "aws:msk/cluster:Cluster"
MSK_CONFIG = "aws:msk/configuration:Configuration"
REPLICATOR = "aws:msk/replicator:Replicator"
CACHE = "aws:elasticache/replicationGroup:ReplicationGroup"
EMR = "aws:emr/cluster:Cluster"
EMR_SC = "aws:emr/securityConfiguration:SecurityConfiguration"
LB = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
KMS = "aws:kms/key:Key"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
IAM_POLICY = "aws:iam/policy:Policy"
IAM_ROLE = "aws:iam/role:Role"

LAKE = "sp-prod-lake-123456789012-us-east-1"
LB_LOGS = "sp-prod-lb-logs-123456789012-us-east-1"
ACCESS_LOGS = "sp-prod-access-logs-123456789012-us-east-1"
DR_LAKE_ARN = "arn:aws:s3:::sp-prod-dr-lake-123456789012-us-west-2"
UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


@dataclass(frozen=True)
class Case:
    rule: str
    resource_type: str
    props: dict[str, Any]
    tier: Tier = "prod"
    name: str = "resource"
    expect: str = ""
    """Fragment of the expected violation message; empty for a passing case."""
    secrets_visible: bool = True

    @property
    def id(self) -> str:
        return f"{self.rule}[{self.tier}]:{self.expect or 'passes'}"


def server_properties(**overrides: str) -> dict[str, Any]:
    properties = parse_server_properties(msk_configuration_props()["serverProperties"])
    properties.update(overrides)
    return {**msk_configuration_props(), "serverProperties": "\n".join(f"{k}={v}" for k, v in properties.items())}


def without_property(key: str) -> dict[str, Any]:
    properties = parse_server_properties(msk_configuration_props()["serverProperties"])
    properties.pop(key)
    return {**msk_configuration_props(), "serverProperties": "\n".join(f"{k}={v}" for k, v in properties.items())}


def policy_props(document: Any, resource: str = "policy") -> dict[str, Any]:
    return {resource: json.dumps(document) if not isinstance(document, str) else document}


def statement(action: Any, resource: Any = "*", effect: str = "Allow", key: str = "Action") -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": effect, key: action, "Resource": resource}]}


def sc_with(changes: dict[str, Any]) -> dict[str, Any]:
    return {"name": "sc", "configuration": json.dumps(patched(emr_security_configuration_document(), changes))}


PASSING = [
    Case("msk-encryption-at-rest-cmk", MSK, msk_cluster_props()),
    Case("msk-encryption-in-transit", MSK, msk_cluster_props()),
    Case(
        "msk-encryption-in-transit", MSK, patched(msk_cluster_props(), {"encryptionInfo.encryptionInTransit": DELETE})
    ),
    Case("msk-iam-client-auth", MSK, msk_cluster_props()),
    Case("msk-broker-spread", MSK, msk_cluster_props()),
    Case(
        "msk-broker-spread",
        MSK,
        patched(msk_cluster_props(("s1", "s2")), {"numberOfBrokerNodes": 2.0}),
        tier="dev",
    ),
    Case("msk-broker-logs", MSK, msk_cluster_props()),
    Case("msk-enhanced-monitoring", MSK, msk_cluster_props()),
    Case("msk-custom-configuration", MSK, msk_cluster_props()),
    Case("msk-configuration-durability", MSK_CONFIG, msk_configuration_props()),
    Case(
        "msk-configuration-durability",
        MSK_CONFIG,
        server_properties(**{"default.replication.factor": "2", "min.insync.replicas": "1"}),
        tier="dev",
    ),
    Case("msk-configuration-durability", MSK_CONFIG, {"serverProperties": UNKNOWN_STRING}),
    Case("msk-configuration-no-auto-create-topics", MSK_CONFIG, msk_configuration_props()),
    Case("msk-replicator-identical-topics", REPLICATOR, msk_replicator_props()),
    Case("elasticache-encryption-at-rest-cmk", CACHE, replication_group_props()),
    Case("elasticache-encryption-at-rest-cmk", CACHE, global_secondary_props()),
    Case("elasticache-encryption-in-transit", CACHE, replication_group_props()),
    Case("elasticache-encryption-in-transit", CACHE, global_secondary_props()),
    Case("elasticache-multi-az-failover", CACHE, replication_group_props()),
    Case("elasticache-multi-az-failover", CACHE, global_secondary_props()),
    Case(
        "elasticache-multi-az-failover",
        CACHE,
        patched(replication_group_props(), {"replicasPerNodeGroup": DELETE, "numCacheClusters": 2.0}),
    ),
    Case("elasticache-snapshot-retention", CACHE, replication_group_props()),
    Case("elasticache-auth", CACHE, replication_group_props()),
    Case(
        "elasticache-auth",
        CACHE,
        patched(replication_group_props(), {"userGroupIds": DELETE, "authToken": "[secret]"}),
    ),
    Case(
        "elasticache-auth",
        CACHE,
        patched(replication_group_props(), {"userGroupIds": DELETE, "authToken": "token-from-a-secret"}),
        secrets_visible=False,
    ),
    Case("elasticache-auth", CACHE, global_secondary_props()),
    Case("elasticache-log-delivery", CACHE, replication_group_props()),
    Case("emr-security-configuration-attached", EMR, emr_cluster_props()),
    Case("emr-termination-protection", EMR, emr_cluster_props()),
    Case("emr-private-network", EMR, emr_cluster_props()),
    Case("emr-log-uri", EMR, emr_cluster_props()),
    Case("emr-keep-alive-for-streaming", EMR, emr_cluster_props()),
    Case("emr-keep-alive-for-streaming", EMR, patched(emr_cluster_props(), {"keepJobFlowAliveWhenNoSteps": DELETE})),
    Case("emr-at-rest-encryption", EMR_SC, emr_security_configuration_props()),
    Case("lb-access-logs", LB, alb_props()),
    Case("alb-drop-invalid-headers", LB, alb_props()),
    Case("alb-drop-invalid-headers", LB, internal_nlb_props()),
    Case("lb-deletion-protection", LB, alb_props()),
    Case("lb-internal-unless-edge", LB, alb_props()),
    Case("lb-internal-unless-edge", LB, patched(alb_props(), {"tags": DELETE}), name="edge-alb"),
    Case("lb-internal-unless-edge", LB, internal_nlb_props()),
    Case("lb-listener-tls", LISTENER, https_listener_props()),
    Case(
        "lb-listener-tls",
        LISTENER,
        patched(https_listener_props(), {"sslPolicy": "ELBSecurityPolicy-TLS13-1-3-2021-06"}),
    ),
    Case("lb-listener-tls", LISTENER, http_redirect_listener_props()),
    Case(
        "lb-listener-tls",
        LISTENER,
        patched(https_listener_props(), {"protocol": "HTTP", "sslPolicy": DELETE}),
        tier="dev",
    ),
    Case("s3-sse-kms", SSE, sse_kms_props(LAKE)),
    Case(
        "s3-sse-kms",
        SSE,
        {"bucket": LB_LOGS, "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]},
    ),
    Case(
        "s3-sse-kms",
        SSE,
        {"bucket": ACCESS_LOGS, "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]},
    ),
    Case("s3-public-access-block", PAB, public_access_block_props(LAKE)),
    Case("s3-versioning", VERSIONING, versioning_props(LAKE)),
    Case("s3-deny-insecure-transport", BUCKET_POLICY, {"bucket": LAKE, **policy_props(tls_only_policy(LAKE))}),
    Case(
        "s3-deny-insecure-transport",
        BUCKET_POLICY,
        {"bucket": LAKE, **policy_props(patched(tls_only_policy(LAKE), {"Statement.0.Principal": {"AWS": "*"}}))},
    ),
    Case("s3-deny-insecure-transport", BUCKET_POLICY, {"bucket": LAKE, "policy": UNKNOWN_STRING}),
    Case("s3-replication-rtc-kms", REPLICATION, replication_props(LAKE, DR_LAKE_ARN)),
    Case("kms-key-rotation", KMS, kms_key_props()),
    Case(
        "kms-key-rotation",
        KMS,
        {"customerMasterKeySpec": "RSA_2048", "keyUsage": "SIGN_VERIFY", "enableKeyRotation": False},
    ),
    Case("kms-deletion-window", KMS, kms_key_props()),
    Case("kms-deletion-window", KMS, patched(kms_key_props(), {"deletionWindowInDays": 7.0}), tier="dev"),
    Case("kms-deletion-window", KMS, patched(kms_key_props(), {"deletionWindowInDays": DELETE})),
    Case("vpc-default-sg-closed", DEFAULT_SG, {"vpcId": "vpc-1", "ingress": [], "egress": []}),
    Case("iam-no-admin-wildcard", ROLE_POLICY, role_policy_props()),
    Case("iam-no-admin-wildcard", IAM_POLICY, policy_props(statement("*", effect="Deny"))),
    Case("iam-no-passrole-wildcard", ROLE_POLICY, role_policy_props()),
    Case("iam-no-passrole-wildcard", IAM_POLICY, policy_props(statement("iam:PassRole", "arn:aws:iam::1:role/x"))),
]

FAILING = [
    Case(
        "msk-encryption-at-rest-cmk",
        MSK,
        patched(msk_cluster_props(), {"encryptionInfo.encryptionAtRestKmsKeyArn": DELETE}),
        expect="encryptionAtRestKmsKeyArn is not set",
    ),
    Case(
        "msk-encryption-in-transit",
        MSK,
        patched(msk_cluster_props(), {"encryptionInfo.encryptionInTransit.clientBroker": "TLS_PLAINTEXT"}),
        expect="clientBroker is 'TLS_PLAINTEXT'",
    ),
    Case(
        "msk-encryption-in-transit",
        MSK,
        patched(msk_cluster_props(), {"encryptionInfo.encryptionInTransit.inCluster": False}),
        expect="inCluster is false",
    ),
    Case(
        "msk-iam-client-auth",
        MSK,
        patched(msk_cluster_props(), {"clientAuthentication.sasl.iam": False}),
        expect="sasl.iam is not true",
    ),
    Case(
        "msk-iam-client-auth",
        MSK,
        patched(msk_cluster_props(), {"clientAuthentication.unauthenticated": True}),
        expect="unauthenticated is true",
    ),
    Case(
        "msk-broker-spread",
        MSK,
        msk_cluster_props(("s1", "s2")),
        expect="not a multiple of the 2 client subnets",
    ),
    Case(
        "msk-broker-spread",
        MSK,
        patched(msk_cluster_props(("s1", "s2")), {"numberOfBrokerNodes": 2.0}),
        expect="lists 2 subnet(s)",
    ),
    Case(
        "msk-broker-spread",
        MSK,
        patched(msk_cluster_props(("s1",)), {"numberOfBrokerNodes": 2.0}),
        expect="numberOfBrokerNodes is below 3",
    ),
    Case(
        "msk-broker-spread",
        MSK,
        patched(msk_cluster_props(("s1", "s2")), {"numberOfBrokerNodes": 3.0}),
        tier="dev",
        expect="not a multiple",
    ),
    Case(
        "msk-broker-logs",
        MSK,
        patched(msk_cluster_props(), {"loggingInfo.brokerLogs.cloudwatchLogs.enabled": False}),
        expect="cloudwatchLogs.enabled is not true",
    ),
    Case(
        "msk-broker-logs",
        MSK,
        patched(msk_cluster_props(), {"loggingInfo.brokerLogs.cloudwatchLogs.logGroup": DELETE}),
        expect="logGroup is not set",
    ),
    Case(
        "msk-enhanced-monitoring",
        MSK,
        patched(msk_cluster_props(), {"enhancedMonitoring": "DEFAULT"}),
        expect="enhancedMonitoring is DEFAULT",
    ),
    Case(
        "msk-enhanced-monitoring",
        MSK,
        patched(msk_cluster_props(), {"enhancedMonitoring": DELETE}),
        expect="enhancedMonitoring is DEFAULT",
    ),
    Case(
        "msk-custom-configuration",
        MSK,
        patched(msk_cluster_props(), {"configurationInfo": DELETE}),
        expect="configurationInfo.arn is not set",
    ),
    Case(
        "msk-custom-configuration",
        MSK,
        patched(msk_cluster_props(), {"configurationInfo.revision": DELETE}),
        expect="revision is not set",
    ),
    Case(
        "msk-configuration-durability",
        MSK_CONFIG,
        server_properties(**{"default.replication.factor": "2", "min.insync.replicas": "1"}),
        expect="default.replication.factor is '2'",
    ),
    Case(
        "msk-configuration-durability",
        MSK_CONFIG,
        server_properties(**{"default.replication.factor": "2", "min.insync.replicas": "1"}),
        tier="staging",
        expect="min.insync.replicas is '1'",
    ),
    Case(
        "msk-configuration-durability",
        MSK_CONFIG,
        server_properties(**{"min.insync.replicas": "3"}),
        expect="is not below default.replication.factor 3",
    ),
    Case(
        "msk-configuration-durability",
        MSK_CONFIG,
        server_properties(**{"unclean.leader.election.enable": "true"}),
        expect="unclean.leader.election.enable is not 'false'",
    ),
    Case(
        "msk-configuration-durability",
        MSK_CONFIG,
        without_property("min.insync.replicas"),
        expect="min.insync.replicas is None",
    ),
    Case(
        "msk-configuration-no-auto-create-topics",
        MSK_CONFIG,
        server_properties(**{"auto.create.topics.enable": "true"}),
        expect="auto.create.topics.enable is not 'false'",
    ),
    Case(
        "msk-configuration-no-auto-create-topics",
        MSK_CONFIG,
        without_property("auto.create.topics.enable"),
        expect="auto.create.topics.enable is not 'false'",
    ),
    Case(
        "msk-replicator-identical-topics",
        REPLICATOR,
        patched(
            msk_replicator_props(),
            {
                "replicationInfoList.topicReplications.0.topicNameConfiguration.type": "PREFIXED_WITH_SOURCE_CLUSTER_ALIAS"
            },
        ),
        expect="needs IDENTICAL topic names",
    ),
    Case(
        "msk-replicator-identical-topics",
        REPLICATOR,
        patched(msk_replicator_props(), {"replicationInfoList.topicReplications.0.copyTopicConfigurations": True}),
        expect="copyTopicConfigurations is on",
    ),
    Case(
        "msk-replicator-identical-topics",
        REPLICATOR,
        patched(
            msk_replicator_props(),
            {"replicationInfoList.consumerGroupReplications.0.synchroniseConsumerGroupOffsets": False},
        ),
        expect="synchroniseConsumerGroupOffsets is not true",
    ),
    Case(
        "msk-replicator-identical-topics",
        REPLICATOR,
        patched(msk_replicator_props(), {"replicationInfoList.topicReplications": []}),
        expect="topicReplications is empty",
    ),
    Case(
        "elasticache-encryption-at-rest-cmk",
        CACHE,
        patched(replication_group_props(), {"atRestEncryptionEnabled": False}),
        expect="atRestEncryptionEnabled is not true",
    ),
    Case(
        "elasticache-encryption-at-rest-cmk",
        CACHE,
        patched(global_secondary_props(), {"kmsKeyId": DELETE}),
        expect="kmsKeyId is not set",
    ),
    Case(
        "elasticache-encryption-in-transit",
        CACHE,
        patched(replication_group_props(), {"transitEncryptionEnabled": DELETE}),
        expect="transitEncryptionEnabled is not true",
    ),
    Case(
        "elasticache-encryption-in-transit",
        CACHE,
        patched(replication_group_props(), {"transitEncryptionMode": "preferred"}),
        expect="transitEncryptionMode is 'preferred'",
    ),
    Case(
        "elasticache-multi-az-failover",
        CACHE,
        patched(replication_group_props(), {"automaticFailoverEnabled": False}),
        expect="automaticFailoverEnabled is not true",
    ),
    Case(
        "elasticache-multi-az-failover",
        CACHE,
        patched(replication_group_props(), {"multiAzEnabled": DELETE}),
        expect="multiAzEnabled is not true",
    ),
    Case(
        "elasticache-multi-az-failover",
        CACHE,
        patched(replication_group_props(), {"replicasPerNodeGroup": 0.0}),
        expect="replicasPerNodeGroup is below 1",
    ),
    Case(
        "elasticache-multi-az-failover",
        CACHE,
        patched(replication_group_props(), {"replicasPerNodeGroup": DELETE}),
        expect="replicasPerNodeGroup is not set",
    ),
    Case(
        "elasticache-multi-az-failover",
        CACHE,
        patched(global_secondary_props(), {"replicasPerNodeGroup": 0.0}),
        expect="replicasPerNodeGroup is below 1",
    ),
    Case(
        "elasticache-snapshot-retention",
        CACHE,
        patched(replication_group_props(), {"snapshotRetentionLimit": 0.0}),
        tier="staging",
        expect="snapshotRetentionLimit is below 1",
    ),
    Case(
        "elasticache-auth",
        CACHE,
        patched(replication_group_props(), {"authToken": "[secret]"}),
        expect="userGroupIds and an AUTH token are both set",
    ),
    Case(
        "elasticache-auth",
        CACHE,
        patched(replication_group_props(), {"userGroupIds": DELETE, "authToken": "plain-token-1234567890"}),
        expect="authToken is in clear text",
    ),
    Case(
        "elasticache-auth",
        CACHE,
        patched(replication_group_props(), {"userGroupIds": DELETE}),
        expect="no client authentication",
    ),
    Case(
        "elasticache-log-delivery",
        CACHE,
        patched(replication_group_props(), {"logDeliveryConfigurations": []}),
        expect="logDeliveryConfigurations is empty",
    ),
    Case(
        "elasticache-log-delivery",
        CACHE,
        patched(replication_group_props(), {"logDeliveryConfigurations.1.destination": DELETE}),
        expect="logDeliveryConfigurations[1].destination is not set",
    ),
    Case(
        "emr-security-configuration-attached",
        EMR,
        patched(emr_cluster_props(), {"securityConfiguration": DELETE}),
        expect="securityConfiguration is not set",
    ),
    Case(
        "emr-termination-protection",
        EMR,
        patched(emr_cluster_props(), {"terminationProtection": False}),
        expect="terminationProtection is not true",
    ),
    Case(
        "emr-private-network",
        EMR,
        patched(emr_cluster_props(), {"ec2Attributes": DELETE}),
        expect="ec2Attributes is not set",
    ),
    Case(
        "emr-private-network",
        EMR,
        patched(emr_cluster_props(), {"ec2Attributes.serviceAccessSecurityGroup": DELETE}),
        expect="serviceAccessSecurityGroup is not set",
    ),
    Case(
        "emr-private-network",
        EMR,
        patched(emr_cluster_props(), {"ec2Attributes.subnetIds": []}),
        expect="subnetId(s) is not set",
    ),
    Case("emr-log-uri", EMR, patched(emr_cluster_props(), {"logUri": DELETE}), expect="logUri is None"),
    Case("emr-log-uri", EMR, patched(emr_cluster_props(), {"logUri": "hdfs:///logs"}), expect="set an s3://"),
    Case(
        "emr-keep-alive-for-streaming",
        EMR,
        patched(emr_cluster_props(), {"keepJobFlowAliveWhenNoSteps": False}),
        expect="keepJobFlowAliveWhenNoSteps is false",
    ),
    Case(
        "emr-at-rest-encryption",
        EMR_SC,
        sc_with(
            {"EncryptionConfiguration.AtRestEncryptionConfiguration.S3EncryptionConfiguration.EncryptionMode": "SSE-S3"}
        ),
        expect="EncryptionMode SSE-KMS",
    ),
    Case(
        "emr-at-rest-encryption",
        EMR_SC,
        sc_with(
            {
                "EncryptionConfiguration.AtRestEncryptionConfiguration.LocalDiskEncryptionConfiguration."
                "EnableEbsEncryption": False
            }
        ),
        expect="EnableEbsEncryption is not true",
    ),
    Case(
        "emr-at-rest-encryption",
        EMR_SC,
        sc_with({"EncryptionConfiguration.EnableAtRestEncryption": False}),
        expect="EnableAtRestEncryption is not true",
    ),
    Case("emr-at-rest-encryption", EMR_SC, {"configuration": "{not json"}, expect="not valid JSON"),
    Case(
        "lb-access-logs",
        LB,
        patched(alb_props(), {"accessLogs.enabled": False}),
        expect="accessLogs is not enabled",
    ),
    Case(
        "alb-drop-invalid-headers",
        LB,
        patched(alb_props(), {"dropInvalidHeaderFields": DELETE}),
        expect="dropInvalidHeaderFields is not true",
    ),
    Case(
        "lb-deletion-protection",
        LB,
        patched(alb_props(), {"enableDeletionProtection": False}),
        expect="enableDeletionProtection is not true",
    ),
    Case(
        "lb-internal-unless-edge",
        LB,
        patched(internal_nlb_props(), {"internal": DELETE}),
        name="ingest-nlb",
        expect="internal is not true",
    ),
    Case(
        "lb-listener-tls",
        LISTENER,
        patched(https_listener_props(), {"sslPolicy": "ELBSecurityPolicy-2016-08"}),
        expect="sslPolicy is 'ELBSecurityPolicy-2016-08'",
    ),
    Case(
        "lb-listener-tls",
        LISTENER,
        patched(https_listener_props(), {"sslPolicy": "ELBSecurityPolicy-TLS13-1-0-2021-06"}),
        tier="dev",
        expect="refuses TLS 1.0/1.1",
    ),
    Case(
        "lb-listener-tls",
        LISTENER,
        patched(https_listener_props(), {"protocol": "HTTP", "sslPolicy": DELETE}),
        tier="staging",
        expect="plaintext HTTP listener forwards",
    ),
    Case(
        "lb-listener-tls",
        LISTENER,
        {"protocol": "TCP", "port": 9092.0, "defaultActions": [{"type": "forward"}]},
        expect="plaintext TCP listener",
    ),
    Case(
        "s3-sse-kms",
        SSE,
        {"bucket": LAKE, "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]},
        expect="sseAlgorithm is 'AES256'",
    ),
    Case(
        "s3-sse-kms",
        SSE,
        patched(sse_kms_props(LAKE), {"rules.0.bucketKeyEnabled": False}),
        expect="bucketKeyEnabled is not true",
    ),
    Case(
        "s3-sse-kms",
        SSE,
        patched(sse_kms_props(LAKE), {"rules.0.applyServerSideEncryptionByDefault.kmsMasterKeyId": DELETE}),
        expect="kmsMasterKeyId is not set",
    ),
    Case(
        "s3-public-access-block",
        PAB,
        patched(public_access_block_props(LAKE), {"restrictPublicBuckets": False}),
        expect="restrictPublicBuckets not true",
    ),
    Case(
        "s3-versioning",
        VERSIONING,
        patched(versioning_props(LAKE), {"versioningConfiguration.status": "Suspended"}),
        expect="status is 'Suspended'",
    ),
    Case(
        "s3-deny-insecure-transport",
        BUCKET_POLICY,
        {"bucket": LAKE, **policy_props(patched(tls_only_policy(LAKE), {"Statement.0.Effect": "Allow"}))},
        expect="has no Deny of s3:*",
    ),
    Case(
        "s3-deny-insecure-transport",
        BUCKET_POLICY,
        {
            "bucket": LAKE,
            **policy_props(patched(tls_only_policy(LAKE), {"Statement.0.Resource": f"arn:aws:s3:::{LAKE}/*"})),
        },
        expect="on the bucket and its objects",
    ),
    Case(
        "s3-deny-insecure-transport",
        BUCKET_POLICY,
        {
            "bucket": LAKE,
            **policy_props(
                patched(tls_only_policy(LAKE), {"Statement.0.Condition": {"Bool": {"aws:SecureTransport": "true"}}})
            ),
        },
        expect="aws:SecureTransport 'false'",
    ),
    Case("s3-deny-insecure-transport", BUCKET_POLICY, {"bucket": LAKE, "policy": "{"}, expect="not valid JSON"),
    Case(
        "s3-replication-rtc-kms",
        REPLICATION,
        patched(replication_props(LAKE, DR_LAKE_ARN), {"rules.0.destination.replicationTime.status": "Disabled"}),
        expect="replicationTime.status is not Enabled",
    ),
    Case(
        "s3-replication-rtc-kms",
        REPLICATION,
        patched(replication_props(LAKE, DR_LAKE_ARN), {"rules.0.destination.metrics": DELETE}),
        expect="RTC requires replication metrics",
    ),
    Case(
        "s3-replication-rtc-kms",
        REPLICATION,
        patched(replication_props(LAKE, DR_LAKE_ARN), {"rules.0.sourceSelectionCriteria": DELETE}),
        expect="SSE-KMS objects would silently not replicate",
    ),
    Case(
        "s3-replication-rtc-kms",
        REPLICATION,
        patched(replication_props(LAKE, DR_LAKE_ARN), {"rules.0.destination.encryptionConfiguration": DELETE}),
        expect="replicaKmsKeyId is not set",
    ),
    Case(
        "s3-replication-rtc-kms",
        REPLICATION,
        patched(replication_props(LAKE, DR_LAKE_ARN), {"rules.0.status": "Disabled"}),
        expect="no replication rule has status Enabled",
    ),
    Case(
        "kms-key-rotation",
        KMS,
        patched(kms_key_props(), {"enableKeyRotation": False}),
        tier="dev",
        expect="enableKeyRotation is not true",
    ),
    Case(
        "kms-deletion-window",
        KMS,
        patched(kms_key_props(), {"deletionWindowInDays": 7.0}),
        expect="at least 30 days",
    ),
    Case(
        "kms-deletion-window",
        KMS,
        patched(kms_key_props(), {"deletionWindowInDays": 6.0}),
        tier="staging",
        expect="at least 7 days",
    ),
    Case(
        "vpc-default-sg-closed",
        DEFAULT_SG,
        {"vpcId": "vpc-1", "ingress": [{"protocol": "-1", "fromPort": 0.0, "toPort": 0.0, "self": True}]},
        expect="ingress has rules",
    ),
    Case(
        "iam-no-admin-wildcard",
        IAM_POLICY,
        policy_props(statement("*")),
        expect="allows every action on Resource '*'",
    ),
    Case(
        "iam-no-admin-wildcard",
        ROLE_POLICY,
        policy_props(statement(["s3:GetObject"], ["*"], key="NotAction")),
        expect="allows every action on Resource '*'",
    ),
    Case(
        "iam-no-admin-wildcard",
        IAM_ROLE,
        {"inlinePolicies": [{"name": "admin", "policy": json.dumps(statement("*:*"))}]},
        expect="inlinePolicies[0].policy allows every action",
    ),
    Case("iam-no-admin-wildcard", IAM_POLICY, {"policy": "not json"}, expect="policy is not valid JSON"),
    Case(
        "iam-no-passrole-wildcard",
        ROLE_POLICY,
        policy_props(statement("iam:PassRole")),
        expect="allows iam:PassRole on Resource '*'",
    ),
    Case(
        "iam-no-passrole-wildcard",
        IAM_POLICY,
        policy_props(statement(["iam:Pass*", "s3:GetObject"])),
        expect="allows iam:PassRole",
    ),
    Case(
        "iam-no-passrole-wildcard",
        IAM_POLICY,
        policy_props(
            {
                "Statement": {"Effect": "Allow", "Action": "IAM:*", "Resource": ["arn:aws:s3:::x", "*"]},
            }
        ),
        expect="allows iam:PassRole",
    ),
]


def run(case: Case) -> list[str]:
    context = RuleContext(tier=case.tier, stack="test", resource_name=case.name, secrets_visible=case.secrets_visible)
    return RULES[case.rule].run(case.resource_type, case.props, context)


@pytest.mark.parametrize("case", PASSING, ids=lambda case: case.id)
def test_compliant_resource_passes(case: Case) -> None:
    assert case.tier in RULES[case.rule].tiers
    assert run(case) == []


@pytest.mark.parametrize("case", FAILING, ids=lambda case: case.id)
def test_violating_resource_is_reported(case: Case) -> None:
    assert case.tier in RULES[case.rule].tiers
    messages = run(case)
    assert any(case.expect in message for message in messages), messages


def test_every_resource_rule_has_a_passing_and_a_failing_case() -> None:
    assert {case.rule for case in PASSING} == set(RULES)
    assert {case.rule for case in FAILING} == set(RULES)


def test_rule_ignores_resource_types_it_does_not_govern() -> None:
    context = RuleContext(tier="prod", stack="test")
    bad_cluster = patched(msk_cluster_props(), {"encryptionInfo": DELETE})
    assert RULES["msk-encryption-at-rest-cmk"].run(EMR, bad_cluster, context) == []


def test_least_privilege_policy_fixture_really_grants_passrole_on_one_role() -> None:
    """Guards the passing case: it must exercise PassRole, only not on '*'."""
    passrole = [s for s in least_privilege_policy()["Statement"] if s["Action"] == "iam:PassRole"]
    assert passrole and all(s["Resource"] != "*" for s in passrole)


@given(
    st.dictionaries(
        st.from_regex(r"[a-z][a-z0-9.]{0,20}", fullmatch=True),
        st.from_regex(r"[a-zA-Z0-9_]{0,10}", fullmatch=True),
        max_size=8,
    ),
    st.sampled_from(["=", ": ", " = "]),
)
def test_server_properties_round_trip(properties: dict[str, str], separator: str) -> None:
    text = "# comment\n\n" + "\n".join(f"{key}{separator}{value}" for key, value in properties.items())
    assert parse_server_properties(text) == properties


@given(st.integers(min_value=1, max_value=12), st.integers(min_value=1, max_value=6))
def test_broker_spread_flags_exactly_uneven_layouts(brokers: int, subnets: int) -> None:
    props = patched(msk_cluster_props(tuple(f"s{i}" for i in range(subnets))), {"numberOfBrokerNodes": float(brokers)})
    messages = RULES["msk-broker-spread"].run(MSK, props, RuleContext(tier="dev", stack="test"))
    assert bool(messages) == (brokers % subnets != 0)
