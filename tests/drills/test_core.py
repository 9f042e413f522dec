"""The drill machinery on its own: call classification, dry-run enforcement, guards, state, job step, targets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from hypothesis import given
from hypothesis import strategies as st

from infra.drills.calls import Arn, Call, Clients, MutationRefusedError, is_mutating, operation_name
from infra.drills.guard import StopConditionError, StopWatch, TagGuard, TagTarget, TargetRefusedError
from infra.drills.jobstep import epoch_ms, generation_of, rewind_point, rewound_args, rewound_step
from infra.drills.state import DrillState, StateError, StepState
from infra.drills.targets import DrillTarget, drill_targets, target_for
from infra.offline.record import StackPlan
from tests.drills.conftest import START, FakeClock, create_alarms, set_alarm

READS = [
    "DescribeClusterV2",
    "ListNodes",
    "GetExperiment",
    "HeadBucket",
    "SearchResources",
    "BatchGetItem",
    "describe_services",
]
WRITES = [
    "RebootBroker",
    "TestFailover",
    "StartExperiment",
    "UpdateService",
    "PutObject",
    "reboot_broker",
    "AddJobFlowSteps",
]


@pytest.mark.parametrize("operation", READS)
def test_read_operations_are_not_mutating(operation: str) -> None:
    assert not is_mutating(operation)


@pytest.mark.parametrize("operation", WRITES)
def test_every_other_operation_is_mutating(operation: str) -> None:
    assert is_mutating(operation)


@given(st.lists(st.text(alphabet="abcdefghij", min_size=1, max_size=6), min_size=1, max_size=4))
def test_snake_and_camel_spellings_classify_alike(parts: list[str]) -> None:
    method = "_".join(parts)
    assert is_mutating(method) == is_mutating(operation_name(method))


def test_a_mutating_call_is_refused_while_mutations_are_off(aws: None) -> None:
    clients = Clients(lambda service, region: boto3.client(service, region_name=region), FakeClock())
    with pytest.raises(MutationRefusedError, match="CreateBucket"):
        clients.execute(Call("s3", "create_bucket", "us-east-1", {"Bucket": "sp-drill-bucket"}))
    assert boto3.client("s3", region_name="us-east-1").list_buckets()["Buckets"] == []
    clients.allow_mutations = True
    clients.execute(Call("s3", "create_bucket", "us-east-1", {"Bucket": "sp-drill-bucket"}))
    assert [(r.operation, r.mutating) for r in clients.log] == [("CreateBucket", True), ("CreateBucket", True)]
    assert [b["Name"] for b in boto3.client("s3", region_name="us-east-1").list_buckets()["Buckets"]] == [
        "sp-drill-bucket"
    ]


def test_call_render_names_service_method_region_and_arguments() -> None:
    call = Call("ecs", "update_service", "us-west-2", {"cluster": "c", "desiredCount": 6})
    assert call.render() == 'ecs.update_service(cluster="c", desiredCount=6)  [us-west-2]'
    assert call.mutating


def test_arn_parse() -> None:
    arn = Arn.parse("arn:aws:elasticache:us-east-1:123456789012:replicationgroup:sp-prod-cache")
    assert (arn.service, arn.region, arn.account, arn.resource) == (
        "elasticache",
        "us-east-1",
        "123456789012",
        "replicationgroup:sp-prod-cache",
    )
    with pytest.raises(ValueError):
        Arn.parse("sp-prod-cache")


def _clients() -> Clients:
    return Clients(lambda service, region: boto3.client(service, region_name=region), FakeClock())


def test_tag_guard_reads_each_service_own_tags(aws: None) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="sp-prod-lake")
    s3.put_bucket_tagging(Bucket="sp-prod-lake", Tagging={"TagSet": [{"Key": "stack", "Value": "prod"}]})
    s3.create_bucket(Bucket="untagged")
    emr = boto3.client("emr", region_name="us-east-1")
    cluster = emr.run_job_flow(
        Name="sp-prod-spark",
        Instances={"MasterInstanceType": "m5.xlarge", "InstanceCount": 1, "KeepJobFlowAliveWhenNoSteps": True},
        Tags=[{"Key": "stack", "Value": "staging"}],
        JobFlowRole="EMR_EC2_DefaultRole",
        ServiceRole="EMR_DefaultRole",
    )["JobFlowId"]
    logs = boto3.client("logs", region_name="us-east-1")
    logs.create_log_group(logGroupName="/sp/prod/kafka", tags={"stack": "prod"})
    log_arn = logs.describe_log_groups()["logGroups"][0]["arn"].removesuffix(":*")
    guard = TagGuard(_clients())
    guard.check([TagTarget("arn:aws:s3:::sp-prod-lake", "us-east-1", "prod"), TagTarget(log_arn, "us-east-1", "prod")])
    with pytest.raises(TargetRefusedError) as refused:
        guard.check(
            [
                TagTarget("arn:aws:s3:::untagged", "us-east-1", "prod"),
                TagTarget(f"arn:aws:elasticmapreduce:us-east-1:123456789012:cluster/{cluster}", "us-east-1", "prod"),
            ]
        )
    assert refused.value.problems == [
        "arn:aws:s3:::untagged: tag stack is missing, expected 'prod'",
        f"arn:aws:elasticmapreduce:us-east-1:123456789012:cluster/{cluster}: tag stack is 'staging', expected 'prod'",
    ]


def test_stop_watch_finds_missing_and_firing_alarms(aws: None) -> None:
    create_alarms("us-east-1", ["sp-prod-edge-alb-elb-5xx"])
    watch = StopWatch(_clients(), {"us-east-1": ["sp-prod-edge-alb-elb-5xx", "sp-prod-gone"]})
    assert watch.missing() == ["sp-prod-gone (us-east-1)"]
    watch.check()
    set_alarm("us-east-1", "sp-prod-edge-alb-elb-5xx", "ALARM")
    with pytest.raises(StopConditionError, match="sp-prod-edge-alb-elb-5xx"):
        watch.check()


def test_state_round_trips_and_rejects_other_files(tmp_path: Path) -> None:
    state = DrillState(
        "d1",
        "broker-reboot",
        "prod",
        "us-east-1",
        None,
        "2026-11-26T09:30:00.000Z",
        steps=[StepState("preflight", "preflight")],
    )
    state.steps[0].record = {"facts": {"broker": 1}}
    state.note("2026-11-26T09:30:01.000Z", "start", "started")
    path = tmp_path / "d1.state.json"
    state.save(path)
    assert DrillState.load(path) == state
    (tmp_path / "other.json").write_text(json.dumps({"hello": 1}))
    for bad, message in ((tmp_path / "missing.json", "no state file"), (tmp_path / "other.json", "not a version-1")):
        with pytest.raises(StateError, match=message):
            DrillState.load(bad)


STEP: dict[str, Any] = {
    "name": "streaming-job generation 2",
    "actionOnFailure": "CONTINUE",
    "jar": "command-runner.jar",
    "args": [
        "spark-submit",
        "--name",
        "streaming-job-g2",
        "main.py",
        "--topic",
        "events",
        "--starting-offsets",
        "earliest",
        "--generation",
        "2",
        "--checkpoint-root",
        "s3://c/streaming-job",
    ],
}


def test_a_rewound_step_starts_a_new_generation_from_the_timestamp() -> None:
    starting = rewind_point(START, replication_lag_seconds=42)
    step = rewound_step(STEP, epoch_ms(starting), generation_of(STEP) + 1, "dr")
    args = step["HadoopJarStep"]["Args"]
    assert args[args.index("--starting-timestamp") + 1] == str(int((START.timestamp() - 42 - 300) * 1000))
    assert args[args.index("--generation") + 1] == "3"
    assert args[args.index("--name") + 1] == "streaming-job-g3"
    assert "--starting-offsets" not in args
    assert args[args.index("--checkpoint-root") + 1] == "s3://c/streaming-job"


@given(st.integers(min_value=0, max_value=10**6), st.text(alphabet="0123456789", min_size=1, max_size=13))
def test_rewinding_keeps_every_other_argument(generation: int, starting: str) -> None:
    args = rewound_args(STEP["args"], starting, generation)
    assert len(args) == len(STEP["args"])
    kept = [a for a in STEP["args"] if a not in ("--starting-offsets", "earliest", "2", "streaming-job-g2")]
    assert [a for a in args if a in kept] == kept


def test_drill_targets_come_from_the_stacks_dr_targets(plans: dict[str, StackPlan]) -> None:
    prod = target_for("region-failover", plans["prod"].outputs)
    assert prod == DrillTarget(
        "region-failover",
        1800.0,
        {"kafka": 60.0, "s3": 900.0, "cache": 1.0},
        "drTargets output (infra/data/dr_targets.yaml)",
    )
    assert target_for("broker-reboot", {}) is None  # an older deployment without drTargets: not judged
    assert target_for("region-failover", plans["staging"].outputs) is None


def test_plan_lines_show_each_scenario_or_why_it_has_no_drill(plans: dict[str, StackPlan]) -> None:
    prod = drill_targets(plans["prod"])
    assert any(line.split()[0] == "region-failover" and "RTO <= 30 min" in line for line in prod[1:])
    dev = "\n".join(drill_targets(plans["dev"]))
    assert "az-outage        no drill: the stack has no FIS experiment templates" in dev
    assert "restore          no drill: the stack has no AWS Backup vault" in dev
    standby = "\n".join(drill_targets(plans["prod-dr"]))
    assert "region-failover  no drill: run it against the pair's primary (prod)" in standby
