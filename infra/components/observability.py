"""Alarms for every tier of the stack, one encrypted SNS topic they notify, and a dashboard of the same metrics.

Alarms are described first as plain ``AlarmSpec`` values by pure per-tier functions (the
metric, its dimensions, statistic, threshold from ``observability.*`` config), then created
with the topic wired as both ALARM and OK action. Each tier returns its specs; the topic
exists first (DR routes its peer's alarms to it), and once every tier is built
``Observability.publish`` creates all alarms and renders
``templates/observability/dashboard.json.j2`` out of the very same specs, so every graph
shows a resource the stack creates and nothing else.

Metric names, statistics and dimensions per namespace (checked 2026-11-26):
  AWS/Kafka: "Amazon MSK metrics for monitoring Standard brokers with CloudWatch", DEFAULT level
    https://docs.aws.amazon.com/msk/latest/developerguide/metrics-details.html
    (KafkaDataLogsDiskUsed, CpuUser, CpuSystem, UnderReplicatedPartitions: Cluster Name + Broker ID;
    OfflinePartitionsCount, ActiveControllerCount: Cluster Name). Keep CpuUser + CpuSystem under
    60%: "Best practices for Standard brokers", Monitor CPU usage.
  AWS/ElastiCache: "Metrics for Valkey and Redis OSS" / "Host-Level Metrics", published per node
    with the CacheClusterId dimension (the node id <rgid>-<shard>-<node>)
    https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/CacheMetrics.Redis.html
  AWS/ApplicationELB and AWS/NetworkELB: "CloudWatch metrics for your Application Load Balancer"
    and "... Network Load Balancer" (LoadBalancer = app|net/<name>/<id>, TargetGroup = targetgroup/<name>/<id>;
    the 5XX counts exist only when non-zero)
    https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html
  AWS/ECS (ClusterName, ServiceName) and ECS/ContainerInsights (RunningTaskCount, DesiredTaskCount):
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Container-Insights-metrics-ECS.html
  AWS/ElasticMapReduce (JobFlowId, published every 5 minutes): "Monitoring Amazon EMR metrics with CloudWatch"
    https://docs.aws.amazon.com/emr/latest/ManagementGuide/UsingEMR_ViewingMetrics.html
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jinja2
import pulumi
import pulumi_aws as aws

from infra.components.alarm_spec import OPERATORS, AlarmSpec, Metric
from infra.config.schema import ObservabilityConfig
from infra.naming import Naming
from infra.paths import TEMPLATES as TEMPLATES_DIR

if TYPE_CHECKING:
    from infra.components.foundation import Foundation

DASHBOARD_TEMPLATE = "observability/dashboard.json.j2"
# An alarm widget lists at most 100 alarms (CloudWatch "Dashboard Body Structure and Syntax").
ALARMS_PER_WIDGET = 100
# Service principals that publish to the alarm topic; the stack key's policy lets the same
# three use it (infra/components/kms.py, statements AlarmsPublishToEncryptedTopics and
# EventBridgePublishesToEncryptedTopics).
PUBLISHERS = ("cloudwatch.amazonaws.com", "events.amazonaws.com", "backup.amazonaws.com")
_PERCENTILE = re.compile(r"^p\d+(\.\d+)?$")


def alarm_arguments(spec: AlarmSpec) -> dict[str, Any]:
    """MetricAlarm arguments for a spec: a single metric, or metric math over several."""
    common: dict[str, Any] = {
        "comparison_operator": spec.comparison,
        "threshold": spec.threshold,
        "evaluation_periods": spec.evaluation_periods,
        "datapoints_to_alarm": spec.datapoints_to_alarm,
        "treat_missing_data": spec.treat_missing_data,
        "alarm_description": spec.description,
    }
    if spec.expression is None:
        if len(spec.metrics) != 1:
            raise ValueError(f"{spec.key}: several metrics need an expression")
        (metric,) = spec.metrics.values()
        statistic = (
            {"extended_statistic": metric.stat} if _PERCENTILE.match(metric.stat) else {"statistic": metric.stat}
        )
        return {
            **common,
            **statistic,
            "namespace": metric.namespace,
            "metric_name": metric.name,
            "dimensions": dict(metric.dimensions),
            "period": metric.period,
        }
    queries = [_metric_query(query_id, metric) for query_id, metric in spec.metrics.items()]
    queries.append({"id": "result", "expression": spec.expression, "label": spec.summary, "return_data": True})
    return {**common, "metric_queries": queries}


def _metric_query(query_id: str, metric: Metric) -> dict[str, Any]:
    fields = {"namespace": metric.namespace, "metric_name": metric.name, "dimensions": dict(metric.dimensions)}
    return {"id": query_id, "return_data": False, "metric": {**fields, "period": metric.period, "stat": metric.stat}}


# --- the alarms of each tier (pure) --------------------------------------------------------


def kafka_alarms(cluster_name: str, brokers: int, cfg: ObservabilityConfig) -> list[AlarmSpec]:
    """Disk, CPU and replication per broker (IDs 1..N); offline partitions and the controller per cluster."""
    cluster = {"Cluster Name": cluster_name}
    specs: list[AlarmSpec] = []
    for broker in range(1, brokers + 1):
        dims = {**cluster, "Broker ID": str(broker)}
        target = f"broker-{broker}"
        specs += [
            AlarmSpec(
                "kafka",
                "kafka-disk-used",
                "KafkaDataLogsDiskUsed, %",
                {"disk": Metric("AWS/Kafka", "KafkaDataLogsDiskUsed", dims, "Maximum", 300)},
                "GreaterThanThreshold",
                cfg.msk_disk_used_percent,
                2,
                2,
                target,
            ),
            AlarmSpec(
                "kafka",
                "kafka-cpu",
                "CpuUser + CpuSystem, %",
                {
                    "user": Metric("AWS/Kafka", "CpuUser", dims, "Average", 300),
                    "system": Metric("AWS/Kafka", "CpuSystem", dims, "Average", 300),
                },
                "GreaterThanThreshold",
                cfg.msk_cpu_percent,
                3,
                3,
                target,
                expression="user + system",
            ),
            AlarmSpec(
                "kafka",
                "kafka-under-replicated",
                "UnderReplicatedPartitions",
                {"urp": Metric("AWS/Kafka", "UnderReplicatedPartitions", dims, "Maximum", 300)},
                "GreaterThanThreshold",
                0,
                3,
                3,
                target,
            ),
        ]
    specs += [
        AlarmSpec(
            "kafka",
            "kafka-offline-partitions",
            "OfflinePartitionsCount",
            {"offline": Metric("AWS/Kafka", "OfflinePartitionsCount", cluster, "Maximum")},
            "GreaterThanThreshold",
            0,
            1,
            1,
        ),
        # Exactly one active controller: the per-broker 0/1 values summed over the cluster.
        AlarmSpec(
            "kafka",
            "kafka-active-controller",
            "|ActiveControllerCount - 1|",
            {"controllers": Metric("AWS/Kafka", "ActiveControllerCount", cluster, "Sum")},
            "GreaterThanThreshold",
            0,
            5,
            5,
            expression="ABS(controllers - 1)",
        ),
    ]
    return specs


def cache_alarms(
    member_cluster_ids: Sequence[str], replication_group_id: str, cfg: ObservabilityConfig
) -> list[AlarmSpec]:
    """CPU, memory, evictions, connections and replication lag per node (CacheClusterId)."""
    specs: list[AlarmSpec] = []
    for member in member_cluster_ids:
        target = member.removeprefix(f"{replication_group_id}-")
        specs += [
            AlarmSpec(
                "cache",
                "cache-engine-cpu",
                "EngineCPUUtilization, %",
                _node_metric(member, "EngineCPUUtilization", "Average"),
                "GreaterThanThreshold",
                cfg.cache_cpu_percent,
                5,
                5,
                target,
            ),
            AlarmSpec(
                "cache",
                "cache-memory",
                "DatabaseMemoryUsagePercentage, %",
                _node_metric(member, "DatabaseMemoryUsagePercentage", "Maximum"),
                "GreaterThanThreshold",
                cfg.cache_memory_percent,
                5,
                5,
                target,
            ),
            AlarmSpec(
                "cache",
                "cache-evictions",
                "Evictions per 5 minutes",
                _node_metric(member, "Evictions", "Sum", 300),
                "GreaterThanThreshold",
                cfg.cache_evictions_max,
                1,
                1,
                target,
                treat_missing_data="notBreaching",
            ),
            AlarmSpec(
                "cache",
                "cache-connections",
                "CurrConnections",
                _node_metric(member, "CurrConnections", "Maximum"),
                "GreaterThanThreshold",
                cfg.cache_max_connections,
                3,
                3,
                target,
            ),
            # Only replicas publish ReplicationLag; a node that is primary now reports nothing.
            AlarmSpec(
                "cache",
                "cache-replication-lag",
                "ReplicationLag, s",
                _node_metric(member, "ReplicationLag", "Maximum"),
                "GreaterThanThreshold",
                cfg.cache_replication_lag_seconds,
                5,
                5,
                target,
                treat_missing_data="notBreaching",
            ),
        ]
    return specs


def _node_metric(member: str, metric: str, stat: str, period: int = 60) -> dict[str, Metric]:
    return {"value": Metric("AWS/ElastiCache", metric, {"CacheClusterId": member}, stat, period)}


@dataclass(frozen=True)
class LoadBalancerTarget:
    kind: str
    """``alb`` or ``nlb``."""
    load_balancer: pulumi.Input[str]
    """The load balancer's arn_suffix (app/<name>/<id> or net/<name>/<id>)."""
    target_group: pulumi.Input[str]
    """The target group's arn_suffix (targetgroup/<name>/<id>)."""


