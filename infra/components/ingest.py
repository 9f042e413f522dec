"""The ingest service: a Redpanda Connect HTTP gateway on ECS Fargate that writes to MSK with IAM auth.

Tasks run in the private-app subnets of every AZ behind the edge's ALB and NLB. The gateway's
config is rendered from a template (ingest.configTemplate) with the MSK brokers and the stack's
topic, and reaches the task without a custom image: a non-essential config-writer container (same
image, root) writes it from an environment variable to a task-local volume, and the gateway (the image's
non-root user, read-only root filesystem) starts once that container exits 0. Fargate bind mounts
are root-owned 0755 ("Use bind mounts with Amazon ECS", Amazon ECS developer guide, checked
2026-11-26), hence root for the writer only. The task role may connect to this stack's cluster and
write this stack's topics, nothing else; autoscaling on CPU and ALB requests per target owns the
desired count, so the program ignores it after creation.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import jinja2
import pulumi
import pulumi_aws as aws

from infra.components.edge import Edge
from infra.components.foundation import Built, Foundation
from infra.components.network import service_trust
from infra.components.observability import ingest_alarms
from infra.config.schema import IngestConfig
from infra.naming import Naming
from infra.paths import TEMPLATES as TEMPLATES_DIR

GATEWAY = "gateway"
CONFIG_WRITER = "config-writer"
CONFIG_VOLUME = "gateway-config"
CONFIG_DIR = "/etc/gateway"
CONFIG_FILE = f"{CONFIG_DIR}/connect.yaml"
CONFIG_ENV = "GATEWAY_CONFIG_YAML"
# Output timeout < request timeout: a client gets MSK's answer, not a cut connection.
PRODUCE_TIMEOUT = "10s"
REQUEST_TIMEOUT = "15s"
MAX_IN_FLIGHT = 64
OPEN_FILES = 65536
SCALE_OUT_COOLDOWN_SECONDS = 60
SCALE_IN_COOLDOWN_SECONDS = 300
HEALTH_CHECK_GRACE_SECONDS = 60
_ECR_IMAGE = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/(?P<repo>[^:@]+)")


class KafkaTarget(Protocol):
    """What the ingest tier needs from the MSK tier (infra/components/kafka.py)."""

    cluster_arn: pulumi.Output[str]
    bootstrap_brokers: pulumi.Output[str]
    """SASL/IAM bootstrap brokers, comma-separated host:port."""

    def topic_arn(self, topic: str) -> pulumi.Output[str]: ...


@dataclass(frozen=True)
class GatewayConfigValues:
    """Everything the gateway config template reads (besides the brokers, known at deploy time)."""

    stack: str
    region: str
    topic: str
    client_id: str
    ingest_port: int
    admin_port: int
    ingest_path: str

    def context(self, brokers: Sequence[str]) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "region": self.region,
            "topic": self.topic,
            "client_id": self.client_id,
            "brokers": list(brokers),
            "ingest_address": f"0.0.0.0:{self.ingest_port}",
            "admin_address": f"0.0.0.0:{self.admin_port}",
            "ingest_path": self.ingest_path,
            "ws_path": f"{self.ingest_path}/ws",
            "request_timeout": REQUEST_TIMEOUT,
            "produce_timeout": PRODUCE_TIMEOUT,
            "max_in_flight": MAX_IN_FLIGHT,
        }


def split_brokers(bootstrap_brokers: str) -> list[str]:
    """MSK's comma-separated bootstrap string as the list the gateway's seed_brokers expects."""
    return [broker.strip() for broker in bootstrap_brokers.split(",") if broker.strip()]


@functools.cache
def _templates() -> jinja2.Environment:
    """Templates under templates/; a variable a template lacks is an error, never an empty string."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )


def render_gateway_config(template: str, values: GatewayConfigValues, bootstrap_brokers: str) -> str:
    """The gateway's YAML config from ingest.configTemplate, the brokers and the stack's topic."""
    brokers = split_brokers(bootstrap_brokers)
    if not brokers:
        raise ValueError("MSK returned no SASL/IAM bootstrap brokers: the cluster needs IAM client authentication")
    return _templates().get_template(template).render(values.context(brokers))


