"""The MSK tier: one provisioned cluster with its configuration, topics, storage scaling and access.

Shape and settings come from infra/config/kafka_sizing.py and infra/planning/kafka.py (the
same functions the config rules ran, so the cluster built is the one validated). Security
choices: TLS between clients and brokers and between brokers, IAM authentication (SASL/SCRAM optional), no unauthenticated
access, data at rest under the stack key, and only the ingest and processing tiers may reach
the broker ports.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.components.foundation import Built, Foundation
from infra.components.network import client_tiers
from infra.components.observability import kafka_alarms
from infra.components.storage import MSK_LOG_PREFIX, Storage
from infra.config.kafka_sizing import KafkaSizing, resolve_sizing
from infra.config.pair import peer_stack_name
from infra.config.schema import KafkaConfig, Tier
from infra.naming import Naming
from infra.planning import kafka as kafka_plan
from infra.planning.kafka import TopicPlan

# The volume size is the one input Application Auto Scaling changes behind the program's back.
VOLUME_SIZE_PATH = "brokerNodeGroupInfo.storageInfo.ebsStorageInfo.volumeSize"

# Application Auto Scaling for MSK broker storage ("Set up automatic scaling using the CLI",
# Amazon MSK developer guide; "Amazon MSK and Application Auto Scaling", Application Auto
# Scaling user guide: scale-in is disabled for MSK; checked 2026-11-26).
STORAGE_SCALING_NAMESPACE = "kafka"
STORAGE_SCALING_DIMENSION = "kafka:broker-storage:VolumeSize"
STORAGE_SCALING_METRIC = "KafkaBrokerStorageUtilization"

# SASL/SCRAM secrets must be named AmazonMSK_* and encrypted with a customer managed key
# ("Sign-in credentials authentication with AWS Secrets Manager", Amazon MSK developer guide,
# checked 2026-11-26).
SCRAM_SECRET_PREFIX = "AmazonMSK_"
SCRAM_USERNAME = "platform"


@dataclass(frozen=True)
class KafkaArgs:
    config: KafkaConfig
    tier: Tier
    naming: Naming
    account_id: str
    region: str
    sizing: KafkaSizing
    topics: list[TopicPlan]
    server_properties: str
    subnet_ids: list[pulumi.Input[str]]
    security_group: aws.ec2.SecurityGroup
    client_security_groups: dict[str, aws.ec2.SecurityGroup]
    kms_key_arn: pulumi.Input[str]
    logs_bucket: pulumi.Input[str]
    """Bucket for broker logs (also sent to CloudWatch Logs)."""
    logs_prefix: str
    multi_vpc_iam: bool
    """Multi-VPC private connectivity (IAM): a cross-region MSK Replicator reads through it."""
    logs_ready: tuple[pulumi.Resource, ...] = ()
    """The logs bucket's policy: MSK checks its log-delivery grant when the cluster is created."""
    dr_peer_stack: str | None = None
    """The stack holding this cluster's cross-region copy (the standby's Replicator): tag dr-peer-stack."""


