"""Hand-built, AWS-correct resources for the policy pack tests.

``*_props()`` return the camelCase inputs of one compliant resource (fresh copies, numbers
as floats as the engine sends them). `prod_stack` and `prod_dr_stack` assemble a complete
warm-standby pair in the plan record's shape, which the whole pack must pass. `patched`
derives the failing variants: each test changes exactly the property its rule is about.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

PROJECT = "streaming-platform"
ACCOUNT = "123456789012"
PRIMARY_REGION = "us-east-1"
DR_REGION = "us-west-2"
DELETE = object()
"""Marker for `patched`: remove the key."""

KEY_ARN = f"arn:aws:kms:{PRIMARY_REGION}:{ACCOUNT}:key/1111aaaa-1111-aaaa-1111-aaaa1111aaaa"
PROD_MSK_ARN = f"arn:aws:kafka:{PRIMARY_REGION}:{ACCOUNT}:cluster/sp-prod-kafka/aaaa-1"
DR_MSK_ARN = f"arn:aws:kafka:{DR_REGION}:{ACCOUNT}:cluster/sp-prod-dr-kafka/bbbb-2"


def patched(props: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of props with dotted paths set (or removed with DELETE)."""
    result = copy.deepcopy(props)
    for path, value in changes.items():
        *parents, leaf = path.split(".")
        node = result
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
        if value is DELETE:
            node.pop(leaf, None)
        elif isinstance(node, list):
            node[int(leaf)] = value
        else:
            node[leaf] = value
    return result


def stack_tags(stack: str, tier: str) -> dict[str, str]:
    return {
        "project": PROJECT,
        "stack": stack,
        "environment": tier,
        "owner": "data-platform",
        "cost-center": f"cc-streaming-{tier}",
    }


def provider_props(stack: str, tier: str, region: str) -> dict[str, Any]:
    # Provider default tags reach the engine as a JSON string.
    return {"region": region, "defaultTags": json.dumps({"tags": stack_tags(stack, tier)})}


def kms_key_props() -> dict[str, Any]:
    return {"description": "stack key", "enableKeyRotation": True, "deletionWindowInDays": 30.0}


def msk_configuration_props() -> dict[str, Any]:
    return {
        "name": "sp-prod-kafka-3f2a",
        "kafkaVersions": ["3.8.x"],
        "serverProperties": "\n".join(
            [
                "# durability",
                "auto.create.topics.enable=false",
                "default.replication.factor=3",
                "min.insync.replicas=2",
                "unclean.leader.election.enable=false",
                "num.partitions=12",
            ]
        ),
    }


def msk_cluster_props(subnets: tuple[str, ...] = ("subnet-d0", "subnet-d1", "subnet-d2")) -> dict[str, Any]:
    return {
        "clusterName": "sp-prod-kafka",
        "kafkaVersion": "3.8.x",
        "numberOfBrokerNodes": 3.0,
        "brokerNodeGroupInfo": {
            "instanceType": "kafka.m7g.large",
            "clientSubnets": list(subnets),
            "securityGroups": ["sg-kafka"],
            "storageInfo": {"ebsStorageInfo": {"volumeSize": 1000.0}},
        },
        "encryptionInfo": {
            "encryptionAtRestKmsKeyArn": KEY_ARN,
            "encryptionInTransit": {"clientBroker": "TLS", "inCluster": True},
        },
        "clientAuthentication": {"sasl": {"iam": True}, "unauthenticated": False},
        "configurationInfo": {
            "arn": f"arn:aws:kafka:{PRIMARY_REGION}:{ACCOUNT}:configuration/sp-prod",
            "revision": 1.0,
        },
        "enhancedMonitoring": "PER_TOPIC_PER_BROKER",
        "loggingInfo": {"brokerLogs": {"cloudwatchLogs": {"enabled": True, "logGroup": "/sp/prod/msk"}}},
    }


