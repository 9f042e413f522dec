"""The processing tier: a private EMR cluster running the Spark Structured Streaming job as a step.

- Release from config, checked against infra/data/emr_releases.yaml; Spark and Hadoop only.
- Instance fleets: primary (3 in prod for HA), core on-demand, task on spot with the
  price-capacity-optimized strategy and an on-demand fallback. The fleets list every
  private-app subnet: EMR picks ONE healthy AZ at launch (the whole cluster lives there;
  resilience is a relaunch in another AZ).
- Managed scaling grows and shrinks the spot task fleet; the program ignores the target
  capacities the scaler changes so `pulumi up` never fights it.
- A security configuration: S3 SSE-KMS, local-disk and EBS encryption with the stack key,
  IMDSv2 only, and TLS between nodes where the tier asks for it. EMR on EC2 has no managed
  certificates: it needs a zip of PEM files in S3 (spark.tlsCertificatesS3Uri, by default
  tls/emr-in-transit-certs.zip in the artifacts bucket). An operator provides it (e.g.
  exported from AWS Private CA) before the first `pulumi up`; nothing secret is generated
  into the repo or the state ("Providing certificates for encrypting data in transit with
  Amazon EMR encryption", Amazon EMR Management Guide, checked 2026-11-26).
- Private: no public IPs, EMR-managed security groups created here (empty: EMR writes their
  rules, so the program ignores rule drift), plus the pre-created `processing` group, which
  MSK and the cache admit and which carries the nodes' egress.
- Least privilege: the service role uses AmazonEMRServicePolicy_v2, which only touches
  resources tagged for-use-with-amazon-emr-managed-policies=true (the cluster, our EMR
  security groups; the network must tag the private-app subnets and the processing group);
  the instance role reaches only this stack's buckets, key, topic, consumer groups and cache.
- The job: the package (jobs/streaming_job, zipped deterministically and named by its hash),
  the pinned jars and wheels (build/, filled by `blueprint artifacts fetch`) go to the
  artifacts bucket; the step runs spark-submit through command-runner.jar with --jars from
  S3. Steps of aws.emr.Cluster are create-only (a change would replace the cluster, and a
  create-before-delete replacement would run two queries on one checkpoint), so the program
  ignores step changes: the job's current step is the `emrJobStep` output, which an operator
  submits with `aws emr add-steps` to roll out a new job version or to start the job in the
  DR region (runbooks/).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.catalog.artifacts import Catalog, load_catalog
from infra.components.cache import Cache
from infra.components.foundation import Built, Foundation
from infra.components.kafka import Kafka
from infra.components.network import service_trust
from infra.components.observability import spark_alarms
from infra.components.spark_package import (
    JobPackage,
    artifact_key,
    build_job_package,
    certificates_uri,
    preflight_real_run,
    render_bootstrap,
)
from infra.components.storage import EMR_LOG_PREFIX, Storage
from infra.config.pair import serves_traffic
from infra.config.schema import SparkConfig, Tier
from infra.naming import Naming
from infra.paths import BUILD as BUILD_DIR
from infra.paths import JOB_SOURCE
from infra.planning.emr import (
    JOB_NAME,
    CacheAccess,
    JobLocations,
    KafkaAccess,
    core_fleet,
    fleets_summary,
    group_id_prefix,
    job_step,
    managed_scaling_limits,
    primary_fleet,
    render_configurations,
    security_configuration,
    task_fleet,
)

# AmazonEMRServicePolicy_v2 acts only on resources carrying this tag ("Amazon EMR managed
# policies: tagging resources to use managed policies", Amazon EMR Management Guide, checked 2026-11-26).
EMR_MANAGED_TAG = {"for-use-with-amazon-emr-managed-policies": "true"}
SERVICE_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonEMRServicePolicy_v2"
APPLICATIONS = ("Hadoop", "Spark")
# Buckets EMR nodes read (bootstrap libraries, package repos, app metadata) and write (EMR's
# own log collection) from a private subnet ("Minimum Amazon S3 policy for private subnet",
# Amazon EMR Management Guide, https://docs.aws.amazon.com/emr/latest/ManagementGuide/private-subnet-iampolicy.html,
# checked 2026-11-26).
EMR_READ_BUCKETS = ("{region}.elasticmapreduce", "repo.{region}.emr.amazonaws.com", "prod.{region}.appinfo.src")
EMR_WRITE_BUCKETS = ("aws157-logs-prod-{region}",)


@dataclass(frozen=True)
class SparkArgs:
    config: SparkConfig
    tier: Tier
    naming: Naming
    account_id: str
    kms_key_arn: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    processing_security_group_id: pulumi.Input[str]
    storage: Storage
    topic: str
    catalog: Catalog
    job: JobPackage
    kafka: KafkaAccess
    cache: CacheAccess | None
    build_dir: Path = BUILD_DIR


class Spark(pulumi.ComponentResource):
    cluster: aws.emr.Cluster
    task_fleet: aws.emr.InstanceFleet
    scaling: aws.emr.ManagedScalingPolicy
    security_configuration: aws.emr.SecurityConfiguration
    service_role: aws.iam.Role
    instance_role: aws.iam.Role
    instance_profile: aws.iam.InstanceProfile
    security_groups: dict[str, aws.ec2.SecurityGroup]
    objects: dict[str, aws.s3.BucketObjectv2]
    bootstrap_key: str
    job_step: pulumi.Output[dict[str, Any]] | None

    def __init__(self, name: str, args: SparkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:spark:Spark", name, None, opts)
        cfg, naming = args.config, args.naming
        self.cluster_name = naming("spark")
        self.log_uri = args.storage.uri("logs", EMR_LOG_PREFIX) + "/"
        self.certificates_uri = certificates_uri(cfg, args.storage)
        self.security_groups = self._security_groups(name, args)
        self.instance_role, self.instance_profile, instance_policy = self._instance_role(name, args)
        self.service_role, service_policies = self._service_role(name, args)
        self.security_configuration = self._security_configuration(name, args)
        self.objects = self._uploads(name, args)
        self.job_step = self._job_step(args)
        self.cluster = self._cluster(name, args, [instance_policy, *service_policies, *self.objects.values()])
        self.task_fleet = aws.emr.InstanceFleet(
            f"{name}-task-fleet",
            cluster_id=self.cluster.id,
            name="task",
            **task_fleet(cfg),
            opts=pulumi.ResourceOptions(
                parent=self.cluster, ignore_changes=["targetOnDemandCapacity", "targetSpotCapacity"]
            ),
        )
        self.scaling = aws.emr.ManagedScalingPolicy(
            f"{name}-managed-scaling",
            cluster_id=self.cluster.id,
            compute_limits=[managed_scaling_limits(cfg)],
            opts=pulumi.ResourceOptions(parent=self.cluster, depends_on=[self.task_fleet]),
        )
        self.register_outputs(
            {
                "clusterId": self.cluster.id,
                "clusterName": self.cluster_name,
                "logUri": self.log_uri,
                "serviceRoleArn": self.service_role.arn,
                "instanceRoleArn": self.instance_role.arn,
                "jobStep": self.job_step,
            }
        )

    def _security_groups(self, name: str, args: SparkArgs) -> dict[str, aws.ec2.SecurityGroup]:
        """Empty EMR-managed groups: EMR adds (and on deletion revokes) their rules itself."""
        groups = {}
        for role, purpose in (
            ("primary", "EMR-managed, primary nodes"),
            ("worker", "EMR-managed, core and task nodes"),
            ("service-access", "EMR-managed, service access in a private subnet"),
        ):
            group_name = args.naming("emr", role)
            groups[role] = aws.ec2.SecurityGroup(
                f"{name}-{role}-sg",
                name=group_name,
                description=f"{purpose}; rules written by EMR",
                vpc_id=args.vpc_id,
                revoke_rules_on_delete=True,
                tags={"Name": group_name, **EMR_MANAGED_TAG},
                opts=pulumi.ResourceOptions(parent=self, ignore_changes=["ingress", "egress"]),
            )
        return groups

    def _instance_role(
        self, name: str, args: SparkArgs
    ) -> tuple[aws.iam.Role, aws.iam.InstanceProfile, aws.iam.RolePolicy]:
        role_name = args.naming("emr-instance")
        role = aws.iam.Role(
            f"{name}-instance-role",
            name=role_name,
            description="EMR nodes of the streaming job",
            assume_role_policy=json.dumps(service_trust("ec2.amazonaws.com")),
            opts=pulumi.ResourceOptions(parent=self),
        )
        scope = InstanceScope(
            region=args.naming.region,
            account_id=args.account_id,
            storage_arns={role: args.storage.arn(role) for role in ("artifacts", "checkpoints", "lake", "logs")},
            certificates_uri=self.certificates_uri if args.config.in_transit_encryption else None,
        )
        kafka, cache = args.kafka, args.cache
        document = pulumi.Output.all(
            key_arn=args.kms_key_arn,
            kafka=[kafka.cluster_arn, kafka.topic_arn, kafka.group_arn],
            cache=[cache.replication_group_arn, cache.user_arn] if cache else [],
        ).apply(lambda v: json.dumps(instance_policy(scope, v["key_arn"], v["kafka"], v["cache"] or None)))
        policy = aws.iam.RolePolicy(
            f"{name}-instance-policy",
            name="streaming-job",
            role=role.id,
            policy=document,
            opts=pulumi.ResourceOptions(parent=role),
        )
        profile = aws.iam.InstanceProfile(
            f"{name}-instance-profile", name=role_name, role=role.name, opts=pulumi.ResourceOptions(parent=role)
        )
        return role, profile, policy

    def _service_role(self, name: str, args: SparkArgs) -> tuple[aws.iam.Role, list[pulumi.Resource]]:
        region, account = args.naming.region, args.account_id
        role = aws.iam.Role(
            f"{name}-service-role",
            name=args.naming("emr-service"),
            description="Amazon EMR service role of the streaming cluster",
            assume_role_policy=json.dumps(emr_service_trust(region, account)),
            opts=pulumi.ResourceOptions(parent=self),
        )
        child = pulumi.ResourceOptions(parent=role)
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-service-managed", role=role.name, policy_arn=SERVICE_POLICY_ARN, opts=child
        )
        document = pulumi.Output.all(self.instance_role.arn, args.kms_key_arn).apply(
            lambda v: json.dumps(service_policy(instance_role_arn=v[0], key_arn=v[1]))
        )
        inline = aws.iam.RolePolicy(
            f"{name}-service-policy", name="pass-role-and-ebs-key", role=role.id, policy=document, opts=child
        )
        return role, [attachment, inline]

    def _security_configuration(self, name: str, args: SparkArgs) -> aws.emr.SecurityConfiguration:
        """Named by a hash of its content: a change creates the new one before the old is deleted."""
        content = pulumi.Output.from_input(args.kms_key_arn).apply(
            lambda key: json.dumps(
                security_configuration(key, args.config.in_transit_encryption, self.certificates_uri), sort_keys=True
            )
        )
        return aws.emr.SecurityConfiguration(
            f"{name}-security-configuration",
            configuration=content,
            name=content.apply(lambda text: f"{args.naming('emr')}-{hashlib.sha256(text.encode()).hexdigest()[:10]}"),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _uploads(self, name: str, args: SparkArgs) -> dict[str, aws.s3.BucketObjectv2]:
        """The bootstrap script, the job's code, jars and wheels in the artifacts bucket, keyed by S3 key."""
        bucket = args.storage.buckets["artifacts"].id
        child = pulumi.ResourceOptions(parent=self)
        local = args.catalog.local_paths(args.build_dir)
        sources: dict[str, pulumi.Asset] = {
            args.job.zip_key: pulumi.FileAsset(str(args.job.zip_path)),
            args.job.entry_key: pulumi.FileAsset(str(args.job.entry_path)),
            **{artifact_key(name_): pulumi.FileAsset(str(path)) for name_, path in local.items()},
        }
        script = render_bootstrap(self.cluster_name, args.naming.region, args.storage.names["artifacts"], args.catalog)
        self.bootstrap_key = f"emr/bootstrap/bootstrap-{hashlib.sha256(script.encode()).hexdigest()[:12]}.sh"
        sources[self.bootstrap_key] = pulumi.StringAsset(script)
        return {
            key: aws.s3.BucketObjectv2(
                f"{name}-object-{key.replace('/', '-')}",
                bucket=bucket,
                key=key,
                source=source,
                content_type="text/x-shellscript" if key.endswith(".sh") else None,
                opts=child,
            )
            for key, source in sources.items()
        }

    def _job_step(self, args: SparkArgs) -> pulumi.Output[dict[str, Any]] | None:
        """The job's EMR step (None without the cache's IAM user): submitted at creation when spark.runJob."""
        kafka, cache = args.kafka, args.cache
        if cache is None:
            pulumi.log.warn(f"{self.cluster_name}: no job step: the job connects to the cache as its IAM user")
            return None
        storage, cfg = args.storage, args.config
        jars = [args.storage.uri("artifacts", f"jars/{jar.file}") for jar in args.catalog.jars]
        locations = JobLocations(
            entry=storage.uri("artifacts", args.job.entry_key),
            package=storage.uri("artifacts", args.job.zip_key),
            jars=tuple(jars),
            checkpoint_root=storage.uri("checkpoints", JOB_NAME),
            lake=storage.uri("lake", "events"),
            dead_letter=storage.uri("lake", "dead-letter", "events"),
        )
        return pulumi.Output.all(kafka.bootstrap_brokers, cache.endpoint).apply(
            lambda v: job_step(
                cfg,
                locations,
                bootstrap_brokers=v[0],
                topic=args.topic,
                region=args.naming.region,
                group_id_prefix=group_id_prefix(args.naming),
                cache_host=v[1],
                cache=cache,
            )
        )

    def _cluster(self, name: str, args: SparkArgs, ready: Sequence[pulumi.Resource]) -> aws.emr.Cluster:
        cfg = args.config
        groups = self.security_groups
        configurations = render_configurations()
        steps = None
        if cfg.run_job and self.job_step is not None:
            steps = [
                self.job_step.apply(
                    lambda step: {
                        "name": step["name"],
                        "action_on_failure": step["actionOnFailure"],
                        "hadoop_jar_step": {"jar": step["jar"], "args": step["args"]},
                    }
                )
            ]
        return aws.emr.Cluster(
            f"{name}-cluster",
            name=self.cluster_name,
            release_label=cfg.release_label,
            applications=list(APPLICATIONS),
            service_role=self.service_role.arn,
            security_configuration=self.security_configuration.name,
            log_uri=self.log_uri,
            log_encryption_kms_key_id=args.kms_key_arn,
            ec2_attributes={
                "instance_profile": self.instance_profile.arn,
                "subnet_ids": list(args.subnet_ids),
                "emr_managed_master_security_group": groups["primary"].id,
                "emr_managed_slave_security_group": groups["worker"].id,
                "service_access_security_group": groups["service-access"].id,
                "additional_master_security_groups": args.processing_security_group_id,
                "additional_slave_security_groups": args.processing_security_group_id,
            },
            master_instance_fleet=primary_fleet(cfg),
            core_instance_fleet=core_fleet(cfg),
            bootstrap_actions=[
                {"name": "job-python-wheels", "path": args.storage.uri("artifacts", self.bootstrap_key)}
            ],
            configurations_json=configurations,
            steps=steps,
            step_concurrency_level=1,
            keep_job_flow_alive_when_no_steps=True,
            scale_down_behavior="TERMINATE_AT_TASK_COMPLETION",
            auto_termination_policy={"idle_timeout": cfg.idle_timeout_minutes * 60}
            if cfg.idle_timeout_minutes
            else None,
            termination_protection=args.tier == "prod",
            unhealthy_node_replacement=args.tier != "dev",
            tags={"Name": self.cluster_name, **EMR_MANAGED_TAG},
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=args.tier == "prod",
                depends_on=list(ready),
                ignore_changes=[
                    "coreInstanceFleet.targetOnDemandCapacity",
                    "coreInstanceFleet.targetSpotCapacity",
                    "steps",
                ],
            ),
        )