@dataclass(frozen=True)
class TaskLayout:
    """The container-level settings of the task definition, apart from the rendered config."""

    image: str
    ingest_port: int
    admin_port: int
    health_check_path: str
    log_group: str
    region: str


def container_definitions(layout: TaskLayout, gateway_config: str) -> list[dict[str, Any]]:
    """The config writer (runs once, exits 0) and the gateway that starts after it."""
    volume_read_write = {"sourceVolume": CONFIG_VOLUME, "containerPath": CONFIG_DIR, "readOnly": False}

    def logging(prefix: str) -> dict[str, Any]:
        return {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": layout.log_group,
                "awslogs-region": layout.region,
                "awslogs-stream-prefix": prefix,
                "mode": "non-blocking",
                "max-buffer-size": "25m",
            },
        }

    writer = {
        "name": CONFIG_WRITER,
        "image": layout.image,
        "essential": False,
        "user": "0",
        "readonlyRootFilesystem": True,
        "entryPoint": ["/bin/sh", "-c"],
        # printf, not echo: the YAML reaches the file byte for byte.
        "command": [f'printf "%s" "${CONFIG_ENV}" > {CONFIG_FILE}'],
        "environment": [{"name": CONFIG_ENV, "value": gateway_config}],
        "mountPoints": [volume_read_write],
        "logConfiguration": logging(CONFIG_WRITER),
    }
    gateway = {
        "name": GATEWAY,
        "image": layout.image,
        "essential": True,
        "readonlyRootFilesystem": True,
        "command": ["run", CONFIG_FILE],
        "dependsOn": [{"containerName": CONFIG_WRITER, "condition": "SUCCESS"}],
        "mountPoints": [{**volume_read_write, "readOnly": True}],
        "portMappings": [
            {"name": "ingest", "containerPort": layout.ingest_port, "protocol": "tcp"},
            {"name": "admin", "containerPort": layout.admin_port, "protocol": "tcp"},
        ],
        "healthCheck": {
            "command": [
                "CMD-SHELL",
                f"wget -q -O /dev/null http://127.0.0.1:{layout.admin_port}{layout.health_check_path} || exit 1",
            ],
            "interval": 15,
            "timeout": 5,
            "retries": 3,
            "startPeriod": 30,
        },
        "ulimits": [{"name": "nofile", "softLimit": OPEN_FILES, "hardLimit": OPEN_FILES}],
        "logConfiguration": logging(GATEWAY),
    }
    return [writer, gateway]


