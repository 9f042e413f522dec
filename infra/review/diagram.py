"""Architecture diagram of a stack as Mermaid (renders in pull requests and READMEs).

Drawn from the plan itself, so it cannot drift: one box per component with its key
resources, and an arrow from a component to each component it depends on.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from infra.offline.record import StackPlan
from infra.paths import DIAGRAMS

# Resources worth showing inside their component's box (the rest are plumbing).
KEY_TYPES = {
    "aws:ec2/vpc:Vpc": "VPC",
    "aws:ec2/natGateway:NatGateway": "NAT gateway",
    "aws:kms/key:Key": "KMS key",
    "aws:s3/bucket:Bucket": "S3 bucket",
    "aws:msk/cluster:Cluster": "MSK cluster",
    "aws:msk/replicator:Replicator": "MSK Replicator",
    "aws:elasticache/replicationGroup:ReplicationGroup": "ElastiCache",
    "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup": "Global Datastore",
    "aws:lb/loadBalancer:LoadBalancer": "load balancer",
    "aws:wafv2/webAcl:WebAcl": "WAF web ACL",
    "aws:ecs/service:Service": "ECS service",
    "aws:emr/cluster:Cluster": "EMR cluster",
    "aws:sns/topic:Topic": "SNS topic",
    "aws:cloudwatch/dashboard:Dashboard": "dashboard",
    "aws:backup/vault:Vault": "backup vault",
    "aws:backup/plan:Plan": "backup plan",
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": "S3 replication",
    "aws:route53/record:Record": "Route 53 record",
    "pulumi:pulumi:StackReference": "stack reference",
}


def _node_id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


def mermaid(plan: StackPlan) -> str:
    by_urn = plan.by_urn()
    owner: dict[str, str] = {}
    members: dict[str, list[str]] = defaultdict(list)
    for resource in plan.resources:
        component = resource if not resource.custom else plan.component_of(resource)
        if component is None:
            continue
        owner[resource.urn] = component.urn
        label = KEY_TYPES.get(resource.type)
        if label and resource.custom:
            count_key = f"{label}"
            members[component.urn].append(count_key)
    edges: set[tuple[str, str]] = set()
    for resource in plan.resources:
        source = owner.get(resource.urn)
        for dependency in resource.dependencies:
            target = owner.get(dependency)
            if source and target and source != target and not _is_ancestor(by_urn, target, source):
                edges.add((source, target))
    lines = ["flowchart LR", f"  %% stack {plan.stack} ({plan.config['tier']}) in {plan.region}"]
    for component in sorted(plan.components(), key=lambda c: c.urn):
        counts: dict[str, int] = defaultdict(int)
        for label in members[component.urn]:
            counts[label] += 1
        body = "<br/>".join(f"{n} x {label}" if n > 1 else label for label, n in sorted(counts.items()))
        title = component.type.split(":")[-1]
        lines.append(
            f'  {_node_id(component.urn.split("::")[-1])}["<b>{title}</b> {component.name}'
            + (f"<br/>{body}" if body else "")
            + '"]'
        )
    for source, target in sorted(edges):
        lines.append(f"  {_node_id(source.split('::')[-1])} --> {_node_id(target.split('::')[-1])}")
    return "\n".join(lines) + "\n"


def _is_ancestor(by_urn: dict, ancestor: str, urn: str) -> bool:
    node = by_urn.get(urn)
    while node is not None and node.parent:
        if node.parent == ancestor:
            return True
        node = by_urn.get(node.parent)
    return False


def diagram_markdown(plan: StackPlan) -> str:
    """The committed architecture page of a stack (docs/architecture/<stack>.md)."""
    return (
        f"# Architecture of `{plan.stack}` ({plan.config['tier']}, {plan.region})\n\n"
        "Generated from the offline plan by `blueprint snapshot` (do not edit): one box per\n"
        "component with its key resources, an arrow to each component it depends on.\n\n"
        f"```mermaid\n{mermaid(plan)}```\n"
    )


def diagram_path(stack: str) -> Path:
    return DIAGRAMS / f"{stack}.md"