def msk_replicator_props() -> dict[str, Any]:
    return {
        "replicatorName": "sp-prod-dr-replicator",
        "serviceExecutionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/sp-prod-dr-replicator",
        "kafkaClusters": [
            {
                "amazonMskCluster": {"mskClusterArn": PROD_MSK_ARN},
                "vpcConfig": {"subnetIds": ["subnet-p0", "subnet-p1", "subnet-p2"], "securityGroupsIds": ["sg-r1"]},
            },
            {
                "amazonMskCluster": {"mskClusterArn": DR_MSK_ARN},
                "vpcConfig": {"subnetIds": ["subnet-w0", "subnet-w1", "subnet-w2"], "securityGroupsIds": ["sg-r2"]},
            },
        ],
        "replicationInfoList": {
            "sourceKafkaClusterArn": PROD_MSK_ARN,
            "targetKafkaClusterArn": DR_MSK_ARN,
            "targetCompressionType": "LZ4",
            "topicReplications": [
                {
                    "topicsToReplicates": ["events", "events-dlq"],
                    "copyTopicConfigurations": False,
                    "copyAccessControlListsForTopics": True,
                    "detectAndCopyNewTopics": True,
                    "topicNameConfiguration": {"type": "IDENTICAL"},
                }
            ],
            "consumerGroupReplications": [
                {"consumerGroupsToReplicates": [".*"], "synchroniseConsumerGroupOffsets": True}
            ],
        },
    }


def replication_group_props() -> dict[str, Any]:
    return {
        "replicationGroupId": "sp-prod-cache",
        "description": "session and dedup cache",
        "engine": "valkey",
        "engineVersion": "8.0",
        "nodeType": "cache.r7g.large",
        "numNodeGroups": 2.0,
        "replicasPerNodeGroup": 2.0,
        "automaticFailoverEnabled": True,
        "multiAzEnabled": True,
        "atRestEncryptionEnabled": True,
        "kmsKeyId": KEY_ARN,
        "transitEncryptionEnabled": True,
        "transitEncryptionMode": "required",
        "userGroupIds": ["sp-prod-users"],
        "snapshotRetentionLimit": 14.0,
        "logDeliveryConfigurations": [
            {
                "destination": "/sp/prod/cache/slow",
                "destinationType": "cloudwatch-logs",
                "logFormat": "json",
                "logType": "slow-log",
            },
            {
                "destination": "/sp/prod/cache/engine",
                "destinationType": "cloudwatch-logs",
                "logFormat": "json",
                "logType": "engine-log",
            },
        ],
    }


def global_secondary_props() -> dict[str, Any]:
    """A Global Datastore secondary: engine, node type, encryption and auth come from the primary."""
    return {
        "replicationGroupId": "sp-prod-dr-cache",
        "description": "DR secondary",
        "globalReplicationGroupId": "ldgnf-sp-prod-cache",
        "kmsKeyId": f"arn:aws:kms:{DR_REGION}:{ACCOUNT}:key/2222bbbb",
        "snapshotRetentionLimit": 7.0,
        "logDeliveryConfigurations": [
            {
                "destination": "/sp/prod-dr/cache/engine",
                "destinationType": "cloudwatch-logs",
                "logFormat": "json",
                "logType": "engine-log",
            }
        ],
    }


def emr_security_configuration_document() -> dict[str, Any]:
    return {
        "EncryptionConfiguration": {
            "EnableInTransitEncryption": False,
            "EnableAtRestEncryption": True,
            "AtRestEncryptionConfiguration": {
                "S3EncryptionConfiguration": {"EncryptionMode": "SSE-KMS", "AwsKmsKey": KEY_ARN},
                "LocalDiskEncryptionConfiguration": {
                    "EncryptionKeyProviderType": "AwsKms",
                    "AwsKmsKey": KEY_ARN,
                    "EnableEbsEncryption": True,
                },
            },
        }
    }


def emr_security_configuration_props() -> dict[str, Any]:
    return {"name": "sp-prod-spark", "configuration": json.dumps(emr_security_configuration_document())}


