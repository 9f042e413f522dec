"""cache-failover: ElastiCache TestFailover and events through Stubber (moto implements neither)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from botocore.stub import ANY

from infra.drills.canaries import CacheCanary
from infra.drills.report import build_report
from infra.drills.scenarios import SCENARIOS
from infra.drills.targets import target_for
from infra.offline.record import StackPlan
from tests.drills.conftest import START, MemoryRedis, create_alarms, kit

SCENARIO = SCENARIOS["cache-failover"]


@pytest.fixture
def dev(plans: dict[str, StackPlan]) -> dict[str, Any]:
    return dict(plans["dev"].outputs)


def _group(outputs: dict[str, Any], status: str, failover: str = "enabled") -> dict[str, Any]:
    return {
        "ReplicationGroups": [
            {
                "ReplicationGroupId": outputs["cacheReplicationGroupId"],
                "Status": status,
                "AutomaticFailover": failover,
                "MultiAZ": "enabled",
                "NodeGroups": [{"NodeGroupId": "0001"}],
            }
        ]
    }


def _events(outputs: dict[str, Any], *messages: str) -> dict[str, Any]:
    return {
        "Events": [
            {
                "SourceIdentifier": outputs["cacheReplicationGroupId"],
                "SourceType": "replication-group",
                "Message": m,
                "Date": START + timedelta(seconds=20),
            }
            for m in messages
        ]
    }


def _tags(stub: Any, outputs: dict[str, Any], stack: str = "dev") -> None:
    stub.add_response(
        "list_tags_for_resource",
        {"TagList": [{"Key": "stack", "Value": stack}]},
        {"ResourceName": outputs["cacheReplicationGroupArn"]},
    )


def test_failover_of_one_shard_is_detected_and_recovered_with_no_cache_loss(aws: None, dev: dict[str, Any]) -> None:
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
    stub.add_response("describe_events", _events(dev), events)
    stub.add_response("describe_events", _events(dev, "Test Failover API called for node group 0001"), events)
    stub.add_response("describe_replication_groups", _group(dev, "modifying"), {"ReplicationGroupId": group_id})
    stub.add_response("describe_events", _events(dev, "Test Failover API called for node group 0001"), events)
    stub.add_response("describe_replication_groups", _group(dev, "available"), {"ReplicationGroupId": group_id})
    stub.add_response(
        "describe_events",
        _events(
            dev, "Failover from primary node sp-dev-cache-0001-001 to replica node sp-dev-cache-0001-002 completed"
        ),
        events,
    )
    cache = MemoryRedis()
    ctx = k.context("cache-failover", "dev", dev, execute=True, canaries={"cache": CacheCanary(cache, cache)})
    state = k.runner(SCENARIO, ctx, {"eu-west-1": dev["drillAlarms"]["stop"]}).execute()

    assert state.status == "completed", state.stop_reason
    stub.assert_no_pending_responses()
    assert [r.operation for r in k.clients.mutating_calls()] == ["TestFailover"]
    report = build_report(state, target_for("cache-failover", dev), SCENARIO.canary_stores)
    assert report["rtoSeconds"]["detection"] == 10.0
    assert report["rtoSeconds"]["total"] == 25.0  # detected after one 10 s poll, recovered after one 15 s poll
    assert report["canaries"][0]["recovered"] == 5 and report["canaries"][0]["rpo_seconds"] == 0.0
    assert report["result"] == "PASS"


def test_a_group_without_automatic_failover_fails_the_precondition(aws: None, dev: dict[str, Any]) -> None:
    k = kit(stubbed=("elasticache",))
    create_alarms("eu-west-1", dev["drillAlarms"]["stop"])
    stub = k.factory.stub("elasticache", "eu-west-1", k.clients)
    stub.add_response(
        "describe_replication_groups",
        _group(dev, "available", failover="disabled"),
        {"ReplicationGroupId": dev["cacheReplicationGroupId"]},
    )
    state = k.runner(
        SCENARIO, k.context("cache-failover", "dev", dev, execute=True), {"eu-west-1": dev["drillAlarms"]["stop"]}
    ).execute()
    assert state.status == "failed"
    assert "automatic failover is disabled" in (state.stop_reason or "")
    assert k.clients.mutating_calls() == []