def task_role_policy(cluster_arn: str, topic_arns: Sequence[str]) -> dict[str, Any]:
    """Connect to this stack's cluster (idempotent producer included) and write its topics only."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ConnectToTheStacksCluster",
                "Effect": "Allow",
                "Action": ["kafka-cluster:Connect", "kafka-cluster:WriteDataIdempotently"],
                "Resource": cluster_arn,
            },
            {
                "Sid": "WriteTheStacksTopics",
                "Effect": "Allow",
                "Action": ["kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"],
                "Resource": list(topic_arns),
            },
        ],
    }


def ecr_repository_arn(image: str) -> str | None:
    """The ECR repository an image lives in; None for public registries (pulled through NAT, no IAM)."""
    match = _ECR_IMAGE.match(image)
    if match is None:
        return None
    return f"arn:aws:ecr:{match['region']}:{match['account']}:repository/{match['repo']}"


def execution_role_policy(log_group_arn: str, image: str) -> dict[str, Any]:
    """Write the task's log streams; pull the image only when it is in a private ECR repository."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "WriteTaskLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [log_group_arn, f"{log_group_arn}:*"],
        }
    ]
    repository = ecr_repository_arn(image)
    if repository is not None:
        statements += [
            {"Sid": "EcrLogin", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
            {
                "Sid": "PullTheGatewayImage",
                "Effect": "Allow",
                "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                "Resource": repository,
            },
        ]
    return {"Version": "2012-10-17", "Statement": statements}


def task_role_trust(account_id: str, region: str) -> dict[str, Any]:
    """ECS tasks of this account and region only: the confused-deputy guard the ECS developer guide
    documents for task IAM roles ("Task IAM role", checked 2026-11-26). The execution role keeps the
    plain service trust that guide shows for it."""
    trust = service_trust("ecs-tasks.amazonaws.com")
    trust["Statement"][0]["Condition"] = {  # type: ignore[index]
        "StringEquals": {"aws:SourceAccount": account_id},
        "ArnLike": {"aws:SourceArn": f"arn:aws:ecs:{region}:{account_id}:*"},
    }
    return trust


@dataclass(frozen=True)
class IngestArgs:
    config: IngestConfig
    topics: Sequence[str]
    """Topics the task role may write (workload.topics); the gateway writes config.topic."""
    naming: Naming
    account_id: str
    kms_key_arn: pulumi.Input[str]
    kafka: KafkaTarget
    edge: Edge
    subnet_ids: Sequence[pulumi.Input[str]]
    ingest_security_group_id: pulumi.Input[str]
    alb_security_group_id: pulumi.Input[str]


class Ingest(pulumi.ComponentResource):
    """The ECS cluster, task definition, service, roles, log group and autoscaling of the gateway."""

    cluster: aws.ecs.Cluster
    task_definition: aws.ecs.TaskDefinition
    service: aws.ecs.Service
    log_group: aws.cloudwatch.LogGroup
    task_role: aws.iam.Role
    execution_role: aws.iam.Role
    scaling_target: aws.appautoscaling.Target

    def __init__(self, name: str, args: IngestArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:ingest:Ingest", name, None, opts)
        cfg, naming, edge = args.config, args.naming, args.edge
        region = naming.region
        child = pulumi.ResourceOptions(parent=self)
        self._admit_load_balancers(name, args)
        self.cluster = aws.ecs.Cluster(
            f"{name}-cluster",
            name=naming("ingest"),
            settings=[{"name": "containerInsights", "value": "enabled"}],
            tags={"Name": naming("ingest")},
            opts=child,
        )
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=naming.log_group("ingest"),
            retention_in_days=cfg.log_retention_days,
            kms_key_id=args.kms_key_arn,
            opts=child,
        )
        self.execution_role = aws.iam.Role(
            f"{name}-execution-role",
            name=naming("ingest-execution"),
            assume_role_policy=json.dumps(service_trust("ecs-tasks.amazonaws.com")),
            description="ECS agent: pulls the gateway image and writes its log streams",
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-execution-policy",
            role=self.execution_role.id,
            policy=self.log_group.arn.apply(lambda arn: json.dumps(execution_role_policy(arn, cfg.image))),
            opts=pulumi.ResourceOptions(parent=self.execution_role),
        )
        self.task_role = aws.iam.Role(
            f"{name}-task-role",
            name=naming("ingest-task"),
            assume_role_policy=json.dumps(task_role_trust(args.account_id, region)),
            description="gateway tasks: connect to the stack's MSK cluster and write its topics",
            opts=child,
        )
        topic_arns = [args.kafka.topic_arn(topic) for topic in args.topics]
        aws.iam.RolePolicy(
            f"{name}-task-policy",
            role=self.task_role.id,
            policy=pulumi.Output.all(args.kafka.cluster_arn, *topic_arns).apply(
                lambda arns: json.dumps(task_role_policy(arns[0], arns[1:]))
            ),
            opts=pulumi.ResourceOptions(parent=self.task_role),
        )

        values = GatewayConfigValues(
            stack=naming.stack,
            region=region,
            topic=cfg.topic,
            client_id=naming("ingest"),
            ingest_port=cfg.container_port,
            admin_port=cfg.admin_port,
            ingest_path=cfg.ingest_path,
        )
        layout = TaskLayout(
            image=cfg.image,
            ingest_port=cfg.container_port,
            admin_port=cfg.admin_port,
            health_check_path=cfg.health_check_path,
            log_group=naming.log_group("ingest"),
            region=region,
        )
        self.gateway_config = args.kafka.bootstrap_brokers.apply(
            lambda brokers: render_gateway_config(cfg.config_template, values, brokers)
        )
        self.task_definition = aws.ecs.TaskDefinition(
            f"{name}-task",
            family=naming("ingest"),
            requires_compatibilities=["FARGATE"],
            network_mode="awsvpc",
            cpu=str(cfg.cpu),
            memory=str(cfg.memory_mib),
            runtime_platform={"operating_system_family": "LINUX", "cpu_architecture": cfg.cpu_architecture},
            execution_role_arn=self.execution_role.arn,
            task_role_arn=self.task_role.arn,
            volumes=[{"name": CONFIG_VOLUME}],
            container_definitions=self.gateway_config.apply(
                lambda text: json.dumps(container_definitions(layout, text))
            ),
            tags={"Name": naming("ingest")},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.log_group]),
        )
        load_balancers = [
            {
                "target_group_arn": edge.alb_target_group.arn,
                "container_name": GATEWAY,
                "container_port": cfg.container_port,
            }
        ]
        if edge.nlb_target_group is not None:
            load_balancers.append(
                {
                    "target_group_arn": edge.nlb_target_group.arn,
                    "container_name": GATEWAY,
                    "container_port": cfg.container_port,
                }
            )
        # desiredCount belongs to the autoscaler after creation; ECS needs each target group attached
        # to a load balancer (a listener) before the service registers tasks in it.
        self.service = aws.ecs.Service(
            f"{name}-service",
            name=naming("ingest"),
            cluster=self.cluster.arn,
            task_definition=self.task_definition.arn,
            desired_count=cfg.min_tasks,
            launch_type="FARGATE",
            platform_version="LATEST",
            network_configuration={
                "subnets": list(args.subnet_ids),
                "security_groups": [args.ingest_security_group_id],
                "assign_public_ip": False,
            },
            load_balancers=load_balancers,
            health_check_grace_period_seconds=HEALTH_CHECK_GRACE_SECONDS,
            deployment_circuit_breaker={"enable": True, "rollback": True},
            deployment_minimum_healthy_percent=100,
            deployment_maximum_percent=200,
            availability_zone_rebalancing="ENABLED",
            enable_ecs_managed_tags=True,
            propagate_tags="SERVICE",
            enable_execute_command=False,
            wait_for_steady_state=True,
            tags={"Name": naming("ingest")},
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["desiredCount"], depends_on=edge.listeners),
        )
        self.scaling_target = self._autoscaling(name, args)
        self.register_outputs(
            {
                "clusterName": self.cluster.name,
                "serviceName": self.service.name,
                "taskDefinitionArn": self.task_definition.arn,
                "taskRoleArn": self.task_role.arn,
                "logGroup": self.log_group.name,
            }
        )

    def _admit_load_balancers(self, name: str, args: IngestArgs) -> None:
        """The ingest group admits the ALB and the NLB only, on the ingest port and the health-check port."""
        cfg = args.config
        sources: list[tuple[str, pulumi.Input[str]]] = [("alb", args.alb_security_group_id)]
        if args.edge.nlb_security_group is not None:
            sources.append(("nlb", args.edge.nlb_security_group.id))
        for source, group in sources:
            for purpose, port in (("traffic", cfg.container_port), ("health-checks", cfg.admin_port)):
                aws.vpc.SecurityGroupIngressRule(
                    f"{name}-from-{source}-{purpose}",
                    security_group_id=args.ingest_security_group_id,
                    ip_protocol="tcp",
                    from_port=port,
                    to_port=port,
                    referenced_security_group_id=group,
                    description=f"{source.upper()} {purpose.replace('-', ' ')}",
                    opts=pulumi.ResourceOptions(parent=self),
                )

    def _autoscaling(self, name: str, args: IngestArgs) -> aws.appautoscaling.Target:
        cfg, edge = args.config, args.edge
        target = aws.appautoscaling.Target(
            f"{name}-scaling-target",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=scaling_resource_id(args.naming("ingest"), args.naming("ingest")),
            min_capacity=cfg.min_tasks,
            max_capacity=cfg.max_tasks,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.service]),
        )
        policy_opts = pulumi.ResourceOptions(parent=target)
        shared = {
            "service_namespace": target.service_namespace,
            "scalable_dimension": target.scalable_dimension,
            "resource_id": target.resource_id,
        }
        cooldowns = {"scale_in_cooldown": SCALE_IN_COOLDOWN_SECONDS, "scale_out_cooldown": SCALE_OUT_COOLDOWN_SECONDS}
        aws.appautoscaling.Policy(
            f"{name}-scale-on-cpu",
            name=args.naming("ingest-cpu"),
            policy_type="TargetTrackingScaling",
            target_tracking_scaling_policy_configuration={
                "target_value": cfg.cpu_target_percent,
                "predefined_metric_specification": {"predefined_metric_type": "ECSServiceAverageCPUUtilization"},
                **cooldowns,
            },
            opts=policy_opts,
            **shared,
        )
        aws.appautoscaling.Policy(
            f"{name}-scale-on-requests",
            name=args.naming("ingest-requests"),
            policy_type="TargetTrackingScaling",
            target_tracking_scaling_policy_configuration={
                "target_value": cfg.requests_per_target,
                "predefined_metric_specification": {
                    "predefined_metric_type": "ALBRequestCountPerTarget",
                    "resource_label": pulumi.Output.concat(edge.alb.arn_suffix, "/", edge.alb_target_group.arn_suffix),
                },
                **cooldowns,
            },
            opts=policy_opts,
            **shared,
        )
        return target