def emr_cluster_props() -> dict[str, Any]:
    return {
        "name": "sp-prod-spark",
        "releaseLabel": "emr-7.9.0",
        "applications": ["Spark"],
        "serviceRole": f"arn:aws:iam::{ACCOUNT}:role/sp-prod-emr-service",
        "securityConfiguration": "sp-prod-spark",
        "terminationProtection": True,
        "keepJobFlowAliveWhenNoSteps": True,
        "logUri": f"s3://sp-prod-logs-{ACCOUNT}-{PRIMARY_REGION}/emr/",
        "ec2Attributes": {
            "subnetIds": ["subnet-a0", "subnet-a1", "subnet-a2"],
            "emrManagedMasterSecurityGroup": "sg-emr-primary",
            "emrManagedSlaveSecurityGroup": "sg-emr-core",
            "serviceAccessSecurityGroup": "sg-emr-service",
            "instanceProfile": f"arn:aws:iam::{ACCOUNT}:instance-profile/sp-prod-emr",
        },
    }


def alb_props() -> dict[str, Any]:
    return {
        "name": "sp-prod-edge",
        "loadBalancerType": "application",
        "internal": False,
        "dropInvalidHeaderFields": True,
        "enableDeletionProtection": True,
        "accessLogs": {"bucket": f"sp-prod-lb-logs-{ACCOUNT}-{PRIMARY_REGION}", "enabled": True, "prefix": "alb"},
        "subnets": ["subnet-p0", "subnet-p1", "subnet-p2"],
        "tags": {"exposure": "public"},
    }


def internal_nlb_props() -> dict[str, Any]:
    return {
        "name": "sp-prod-ingest",
        "loadBalancerType": "network",
        "internal": True,
        "enableDeletionProtection": True,
        "accessLogs": {"bucket": f"sp-prod-lb-logs-{ACCOUNT}-{PRIMARY_REGION}", "enabled": True, "prefix": "nlb"},
    }


def https_listener_props() -> dict[str, Any]:
    return {
        "loadBalancerArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/sp-prod-edge/1",
        "port": 443.0,
        "protocol": "HTTPS",
        "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
        "certificateArn": f"arn:aws:acm:{PRIMARY_REGION}:{ACCOUNT}:certificate/abc",
        "defaultActions": [{"type": "forward", "targetGroupArn": "arn:aws:elasticloadbalancing:tg/ingest"}],
    }


def http_redirect_listener_props() -> dict[str, Any]:
    return {
        "loadBalancerArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/sp-prod-edge/1",
        "port": 80.0,
        "protocol": "HTTP",
        "defaultActions": [
            {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}
        ],
    }


def sse_kms_props(bucket: str) -> dict[str, Any]:
    return {
        "bucket": bucket,
        "rules": [
            {
                "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY_ARN},
                "bucketKeyEnabled": True,
            }
        ],
    }


def public_access_block_props(bucket: str) -> dict[str, Any]:
    return {
        "bucket": bucket,
        "blockPublicAcls": True,
        "blockPublicPolicy": True,
        "ignorePublicAcls": True,
        "restrictPublicBuckets": True,
    }


def versioning_props(bucket: str) -> dict[str, Any]:
    return {"bucket": bucket, "versioningConfiguration": {"status": "Enabled"}}


def tls_only_policy(bucket: str) -> dict[str, Any]:
    arn = f"arn:aws:s3:::{bucket}"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [arn, f"{arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }


def bucket_policy_props(bucket: str) -> dict[str, Any]:
    return {"bucket": bucket, "policy": json.dumps(tls_only_policy(bucket))}


def replication_props(bucket: str, destination_arn: str) -> dict[str, Any]:
    return {
        "bucket": bucket,
        "role": f"arn:aws:iam::{ACCOUNT}:role/sp-prod-s3-replication",
        "rules": [
            {
                "id": "to-dr",
                "status": "Enabled",
                "filter": {"prefix": ""},
                "deleteMarkerReplication": {"status": "Enabled"},
                "sourceSelectionCriteria": {"sseKmsEncryptedObjects": {"status": "Enabled"}},
                "destination": {
                    "bucket": destination_arn,
                    "replicationTime": {"status": "Enabled", "time": {"minutes": 15.0}},
                    "metrics": {"status": "Enabled", "eventThreshold": {"minutes": 15.0}},
                    "encryptionConfiguration": {"replicaKmsKeyId": f"arn:aws:kms:{DR_REGION}:{ACCOUNT}:key/2222bbbb"},
                },
            }
        ],
    }


def least_privilege_policy() -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject"],
                "Resource": "arn:aws:s3:::sp-prod-lake-*/*",
            },
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": f"arn:aws:iam::{ACCOUNT}:role/sp-prod-emr-ec2"},
            {"Effect": "Allow", "Action": "kafka-cluster:Connect", "Resource": "*"},
        ],
    }


