"""Update or replace: the provider's force-new table, the cascade through references, and the review's verdicts."""

from __future__ import annotations

import copy
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.cli import main
from infra.config import list_stacks
from infra.paths import ROOT
from infra.review import snapshot
from infra.review.diff import Change, diff_snapshots
from infra.review.replacement import IGNORED, REPLACE, UNKNOWN, UPDATE, load_table
from tests.helpers import cached_plans, raw_with

VPC = "aws:ec2/vpc:Vpc::network-vpc"
MSK = "aws:msk/cluster:Cluster::kafka-cluster"
EMR = "aws:emr/cluster:Cluster::spark-cluster"
CACHE = "aws:elasticache/replicationGroup:ReplicationGroup::cache-replication-group"


@pytest.mark.parametrize(
    ("type_token", "path"),
    [
        ("aws:ec2/vpc:Vpc", "cidrBlock"),
        ("aws:msk/cluster:Cluster", "brokerNodeGroupInfo.clientSubnets"),
        ("aws:msk/cluster:Cluster", "encryptionInfo.encryptionAtRestKmsKeyArn"),
        ("aws:emr/cluster:Cluster", "releaseLabel"),
        ("aws:elasticache/parameterGroup:ParameterGroup", "family"),
        ("aws:ecs/taskDefinition:TaskDefinition", "containerDefinitions"),
        ("aws:route53/record:Record", "name"),
        ("aws:route53/record:Record", "zoneId"),
        ("aws:msk/configuration:Configuration", "kafkaVersions"),
        ("aws:sns/topicSubscription:TopicSubscription", "endpoint"),
        ("aws:backup/vaultLockConfiguration:VaultLockConfiguration", "minRetentionDays"),
        ("aws:cloudwatch/metricAlarm:MetricAlarm", "name"),
        ("aws:fis/experimentTemplate:ExperimentTemplate", "tags"),
    ],
)
def test_the_table_forces_a_new_resource_where_the_provider_does(type_token: str, path: str) -> None:
    assert path in load_table().rule(type_token).force_new


@pytest.mark.parametrize(
    ("type_token", "path"),
    [
        ("aws:msk/cluster:Cluster", "brokerNodeGroupInfo.instanceType"),
        ("aws:msk/cluster:Cluster", "numberOfBrokerNodes"),
        ("aws:msk/cluster:Cluster", "kafkaVersion"),
        ("aws:elasticache/replicationGroup:ReplicationGroup", "nodeType"),
        ("aws:elasticache/parameterGroup:ParameterGroup", "parameters"),
        ("aws:route53/record:Record", "type"),
        ("aws:route53/record:Record", "records"),
        ("aws:msk/configuration:Configuration", "serverProperties"),
        ("aws:ecs/service:Service", "desiredCount"),
        ("aws:ecs/service:Service", "taskDefinition"),
        ("aws:lb/listenerRule:ListenerRule", "priority"),
        ("aws:cloudwatch/metricAlarm:MetricAlarm", "threshold"),
    ],
)
def test_the_table_updates_in_place_where_the_provider_does(type_token: str, path: str) -> None:
    rule = load_table().rule(type_token)
    assert not rule.unknown and path not in rule.force_new


def test_every_entry_names_its_source_or_says_it_is_unknown() -> None:
    for token, rule in load_table().types.items():
        assert rule.unknown or (rule.file and rule.commit), token


def test_every_registered_type_has_a_row() -> None:
    registered = {
        entry["type"]
        for stack in list_stacks()
        for entry in (snapshot.load(stack) or {"resources": {}})["resources"].values()
        if entry["type"].startswith("aws:")
    }
    assert registered and registered <= set(load_table().types)