def edge_alarms(balancers: Sequence[LoadBalancerTarget], cfg: ObservabilityConfig) -> list[AlarmSpec]:
    """5XX and p99 latency on the ALB; healthy and unhealthy targets behind every load balancer."""
    specs: list[AlarmSpec] = []
    for lb in balancers:
        namespace = "AWS/ApplicationELB" if lb.kind == "alb" else "AWS/NetworkELB"
        both = {"LoadBalancer": lb.load_balancer, "TargetGroup": lb.target_group}
        if lb.kind == "alb":
            specs += [
                # 5XX counts are published only when non-zero: no data means no errors.
                AlarmSpec(
                    "edge",
                    "edge-alb-elb-5xx",
                    "HTTPCode_ELB_5XX_Count per minute",
                    {"errors": Metric(namespace, "HTTPCode_ELB_5XX_Count", {"LoadBalancer": lb.load_balancer}, "Sum")},
                    "GreaterThanThreshold",
                    cfg.lb_5xx_per_minute,
                    5,
                    3,
                    treat_missing_data="notBreaching",
                ),
                AlarmSpec(
                    "edge",
                    "edge-alb-target-5xx",
                    "HTTPCode_Target_5XX_Count per minute",
                    {"errors": Metric(namespace, "HTTPCode_Target_5XX_Count", both, "Sum")},
                    "GreaterThanThreshold",
                    cfg.lb_5xx_per_minute,
                    5,
                    3,
                    treat_missing_data="notBreaching",
                ),
                AlarmSpec(
                    "edge",
                    "edge-alb-p99",
                    "TargetResponseTime p99, s",
                    {"latency": Metric(namespace, "TargetResponseTime", both, "p99")},
                    "GreaterThanThreshold",
                    cfg.lb_p99_seconds,
                    5,
                    5,
                    treat_missing_data="notBreaching",
                ),
            ]
        specs += [
            AlarmSpec(
                "edge",
                f"edge-{lb.kind}-unhealthy-hosts",
                "UnHealthyHostCount",
                {"unhealthy": Metric(namespace, "UnHealthyHostCount", both, "Maximum")},
                "GreaterThanThreshold",
                0,
                3,
                3,
            ),
            # No data at all means no registered target: as bad as none healthy.
            AlarmSpec(
                "edge",
                f"edge-{lb.kind}-no-healthy-hosts",
                "HealthyHostCount",
                {"healthy": Metric(namespace, "HealthyHostCount", both, "Minimum")},
                "LessThanThreshold",
                1,
                2,
                2,
                treat_missing_data="breaching",
            ),
        ]
    return specs


