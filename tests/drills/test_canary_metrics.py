"""Drills read the deployed RPO canary's CloudWatch metrics (moto) for detection and RPO of Kafka, cache and S3.

broker-reboot and cache-failover run without in-drill canaries (as the CLI runs them: it cannot reach
Kafka or the cache from outside the VPC), so their RPO comes from the canary metrics alone: PASS when
the canary lost nothing, FAIL when it shows a lost record (RPO = lost records x write interval > 0).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import ANY

from infra.drills.canary_metrics import metric_queries
from infra.drills.report import build_report, render_markdown
from infra.drills.scenarios import SCENARIOS
from infra.drills.targets import target_for
from infra.offline.record import StackPlan
from tests.drills.conftest import START, create_alarms, kit
from tests.drills.test_broker_reboot import _cluster, _expect_preflight
from tests.drills.test_cache_failover import _events, _group, _tags

INTERVAL = 10


def canary_output(stack: str) -> dict[str, Any]:
    return {"metricStack": stack, "intervalSeconds": INTERVAL}


def publish(region: str, stack: str, store: str, at: datetime, **values: float) -> None:
    """What the deployed canary of ``stack`` published for ``store`` at ``at``."""
    boto3.client("cloudwatch", region_name=region).put_metric_data(
        Namespace="StreamingPlatform/Canary",
        MetricData=[
            {
                "MetricName": metric,
                "Dimensions": [{"Name": "Stack", "Value": stack}, {"Name": "Store", "Value": store}],
                "Timestamp": at,
                "Value": value,
            }
            for metric, value in values.items()
        ],
    )


@pytest.fixture
def prod(plans: dict[str, StackPlan]) -> dict[str, Any]:
    return dict(plans["prod"].outputs) | {"canary": canary_output("prod")}


@pytest.fixture
def dev(plans: dict[str, StackPlan]) -> dict[str, Any]:
    return dict(plans["dev"].outputs) | {"canary": canary_output("dev")}


def _broker_reboot(prod: dict[str, Any], cluster_states: list[str], canary: list[dict[str, float]]) -> dict[str, Any]:
    k = kit(stubbed=("kafka",))
    create_alarms("us-east-1", prod["drillAlarms"]["stop"])
    stub = k.factory.stub("kafka", "us-east-1", k.clients)
    arn = prod["kafkaClusterArn"]
    _expect_preflight(stub, prod)
    stub.add_response("list_tags_for_resource", {"Tags": {"stack": "prod"}}, {"ResourceArn": arn})
    stub.add_response(
        "reboot_broker",
        {"ClusterArn": arn, "ClusterOperationArn": f"{arn}/op"},
        {"ClusterArn": arn, "BrokerIds": ["1"]},
    )
    for state in cluster_states:
        stub.add_response("describe_cluster_v2", _cluster(state), {"ClusterArn": arn})
    for minute, values in enumerate(canary):
        publish("us-east-1", "prod", "Kafka", START + timedelta(minutes=minute, seconds=5), **values)
    ctx = k.context("broker-reboot", "prod", prod, execute=True)
    state = k.runner(SCENARIOS["broker-reboot"], ctx, {"us-east-1": prod["drillAlarms"]["stop"]}).execute()
    assert state.status == "completed", state.stop_reason
    stub.assert_no_pending_responses()
    return build_report(state, target_for("broker-reboot", prod), SCENARIOS["broker-reboot"].canary_stores)


def test_broker_reboot_passes_on_the_canary_s_metrics(aws: None, prod: dict[str, Any]) -> None:
    healthy = {"WriteSuccess": 1.0, "SequenceGaps": 0.0, "ReplicatedAgeSeconds": 0.2}
    report = _broker_reboot(prod, ["REBOOTING_BROKER", "ACTIVE"], [healthy, healthy])
    assert report["canaryMetrics"]["kafka"]["rpoSeconds"] == 0.0
    assert report["unmeasuredStores"] == []
    assert {r["target"]: r["verdict"] for r in report["targets"]} == {"RTO": "PASS", "RPO kafka": "PASS"}
    assert report["result"] == "PASS"
    assert "RPO canary (CloudWatch): kafka 0 lost, RPO 0 s" in render_markdown(report)


def test_broker_reboot_fails_when_the_canary_lost_an_acknowledged_record(aws: None, prod: dict[str, Any]) -> None:
    lost = {"WriteSuccess": 1.0, "SequenceGaps": 1.0, "ReplicatedAgeSeconds": 0.2}
    report = _broker_reboot(prod, ["REBOOTING_BROKER", "ACTIVE"], [lost])
    assert report["canaryMetrics"]["kafka"]["lostRecords"] == 1.0
    assert {r["target"]: (r["measuredSeconds"], r["verdict"]) for r in report["targets"]}["RPO kafka"] == (
        float(INTERVAL),
        "FAIL",
    )
    assert report["result"] == "FAIL"


def test_the_canary_s_failed_writes_detect_the_fault(aws: None, prod: dict[str, Any]) -> None:
    # The cluster never reports REBOOTING_BROKER to the detect poll; the canary's writes failed meanwhile.
    failing = {"WriteSuccess": 0.0, "SequenceGaps": 0.0}
    report = _broker_reboot(prod, ["ACTIVE", "ACTIVE"], [failing])
    detect = next(s for s in report["steps"] if s["name"] == "detect")
    assert detect["detail"].startswith("canary: Kafka writes failing or records lost from 2026-11-26T09:30:00")
    assert report["rtoSeconds"]["detection"] == 0.0
    assert report["canaryMetrics"]["kafka"]["failedWriteMinutes"] == 1


def _cache_failover(dev: dict[str, Any], canary: dict[str, float]) -> dict[str, Any]:
    k = kit(stubbed=("elasticache",))
    create_alarms("eu-west-1", dev["drillAlarms"]["stop"])
    stub = k.factory.stub("elasticache", "eu-west-1", k.clients)
    group_id = dev["cacheReplicationGroupId"]
    stub.add_response("describe_replication_groups", _group(dev, "available"), {"ReplicationGroupId": group_id})
    _tags(stub, dev)
    _tags(stub, dev)
    stub.add_response(
        "test_failover",
        {"ReplicationGroup": {"ReplicationGroupId": group_id}},
        {"ReplicationGroupId": group_id, "NodeGroupId": "0001"},
    )
    events = {"SourceIdentifier": group_id, "SourceType": "replication-group", "StartTime": ANY}
    stub.add_response("describe_events", _events(dev, "Test Failover API called for node group 0001"), events)
    stub.add_response("describe_replication_groups", _group(dev, "available"), {"ReplicationGroupId": group_id})
    stub.add_response(
        "describe_events", _events(dev, "Failover to replica node sp-dev-cache-0001-002 completed"), events
    )
    publish("eu-west-1", "dev", "Cache", START + timedelta(seconds=30), **canary)
    ctx = k.context("cache-failover", "dev", dev, execute=True)
    state = k.runner(SCENARIOS["cache-failover"], ctx, {"eu-west-1": dev["drillAlarms"]["stop"]}).execute()
    assert state.status == "completed", state.stop_reason
    stub.assert_no_pending_responses()
    return build_report(state, target_for("cache-failover", dev), SCENARIOS["cache-failover"].canary_stores)


def test_cache_failover_passes_on_the_canary_s_metrics(aws: None, dev: dict[str, Any]) -> None:
    report = _cache_failover(dev, {"WriteSuccess": 0.0, "SequenceGaps": 0.0, "ReplicatedAgeSeconds": 0.1})
    assert report["canaryMetrics"]["cache"]["rpoSeconds"] == 0.0
    assert report["result"] == "PASS"


def test_cache_failover_fails_when_the_promoted_replica_missed_records(aws: None, dev: dict[str, Any]) -> None:
    report = _cache_failover(dev, {"WriteSuccess": 1.0, "SequenceGaps": 2.0, "ReplicatedAgeSeconds": 0.1})
    assert report["canaryMetrics"]["cache"]["rpoSeconds"] == 2.0 * INTERVAL
    assert {r["target"]: r["verdict"] for r in report["targets"]}["RPO cache"] == "FAIL"
    assert report["result"] == "FAIL"


def test_a_stack_without_a_canary_reads_nothing_and_stays_unmeasured(aws: None, plans: dict[str, StackPlan]) -> None:
    outputs = {k: v for k, v in plans["prod"].outputs.items() if k != "canary"}
    healthy = {"WriteSuccess": 1.0, "SequenceGaps": 0.0}
    report = _broker_reboot(outputs, ["REBOOTING_BROKER", "ACTIVE"], [healthy])
    assert report["canaryMetrics"] == {}
    assert report["unmeasuredStores"] == ["kafka"]
    assert report["result"] == "INCOMPLETE"


def test_queries_name_every_store_and_statistic() -> None:
    queries = metric_queries("prod-dr", ["kafka", "s3"])
    assert [q["Id"] for q in queries] == ["ws_kafka", "gaps_kafka", "age_kafka", "ws_s3", "gaps_s3", "age_s3"]
    assert queries[2]["MetricStat"]["Stat"] == "Maximum" and queries[0]["MetricStat"]["Stat"] == "Minimum"


def _region_failover(
    pair: tuple[dict[str, Any], dict[str, Any]], monkeypatch: pytest.MonkeyPatch, ages: dict[str, float]
) -> dict[str, Any]:
    """A full failover (the stubs of test_region_failover) with the standby canary's replicated ages in moto."""
    from infra.drills.jobstep import rewound_step
    from tests.drills.test_region_failover import EAST, WEST, _context, _control_state, _gds, _replicated, _setup

    prod, dr = pair
    k, stubs = _setup(pair, monkeypatch)
    ctx = _context(k, prod, dr)
    _control_state(stubs, dr, "Off")
    for store, age in ages.items():
        publish(WEST, "prod-dr", store, START, WriteSuccess=1.0, SequenceGaps=0.0, ReplicatedAgeSeconds=age)
    gds = {"GlobalReplicationGroupId": prod["cacheGlobalDatastoreId"], "ShowMemberInfo": True}
    stubs["elasticache-us-west-2"].add_response(
        "failover_global_replication_group",
        {"GlobalReplicationGroup": {"Status": "modifying"}},
        {
            "GlobalReplicationGroupId": prod["cacheGlobalDatastoreId"],
            "PrimaryRegion": WEST,
            "PrimaryReplicationGroupId": dr["cacheReplicationGroupId"],
        },
    )
    stubs["elasticache-us-west-2"].add_response("describe_global_replication_groups", _gds(prod, dr, WEST), gds)
    stubs["emr-us-west-2"].add_response("put_managed_scaling_policy", {}, None)
    # No replication latency metric: the job rewinds from T0 (after 8 s of canaries) - 5 min.
    rewind_ms = str(int((START + timedelta(seconds=8)).timestamp() * 1000) - 300_000)
    dr_step = rewound_step(dr["emrJobStep"], rewind_ms, 1, ctx.drill_id)
    stubs["emr-us-west-2"].add_response(
        "add_job_flow_steps", {"StepIds": ["s-DR1"]}, {"JobFlowId": dr["emrClusterId"], "Steps": [dr_step]}
    )
    stubs["emr-us-west-2"].add_response(
        "describe_step",
        {"Step": {"Id": "s-DR1", "Status": {"State": "RUNNING"}}},
        {"ClusterId": dr["emrClusterId"], "StepId": "s-DR1"},
    )
    k.clock.after(30, lambda: _replicated(prod, dr, 5, ctx.drill_id))
    state = k.runner(SCENARIOS["region-failover"], ctx, {WEST: dr["drillAlarms"]["stop"]}).execute()
    assert state.status == "completed", state.stop_reason
    for stub in stubs.values():
        stub.assert_no_pending_responses()
    assert not [r for r in k.clients.log if r.region == EAST and r.service != "s3"]
    return build_report(state, target_for("region-failover", prod), SCENARIOS["region-failover"].canary_stores)