def snap(resources: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {"stack": "prod", "config": {}, "outputs": {}, "resources": resources}


GRAPH = {
    VPC: {"type": "aws:ec2/vpc:Vpc", "inputs": {"cidrBlock": "10.30.0.0/16"}},
    "aws:ec2/subnet:Subnet::data-0": {
        "type": "aws:ec2/subnet:Subnet",
        "inputs": {"cidrBlock": "10.30.1.0/24", "vpcId": f"${{{VPC}.id}}"},
    },
    "aws:ec2/securityGroup:SecurityGroup::kafka-sg": {
        "type": "aws:ec2/securityGroup:SecurityGroup",
        "inputs": {"name": "kafka", "vpcId": f"${{{VPC}.id}}"},
    },
    MSK: {
        "type": "aws:msk/cluster:Cluster",
        "inputs": {
            "brokerNodeGroupInfo": {
                "clientSubnets": ["${aws:ec2/subnet:Subnet::data-0.id}"],
                "instanceType": "kafka.m7g.large",
                "securityGroups": ["${aws:ec2/securityGroup:SecurityGroup::kafka-sg.id}"],
            },
        },
    },
    "aws:elasticache/subnetGroup:SubnetGroup::cache": {
        "type": "aws:elasticache/subnetGroup:SubnetGroup",
        "inputs": {"name": "cache", "subnetIds": ["${aws:ec2/subnet:Subnet::data-0.id}"]},
    },
    "aws:lb/targetGroup:TargetGroup::ingest": {
        "type": "aws:lb/targetGroup:TargetGroup",
        "inputs": {"port": 8080, "vpcId": f"${{{VPC}.id}}"},
    },
    "aws:ecs/service:Service::ingest": {
        "type": "aws:ecs/service:Service",
        "inputs": {"desiredCount": 2, "networkConfiguration": {"subnets": ["${aws:ec2/subnet:Subnet::data-0.id}"]}},
    },
}


def actions(changes: list[Change]) -> dict[str, str]:
    return {c.resource: c.action for c in changes}


def test_a_replacement_cascades_through_force_new_references_only() -> None:
    after = copy.deepcopy(GRAPH)
    after[VPC]["inputs"]["cidrBlock"] = "10.31.0.0/16"
    diff = diff_snapshots(snap(GRAPH), snap(after))
    assert actions(diff.changes) == {
        VPC: REPLACE,
        "aws:ec2/subnet:Subnet::data-0": REPLACE,
        "aws:ec2/securityGroup:SecurityGroup::kafka-sg": REPLACE,
        MSK: REPLACE,
        "aws:elasticache/subnetGroup:SubnetGroup::cache": UPDATE,
        "aws:lb/targetGroup:TargetGroup::ingest": REPLACE,
        "aws:ecs/service:Service::ingest": UPDATE,
    }
    msk = next(c for c in diff.changes if c.resource == MSK)
    assert any("brokerNodeGroupInfo.clientSubnets" in r and "data-0" in r for r in msk.reasons)
    cache = next(c for c in diff.changes if c.resource == "aws:elasticache/subnetGroup:SubnetGroup::cache")
    assert cache.reasons == ["`subnetIds` takes ids or ARNs of replaced `aws:ec2/subnet:Subnet::data-0`"]
    assert any(r.startswith("REPLACE stateful MSK cluster") for r in diff.risks)


def test_resource_options_are_honoured() -> None:
    after = copy.deepcopy(GRAPH)
    after[MSK]["inputs"]["brokerNodeGroupInfo"]["instanceType"] = "kafka.m7g.xlarge"
    assert actions(diff_snapshots(snap(GRAPH), snap(after)).changes) == {MSK: UPDATE}
    after[MSK]["options"] = {"replaceOnChanges": ["brokerNodeGroupInfo.instanceType"]}
    assert actions(diff_snapshots(snap(GRAPH), snap(after)).changes)[MSK] == REPLACE
    after[MSK]["options"] = {"ignoreChanges": ["brokerNodeGroupInfo.instanceType"]}
    before = copy.deepcopy(GRAPH)
    before[MSK]["options"] = after[MSK]["options"]
    assert actions(diff_snapshots(snap(before), snap(after)).changes) == {MSK: IGNORED}
    after[VPC]["inputs"]["cidrBlock"] = "10.31.0.0/16"
    after[MSK]["options"] = before[MSK]["options"] = {"ignoreChanges": ["brokerNodeGroupInfo"]}
    assert actions(diff_snapshots(snap(before), snap(after)).changes)[MSK] == IGNORED, "new subnet ids are ignored"
    after[MSK]["options"] = before[MSK]["options"] = {"deleteBeforeReplace": True}
    msk = next(c for c in diff_snapshots(snap(before), snap(after)).changes if c.resource == MSK)
    assert msk.action == REPLACE and any("delete_before_replace" in r for r in msk.reasons)


def test_a_kafka_downgrade_replaces_and_an_upgrade_does_not() -> None:
    before = copy.deepcopy(GRAPH)
    before[MSK]["inputs"]["kafkaVersion"] = "3.8.x"
    up, down = copy.deepcopy(before), copy.deepcopy(before)
    up[MSK]["inputs"]["kafkaVersion"] = "3.9.x"
    down[MSK]["inputs"]["kafkaVersion"] = "3.7.x"
    assert actions(diff_snapshots(snap(before), snap(up)).changes) == {MSK: UPDATE}
    assert actions(diff_snapshots(snap(before), snap(down)).changes) == {MSK: REPLACE}


def test_a_type_without_data_is_never_a_plain_update() -> None:
    unlisted = "aws:example/unlisted:Unlisted::thing"
    before = {unlisted: {"type": "aws:example/unlisted:Unlisted", "inputs": {"size": 1}}}
    after = copy.deepcopy(before)
    after[unlisted]["inputs"]["size"] = 2
    assert actions(diff_snapshots(snap(before), snap(after)).changes) == {unlisted: UNKNOWN}


def review(stack: str) -> Any:
    """The stack's head plan against its committed snapshot, as `blueprint diff` does it.

    Planned as the CLI plans (plan cache, keyed by content), so a `blueprint diff` of the same stack
    files in the test finds the plan in the process memo, and the next run on an unchanged tree in .cache/plans.
    """
    head = cached_plans([stack])[stack]
    committed = snapshot.load(stack)
    assert committed is not None
    return diff_snapshots(committed, snapshot.normalize(head), head)


def test_moving_prod_to_another_cidr_replaces_the_network_msk_and_emr(
    stacks_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = raw_with("prod", {"network": {"cidr": "10.31.0.0/16"}})
    (stacks_dir / "Pulumi.prod.yaml").write_text(yaml.safe_dump({"config": raw}))
    diff = review("prod")
    by_action = actions(diff.changes)
    replaced = {name for name, action in by_action.items() if action == REPLACE}
    assert {VPC, MSK, EMR} <= replaced
    assert {n for n in by_action if n.startswith("aws:ec2/subnet:Subnet::")} <= replaced
    assert {n for n in by_action if n.startswith("aws:ec2/securityGroup:SecurityGroup::")} <= replaced
    assert len([n for n in replaced if n.startswith("aws:ec2/subnet:Subnet::")]) >= 6
    assert len([n for n in replaced if n.startswith("aws:ec2/securityGroup:SecurityGroup::")]) >= 6
    assert any(r.startswith("REPLACE stateful MSK cluster") for r in diff.risks)
    assert any(r.startswith("REPLACE stateful EMR cluster") for r in diff.risks)
    assert main(["diff", "prod", "--fail-on-risk"]) == 3
    assert "**replace**" in capsys.readouterr().out


def test_a_cache_node_type_change_is_an_in_place_update(stacks_dir: Path) -> None:
    raw = raw_with("dev", {"cache": {"nodeType": "cache.t4g.medium"}})
    (stacks_dir / "Pulumi.dev.yaml").write_text(yaml.safe_dump({"config": raw}))
    diff = review("dev")
    assert actions(diff.changes)[CACHE] == UPDATE
    assert REPLACE not in actions(diff.changes).values()
    assert not [r for r in diff.risks if "REPLACE" in r]


def test_a_comment_only_change_shows_no_change(stacks_dir: Path) -> None:
    path = stacks_dir / "Pulumi.dev.yaml"
    path.write_text("# reviewed: comment only\n" + path.read_text())
    assert review("dev").empty


def test_a_review_against_head_shows_no_change_in_any_stack(
    plans: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """`diff --base HEAD` on a clean tree: the base revision's plans equal this checkout's, in every stack."""
    inputs = ["infra", "templates", "jobs", "stacks", "Pulumi.yaml", "uv.lock"]
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", *inputs], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    if dirty.strip():
        pytest.skip("the working tree differs from HEAD, so the review would rightly show those changes")
    assert main(["diff", "--base", "HEAD"]) == 0
    out = capsys.readouterr().out
    assert out.count("No change.") == len(list_stacks()) == len(plans)
    assert "**replace**" not in out and "Risky changes" not in out