def ingest_alarms(
    cluster_name: pulumi.Input[str], service_name: pulumi.Input[str], cfg: ObservabilityConfig
) -> list[AlarmSpec]:
    """CPU and memory of the service; fewer running tasks than desired (Container Insights)."""
    dims = {"ClusterName": cluster_name, "ServiceName": service_name}
    return [
        AlarmSpec(
            "ingest",
            "ingest-cpu",
            "CPUUtilization, %",
            {"cpu": Metric("AWS/ECS", "CPUUtilization", dims, "Average")},
            "GreaterThanThreshold",
            cfg.ecs_cpu_percent,
            5,
            5,
        ),
        AlarmSpec(
            "ingest",
            "ingest-memory",
            "MemoryUtilization, %",
            {"memory": Metric("AWS/ECS", "MemoryUtilization", dims, "Average")},
            "GreaterThanThreshold",
            cfg.ecs_memory_percent,
            5,
            5,
        ),
        AlarmSpec(
            "ingest",
            "ingest-tasks-below-desired",
            "DesiredTaskCount - RunningTaskCount",
            {
                "desired": Metric("ECS/ContainerInsights", "DesiredTaskCount", dims, "Average"),
                "running": Metric("ECS/ContainerInsights", "RunningTaskCount", dims, "Average"),
            },
            "GreaterThanThreshold",
            0,
            5,
            5,
            expression="desired - running",
        ),
    ]