def role_policy_props() -> dict[str, Any]:
    return {"role": "sp-prod-spark", "policy": json.dumps(least_privilege_policy())}


def backup_plan_props(destination_region: str = DR_REGION) -> dict[str, Any]:
    return {
        "name": "sp-prod-backup",
        "rules": [
            {
                "ruleName": "daily",
                "targetVaultName": "sp-prod-vault",
                "schedule": "cron(0 3 * * ? *)",
                "copyActions": [
                    {
                        "destinationVaultArn": f"arn:aws:backup:{destination_region}:{ACCOUNT}:backup-vault:sp-prod-dr-vault"
                    }
                ],
            }
        ],
    }


@dataclass
class StackFixture:
    """Resources of one stack in the plan record's shape (dicts with its field names)."""

    stack: str
    tier: str
    region: str
    resources: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.provider = self.add(
            "pulumi:providers:aws",
            f"aws-{self.region}",
            provider_props(self.stack, self.tier, self.region),
            provider=False,
        )

    def urn(self, type_token: str, name: str) -> str:
        return f"urn:pulumi:{self.stack}::{PROJECT}::{type_token}::{name}"

    def add(
        self,
        type_token: str,
        name: str,
        inputs: dict[str, Any],
        outputs: dict[str, Any] | None = None,
        deps: dict[str, list[dict[str, Any]]] | None = None,
        provider: bool = True,
    ) -> dict[str, Any]:
        urn = self.urn(type_token, name)
        outputs = outputs or {}
        record = {
            "urn": urn,
            "type": type_token,
            "name": name,
            "inputs": inputs,
            "outputs": outputs,
            "provider": f"{self.provider['urn']}::{self.provider['name']}-id" if provider else None,
            "property_dependencies": {key: tuple(r["urn"] for r in targets) for key, targets in (deps or {}).items()},
            "resource_id": outputs.get("id", f"{name}-id"),
            "region": self.region,
        }
        self.resources.append(record)
        return record

    def bucket(self, name: str, bucket: str, role: str, extra_tags: dict[str, str] | None = None) -> dict[str, Any]:
        """A bucket with its four guardrail resources."""
        record = self.add(
            "aws:s3/bucket:Bucket",
            name,
            {"bucket": bucket, "tags": {"Name": bucket, "role": role, **(extra_tags or {})}},
            {"id": bucket, "arn": f"arn:aws:s3:::{bucket}"},
        )
        link = {"bucket": [record]}
        sse = sse_kms_props(bucket)
        if role == "lb-logs":
            sse["rules"] = [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]
        self.add(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            f"{name}-sse",
            sse,
            deps=link,
        )
        self.add("aws:s3/bucketVersioning:BucketVersioning", f"{name}-versioning", versioning_props(bucket), deps=link)
        self.add(
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            f"{name}-public-access-block",
            public_access_block_props(bucket),
            deps=link,
        )
        self.add("aws:s3/bucketPolicy:BucketPolicy", f"{name}-policy", bucket_policy_props(bucket), deps=link)
        return record

    def by_name(self, name: str) -> dict[str, Any]:
        return next(r for r in self.resources if r["name"] == name)

    def without(self, *names: str) -> list[dict[str, Any]]:
        return [r for r in self.resources if r["name"] not in names]

    def replaced(self, name: str, changes: dict[str, Any]) -> list[dict[str, Any]]:
        """The stack with one resource's inputs patched."""
        return [{**r, "inputs": patched(r["inputs"], changes)} if r["name"] == name else r for r in self.resources]


def bucket_name(stack: str, role: str, region: str) -> str:
    return f"sp-{stack}-{role}-{ACCOUNT}-{region}"


