"""Observability: an encrypted alarm topic, alarms with the right dimensions for every tier, and the dashboard."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import jinja2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infra.components.observability import (
    ALARMS_PER_WIDGET,
    PUBLISHERS,
    AlarmSpec,
    LoadBalancerTarget,
    Metric,
    Observability,
    ObservabilityArgs,
    alarm_arguments,
    cache_alarms,
    edge_alarms,
    ingest_alarms,
    kafka_alarms,
    render_dashboard,
    spark_alarms,
)
from infra.config.schema import ObservabilityConfig
from infra.naming import Naming
from infra.offline.record import PlannedResource, StackPlan
from infra.offline.runtime import run_alone
from tests.helpers import config_errors

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
COMPONENT = "streaming:observability:Observability"
DEFAULTS = ObservabilityConfig()
Dimensions = dict[str, str]


def _alarms(plan: StackPlan) -> list[PlannedResource]:
    component = plan.one(COMPONENT)
    return [r for r in plan.of_type(ALARM) if r.parent == component.urn]


def _metrics_of(alarm: PlannedResource) -> list[tuple[str, str, Dimensions]]:
    """(namespace, metric name, dimensions) of every metric an alarm reads."""
    if "metricName" in alarm.inputs:
        return [(alarm.inputs["namespace"], alarm.inputs["metricName"], alarm.inputs["dimensions"])]
    return [
        (q["metric"]["namespace"], q["metric"]["metricName"], q["metric"]["dimensions"])
        for q in alarm.inputs["metricQueries"]
        if "metric" in q
    ]


def _dashboard(plan: StackPlan) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(plan.one("aws:cloudwatch/dashboard:Dashboard").inputs["dashboardBody"])
    return body


def _dashboard_metrics(
    body: dict[str, Any], tiers: tuple[str, ...] | None = None
) -> Iterator[tuple[str, str, Dimensions]]:
    """Every metric the graphs show; only those of some tiers when given (graph titles start with the tier)."""
    for widget in body["widgets"]:
        if widget["type"] != "metric" or (tiers and widget["properties"]["title"].split(":")[0] not in tiers):
            continue
        for row in widget["properties"]["metrics"]:
            names = [item for item in row if not isinstance(item, dict)]
            if names:
                namespace, metric, *pairs = names
                yield namespace, metric, dict(zip(pairs[::2], pairs[1::2], strict=True))


# The tiers this component watches; the DR tier's alarms come from its own specs (its tests check them).
TIERS = ("kafka", "cache", "edge", "ingest", "spark")


def _tier_alarms(plan: StackPlan) -> list[PlannedResource]:
    return [a for a in _alarms(plan) if a.inputs["name"].removeprefix(f"sp-{plan.stack}-").split("-")[0] in TIERS]


class PlannedResources:
    """What the plan actually creates, by the names CloudWatch dimensions use."""

    def __init__(self, plan: StackPlan, primary: StackPlan | None = None) -> None:
        msk = plan.of_type("aws:msk/cluster:Cluster")
        self.kafka_cluster = {r.inputs["clusterName"] for r in msk}
        self.brokers = {str(b) for r in msk for b in range(1, int(r.inputs["numberOfBrokerNodes"]) + 1)}
        self.cache_nodes = _cache_nodes(plan, primary)
        balancers = plan.of_type("aws:lb/loadBalancer:LoadBalancer")
        self.albs = {
            r.outputs["arnSuffix"]
            for r in balancers
            if r.inputs.get("loadBalancerType", "application") == "application"
        }
        self.nlbs = {r.outputs["arnSuffix"] for r in balancers if r.inputs.get("loadBalancerType") == "network"}
        self.target_groups = {r.outputs["arnSuffix"] for r in plan.of_type("aws:lb/targetGroup:TargetGroup")}
        self.ecs_clusters = {r.inputs["name"] for r in plan.of_type("aws:ecs/cluster:Cluster")}
        self.ecs_services = {r.inputs["name"] for r in plan.of_type("aws:ecs/service:Service")}
        self.emr_clusters = {r.resource_id for r in plan.of_type("aws:emr/cluster:Cluster")}

    def check(self, namespace: str, metric: str, dims: Dimensions) -> None:
        """Fail unless the dimensions are the right ones for the metric and name a planned resource."""
        per_broker = {"KafkaDataLogsDiskUsed", "CpuUser", "CpuSystem", "UnderReplicatedPartitions"}
        if namespace == "AWS/Kafka":
            assert set(dims) == ({"Cluster Name", "Broker ID"} if metric in per_broker else {"Cluster Name"}), metric
            assert dims["Cluster Name"] in self.kafka_cluster
            assert metric not in per_broker or dims["Broker ID"] in self.brokers
        elif namespace == "AWS/ElastiCache":
            assert set(dims) == {"CacheClusterId"} and dims["CacheClusterId"] in self.cache_nodes
        elif namespace in ("AWS/ApplicationELB", "AWS/NetworkELB"):
            balancers = self.albs if namespace == "AWS/ApplicationELB" else self.nlbs
            assert dims["LoadBalancer"] in balancers
            only_balancer = metric == "HTTPCode_ELB_5XX_Count"
            assert set(dims) == ({"LoadBalancer"} if only_balancer else {"LoadBalancer", "TargetGroup"}), metric
            assert only_balancer or dims["TargetGroup"] in self.target_groups
        elif namespace in ("AWS/ECS", "ECS/ContainerInsights"):
            assert set(dims) == {"ClusterName", "ServiceName"}
            assert dims["ClusterName"] in self.ecs_clusters and dims["ServiceName"] in self.ecs_services
        elif namespace == "AWS/ElasticMapReduce":
            assert set(dims) == {"JobFlowId"} and dims["JobFlowId"] in self.emr_clusters
        else:
            pytest.fail(f"unexpected namespace {namespace}")


def _cache_nodes(plan: StackPlan, primary: StackPlan | None) -> set[str]:
    """Node ids ElastiCache reports; a Global Datastore secondary has its primary's shards under its own group id."""
    (group,) = plan.of_type("aws:elasticache/replicationGroup:ReplicationGroup")
    if "globalReplicationGroupId" not in group.inputs:
        return set(group.outputs["memberClusters"])
    assert primary is not None
    (primary_group,) = primary.of_type("aws:elasticache/replicationGroup:ReplicationGroup")
    prefix, own = primary_group.inputs["replicationGroupId"], group.inputs["replicationGroupId"]
    return {f"{own}{m.removeprefix(prefix)}" for m in primary_group.outputs["memberClusters"]}


