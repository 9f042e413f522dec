"""broker-reboot against botocore's Stubber for MSK (moto has no RebootBroker/ListNodes) and moto for CloudWatch."""

from __future__ import annotations

from typing import Any

import pytest

from infra.drills.canaries import KafkaCanary
from infra.drills.report import build_report
from infra.drills.scenarios import SCENARIOS
from infra.drills.targets import target_for
from infra.offline.record import StackPlan
from tests.drills.conftest import Kit, MemoryKafka, create_alarms, kit, set_alarm

SCENARIO = SCENARIOS["broker-reboot"]


@pytest.fixture
def prod(plans: dict[str, StackPlan]) -> dict[str, Any]:
    return dict(plans["prod"].outputs)


def _cluster(state: str) -> dict[str, Any]:
    return {"ClusterInfo": {"State": state}}


def _expect_preflight(stub: Any, outputs: dict[str, Any], tag: str = "prod") -> None:
    arn = outputs["kafkaClusterArn"]
    stub.add_response("describe_cluster_v2", _cluster("ACTIVE"), {"ClusterArn": arn})
    nodes = [{"BrokerNodeInfo": {"BrokerId": float(i), "ClientSubnet": f"subnet-{i}"}} for i in (3, 1, 2)]
    stub.add_response("list_nodes", {"NodeInfoList": nodes}, {"ClusterArn": arn})
    stub.add_response("list_tags_for_resource", {"Tags": {"stack": tag}}, {"ResourceArn": arn})


def _kit(prod: dict[str, Any]) -> tuple[Kit, Any]:
    k = kit(stubbed=("kafka",))
    create_alarms("us-east-1", prod["drillAlarms"]["stop"])
    return k, k.factory.stub("kafka", "us-east-1", k.clients)


def test_dry_run_reads_only_and_prints_the_reboot_call(aws: None, prod: dict[str, Any]) -> None:
    k, stub = _kit(prod)
    _expect_preflight(stub, prod)
    stub.add_response("list_tags_for_resource", {"Tags": {"stack": "prod"}}, {"ResourceArn": prod["kafkaClusterArn"]})
    runner = k.runner(
        SCENARIO, k.context("broker-reboot", "prod", prod, execute=False), {"us-east-1": prod["drillAlarms"]["stop"]}
    )
    result = runner.dry_run()
    assert result.ok, result.problems
    assert k.clients.mutating_calls() == []
    planned = [line for line in result.lines if "would call" in line]
    assert any("kafka.reboot_broker" in line and 'BrokerIds=["1"]' in line for line in planned)
    stub.assert_no_pending_responses()


def test_execute_reboots_then_waits_for_active_and_reports_from_timestamps(aws: None, prod: dict[str, Any]) -> None:
    k, stub = _kit(prod)
    arn = prod["kafkaClusterArn"]
    _expect_preflight(stub, prod)
    stub.add_response("list_tags_for_resource", {"Tags": {"stack": "prod"}}, {"ResourceArn": arn})
    stub.add_response(
        "reboot_broker",
        {"ClusterArn": arn, "ClusterOperationArn": f"{arn}/op"},
        {"ClusterArn": arn, "BrokerIds": ["1"]},
    )
    stub.add_response("describe_cluster_v2", _cluster("ACTIVE"), {"ClusterArn": arn})  # detect: not yet
    stub.add_response("describe_cluster_v2", _cluster("REBOOTING_BROKER"), {"ClusterArn": arn})  # detect: seen
    stub.add_response("describe_cluster_v2", _cluster("REBOOTING_BROKER"), {"ClusterArn": arn})  # recover: not yet
    stub.add_response("describe_cluster_v2", _cluster("REBOOTING_BROKER"), {"ClusterArn": arn})
    stub.add_response("describe_cluster_v2", _cluster("ACTIVE"), {"ClusterArn": arn})
    topic = MemoryKafka()
    canary = KafkaCanary(topic, topic, prod["ingestTopic"])
    ctx = k.context("broker-reboot", "prod", prod, execute=True, canaries={"kafka": canary})
    state = k.runner(SCENARIO, ctx, {"us-east-1": prod["drillAlarms"]["stop"]}).execute()

    assert state.status == "completed", state.stop_reason
    stub.assert_no_pending_responses()
    mutating = [(r.service, r.operation) for r in k.clients.mutating_calls()]
    assert mutating == [("kafka", "RebootBroker")]
    report = build_report(state, target_for("broker-reboot", prod), SCENARIO.canary_stores)
    # Canaries: 5 writes 2 s apart (8 s); detect polls once (10 s); recovery polls twice (30 s each).
    assert report["rtoSeconds"] == {"total": 70.0, "detection": 10.0, "decision": 0.0, "execution": 60.0}
    assert report["canaries"][0] | {"lost": []} == {
        "store": "kafka",
        "written": 5,
        "recovered": 5,
        "lost": [],
        "duplicates": 0,
        "rpo_seconds": 0.0,
    }
    assert report["result"] == "PASS"
    assert topic.flushes == 5