@dataclass(frozen=True)
class InstanceScope:
    """The stack-specific names the instance role's policy is scoped to."""

    region: str
    account_id: str
    storage_arns: Mapping[str, str]
    certificates_uri: str | None


def build(foundation: Foundation, storage: Storage, kafka: Kafka, cache: Cache) -> Built[Spark]:
    """Build the processing tier: the job reads MSK, writes the lake in storage and the cache."""
    config, naming, net = foundation.config, foundation.naming, foundation.network
    # The job runs only where dr.activeRegion points: a standby starts it at failover (infra/components/dr.py).
    spark_config = config.spark.model_copy(update={"run_job": config.spark.run_job and serves_traffic(config)})
    catalog = load_catalog()
    job = build_job_package(JOB_SOURCE, BUILD_DIR / "job")
    preflight_real_run(catalog, BUILD_DIR, config.spark, config.region, storage)
    spark = Spark(
        "spark",
        SparkArgs(
            config=spark_config,
            tier=config.tier,
            naming=naming,
            account_id=foundation.account_id,
            kms_key_arn=foundation.key.key.arn,
            vpc_id=net.vpc.id,
            subnet_ids=[s.id for s in net.subnets["private-app"]],
            processing_security_group_id=net.security_groups["processing"].id,
            storage=storage,
            topic=config.workload.topics[0],
            catalog=catalog,
            job=job,
            kafka=kafka_access(kafka, config.workload.topics[0], group_id_prefix(naming)),
            cache=cache_access(cache),
        ),
        foundation.opts(),
    )
    alarms = spark_alarms(spark.cluster.id, config.observability)
    return Built(spark, stack_outputs(spark, spark_config, job), tuple(alarms))