class Kafka(pulumi.ComponentResource):
    """An MSK provisioned cluster. Contract for other tiers: cluster, cluster_arn, cluster_name,
    bootstrap_brokers (SASL/IAM), topic_arn(), group_arn(), security_group.
    """

    cluster: aws.msk.Cluster
    configuration: aws.msk.Configuration
    topics: dict[str, aws.msk.Topic]
    security_group: aws.ec2.SecurityGroup

    def __init__(self, name: str, args: KafkaArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:kafka:Kafka", name, None, opts)
        cfg, naming = args.config, args.naming
        self.cluster_name = naming("kafka")
        self.kafka_version = cfg.kafka_version
        self.sizing = args.sizing
        self.region = args.region
        self.account_id = args.account_id
        self.security_group = args.security_group
        child = pulumi.ResourceOptions(parent=self)
        protected = args.tier == "prod"

        self.ingress_rules = self._client_ingress(name, cfg, args)
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-broker-logs",
            name=naming.log_group("kafka"),
            retention_in_days=cfg.log_retention_days,
            kms_key_id=args.kms_key_arn,
            opts=child,
        )
        self.configuration = aws.msk.Configuration(
            f"{name}-configuration",
            name=kafka_plan.configuration_name(self.cluster_name, args.server_properties, [cfg.kafka_version]),
            kafka_versions=[cfg.kafka_version],
            server_properties=args.server_properties,
            description=f"Broker settings of {self.cluster_name}; the name hashes the content",
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=False),
        )
        self.cluster = aws.msk.Cluster(
            f"{name}-cluster",
            cluster_name=self.cluster_name,
            kafka_version=cfg.kafka_version,
            number_of_broker_nodes=args.sizing.brokers,
            broker_node_group_info=self._broker_nodes(args),
            client_authentication=aws.msk.ClusterClientAuthenticationArgs(
                sasl=aws.msk.ClusterClientAuthenticationSaslArgs(iam=True, scram=cfg.scram),
                unauthenticated=False,
            ),
            encryption_info=aws.msk.ClusterEncryptionInfoArgs(
                encryption_at_rest_kms_key_arn=args.kms_key_arn,
                encryption_in_transit=aws.msk.ClusterEncryptionInfoEncryptionInTransitArgs(
                    client_broker="TLS", in_cluster=True
                ),
            ),
            configuration_info=aws.msk.ClusterConfigurationInfoArgs(
                arn=self.configuration.arn, revision=self.configuration.latest_revision
            ),
            enhanced_monitoring=cfg.enhanced_monitoring,
            open_monitoring=aws.msk.ClusterOpenMonitoringArgs(
                prometheus=aws.msk.ClusterOpenMonitoringPrometheusArgs(
                    jmx_exporter=aws.msk.ClusterOpenMonitoringPrometheusJmxExporterArgs(enabled_in_broker=True),
                    node_exporter=aws.msk.ClusterOpenMonitoringPrometheusNodeExporterArgs(enabled_in_broker=True),
                )
            ),
            logging_info=self._logging(args),
            tags={"Name": self.cluster_name, **({"dr-peer-stack": args.dr_peer_stack} if args.dr_peer_stack else {})},
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=protected,
                ignore_changes=[VOLUME_SIZE_PATH] if cfg.storage_autoscaling.enabled else None,
                depends_on=list(args.logs_ready),
                custom_timeouts=pulumi.CustomTimeouts(**kafka_plan.create_timeouts(args.multi_vpc_iam)),
            ),
        )
        self.cluster_arn: pulumi.Output[str] = self.cluster.arn
        self.bootstrap_brokers: pulumi.Output[str] = self.cluster.bootstrap_brokers_sasl_iam
        self.storage_scaling = self._storage_autoscaling(name, cfg, naming) if cfg.storage_autoscaling.enabled else None
        self.scram_secret = self._scram(name, args) if cfg.scram else None
        self.topics = {
            plan.name: aws.msk.Topic(
                f"{name}-topic-{plan.name}",
                name=plan.name,
                cluster_arn=self.cluster.arn,
                partition_count=plan.partitions,
                replication_factor=plan.replication_factor,
                configs=json.dumps(plan.configs(), sort_keys=True),
                opts=pulumi.ResourceOptions(parent=self, protect=protected),
            )
            for plan in args.topics
        }
        self.topic_plans = args.topics
        self.register_outputs(
            {
                "clusterArn": self.cluster.arn,
                "clusterName": self.cluster_name,
                "bootstrapBrokersSaslIam": self.bootstrap_brokers,
                "configurationArn": self.configuration.arn,
                "topics": {topic: resource.arn for topic, resource in self.topics.items()},
            }
        )

    def topic_arn(self, topic: str) -> pulumi.Output[str]:
        """IAM resource ARN of a topic (``*`` and prefixes with ``*`` work as in IAM policies)."""
        return self._data_arn("topic", topic)

    def group_arn(self, group: str) -> pulumi.Output[str]:
        """IAM resource ARN of a consumer group (``*`` wildcards allowed)."""
        return self._data_arn("group", group)

    def _data_arn(self, kind: str, name: str) -> pulumi.Output[str]:
        # arn:aws:kafka:<region>:<account>:<kind>/<cluster-name>/<cluster-uuid>/<name>
        # ("IAM access control: resources", Amazon MSK developer guide, checked 2026-11-26).
        return pulumi.Output.concat(
            f"arn:aws:kafka:{self.region}:{self.account_id}:{kind}/{self.cluster_name}/",
            self.cluster.cluster_uuid,
            f"/{name}",
        )

    def _client_ingress(self, name: str, cfg: KafkaConfig, args: KafkaArgs) -> list[aws.vpc.SecurityGroupIngressRule]:
        rules = []
        for tier, source in args.client_security_groups.items():
            for port, listener in kafka_plan.client_ports(cfg.scram).items():
                rules.append(
                    aws.vpc.SecurityGroupIngressRule(
                        f"{name}-from-{tier}-{port}",
                        security_group_id=args.security_group.id,
                        referenced_security_group_id=source.id,
                        ip_protocol="tcp",
                        from_port=port,
                        to_port=port,
                        description=f"{listener} from the {tier} tier",
                        opts=pulumi.ResourceOptions(parent=self),
                    )
                )
        return rules

    def _broker_nodes(self, args: KafkaArgs) -> aws.msk.ClusterBrokerNodeGroupInfoArgs:
        sizing = args.sizing
        throughput = (
            aws.msk.ClusterBrokerNodeGroupInfoStorageInfoEbsStorageInfoProvisionedThroughputArgs(
                enabled=True, volume_throughput=sizing.volume_throughput_mbps
            )
            if sizing.volume_throughput_mbps is not None
            else None
        )
        # A cross-region MSK Replicator reaches its source only over multi-VPC private
        # connectivity with IAM ("MSK Replicator network requirements", Amazon MSK developer
        # guide, checked 2026-11-26).
        connectivity = (
            aws.msk.ClusterBrokerNodeGroupInfoConnectivityInfoArgs(
                vpc_connectivity=aws.msk.ClusterBrokerNodeGroupInfoConnectivityInfoVpcConnectivityArgs(
                    client_authentication=aws.msk.ClusterBrokerNodeGroupInfoConnectivityInfoVpcConnectivityClientAuthenticationArgs(
                        sasl=aws.msk.ClusterBrokerNodeGroupInfoConnectivityInfoVpcConnectivityClientAuthenticationSaslArgs(
                            iam=True
                        )
                    )
                )
            )
            if args.multi_vpc_iam
            else None
        )
        return aws.msk.ClusterBrokerNodeGroupInfoArgs(
            instance_type=sizing.instance_type,
            client_subnets=args.subnet_ids,
            security_groups=[args.security_group.id],
            connectivity_info=connectivity,
            storage_info=aws.msk.ClusterBrokerNodeGroupInfoStorageInfoArgs(
                ebs_storage_info=aws.msk.ClusterBrokerNodeGroupInfoStorageInfoEbsStorageInfoArgs(
                    volume_size=sizing.volume_gib, provisioned_throughput=throughput
                )
            ),
        )

    def _logging(self, args: KafkaArgs) -> aws.msk.ClusterLoggingInfoArgs:
        s3 = aws.msk.ClusterLoggingInfoBrokerLogsS3Args(enabled=True, bucket=args.logs_bucket, prefix=args.logs_prefix)
        return aws.msk.ClusterLoggingInfoArgs(
            broker_logs=aws.msk.ClusterLoggingInfoBrokerLogsArgs(
                cloudwatch_logs=aws.msk.ClusterLoggingInfoBrokerLogsCloudwatchLogsArgs(
                    enabled=True, log_group=self.log_group.name
                ),
                s3=s3,
            )
        )

    def _storage_autoscaling(self, name: str, cfg: KafkaConfig, naming: Naming) -> aws.appautoscaling.Policy:
        scaling = cfg.storage_autoscaling
        target = aws.appautoscaling.Target(
            f"{name}-storage-target",
            service_namespace=STORAGE_SCALING_NAMESPACE,
            scalable_dimension=STORAGE_SCALING_DIMENSION,
            resource_id=self.cluster.arn,
            # MSK's own example registers 1; storage never scales in, so the floor is moot.
            min_capacity=1,
            max_capacity=scaling.max_volume_gib,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return aws.appautoscaling.Policy(
            f"{name}-storage-policy",
            name=naming("kafka-storage"),
            policy_type="TargetTrackingScaling",
            resource_id=target.resource_id,
            scalable_dimension=target.scalable_dimension,
            service_namespace=target.service_namespace,
            target_tracking_scaling_policy_configuration=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs(
                target_value=float(cfg.disk_fill_percent),
                predefined_metric_specification=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs(
                    predefined_metric_type=STORAGE_SCALING_METRIC
                ),
                disable_scale_in=True,
            ),
            opts=pulumi.ResourceOptions(parent=target),
        )

    def _scram(self, name: str, args: KafkaArgs) -> aws.secretsmanager.Secret:
        """A SCRAM user whose password is generated once and then left alone (rotate it in Secrets Manager)."""
        secret = aws.secretsmanager.Secret(
            f"{name}-scram-secret",
            name=f"{SCRAM_SECRET_PREFIX}{self.cluster_name}-{SCRAM_USERNAME}",
            description=f"SASL/SCRAM user '{SCRAM_USERNAME}' of {self.cluster_name}",
            kms_key_id=args.kms_key_arn,
            recovery_window_in_days=7 if args.tier == "dev" else 30,
            opts=pulumi.ResourceOptions(parent=self),
        )
        password = aws.secretsmanager.get_random_password_output(
            password_length=32, exclude_punctuation=True, opts=pulumi.InvokeOptions(parent=self)
        ).random_password
        value = password.apply(lambda p: json.dumps({"username": SCRAM_USERNAME, "password": p}))
        version = aws.secretsmanager.SecretVersion(
            f"{name}-scram-secret-value",
            secret_id=secret.id,
            secret_string=pulumi.Output.secret(value),
            # The password invoke returns a new value on every run: keep the first one.
            opts=pulumi.ResourceOptions(parent=secret, ignore_changes=["secretString"]),
        )
        aws.msk.SingleScramSecretAssociation(
            f"{name}-scram-association",
            cluster_arn=self.cluster.arn,
            secret_arn=secret.arn,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[version]),
        )
        return secret

    def stack_outputs(self) -> dict[str, Any]:
        """What runbooks, drills, the client-config renderer and operators read from the stack."""
        outputs: dict[str, Any] = {
            "kafkaClusterArn": self.cluster.arn,
            "kafkaClusterName": self.cluster_name,
            "kafkaClusterUuid": self.cluster.cluster_uuid,
            "kafkaVersion": self.kafka_version,
            "kafkaBootstrapBrokersIam": self.bootstrap_brokers,
            "kafkaBootstrapBrokersTls": self.cluster.bootstrap_brokers_tls,
            "kafkaConfigurationArn": self.configuration.arn,
            "kafkaConfigurationName": self.configuration.name,
            "kafkaConfigurationRevision": self.configuration.latest_revision,
            "kafkaSecurityGroupId": self.security_group.id,
            "kafkaLogGroupName": self.log_group.name,
            "kafkaSizing": self.sizing.to_output(),
            "kafkaTopics": {
                plan.name: {
                    "arn": self.topics[plan.name].arn,
                    "partitions": plan.partitions,
                    "replicationFactor": plan.replication_factor,
                    "minInsyncReplicas": plan.min_insync_replicas,
                    "retentionMs": plan.retention_ms,
                    "deadLetter": plan.dead_letter,
                }
                for plan in self.topic_plans
            },
        }
        if self.scram_secret is not None:
            outputs["kafkaBootstrapBrokersScram"] = self.cluster.bootstrap_brokers_sasl_scram
            outputs["kafkaScramSecretArn"] = self.scram_secret.arn
        return outputs


