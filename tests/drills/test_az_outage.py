"""az-outage: the FIS experiment and ElastiCache through Stubber, the ECS service and the alarms in moto."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from moto.ecs.models import ecs_backends

from infra.drills.canaries import CacheCanary, KafkaCanary
from infra.drills.report import build_report
from infra.drills.scenarios import SCENARIOS
from infra.drills.targets import target_for
from infra.offline.record import StackPlan
from tests.drills.conftest import Kit, MemoryKafka, MemoryRedis, create_alarms, kit, set_alarm

SCENARIO = SCENARIOS["az-outage"]
REGION = "us-east-1"
ACCOUNT = "123456789012"


@pytest.fixture
def prod(plans: dict[str, StackPlan]) -> dict[str, Any]:
    return dict(plans["prod"].outputs)


def _service(outputs: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTO_ECS_SERVICE_RUNNING", "3")
    ecs = boto3.client("ecs", region_name=REGION)
    ecs.create_cluster(clusterName=outputs["ecsClusterName"])
    ecs.register_task_definition(
        family="gateway", containerDefinitions=[{"name": "gateway", "image": "connect", "memory": 512}]
    )
    ecs.create_service(
        cluster=outputs["ecsClusterName"],
        serviceName=outputs["ingestServiceName"],
        taskDefinition="gateway",
        desiredCount=3,
        tags=[{"key": "stack", "value": "prod"}],
    )


def _running(outputs: dict[str, Any], count: int) -> None:
    """Tasks lost (or replaced) in the AZ: what ECS reports while the experiment runs."""
    key = f"{outputs['ecsClusterName']}:{outputs['ingestServiceName']}"
    ecs_backends[ACCOUNT][REGION].services[key].running_count = count


def _setup(prod: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> tuple[Kit, Any, Any, str]:
    k = kit(stubbed=("fis", "elasticache"))
    create_alarms(REGION, prod["drillAlarms"]["stop"] + prod["drillAlarms"]["detect"]["az-outage"])
    _service(prod, monkeypatch)
    fis, cache = k.factory.stub("fis", REGION, k.clients), k.factory.stub("elasticache", REGION, k.clients)
    az = "us-east-1b"
    template = prod["fisExperimentTemplateIds"][az]
    template_arn = f"arn:aws:fis:{REGION}:{ACCOUNT}:experiment-template/{template}"
    fis.add_response(
        "get_experiment_template", {"experimentTemplate": {"id": template, "arn": template_arn}}, {"id": template}
    )
    _group(cache, prod, "available")
    fis.add_response("list_tags_for_resource", {"tags": {"stack": "prod"}}, {"resourceArn": template_arn})
    cache.add_response(
        "list_tags_for_resource",
        {"TagList": [{"Key": "stack", "Value": "prod"}]},
        {"ResourceName": prod["cacheReplicationGroupArn"]},
    )
    fis.add_response("list_tags_for_resource", {"tags": {"stack": "prod"}}, {"resourceArn": template_arn})
    fis.add_response(
        "start_experiment",
        {"experiment": {"id": "EXPdrill1", "state": {"status": "initiating"}}},
        {
            "experimentTemplateId": template,
            "clientToken": "az-outage-prod-20261126T093000Z-abcd",
            "tags": {"stack": "prod", "drill": "az-outage-prod-20261126T093000Z-abcd"},
        },
    )
    _experiment(fis, "running")
    return k, fis, cache, az


def _group(stub: Any, outputs: dict[str, Any], status: str) -> None:
    group = {"ReplicationGroupId": outputs["cacheReplicationGroupId"], "Status": status}
    stub.add_response(
        "describe_replication_groups",
        {"ReplicationGroups": [group]},
        {"ReplicationGroupId": outputs["cacheReplicationGroupId"]},
    )


def _experiment(stub: Any, status: str, reason: str = "") -> None:
    state = {"status": status, "reason": reason} if reason else {"status": status}
    stub.add_response("get_experiment", {"experiment": {"id": "EXPdrill1", "state": state}}, {"id": "EXPdrill1"})


def _canaries() -> dict[str, Any]:
    topic, cache = MemoryKafka(), MemoryRedis()
    return {"kafka": KafkaCanary(topic, topic, "events"), "cache": CacheCanary(cache, cache)}


def test_the_outage_is_ridden_out_and_rto_comes_from_the_polls(
    aws: None, prod: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    k, fis, cache, az = _setup(prod, monkeypatch)
    _group(cache, prod, "available")  # detect, poll 1: nothing visible yet
    _experiment(fis, "running")  # recover, poll 1
    _group(cache, prod, "modifying")
    _experiment(fis, "running")  # recover, poll 2
    _group(cache, prod, "available")
    _experiment(fis, "completed")  # the experiment ends
    k.clock.after(20, lambda: _running(prod, 2))  # lost with the AZ: seen by the second detect poll (+23 s)
    k.clock.after(30, lambda: _running(prod, 3))  # replaced in the other AZs: seen by the second recover poll (+38 s)
    ctx = k.context("az-outage", "prod", prod, execute=True, canaries=_canaries(), options={"az": az})
    state = k.runner(SCENARIO, ctx, {REGION: prod["drillAlarms"]["stop"]}).execute()

    assert state.status == "completed", state.stop_reason
    fis.assert_no_pending_responses()
    cache.assert_no_pending_responses()
    assert [r.operation for r in k.clients.mutating_calls()] == ["StartExperiment"]
    detect = state.step("detect")
    assert detect.record is not None and detect.record["detected"] == "ingest running 2 of 3 tasks"
    report = build_report(state, target_for("az-outage", prod), SCENARIO.canary_stores)
    # T0 = experiment start (+8 s, after the canaries); detected by the poll at +23 s; recovered at +38 s.
    assert report["rtoSeconds"] == {"total": 30.0, "detection": 15.0, "decision": 0.0, "execution": 15.0}
    assert {c["store"] for c in report["canaries"]} == {"kafka", "cache"}
    assert report["result"] == "PASS"


def test_fis_stopping_on_its_stop_condition_stops_the_drill(
    aws: None, prod: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    k, fis, cache, az = _setup(prod, monkeypatch)
    _group(cache, prod, "modifying")  # detected at once
    _experiment(fis, "stopped", "Experiment stopped by stop condition sp-prod-edge-alb-elb-5xx")
    _experiment(fis, "stopped", "Experiment stopped by stop condition sp-prod-edge-alb-elb-5xx")  # rollback reads it
    ctx = k.context("az-outage", "prod", prod, execute=True, options={"az": az})
    state = k.runner(SCENARIO, ctx, {REGION: prod["drillAlarms"]["stop"]}).execute()
    assert state.status == "stopped"
    assert "FIS experiment" in (state.stop_reason or "") and "sp-prod-edge-alb-elb-5xx" in (state.stop_reason or "")
    assert [r.operation for r in k.clients.mutating_calls()] == ["StartExperiment"]  # nothing left to stop
    fis.assert_no_pending_responses()


def test_a_guard_alarm_stops_the_drill_and_rollback_stops_the_experiment(
    aws: None, prod: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    k, fis, cache, az = _setup(prod, monkeypatch)
    _group(cache, prod, "modifying")  # detected at once
    _experiment(fis, "running")  # recover, poll 1: cache still modifying
    _group(cache, prod, "modifying")
    _experiment(fis, "running")  # recover, poll 2: still modifying, and the guard alarm fires
    _group(cache, prod, "modifying")
    _experiment(fis, "running")  # rollback reads the experiment...
    fis.add_response(
        "stop_experiment", {"experiment": {"id": "EXPdrill1", "state": {"status": "stopping"}}}, {"id": "EXPdrill1"}
    )
    stop = prod["drillAlarms"]["stop"]
    k.clock.after(10, lambda: set_alarm(REGION, stop[1], "ALARM"))
    ctx = k.context("az-outage", "prod", prod, execute=True, options={"az": az})
    state = k.runner(SCENARIO, ctx, {REGION: stop}).execute()
    assert state.status == "stopped" and stop[1] in (state.stop_reason or "")
    assert [r.operation for r in k.clients.mutating_calls()] == ["StartExperiment", "StopExperiment"]
    assert state.rollback == "complete"
    assert state.step("start-experiment").status == "rolled-back"
    fis.assert_no_pending_responses()


def test_dev_has_no_az_outage_drill(plans: dict[str, StackPlan]) -> None:
    assert SCENARIO.applies(plans["dev"].outputs) == "the stack has no FIS experiment templates (dev tier)"
    assert SCENARIO.applies(plans["staging"].outputs) is None


def test_a_cancelled_experiment_fails_the_drill_without_waiting_for_the_timeout(
    aws: None, prod: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    k, fis, cache, az = _setup(prod, monkeypatch)
    _group(cache, prod, "modifying")  # detected at once
    _experiment(fis, "running")  # recover: served by the other AZs
    _group(cache, prod, "available")
    _experiment(fis, "cancelled")  # experiment-ends: FIS will never complete it
    _experiment(fis, "cancelled")  # rollback reads it: nothing left to stop
    ctx = k.context("az-outage", "prod", prod, execute=True, options={"az": az})
    state = k.runner(SCENARIO, ctx, {REGION: prod["drillAlarms"]["stop"]}).execute()
    assert state.status == "failed"
    assert "experiment-ends: experiment cancelled" in (state.stop_reason or "")
    assert state.step("experiment-ends").polls == 1
    assert [r.operation for r in k.clients.mutating_calls()] == ["StartExperiment"]
    fis.assert_no_pending_responses()