def _planned(plans: dict[str, StackPlan], plan: StackPlan) -> PlannedResources:
    dr = plan.config["dr"]
    primary = plans[dr["peer_stack"].rsplit("/", 1)[-1]] if dr["role"] == "secondary" else None
    return PlannedResources(plan, primary)


# --- topic -------------------------------------------------------------------------------------


def test_alarm_topic_is_encrypted_with_the_stack_key(stack_plan: StackPlan) -> None:
    (topic,) = [r for r in stack_plan.of_type(TOPIC) if r.parent == stack_plan.one(COMPONENT).urn]
    assert topic.inputs["name"] == f"sp-{stack_plan.stack}-alarms"
    assert topic.inputs["kmsMasterKeyId"] == stack_plan.outputs["kmsKeyArn"]
    assert stack_plan.outputs["alarmTopicArn"] == topic.outputs["arn"]
    (policy,) = [r for r in stack_plan.of_type("aws:sns/topicPolicy:TopicPolicy") if r.parent == topic.urn]
    assert policy.inputs["arn"] == topic.outputs["arn"]
    statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
    publish = statements["ServicesOfThisAccountPublish"]
    assert publish["Principal"]["Service"] == list(PUBLISHERS) and publish["Action"] == "sns:Publish"
    assert publish["Condition"] == {"StringEquals": {"aws:SourceAccount": stack_plan.outputs["accountId"]}}
    assert statements["TlsOnly"]["Effect"] == "Deny"
    assert statements["TlsOnly"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    account = statements["AccountManagesTopic"]
    assert account["Condition"] == {"StringEquals": {"aws:PrincipalAccount": stack_plan.outputs["accountId"]}}
    assert all("Condition" in s for s in statements.values() if s["Effect"] == "Allow")  # none open to other accounts


def test_email_subscription_only_where_an_address_is_configured(stack_plan: StackPlan) -> None:
    email = stack_plan.config["observability"]["alarm_email"]
    subscriptions = stack_plan.of_type("aws:sns/topicSubscription:TopicSubscription")
    if email is None:
        assert subscriptions == []
    else:
        (subscription,) = subscriptions
        assert (subscription.inputs["protocol"], subscription.inputs["endpoint"]) == ("email", email)
        assert subscription.inputs["topic"] == stack_plan.outputs["alarmTopicArn"]
    assert (email is not None) == (stack_plan.stack in ("prod", "prod-dr"))


def test_alarm_email_must_look_like_an_address() -> None:
    (message,) = config_errors("dev", {"observability": {"alarmEmail": "oncall"}})
    assert "observability.alarmEmail = 'oncall'" in message


# --- alarms --------------------------------------------------------------------------------------


def test_every_alarm_notifies_the_topic_on_alarm_and_ok(stack_plan: StackPlan) -> None:
    topic_arn = stack_plan.outputs["alarmTopicArn"]
    alarms = _alarms(stack_plan)
    assert alarms
    for alarm in alarms:
        assert alarm.inputs["alarmActions"] == [topic_arn] and alarm.inputs["okActions"] == [topic_arn], alarm.name
        assert alarm.inputs["name"].startswith(f"sp-{stack_plan.stack}-")
        assert alarm.inputs["alarmDescription"]


def test_alarm_dimensions_name_resources_of_the_plan(plans: dict[str, StackPlan], stack_plan: StackPlan) -> None:
    planned = _planned(plans, stack_plan)
    checked: Counter[str] = Counter()
    for alarm in _tier_alarms(stack_plan):
        for namespace, metric, dims in _metrics_of(alarm):
            planned.check(namespace, metric, dims)
            checked[namespace] += 1
    assert checked["AWS/Kafka"] and checked["AWS/ElastiCache"]


def test_every_tier_that_exists_has_its_alarms(plans: dict[str, StackPlan], stack_plan: StackPlan) -> None:
    planned, counts = _planned(plans, stack_plan), stack_plan.outputs["alarmCounts"]
    names = [a.inputs["name"].removeprefix(f"sp-{stack_plan.stack}-") for a in _alarms(stack_plan)]
    assert sum(counts.values()) == len(names)  # the DR tier's alarms are counted too
    by_prefix = Counter(name.split("-")[0] for name in names)
    assert {tier: counts[tier] for tier in TIERS if tier in counts} == {t: by_prefix[t] for t in TIERS if by_prefix[t]}
    cfg = stack_plan.config["cache"]
    assert counts["cache"] == 5 * cfg["shards"] * (cfg["replicas_per_shard"] + 1) == 5 * len(planned.cache_nodes)
    assert counts["kafka"] == 3 * len(planned.brokers) + 2
    expected_edge = (5 if planned.albs else 0) + (2 if planned.nlbs else 0)
    assert counts.get("edge", 0) == expected_edge
    assert counts.get("ingest", 0) == (3 if planned.ecs_services else 0)
    assert counts.get("spark", 0) == (3 if planned.emr_clusters else 0)
    kafka_families = {n.rsplit("-broker-", 1)[0] for n in names if n.startswith("kafka-")}
    assert kafka_families == {
        "kafka-disk-used",
        "kafka-cpu",
        "kafka-under-replicated",
        "kafka-offline-partitions",
        "kafka-active-controller",
    }


def test_thresholds_come_from_config(stack_plan: StackPlan) -> None:
    cfg = stack_plan.config["observability"]
    expected = {
        "kafka-disk-used": ("GreaterThanThreshold", cfg["msk_disk_used_percent"]),
        "kafka-cpu": ("GreaterThanThreshold", cfg["msk_cpu_percent"]),
        "kafka-under-replicated": ("GreaterThanThreshold", 0),
        "kafka-offline-partitions": ("GreaterThanThreshold", 0),
        "cache-engine-cpu": ("GreaterThanThreshold", cfg["cache_cpu_percent"]),
        "cache-memory": ("GreaterThanThreshold", cfg["cache_memory_percent"]),
        "cache-evictions": ("GreaterThanThreshold", cfg["cache_evictions_max"]),
        "cache-connections": ("GreaterThanThreshold", cfg["cache_max_connections"]),
        "cache-replication-lag": ("GreaterThanThreshold", cfg["cache_replication_lag_seconds"]),
        "edge-alb-elb-5xx": ("GreaterThanThreshold", cfg["lb_5xx_per_minute"]),
        "edge-alb-target-5xx": ("GreaterThanThreshold", cfg["lb_5xx_per_minute"]),
        "edge-alb-p99": ("GreaterThanThreshold", cfg["lb_p99_seconds"]),
        "ingest-cpu": ("GreaterThanThreshold", cfg["ecs_cpu_percent"]),
        "ingest-memory": ("GreaterThanThreshold", cfg["ecs_memory_percent"]),
        "spark-apps-pending": ("GreaterThanThreshold", cfg["emr_apps_pending"]),
        "spark-yarn-memory-low": ("LessThanThreshold", cfg["emr_yarn_memory_available_percent"]),
    }
    seen = set()
    for alarm in _alarms(stack_plan):
        name = alarm.inputs["name"].removeprefix(f"sp-{stack_plan.stack}-")
        family = next((f for f in expected if name == f or name.startswith(f"{f}-")), None)
        if family is not None:
            assert (alarm.inputs["comparisonOperator"], alarm.inputs["threshold"]) == expected[family], name
            seen.add(family)
    assert {f for f in expected if f.split("-")[0] in stack_plan.outputs["alarmCounts"]} == seen


def test_metric_math_and_percentiles_are_built_right(stack_plan: StackPlan) -> None:
    by_name = {a.inputs["name"].removeprefix(f"sp-{stack_plan.stack}-"): a for a in _alarms(stack_plan)}
    cpu = by_name["kafka-cpu-broker-1"]
    results = [q for q in cpu.inputs["metricQueries"] if q.get("returnData")]
    assert [q["expression"] for q in results] == ["user + system"]
    assert {q["metric"]["metricName"] for q in cpu.inputs["metricQueries"] if "metric" in q} == {"CpuUser", "CpuSystem"}
    controller = by_name["kafka-active-controller"]
    assert [q["expression"] for q in controller.inputs["metricQueries"] if q.get("returnData")] == [
        "ABS(controllers - 1)"
    ]
    # Every stack has the edge and the ingest service: these alarms must exist, not merely be right if present.
    p99 = by_name["edge-alb-p99"].inputs
    assert p99["extendedStatistic"] == "p99" and "statistic" not in p99
    tasks = by_name["ingest-tasks-below-desired"].inputs["metricQueries"]
    assert {q["metric"]["namespace"] for q in tasks if "metric" in q} == {"ECS/ContainerInsights"}
    (cluster,) = stack_plan.of_type("aws:ecs/cluster:Cluster")
    assert {"name": "containerInsights", "value": "enabled"} in cluster.inputs["settings"]


def test_replicas_only_metrics_do_not_alarm_when_missing(stack_plan: StackPlan) -> None:
    checked: Counter[str] = Counter()
    for alarm in _alarms(stack_plan):
        name = alarm.inputs["name"]
        if "-cache-replication-lag-" in name or "-cache-evictions-" in name or "5xx" in name:
            assert alarm.inputs["treatMissingData"] == "notBreaching", name
            checked["notBreaching"] += 1
        if "no-healthy-hosts" in name:
            assert alarm.inputs["treatMissingData"] == "breaching", name
            checked["breaching"] += 1
    # Two per cache node, two 5XX alarms on the ALB; one no-healthy-hosts alarm per load balancer.
    assert checked["notBreaching"] == 2 * stack_plan.outputs["alarmCounts"]["cache"] // 5 + 2
    assert checked["breaching"] == (2 if stack_plan.outputs["nlbArn"] else 1)


@settings(max_examples=25, deadline=None)
@given(
    st.floats(1, 100),
    st.floats(1, 100),
    st.integers(1, 30),
    st.integers(1, 9),
    st.integers(0, 1000),
    st.floats(0.01, 30),
)
def test_builders_use_the_given_thresholds(
    disk: float, cpu: float, brokers: int, shards: int, evictions: int, p99: float
) -> None:
    cfg = ObservabilityConfig(
        msk_disk_used_percent=disk, cache_cpu_percent=cpu, cache_evictions_max=evictions, lb_p99_seconds=p99
    )
    kafka = kafka_alarms("sp-x-kafka", brokers, cfg)
    assert len(kafka) == 3 * brokers + 2
    assert {s.threshold for s in kafka if s.family == "kafka-disk-used"} == {disk}
    assert {s.metrics["disk"].dimensions["Broker ID"] for s in kafka if s.family == "kafka-disk-used"} == {
        str(b) for b in range(1, brokers + 1)
    }
    members = [f"sp-x-cache-{s:04d}-{n:03d}" for s in range(1, shards + 1) for n in (1, 2)]
    cache = cache_alarms(members, "sp-x-cache", cfg)
    assert {s.threshold for s in cache if s.family == "cache-engine-cpu"} == {cpu}
    assert {s.threshold for s in cache if s.family == "cache-evictions"} == {evictions}
    assert {s.target for s in cache} == {m.removeprefix("sp-x-cache-") for m in members}
    edge = edge_alarms([LoadBalancerTarget("alb", "app/a/1", "targetgroup/t/1")], cfg)
    assert [s.threshold for s in edge if s.family == "edge-alb-p99"] == [p99]
    assert len({s.key for s in [*kafka, *cache, *edge]}) == len(kafka) + len(cache) + len(edge)  # unique names


def test_spark_and_ingest_builders_watch_the_right_metrics() -> None:
    spark = {s.family: s for s in spark_alarms("j-ABC", DEFAULTS)}
    assert {s.metrics[next(iter(s.metrics))].name for s in spark.values()} == {
        "AppsPending",
        "YARNMemoryAvailablePercentage",
        "MRUnhealthyNodes",
    }
    assert all(
        m.period == 300 and m.dimensions == {"JobFlowId": "j-ABC"} for s in spark.values() for m in s.metrics.values()
    )
    assert spark["spark-yarn-memory-low"].comparison == "LessThanThreshold"
    ingest = {s.family: s for s in ingest_alarms("c", "s", DEFAULTS)}
    assert ingest["ingest-tasks-below-desired"].expression == "desired - running"
    args = alarm_arguments(ingest["ingest-cpu"])
    assert (args["namespace"], args["metric_name"], args["statistic"]) == ("AWS/ECS", "CPUUtilization", "Average")
    with pytest.raises(ValueError, match="several metrics need an expression"):
        alarm_arguments(
            AlarmSpec(
                "x",
                "x",
                "x",
                {"a": ingest["ingest-cpu"].metrics["cpu"], "b": ingest["ingest-cpu"].metrics["cpu"]},
                "GreaterThanThreshold",
                1,
                1,
                1,
            )
        )


# --- dashboard -------------------------------------------------------------------------------------


def test_dashboard_is_valid_json_and_references_only_planned_resources(
    plans: dict[str, StackPlan], stack_plan: StackPlan
) -> None:
    body, planned = _dashboard(stack_plan), _planned(plans, stack_plan)
    assert stack_plan.outputs["dashboardName"] == f"sp-{stack_plan.stack}-streaming"
    rows = list(_dashboard_metrics(body, TIERS))  # DR graphs: each is one of its alarms (next test)
    assert {namespace for namespace, _, _ in rows} >= {"AWS/Kafka", "AWS/ElastiCache"}
    for namespace, metric, dims in rows:
        planned.check(namespace, metric, dims)
    for widget in body["widgets"]:
        if widget["type"] == "metric":
            assert widget["properties"]["region"] == stack_plan.region


def test_dashboard_shows_every_alarm_and_every_alarmed_metric(stack_plan: StackPlan) -> None:
    body, alarms = _dashboard(stack_plan), _alarms(stack_plan)
    listed = [arn for w in body["widgets"] if w["type"] == "alarm" for arn in w["properties"]["alarms"]]
    assert sorted(listed) == sorted(a.outputs["arn"] for a in alarms)
    shown = {(ns, metric, json.dumps(dims, sort_keys=True)) for ns, metric, dims in _dashboard_metrics(body)}
    alarmed = {(ns, metric, json.dumps(dims, sort_keys=True)) for a in alarms for ns, metric, dims in _metrics_of(a)}
    assert shown == alarmed
    thresholds = {
        w["properties"]["title"]: w["properties"]["annotations"]["horizontal"][0]["value"]
        for w in body["widgets"]
        if w["type"] == "metric"
    }
    assert thresholds["kafka: KafkaDataLogsDiskUsed, %"] == stack_plan.config["observability"]["msk_disk_used_percent"]


def _widget_boxes(body: dict[str, Any]) -> list[tuple[int, int, int, int]]:
    return [(w["x"], w["y"], w["width"], w["height"]) for w in body["widgets"]]


def _assert_no_overlap(body: dict[str, Any]) -> None:
    cells = Counter((x + dx, y + dy) for x, y, w, h in _widget_boxes(body) for dx in range(w) for dy in range(h))
    assert max(cells.values()) == 1
    assert all(x + w <= 24 for x, _, w, _ in _widget_boxes(body))


def test_dashboard_widgets_do_not_overlap(stack_plan: StackPlan) -> None:
    _assert_no_overlap(_dashboard(stack_plan))


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 350), st.integers(0, 40))
def test_render_dashboard_lays_out_any_number_of_alarms_and_graphs(alarm_count: int, widget_count: int) -> None:
    widgets = [
        {
            "title": f"w{i} <&>",
            "period": 60,
            "rows": [["AWS/Kafka", "CpuUser", "Cluster Name", "c", {"stat": "Average"}]],
            "threshold": 1.5,
            "threshold_label": "alarm > 1.5",
        }
        for i in range(widget_count)
    ]
    arns = [f"arn:aws:cloudwatch:us-east-1:1:alarm:a{i}" for i in range(alarm_count)]
    body = json.loads(
        render_dashboard(stack="s", region="us-east-1", topic_arn="arn:t", alarm_arns=arns, widgets=widgets)
    )
    alarm_widgets = [w for w in body["widgets"] if w["type"] == "alarm"]
    assert len(alarm_widgets) == -(-alarm_count // ALARMS_PER_WIDGET)
    assert all(len(w["properties"]["alarms"]) <= ALARMS_PER_WIDGET for w in alarm_widgets)
    assert [a for w in alarm_widgets for a in w["properties"]["alarms"]] == arns
    assert [w["properties"]["title"] for w in body["widgets"] if w["type"] == "metric"] == [w["title"] for w in widgets]
    _assert_no_overlap(body)


def test_render_dashboard_refuses_missing_inputs() -> None:
    with pytest.raises(jinja2.UndefinedError):
        render_dashboard(stack="s", region="r", topic_arn="t", alarm_arns=[], widgets=[{"title": "no rows"}])


# --- publish: every tier's alarms at once -------------------------------------------------------------------


def test_publish_wires_the_topic_counts_the_tier_and_runs_once() -> None:
    replication_lag = AlarmSpec(
        "dr",
        "dr-msk-replication-latency",
        "ReplicationLatency, ms",
        {"latency": Metric("AWS/Kafka", "ReplicationLatency", {"ReplicatorName": "sp-prod-dr-replicator"}, "Maximum")},
        "GreaterThanThreshold",
        60_000,
        5,
        5,
    )
    state: dict[str, Any] = {}

    def program() -> None:
        observability = Observability(
            "observability",
            ObservabilityArgs(
                config=DEFAULTS,
                naming=Naming("prod-dr", "us-west-2"),
                account_id="123456789012",
                kms_key_arn="arn:aws:kms:us-west-2:123456789012:key/k",
            ),
        )
        with pytest.raises(ValueError, match="specified twice: dr-msk-replication-latency"):
            observability.publish([replication_lag, replication_lag])
        state["counts"] = observability.publish([replication_lag]).outputs["alarmCounts"]
        with pytest.raises(ValueError, match="exist already"):
            observability.publish([replication_lag])

    records = run_alone(program, stack="prod-dr", region="us-west-2")
    (alarm,) = [r for r in records if r.type == ALARM]
    (topic,) = [r for r in records if r.type == TOPIC]
    assert alarm.inputs["alarmActions"] == alarm.inputs["okActions"] == [topic.outputs["arn"]]
    assert alarm.inputs["name"] == "sp-prod-dr-dr-msk-replication-latency"
    assert alarm.inputs["dimensions"] == {"ReplicatorName": "sp-prod-dr-replicator"}
    assert state["counts"] == {"dr": 1}
    (dashboard,) = [r for r in records if r.type == "aws:cloudwatch/dashboard:Dashboard"]
    body = json.loads(dashboard.inputs["dashboardBody"])
    assert [w["properties"]["alarms"] for w in body["widgets"] if w["type"] == "alarm"] == [[alarm.outputs["arn"]]]
    assert list(_dashboard_metrics(body)) == [
        ("AWS/Kafka", "ReplicationLatency", {"ReplicatorName": "sp-prod-dr-replicator"})
    ]
    assert not [r for r in records if r.type == "aws:sns/topicSubscription:TopicSubscription"]  # no email configured