def spark_alarms(job_flow_id: pulumi.Input[str], cfg: ObservabilityConfig) -> list[AlarmSpec]:
    """YARN pressure and unhealthy nodes on the EMR cluster (metrics every 5 minutes)."""
    dims = {"JobFlowId": job_flow_id}
    return [
        AlarmSpec(
            "spark",
            "spark-apps-pending",
            "AppsPending",
            {"pending": Metric("AWS/ElasticMapReduce", "AppsPending", dims, "Average", 300)},
            "GreaterThanThreshold",
            cfg.emr_apps_pending,
            3,
            3,
        ),
        AlarmSpec(
            "spark",
            "spark-yarn-memory-low",
            "YARNMemoryAvailablePercentage, %",
            {"memory": Metric("AWS/ElasticMapReduce", "YARNMemoryAvailablePercentage", dims, "Average", 300)},
            "LessThanThreshold",
            cfg.emr_yarn_memory_available_percent,
            3,
            3,
        ),
        AlarmSpec(
            "spark",
            "spark-unhealthy-nodes",
            "MRUnhealthyNodes",
            {"unhealthy": Metric("AWS/ElasticMapReduce", "MRUnhealthyNodes", dims, "Maximum", 300)},
            "GreaterThanThreshold",
            0,
            2,
            2,
        ),
    ]


# --- the dashboard (pure) -------------------------------------------------------------------


def dashboard_widgets(specs: Sequence[AlarmSpec]) -> list[dict[str, Any]]:
    """One graph per alarm family: a line per alarmed instance and the threshold as an annotation.

    Rows use CloudWatch's metric-array form; expressions get widget-unique ids. Dimension
    values may still be Outputs: the caller resolves the whole structure before rendering.
    """
    families: dict[str, list[AlarmSpec]] = {}
    for spec in specs:
        families.setdefault(spec.family, []).append(spec)
    widgets = []
    for family, members in families.items():
        rows: list[list[Any]] = []
        for index, spec in enumerate(members):
            label = spec.target or spec.family
            if spec.expression is None:
                (metric,) = spec.metrics.values()
                rows.append(_row(metric, {"stat": metric.stat, "label": label}))
                continue
            ids = {query_id: f"{query_id}{index}" for query_id in spec.metrics}
            expression = _renamed(spec.expression, ids)
            rows.append([{"expression": expression, "label": label, "id": f"e{index}"}])
            rows += [
                _row(m, {"stat": m.stat, "id": ids[query_id], "visible": False}) for query_id, m in spec.metrics.items()
            ]
        first = members[0]
        widgets.append(
            {
                "title": f"{first.tier}: {first.summary}",
                "family": family,
                "period": first.period,
                "rows": rows,
                "threshold": first.threshold,
                "threshold_label": f"alarm {OPERATORS[first.comparison]} {first.threshold:g}",
            }
        )
    return widgets


def _renamed(expression: str, ids: Mapping[str, str]) -> str:
    """The expression with its query ids replaced (functions such as ABS are upper case, never renamed)."""
    return re.sub(r"\b[a-z][A-Za-z0-9_]*\b", lambda match: ids.get(match.group(0), match.group(0)), expression)


def _row(metric: Metric, options: dict[str, Any]) -> list[Any]:
    row: list[Any] = [metric.namespace, metric.name]
    for name, value in metric.dimensions.items():
        row += [name, value]
    return [*row, options]


def render_dashboard(
    *, stack: str, region: str, topic_arn: str, alarm_arns: Sequence[str], widgets: Sequence[Mapping[str, Any]]
) -> str:
    """The dashboard body: the template rendered with StrictUndefined, checked to be JSON, compacted."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
    )
    text = environment.get_template(DASHBOARD_TEMPLATE).render(
        stack=stack,
        region=region,
        topic_arn=topic_arn,
        alarm_arns=list(alarm_arns),
        widgets=list(widgets),
        alarms_per_widget=ALARMS_PER_WIDGET,
    )
    return json.dumps(json.loads(text), separators=(",", ":"))


# --- resources --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ObservabilityArgs:
    config: ObservabilityConfig
    naming: Naming
    account_id: str
    kms_key_arn: pulumi.Input[str]


@dataclass(frozen=True)
class Published:
    """The stack's alarms and dashboard, created once from the specs of every tier."""

    alarms: Mapping[str, aws.cloudwatch.MetricAlarm]
    """Alarm key -> alarm, in the order of the specs."""
    dashboard: aws.cloudwatch.Dashboard
    outputs: Mapping[str, Any]
    """alarmTopicArn, alarmCounts (alarms per tier), alarmEmail, dashboardName, dashboardUrl."""