def test_untagged_cluster_is_refused_before_any_change(aws: None, prod: dict[str, Any]) -> None:
    k, stub = _kit(prod)
    _expect_preflight(stub, prod, tag="staging")
    state = k.runner(
        SCENARIO, k.context("broker-reboot", "prod", prod, execute=True), {"us-east-1": prod["drillAlarms"]["stop"]}
    ).execute()
    assert state.status == "refused"
    assert "tag stack is 'staging', expected 'prod'" in (state.stop_reason or "")
    assert k.clients.mutating_calls() == []


def test_a_firing_stop_alarm_stops_the_drill_before_the_reboot(aws: None, prod: dict[str, Any]) -> None:
    k, stub = _kit(prod)
    _expect_preflight(stub, prod)
    stop = prod["drillAlarms"]["stop"]
    # The alarm fires while the canaries are written (between their 2-second sleeps).
    k.clock.after(3, lambda: set_alarm("us-east-1", stop[0], "ALARM"))
    state = k.runner(SCENARIO, k.context("broker-reboot", "prod", prod, execute=True), {"us-east-1": stop}).execute()
    assert state.status == "stopped"
    assert stop[0] in (state.stop_reason or "")
    assert [r.operation for r in k.clients.mutating_calls()] == []
    assert state.rollback == "nothing-to-undo"


def test_an_interrupted_drill_resumes_without_rebooting_twice(aws: None, prod: dict[str, Any], tmp_path: Any) -> None:
    from infra.drills.state import DrillState

    k, stub = _kit(prod)
    arn = prod["kafkaClusterArn"]
    _expect_preflight(stub, prod)
    stub.add_response("list_tags_for_resource", {"Tags": {"stack": "prod"}}, {"ResourceArn": arn})
    stub.add_response(
        "reboot_broker",
        {"ClusterArn": arn, "ClusterOperationArn": f"{arn}/op"},
        {"ClusterArn": arn, "BrokerIds": ["1"]},
    )
    stub.add_response("describe_cluster_v2", _cluster("REBOOTING_BROKER"), {"ClusterArn": arn})  # detect
    stub.add_response("describe_cluster_v2", _cluster("REBOOTING_BROKER"), {"ClusterArn": arn})  # recover, poll 1

    def interrupt() -> None:
        raise KeyboardInterrupt

    k.clock.after(20, interrupt)  # the operator's laptop dies while the broker reboots
    path = tmp_path / "drill.state.json"
    stops = {"us-east-1": prod["drillAlarms"]["stop"]}
    with pytest.raises(KeyboardInterrupt):
        k.runner(SCENARIO, k.context("broker-reboot", "prod", prod, execute=True), stops, path).execute()
    saved = DrillState.load(path)
    assert [(s.name, s.status) for s in saved.steps][2:4] == [("reboot-broker", "done"), ("detect", "done")]
    assert saved.step("broker-back").status == "running"

    stub.add_response("describe_cluster_v2", _cluster("ACTIVE"), {"ClusterArn": arn})  # the resumed poll
    state = k.runner(SCENARIO, k.context("broker-reboot", "prod", prod, execute=True), stops, path).execute(saved)
    assert state.status == "completed"
    assert [r.operation for r in k.clients.mutating_calls()] == ["RebootBroker"]
    assert any(e.kind == "resume" for e in state.events)
    stub.assert_no_pending_responses()