def _network(fixture: StackFixture) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    vpc = fixture.add("aws:ec2/vpc:Vpc", "network-vpc", {"cidrBlock": "10.30.0.0/16"}, {"id": f"vpc-{fixture.stack}"})
    fixture.add(
        "aws:ec2/flowLog:FlowLog",
        "network-flow-log",
        {"vpcId": f"vpc-{fixture.stack}", "trafficType": "ALL", "logDestinationType": "cloud-watch-logs"},
        deps={"vpcId": [vpc]},
    )
    fixture.add(
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
        "network-default-sg",
        {"vpcId": f"vpc-{fixture.stack}", "ingress": [], "egress": []},
        deps={"vpcId": [vpc]},
    )
    subnets = {
        tier: [
            fixture.add(
                "aws:ec2/subnet:Subnet",
                f"network-{tier}-{index}",
                {"vpcId": f"vpc-{fixture.stack}", "mapPublicIpOnLaunch": False, "cidrBlock": f"10.30.{index}.0/24"},
                {"id": f"subnet-{tier[-4:]}-{index}"},
                deps={"vpcId": [vpc]},
            )
            for index in range(3)
        ]
        for tier in ("private-app", "private-data")
    }
    alb_sg = fixture.add(
        "aws:ec2/securityGroup:SecurityGroup",
        "network-alb-sg",
        {
            "name": f"sp-{fixture.stack}-alb",
            "vpcId": f"vpc-{fixture.stack}",
            "tags": {"tier": "alb", "exposure": "public"},
        },
        {"id": "sg-alb"},
    )
    for port in (80, 443):
        fixture.add(
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            f"network-alb-world-{port}",
            {
                "securityGroupId": "sg-alb",
                "ipProtocol": "tcp",
                "fromPort": float(port),
                "toPort": float(port),
                "cidrIpv4": "0.0.0.0/0",
            },
            deps={"securityGroupId": [alb_sg]},
        )
    fixture.add(
        "aws:ec2/securityGroup:SecurityGroup",
        "network-kafka-sg",
        {
            "name": f"sp-{fixture.stack}-kafka",
            "vpcId": f"vpc-{fixture.stack}",
            "ingress": [{"protocol": "tcp", "fromPort": 9098.0, "toPort": 9098.0, "securityGroups": ["sg-ingest"]}],
        },
        {"id": "sg-kafka"},
    )
    return subnets["private-app"], subnets["private-data"]


def _vault(fixture: StackFixture, vault_name: str) -> dict[str, Any]:
    vault = fixture.add(
        "aws:backup/vault:Vault",
        "backup-vault",
        {"name": vault_name, "kmsKeyArn": KEY_ARN},
        {"arn": f"arn:aws:backup:{fixture.region}:{ACCOUNT}:backup-vault:{vault_name}"},
    )
    fixture.add(
        "aws:backup/vaultLockConfiguration:VaultLockConfiguration",
        "backup-vault-lock",
        {"backupVaultName": vault_name, "minRetentionDays": 7.0, "maxRetentionDays": 35.0, "changeableForDays": 3.0},
        deps={"backupVaultName": [vault]},
    )
    return vault