def build(foundation: Foundation, storage: Storage) -> Built[Kafka]:
    """Build the stack's MSK tier, delivering broker logs to the storage tier's logs bucket."""
    config, naming, network = foundation.config, foundation.naming, foundation.network
    cluster_name = naming("kafka")
    groups = network.security_groups
    kafka = Kafka(
        "kafka",
        KafkaArgs(
            config=config.kafka,
            tier=config.tier,
            naming=naming,
            account_id=foundation.account_id,
            region=config.region,
            sizing=resolve_sizing(config),
            topics=kafka_plan.plan_topics(config.workload, config.network.az_count),
            server_properties=kafka_plan.render_server_properties(config, cluster_name),
            subnet_ids=[subnet.id for subnet in network.subnets["private-data"]],
            security_group=groups["kafka"],
            client_security_groups={tier: groups[tier] for tier in client_tiers(config)},
            kms_key_arn=foundation.key.key.arn,
            logs_bucket=storage.buckets["logs"].bucket,
            logs_prefix=MSK_LOG_PREFIX,
            # Both sides of a warm-standby pair: the standby is the Replicator's source on failback.
            multi_vpc_iam=config.dr.strategy == "warm-standby",
            logs_ready=(storage.policies["logs"],),
            # The Replicator copying this cluster lives in the standby's stack (infra/components/dr.py).
            dr_peer_stack=peer_stack_name(config)
            if config.dr.strategy == "warm-standby" and config.dr.role == "primary"
            else None,
        ),
        foundation.opts(),
    )
    alarms = kafka_alarms(kafka.cluster_name, kafka.sizing.brokers, config.observability)
    return Built(kafka, kafka.stack_outputs(), tuple(alarms))
