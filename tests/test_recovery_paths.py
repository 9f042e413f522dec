"""Every stateful resource has a cross-region recovery path, proven from the plans of both stacks of a pair.

A path counts only if the plans show both ends: a Replicator naming the cluster, a Global
Datastore with a member in the other region, an S3 RTC rule into a bucket in another
region, or an AWS Backup selection whose plan copies to a vault that exists in the other
region. Buckets without a path must be among the justified ones (replication.NOT_REPLICATED);
anything else stateful without a path fails the test.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from infra.components.replication import NOT_REPLICATED
from infra.offline.record import PlannedResource, StackPlan

CLUSTER = "aws:msk/cluster:Cluster"
RG = "aws:elasticache/replicationGroup:ReplicationGroup"
BUCKET = "aws:s3/bucket:Bucket"
STATEFUL = (CLUSTER, RG, BUCKET)
REPLICATOR = "aws:msk/replicator:Replicator"
GLOBAL_DATASTORE = "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup"
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
SELECTION = "aws:backup/selection:Selection"
PLAN = "aws:backup/plan:Plan"
VAULT = "aws:backup/vault:Vault"
STATE_MACHINE = "aws:sfn/stateMachine:StateMachine"

# Stores a strategy leaves without a copy on purpose (drTargets states the consequence).
BY_DESIGN = {"staging": {CLUSTER: "backup-restore copies no Kafka log: the stream's RPO is the lake's (RTC 15 min)"}}


def bucket_name(bucket: PlannedResource) -> str:
    return str(bucket.inputs["bucket"])


def bucket_regions(plans: list[StackPlan]) -> dict[str, str]:
    return {bucket_name(b): b.region for plan in plans for b in plan.of_type(BUCKET)}


def replicator_paths(cluster: PlannedResource, plans: list[StackPlan]) -> Iterator[str]:
    arn = cluster.outputs["arn"]
    for plan in plans:
        for replicator in plan.of_type(REPLICATOR):
            info = replicator.inputs["replicationInfoList"]
            ends = {info["sourceKafkaClusterArn"]: "source", info["targetKafkaClusterArn"]: "target"}
            other = next((a for a in ends if a != arn), None)
            if arn in ends and other is not None and other.split(":")[3] != cluster.region:
                yield f"MSK Replicator {replicator.inputs['replicatorName']} ({ends[arn]}, {plan.stack})"


def datastore_paths(group: PlannedResource, plans: list[StackPlan]) -> Iterator[str]:
    datastores = [(plan, d) for plan in plans for d in plan.of_type(GLOBAL_DATASTORE)]
    members = [(plan, g) for plan in plans for g in plan.of_type(RG)]
    for _, datastore in datastores:
        datastore_id = datastore.outputs["globalReplicationGroupId"]
        primary = next(g for _, g in members if g.outputs["id"] == datastore.inputs["primaryReplicationGroupId"])
        secondaries = [g for _, g in members if g.inputs.get("globalReplicationGroupId") == datastore_id]
        regions = {primary.region, *(g.region for g in secondaries)}
        if group in (primary, *secondaries) and len(regions) == 2:
            yield f"Global Datastore {datastore_id}"


def export_paths(group: PlannedResource, home: StackPlan, plans: list[StackPlan]) -> Iterator[str]:
    """The daily export pipeline of this group, into a bucket that itself has a cross-region path."""
    buckets = {bucket_name(b): b for b in home.of_type(BUCKET)}
    for machine in home.of_type(STATE_MACHINE):
        states = json.loads(machine.inputs["definition"])["States"]
        if states["CreateSnapshot"]["Parameters"]["ReplicationGroupId"] != group.outputs["id"]:
            continue
        target = buckets[states["ExportSnapshot"]["Parameters"]["TargetBucket"]]
        if list(bucket_paths(target, home, plans)):
            yield f"daily export to {bucket_name(target)}"


def bucket_paths(bucket: PlannedResource, home: StackPlan, plans: list[StackPlan]) -> Iterator[str]:
    name, regions = bucket_name(bucket), bucket_regions(plans)
    for plan in plans:
        for config in plan.of_type(REPLICATION):
            for rule in config.inputs["rules"]:
                rtc = rule["status"] == "Enabled" and rule["destination"]["replicationTime"]["status"] == "Enabled"
                destination = rule["destination"]["bucket"].removeprefix("arn:aws:s3:::")
                crosses = regions.get(destination) not in (None, config.region)
                if rtc and crosses and config.inputs["bucket"] == name:
                    yield f"S3 RTC rule {rule['id']} ({plan.stack}) to {destination}"
                if rtc and crosses and destination == name and regions.get(config.inputs["bucket"]) == config.region:
                    yield f"S3 replica of {config.inputs['bucket']} ({plan.stack})"
    vaults = {v.outputs["arn"]: v for plan in plans for v in plan.of_type(VAULT)}
    backup_plans = {p.outputs["id"]: p for p in home.of_type(PLAN)}
    for selection in home.of_type(SELECTION):
        if f"arn:aws:s3:::{name}" not in selection.inputs["resources"]:
            continue
        for rule in backup_plans[selection.inputs["planId"]].inputs["rules"]:
            for action in rule.get("copyActions", []):
                vault = vaults.get(action["destinationVaultArn"])
                if vault is not None and vault.region != bucket.region:
                    yield f"AWS Backup rule {rule['ruleName']} copies to {vault.inputs['name']} ({vault.region})"


def recovery_paths(resource: PlannedResource, home: StackPlan, plans: list[StackPlan]) -> list[str]:
    if resource.type == CLUSTER:
        return list(replicator_paths(resource, plans))
    if resource.type == RG:
        return [*datastore_paths(resource, plans), *export_paths(resource, home, plans)]
    return list(bucket_paths(resource, home, plans))


def pair(plans: dict[str, StackPlan], stack: str) -> list[StackPlan]:
    """The stack's plan and its peer's (a backup-restore stack holds both regions in one plan)."""
    peer = plans[stack].config["dr"]["peer_stack"]
    return [plans[stack], *([plans[peer.rsplit("/", 1)[-1]]] if peer else [])]


@pytest.mark.parametrize("stack", ["staging", "prod", "prod-dr"])
def test_every_stateful_resource_has_a_cross_region_path(plans: dict[str, StackPlan], stack: str) -> None:
    home = plans[stack]
    both = pair(plans, stack)
    missing, checked = [], 0
    for resource in (r for r in home.resources if r.type in STATEFUL):
        role = (resource.inputs.get("tags") or {}).get("role")
        if resource.type == BUCKET and role in NOT_REPLICATED:
            continue
        if resource.type in BY_DESIGN.get(stack, {}):
            assert not recovery_paths(resource, home, both), f"{resource.name} has a path now: update BY_DESIGN"
            continue
        checked += 1
        if not recovery_paths(resource, home, both):
            missing.append(f"{resource.type} {resource.name}")
    assert missing == [], f"{stack}: no cross-region recovery path for {missing}"
    assert checked >= 4


@pytest.mark.parametrize("stack", ["staging", "prod", "prod-dr"])
def test_only_the_justified_buckets_go_without_a_copy(plans: dict[str, StackPlan], stack: str) -> None:
    home = plans[stack]
    without = {
        (b.inputs.get("tags") or {}).get("role")
        for b in home.of_type(BUCKET)
        if not recovery_paths(b, home, pair(plans, stack))
    }
    assert without == set(NOT_REPLICATED)  # checkpoints, logs, lb-logs: each with its reason in the module


def test_prod_lake_survives_both_region_loss_and_corruption(plans: dict[str, StackPlan]) -> None:
    prod = plans["prod"]
    [lake] = [b for b in prod.of_type(BUCKET) if (b.inputs.get("tags") or {}).get("role") == "lake"]
    found = recovery_paths(lake, prod, pair(plans, "prod"))
    assert any(p.startswith("S3 RTC rule lake-to-us-west-2 (prod-dr)") for p in found)  # region loss, 15 min
    assert any(p.startswith("AWS Backup rule daily copies to sp-prod-dr-backup") for p in found)  # corruption


def test_prod_cluster_and_cache_paths_name_the_standby(plans: dict[str, StackPlan]) -> None:
    prod = plans["prod"]
    both = pair(plans, "prod")
    [cluster] = prod.of_type(CLUSTER)
    assert recovery_paths(cluster, prod, both) == ["MSK Replicator sp-prod-dr-kafka-replicator (source, prod-dr)"]
    [cache] = prod.of_type(RG)
    paths = recovery_paths(cache, prod, both)
    assert paths[0] == f"Global Datastore {prod.outputs['cacheGlobalDatastoreId']}"
    assert any(p.startswith("daily export to sp-prod-cache-exports-") for p in paths)


def test_a_path_needs_both_ends(plans: dict[str, StackPlan]) -> None:
    """Planned alone, prod shows no path for its cluster: the Replicator lives in prod-dr."""
    prod = plans["prod"]
    [cluster] = prod.of_type(CLUSTER)
    assert recovery_paths(cluster, prod, [prod]) == []
    [lake] = [b for b in prod.of_type(BUCKET) if (b.inputs.get("tags") or {}).get("role") == "lake"]
    assert not any(p.startswith("AWS Backup") for p in recovery_paths(lake, prod, [prod]))  # vault is prod-dr's