def scaling_resource_id(cluster_name: str, service_name: str) -> str:
    """Application Auto Scaling's id of an ECS service's desired count."""
    return f"service/{cluster_name}/{service_name}"


def build(foundation: Foundation, kafka: KafkaTarget, edge: Edge) -> Built[Ingest]:
    """Create the gateway service behind the edge's load balancers, writing to the MSK tier."""
    config, network = foundation.config, foundation.network
    ingest = Ingest(
        "ingest",
        IngestArgs(
            config=config.ingest,
            topics=config.workload.topics,
            naming=foundation.naming,
            account_id=foundation.account_id,
            kms_key_arn=foundation.key.key.arn,
            kafka=kafka,
            edge=edge,
            subnet_ids=[s.id for s in network.subnets["private-app"]],
            ingest_security_group_id=network.security_groups["ingest"].id,
            alb_security_group_id=network.security_groups["alb"].id,
        ),
        foundation.opts(),
    )
    cfg = config.ingest
    outputs = {
        "ecsClusterName": ingest.cluster.name,
        "ecsClusterArn": ingest.cluster.arn,
        "ingestServiceName": ingest.service.name,
        "ingestTaskDefinitionArn": ingest.task_definition.arn,
        "ingestTaskRoleArn": ingest.task_role.arn,
        "ingestExecutionRoleArn": ingest.execution_role.arn,
        "ingestLogGroup": ingest.log_group.name,
        "ingestTopic": cfg.topic,
        "ingestCapacity": {
            "minTasks": cfg.min_tasks,
            "maxTasks": cfg.max_tasks,
            "cpu": cfg.cpu,
            "memoryMib": cfg.memory_mib,
            "cpuArchitecture": cfg.cpu_architecture,
            "cpuTargetPercent": cfg.cpu_target_percent,
            "requestsPerTargetPerMinute": cfg.requests_per_target,
        },
    }
    alarms = ingest_alarms(ingest.cluster.name, ingest.service.name, config.observability)
    return Built(ingest, outputs, tuple(alarms))