class Observability(pulumi.ComponentResource):
    """The alarm topic, created before the tiers; their alarms and the dashboard come with ``publish``."""

    topic: aws.sns.Topic

    def __init__(self, name: str, args: ObservabilityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:observability:Observability", name, None, opts)
        self._name, self._naming, self._config = name, args.naming, args.config
        self._published = False
        self.topic = aws.sns.Topic(
            f"{name}-alarms",
            name=args.naming("alarms"),
            kms_master_key_id=args.kms_key_arn,
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.sns.TopicPolicy(
            f"{name}-alarms-policy",
            arn=self.topic.arn,
            policy=self.topic.arn.apply(lambda arn: json.dumps(topic_policy(arn, args.account_id))),
            opts=pulumi.ResourceOptions(parent=self.topic),
        )
        if args.config.alarm_email:
            aws.sns.TopicSubscription(
                f"{name}-alarms-email",
                topic=self.topic.arn,
                protocol="email",
                endpoint=args.config.alarm_email,
                opts=pulumi.ResourceOptions(parent=self.topic),
            )

    def publish(self, specs: Sequence[AlarmSpec]) -> Published:
        """Create every alarm (notifying the topic on ALARM and OK) and the dashboard of them: once, after every tier."""
        if self._published:
            raise ValueError("the alarms exist already: publish them once, after every tier returned its specs")
        keys = [spec.key for spec in specs]
        twice = sorted({key for key in keys if keys.count(key) > 1})
        if twice:
            raise ValueError(f"alarms specified twice: {', '.join(twice)}")
        self._published = True
        alarms: dict[str, aws.cloudwatch.MetricAlarm] = {}
        counts: dict[str, int] = {}
        for spec in specs:
            alarms[spec.key] = aws.cloudwatch.MetricAlarm(
                f"{self._name}-{spec.key}",
                name=self._naming(spec.key),
                alarm_actions=[self.topic.arn],
                ok_actions=[self.topic.arn],
                **alarm_arguments(spec),
                opts=pulumi.ResourceOptions(parent=self),
            )
            counts[spec.tier] = counts.get(spec.tier, 0) + 1
        stack, region = self._naming.stack, self._naming.region
        body = pulumi.Output.from_input(
            {
                "topic_arn": self.topic.arn,
                "alarm_arns": [alarm.arn for alarm in alarms.values()],
                "widgets": dashboard_widgets(specs),
            }
        ).apply(lambda resolved: render_dashboard(stack=stack, region=region, **resolved))
        dashboard = aws.cloudwatch.Dashboard(
            f"{self._name}-dashboard",
            dashboard_name=self._naming("streaming"),
            dashboard_body=body,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"topicArn": self.topic.arn, "alarmCounts": counts})
        outputs = {
            "alarmTopicArn": self.topic.arn,
            "alarmCounts": counts,
            "alarmEmail": self._config.alarm_email,
            "dashboardName": dashboard.dashboard_name,
            "dashboardUrl": dashboard.dashboard_name.apply(
                lambda name: f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#dashboards/dashboard/{name}"
            ),
        }
        return Published(alarms, dashboard, outputs)


def topic_policy(topic_arn: str, account_id: str) -> dict[str, Any]:
    """The account manages the topic; AWS services of this account publish over TLS only.

    Every Allow carries an account condition, so no statement is open to another account.
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountManagesTopic",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                "Action": [
                    "sns:GetTopicAttributes",
                    "sns:SetTopicAttributes",
                    "sns:AddPermission",
                    "sns:RemovePermission",
                    "sns:DeleteTopic",
                    "sns:Subscribe",
                    "sns:ListSubscriptionsByTopic",
                    "sns:Publish",
                ],
                "Resource": topic_arn,
                # Redundant with the principal today; it keeps the statement to this account if the
                # principal is ever widened. aws:SourceOwner would not do: IAM callers do not send it.
                "Condition": {"StringEquals": {"aws:PrincipalAccount": account_id}},
            },
            {
                "Sid": "ServicesOfThisAccountPublish",
                "Effect": "Allow",
                "Principal": {"Service": list(PUBLISHERS)},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            },
            {
                "Sid": "TlsOnly",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ],
    }


def build(foundation: Foundation) -> Observability:
    """Create the alarm topic; the alarms and the dashboard follow with ``publish``."""
    return Observability(
        "observability",
        ObservabilityArgs(
            config=foundation.config.observability,
            naming=foundation.naming,
            account_id=foundation.account_id,
            kms_key_arn=foundation.key.key.arn,
        ),
        foundation.opts(),
    )
