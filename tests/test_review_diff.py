"""`blueprint diff`: the review lists adds, removes and property changes, and flags each risky case."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from infra.review import snapshot
from infra.review.diff import diff_snapshots, flatten
from infra.review.render import render_markdown


def snap(resources: dict[str, dict[str, Any]], config: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"stack": "prod", "config": config or {}, "outputs": {}, "resources": resources}


MSK = "aws:msk/cluster:Cluster::kafka-cluster"
BASE = {
    MSK: {
        "type": "aws:msk/cluster:Cluster",
        "parent": None,
        "options": {"protect": True},
        "inputs": {
            "clusterName": "sp-prod-kafka",
            "kafkaVersion": "3.8.x",
            "encryptionInfo": {
                "encryptionAtRestKmsKeyArn": "${key}",
                "encryptionInTransit": {"clientBroker": "TLS", "inCluster": True},
            },
            "clientAuthentication": {"unauthenticated": False},
        },
    },
    "aws:lb/loadBalancer:LoadBalancer::edge-alb": {
        "type": "aws:lb/loadBalancer:LoadBalancer",
        "inputs": {"enableDeletionProtection": True},
    },
    "aws:lb/listener:Listener::edge-https": {
        "type": "aws:lb/listener:Listener",
        "inputs": {"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"},
    },
    "aws:s3/bucket:Bucket::storage-lake": {"type": "aws:s3/bucket:Bucket", "inputs": {"bucket": "sp-prod-lake"}},
    "aws:msk/replicator:Replicator::dr-replicator": {"type": "aws:msk/replicator:Replicator", "inputs": {}},
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule::kafka-from-ingest": {
        "type": "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "inputs": {"referencedSecurityGroupId": "${sg}", "fromPort": 9098},
    },
}


def changed(
    mutate: Any, config_before: dict[str, Any] | None = None, config_after: dict[str, Any] | None = None
) -> tuple[Any, str]:
    after = copy.deepcopy(BASE)
    mutate(after)
    diff = diff_snapshots(snap(BASE, config_before), snap(after, config_after))
    return diff, render_markdown([diff])


def test_no_change_is_no_change() -> None:
    diff, markdown = changed(lambda r: None)
    assert diff.empty and not diff.risks and "No change." in markdown


def test_property_change_is_listed_with_its_path_and_values() -> None:
    diff, markdown = changed(lambda r: r[MSK]["inputs"].update(kafkaVersion="3.9.x"))
    assert [c.kind for c in diff.changes] == ["update"]
    assert "`inputs.kafkaVersion`: `3.8.x` → `3.9.x`" in markdown
    assert not diff.risks, "a version upgrade is in place"


def test_replacing_a_stateful_resource_is_flagged() -> None:
    diff, markdown = changed(lambda r: r[MSK]["inputs"].update(clusterName="sp-prod-kafka-2"))
    assert f"- `{MSK}` (aws:msk/cluster:Cluster): **replace**" in markdown
    assert "~1 changed (1 replaced)" in markdown
    assert any(x.startswith("REPLACE stateful MSK cluster") and "clusterName" in x for x in diff.risks)


def test_deleting_a_stateful_resource_is_flagged() -> None:
    diff, markdown = changed(lambda r: r.pop("aws:s3/bucket:Bucket::storage-lake"))
    assert any(x.startswith("DELETE stateful S3 bucket") for x in diff.risks)
    assert markdown.index("Risky changes") < markdown.index("**Removed**")


def test_removing_protection_is_flagged() -> None:
    diff, _ = changed(lambda r: r[MSK]["options"].pop("protect"))
    assert any(x.startswith("PROTECTION REMOVED") for x in diff.risks)


def test_removing_deletion_protection_is_flagged() -> None:
    diff, _ = changed(
        lambda r: r["aws:lb/loadBalancer:LoadBalancer::edge-alb"]["inputs"].update(enableDeletionProtection=False)
    )
    assert any(x.startswith("DELETION PROTECTION REMOVED") for x in diff.risks)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda r: r[MSK]["inputs"]["encryptionInfo"]["encryptionInTransit"].update(clientBroker="TLS_PLAINTEXT"),
        lambda r: r[MSK]["inputs"]["clientAuthentication"].update(unauthenticated=True),
        lambda r: r["aws:lb/listener:Listener::edge-https"]["inputs"].update(sslPolicy="ELBSecurityPolicy-2016-08"),
        lambda r: r["aws:lb/listener:Listener::edge-https"]["inputs"].update(protocol="HTTP"),
    ],
    ids=["msk-plaintext", "msk-unauthenticated", "old-tls-policy", "https-to-http"],
)
def test_weakened_encryption_or_tls_is_flagged(mutate: Any) -> None:
    diff, _ = changed(mutate)
    assert any(x.startswith("ENCRYPTION/TLS WEAKENED") for x in diff.risks), diff.risks


def test_ingress_opened_to_the_world_is_flagged() -> None:
    rule = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule::kafka-from-ingest"
    diff, _ = changed(lambda r: r[rule]["inputs"].update(cidrIpv4="0.0.0.0/0"))
    assert any(x.startswith("INGRESS OPENED to 0.0.0.0/0") for x in diff.risks)


def test_new_rule_open_to_the_world_is_flagged() -> None:
    def add(r: dict[str, Any]) -> None:
        r["aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule::cache-open"] = {
            "type": "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            "inputs": {"cidrIpv6": "::/0"},
        }

    diff, _ = changed(add)
    assert any("INGRESS OPENED to ::/0" in x for x in diff.risks)


def test_losing_a_dr_path_is_flagged() -> None:
    diff, _ = changed(lambda r: r.pop("aws:msk/replicator:Replicator::dr-replicator"))
    assert any(x.startswith("DR PATH LOST: MSK Replicator") for x in diff.risks)


def test_weaker_dr_strategy_in_config_is_flagged() -> None:
    diff, markdown = changed(
        lambda r: None, {"dr": {"strategy": "warm-standby"}}, {"dr": {"strategy": "backup-restore"}}
    )
    assert any("DR PATH LOST: prod DR strategy 'warm-standby' -> 'backup-restore'" in x for x in diff.risks)
    assert "`dr.strategy`" in markdown


def test_a_filled_in_empty_container_lists_its_entries_only() -> None:
    """``options: {}`` gaining ``dependsOn`` reads as the new entry, not as ``{}`` -> null."""
    diff, markdown = changed(lambda r: r[MSK]["options"].update(dependsOn=["aws:ec2/vpc:Vpc::network-vpc"]))
    before = copy.deepcopy(BASE)
    before[MSK]["options"] = {}
    filled = diff_snapshots(snap(before), snap(BASE))
    [change] = filled.changes
    assert change.properties == [("options.protect", None, True)]
    [change] = diff.changes
    assert change.properties == [
        ("options.dependsOn[aws:ec2/vpc:Vpc::network-vpc]", None, "aws:ec2/vpc:Vpc::network-vpc")
    ]
    assert "`options`" not in markdown


DASHBOARD = "aws:cloudwatch/dashboard:Dashboard::observability-dashboard"


def test_one_added_alarm_is_one_line_per_list_not_a_reindexed_list() -> None:
    """An alarm inserted mid-list: the dashboard gains one alarm and one dependency, nothing re-indexed."""
    before = snapshot.load("prod")
    assert before is not None
    after = copy.deepcopy(before)
    alarm = "aws:cloudwatch/metricAlarm:MetricAlarm::observability-kafka-new"
    after["resources"][alarm] = {"type": "aws:cloudwatch/metricAlarm:MetricAlarm", "inputs": {"threshold": 1}}
    dashboard = after["resources"][DASHBOARD]
    [widget] = [w for w in dashboard["inputs"]["dashboardBody"]["widgets"] if "alarms" in w["properties"]]
    widget["properties"]["alarms"].insert(0, f"${{{alarm}.arn}}")
    dashboard["options"]["dependsOn"].insert(0, alarm)
    diff = diff_snapshots(before, after)
    assert sorted((c.kind, c.resource) for c in diff.changes) == [("add", alarm), ("update", DASHBOARD)]
    [update] = [c for c in diff.changes if c.kind == "update"]
    assert len(update.properties) == 2
    markdown = render_markdown([diff])
    assert f"`options.dependsOn`: added `{alarm}`" in markdown
    assert f".properties.alarms`: added `${{{alarm}.arn}}`" in markdown
    assert "[0]" not in markdown


def test_items_with_a_name_are_compared_by_name() -> None:
    rules = [{"name": "common", "priority": 1}, {"name": "rate", "priority": 2}]

    def prepend(r: dict[str, Any]) -> None:
        r["aws:wafv2/webAcl:WebAcl::edge"]["inputs"]["rules"].insert(0, {"name": "log4j", "priority": 0})

    before = {**BASE, "aws:wafv2/webAcl:WebAcl::edge": {"type": "aws:wafv2/webAcl:WebAcl", "inputs": {"rules": rules}}}
    after = copy.deepcopy(before)
    prepend(after)
    diff = diff_snapshots(snap(before), snap(after))
    [change] = diff.changes
    assert change.properties == [("inputs.rules[name=log4j]", None, {"name": "log4j", "priority": 0})]
    assert '`inputs.rules[name=log4j]`: added `{"name": "log4j", "priority": 0}`' in render_markdown([diff])


def test_ordered_lists_keep_their_order() -> None:
    """Arguments and other plain string lists are sequences: a swap is a change."""
    assert flatten({"args": ["spark-submit", "--deploy-mode"]}) == {
        "args[0]": "spark-submit",
        "args[1]": "--deploy-mode",
    }
    before = {"resources": {}, "stack": "prod"}
    step = {"type": "aws:emr/cluster:Cluster", "inputs": {"args": ["a", "b"]}}
    swapped = {"type": "aws:emr/cluster:Cluster", "inputs": {"args": ["b", "a"]}}
    diff = diff_snapshots({**before, "resources": {"c": step}}, {**before, "resources": {"c": swapped}})
    assert [p for p, _, _ in diff.changes[0].properties] == ["inputs.args[0]", "inputs.args[1]"]


def test_arn_lists_are_sets() -> None:
    arns = ["arn:aws:s3:::a", "${aws:s3/bucket:Bucket::b.arn}"]
    assert flatten({"Resource": arns}) == flatten({"Resource": arns[::-1]})


def test_names_that_repeat_fall_back_to_the_index() -> None:
    assert flatten({"rules": [{"name": "a", "v": 1}, {"name": "a", "v": 2}, {"name": "b", "v": 3}]}) == {
        "rules[0].name": "a",
        "rules[0].v": 1,
        "rules[1].name": "a",
        "rules[1].v": 2,
        "rules[name=b].name": "b",
        "rules[name=b].v": 3,
    }


def test_an_added_ingress_item_open_to_the_world_is_flagged() -> None:
    sg = "aws:ec2/securityGroup:SecurityGroup::edge-alb"
    rule = {"fromPort": 443, "toPort": 443, "protocol": "tcp"}
    before = {**BASE, sg: {"type": "aws:ec2/securityGroup:SecurityGroup", "inputs": {"ingress": [rule]}}}
    after = copy.deepcopy(before)
    after[sg]["inputs"]["ingress"].append({**rule, "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]})
    diff = diff_snapshots(snap(before), snap(after))
    [change] = diff.changes
    assert [path for path, _, _ in change.properties] == ["inputs.ingress[1]"]
    assert any("INGRESS OPENED to 0.0.0.0/0" in risk for risk in diff.risks)