def kafka_access(kafka: Kafka, topic: str, group_prefix: str) -> KafkaAccess:
    """The MSK contract (infra/components/kafka.py) as the job sees it."""
    return KafkaAccess(
        bootstrap_brokers=kafka.bootstrap_brokers,
        cluster_arn=kafka.cluster_arn,
        topic_arn=kafka.topic_arn(topic),
        group_arn=kafka.group_arn(f"{group_prefix}*"),
    )


def cache_access(cache: Cache) -> CacheAccess | None:
    """The cache contract (infra/components/cache.py); None without its IAM user (auth other than iam)."""
    if cache.iam_user_id is None or cache.iam_user is None:
        return None
    return CacheAccess(
        endpoint=cache.configuration_endpoint,
        port=cache.port,
        replication_group_id=cache.replication_group_id,
        replication_group_arn=cache.replication_group.arn,
        user_id=cache.iam_user_id,
        user_arn=cache.iam_user.arn,
    )


def stack_outputs(spark: Spark, cfg: SparkConfig, job: JobPackage) -> dict[str, Any]:
    limits = managed_scaling_limits(cfg)
    return {
        "emrClusterId": spark.cluster.id,
        "emrClusterArn": spark.cluster.arn,
        "emrClusterName": spark.cluster_name,
        "emrReleaseLabel": cfg.release_label,
        "emrFleets": fleets_summary(cfg),
        # The very limits the ManagedScalingPolicy gets, under the output's shorter names.
        "emrManagedScaling": {
            "unitType": limits["unit_type"],
            "minimumUnits": limits["minimum_capacity_units"],
            "maximumUnits": limits["maximum_capacity_units"],
            "maximumOnDemandUnits": limits["maximum_ondemand_capacity_units"],
            "maximumCoreUnits": limits["maximum_core_capacity_units"],
        },
        "emrJobStep": spark.job_step,
        "emrJobSubmitted": cfg.run_job and spark.job_step is not None,
        "emrJobVersion": job.version,
        "emrLogUri": spark.log_uri,
        "emrSecurityConfiguration": spark.security_configuration.name,
        "emrInTransitEncryption": cfg.in_transit_encryption,
        "emrTlsCertificatesUri": spark.certificates_uri if cfg.in_transit_encryption else None,
        "emrServiceRoleArn": spark.service_role.arn,
        "emrInstanceRoleArn": spark.instance_role.arn,
        "emrInstanceProfileArn": spark.instance_profile.arn,
        "emrSecurityGroupIds": {role: group.id for role, group in spark.security_groups.items()},
    }