def prod_stack() -> StackFixture:
    """The primary prod stack: every tier, compliant, with DR paths in-stack or declared."""
    fixture = StackFixture("prod", "prod", PRIMARY_REGION)
    fixture.add("aws:kms/key:Key", "stack-key-key", kms_key_props(), {"arn": KEY_ARN})
    app_subnets, data_subnets = _network(fixture)

    config = fixture.add("aws:msk/configuration:Configuration", "kafka-config", msk_configuration_props())
    fixture.add(
        "aws:msk/cluster:Cluster",
        "kafka-cluster",
        {**msk_cluster_props(), "tags": {"dr-peer-stack": "prod-dr"}},
        {"arn": PROD_MSK_ARN},
        deps={"brokerNodeGroupInfo": data_subnets, "configurationInfo": [config]},
    )

    group = fixture.add(
        "aws:elasticache/replicationGroup:ReplicationGroup",
        "cache-group",
        replication_group_props(),
        {"id": "sp-prod-cache"},
    )
    fixture.add(
        "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup",
        "cache-global",
        {"globalReplicationGroupIdSuffix": "sp-prod-cache", "primaryReplicationGroupId": "sp-prod-cache"},
        deps={"primaryReplicationGroupId": [group]},
    )

    fixture.add(
        "aws:emr/securityConfiguration:SecurityConfiguration", "spark-security", emr_security_configuration_props()
    )
    fixture.add("aws:emr/cluster:Cluster", "spark-cluster", emr_cluster_props(), deps={"ec2Attributes": app_subnets})

    fixture.add("aws:lb/loadBalancer:LoadBalancer", "edge-alb", alb_props())
    fixture.add("aws:lb/loadBalancer:LoadBalancer", "ingest-nlb", internal_nlb_props())
    fixture.add("aws:lb/listener:Listener", "edge-https", https_listener_props())
    fixture.add("aws:lb/listener:Listener", "edge-http-redirect", http_redirect_listener_props())

    lake = bucket_name("prod", "lake", PRIMARY_REGION)
    lake_record = fixture.bucket("storage-lake", lake, "lake")
    fixture.add(
        "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
        "storage-lake-replication",
        replication_props(lake, f"arn:aws:s3:::{bucket_name('prod-dr', 'lake', DR_REGION)}"),
        deps={"bucket": [lake_record]},
    )
    artifacts = fixture.bucket("storage-artifacts", bucket_name("prod", "artifacts", PRIMARY_REGION), "artifacts")
    fixture.bucket("storage-logs", bucket_name("prod", "logs", PRIMARY_REGION), "logs")
    fixture.bucket("storage-lb-logs", bucket_name("prod", "lb-logs", PRIMARY_REGION), "lb-logs")
    fixture.bucket("storage-checkpoints", bucket_name("prod", "checkpoints", PRIMARY_REGION), "checkpoints")

    _vault(fixture, "sp-prod-vault")
    plan = fixture.add(
        "aws:backup/plan:Plan", "backup-plan", backup_plan_props(), {"id": "plan-1", "arn": "arn:plan-1"}
    )
    fixture.add(
        "aws:backup/selection:Selection",
        "backup-artifacts",
        {"name": "artifacts", "planId": "plan-1", "iamRoleArn": "arn:role", "resources": [artifacts["outputs"]["arn"]]},
        deps={"planId": [plan], "resources": [artifacts]},
    )

    fixture.add("aws:iam/role:Role", "spark-role", {"name": "sp-prod-spark", "assumeRolePolicy": "{}"})
    fixture.add("aws:iam/rolePolicy:RolePolicy", "spark-policy", role_policy_props())
    return fixture


def prod_dr_stack() -> StackFixture:
    """The warm standby: MSK target of the replicator, cache secondary, replica lake bucket."""
    fixture = StackFixture("prod-dr", "prod", DR_REGION)
    fixture.add("aws:kms/key:Key", "stack-key-key", kms_key_props())
    _, data_subnets = _network(fixture)
    peer = fixture.add(
        "pulumi:pulumi:StackReference", "prod-peer", {"name": f"organization/{PROJECT}/prod"}, provider=False
    )
    config = fixture.add("aws:msk/configuration:Configuration", "kafka-config", msk_configuration_props())
    cluster = fixture.add(
        "aws:msk/cluster:Cluster",
        "kafka-cluster",
        {**msk_cluster_props(), "clusterName": "sp-prod-dr-kafka"},
        {"arn": DR_MSK_ARN},
        deps={"brokerNodeGroupInfo": data_subnets, "configurationInfo": [config]},
    )
    fixture.add(
        "aws:msk/replicator:Replicator",
        "kafka-replicator",
        msk_replicator_props(),
        deps={"kafkaClusters": [peer, cluster], "replicationInfoList": [peer, cluster]},
    )
    fixture.add("aws:elasticache/replicationGroup:ReplicationGroup", "cache-group", global_secondary_props())
    fixture.bucket(
        "storage-lake", bucket_name("prod-dr", "lake", DR_REGION), "lake", extra_tags={"dr-peer-stack": "prod"}
    )
    _vault(fixture, "sp-prod-dr-vault")
    return fixture