@pytest.fixture
def pair(plans: dict[str, StackPlan]) -> tuple[dict[str, Any], dict[str, Any]]:
    return (
        dict(plans["prod"].outputs) | {"canary": canary_output("prod")},
        dict(plans["prod-dr"].outputs) | {"canary": canary_output("prod-dr")},
    )


def test_region_failover_passes_when_the_standby_trailed_within_the_targets(
    aws: None, pair: tuple[dict[str, Any], dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ages include up to one write interval with nothing to copy: RPO = age - interval.
    report = _region_failover(pair, monkeypatch, {"Kafka": 25.0, "Cache": 10.5, "S3": 70.0})
    rpo = {store: reading["rpoSeconds"] for store, reading in report["canaryMetrics"].items()}
    assert rpo == {"kafka": 15.0, "cache": 0.5, "s3": 60.0}
    assert report["unmeasuredStores"] == []
    assert {r["target"]: r["verdict"] for r in report["targets"]} == {
        "RTO": "PASS",
        "RPO kafka": "PASS",
        "RPO s3": "PASS",
        "RPO cache": "PASS",
    }
    assert report["result"] == "PASS"


def test_region_failover_fails_when_the_standby_trailed_beyond_the_kafka_target(
    aws: None, pair: tuple[dict[str, Any], dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    report = _region_failover(pair, monkeypatch, {"Kafka": 95.0, "Cache": 10.5, "S3": 70.0})
    verdicts = {r["target"]: (r["measuredSeconds"], r["verdict"]) for r in report["targets"]}
    assert verdicts["RPO kafka"] == (85.0, "FAIL")
    assert report["result"] == "FAIL"