# --- IAM policies of the cluster's roles (pure) -------------------------------------------------------


def emr_service_trust(region: str, account_id: str) -> dict[str, Any]:
    """EMR may assume the role only for this account's clusters (confused-deputy guard, "Service role for Amazon EMR")."""
    trust = service_trust("elasticmapreduce.amazonaws.com")
    trust["Statement"][0]["Condition"] = {  # type: ignore[index]
        "StringEquals": {"aws:SourceAccount": account_id},
        "ArnLike": {"aws:SourceArn": f"arn:aws:elasticmapreduce:{region}:{account_id}:*"},
    }
    return trust


def service_policy(instance_role_arn: str, key_arn: str) -> dict[str, Any]:
    """What AmazonEMRServicePolicy_v2 lacks for this cluster: passing our instance role, and the key for EBS volumes."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PassTheInstanceRoleToEc2",
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": instance_role_arn,
                "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
            },
            {
                "Sid": "EncryptEbsWithTheStackKey",
                "Effect": "Allow",
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
                "Resource": key_arn,
            },
            {
                "Sid": "GrantEbsTheStackKey",
                "Effect": "Allow",
                "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
                "Resource": key_arn,
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            },
        ],
    }


def instance_policy(
    scope: InstanceScope, key_arn: str, kafka: Sequence[str] | None, cache: Sequence[str] | None
) -> dict[str, Any]:
    """The nodes' permissions, each scoped to this stack: kafka = (cluster, topic, group) ARNs; cache = (group, user) ARNs."""
    arns = scope.storage_arns
    region = scope.region
    statements: list[dict[str, Any]] = [
        {"Sid": "ReadJobArtifacts", "Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{arns['artifacts']}/*"},
        {
            "Sid": "ReadWriteCheckpointsAndLake",
            "Effect": "Allow",
            "Action": [
                "s3:GetObject",
                "s3:PutObject",
                "s3:DeleteObject",
                "s3:AbortMultipartUpload",
                "s3:ListMultipartUploadParts",
            ],
            "Resource": [f"{arns['checkpoints']}/*", f"{arns['lake']}/*"],
        },
        {
            "Sid": "ListOwnBuckets",
            "Effect": "Allow",
            "Action": ["s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads"],
            "Resource": [arns["artifacts"], arns["checkpoints"], arns["lake"], arns["logs"]],
        },
        {
            "Sid": "WriteClusterLogs",
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": f"{arns['logs']}/{EMR_LOG_PREFIX}/*",
        },
        {
            "Sid": "EmrOwnedBucketsRead",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": [f"arn:aws:s3:::{b.format(region=region)}/*" for b in EMR_READ_BUCKETS],
        },
        {
            "Sid": "EmrOwnedBucketsWrite",
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": [f"arn:aws:s3:::{b.format(region=region)}/*" for b in EMR_WRITE_BUCKETS],
        },
        {
            "Sid": "UseTheStackKey",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncrypt*", "kms:DescribeKey"],
            "Resource": key_arn,
        },
        {
            "Sid": "DescribeOwnCluster",
            "Effect": "Allow",
            "Action": [
                "elasticmapreduce:DescribeCluster",
                "elasticmapreduce:ListInstanceFleets",
                "elasticmapreduce:ListBootstrapActions",
                "elasticmapreduce:ListSteps",
                "elasticmapreduce:DescribeStep",
            ],
            "Resource": f"arn:aws:elasticmapreduce:{region}:{scope.account_id}:cluster/*",
            "Condition": {"StringEquals": {"aws:ResourceTag/for-use-with-amazon-emr-managed-policies": "true"}},
        },
    ]
    if scope.certificates_uri is not None:
        statements.append(
            {
                "Sid": "ReadInTransitCertificates",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::" + scope.certificates_uri.removeprefix("s3://"),
            }
        )
    if kafka is not None:
        cluster_arn, topic_arn, group_arn = kafka
        statements += [
            {
                "Sid": "ConnectToTheCluster",
                "Effect": "Allow",
                "Action": ["kafka-cluster:Connect", "kafka-cluster:DescribeCluster"],
                "Resource": cluster_arn,
            },
            {
                "Sid": "ReadTheIngestTopic",
                "Effect": "Allow",
                "Action": [
                    "kafka-cluster:DescribeTopic",
                    "kafka-cluster:DescribeTopicDynamicConfiguration",
                    "kafka-cluster:ReadData",
                ],
                "Resource": topic_arn,
            },
            {
                "Sid": "UseTheJobsConsumerGroups",
                "Effect": "Allow",
                "Action": ["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"],
                "Resource": group_arn,
            },
        ]
    if cache is not None:
        statements.append(
            {"Sid": "ConnectToTheCache", "Effect": "Allow", "Action": "elasticache:Connect", "Resource": list(cache)}
        )
    return {"Version": "2012-10-17", "Statement": statements}
