"""Stack rules: checks of how one stack's resources relate to each other.

A stack rule sees every resource of one stack (``context.resources``) and returns
findings attached to the resource at fault. Resources are linked the way the engine links
them: a property dependency (the URN a property's value came from, the only link during a
preview while ids are unknown) or, failing that, the property's value naming the other
resource's id, ARN or name (see `references`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from streaming_policies import tokens
from streaming_policies.model import TIERS, Finding, ResourceView, RuleContext, Severity, StackCheck, StackRule, Tier
from streaming_policies.rules import EDGE_TAG_KEY, EDGE_TAG_VALUE, is_edge
from streaming_policies.taggable import TAGGABLE_TYPES
from streaming_policies.values import (
    arn_region,
    as_list,
    as_str_list,
    dig,
    is_set,
    is_unknown,
    name_tokens,
    number,
    provider_default_tags,
    reveal,
    tags_of,
)

_REGISTRY: list[StackRule] = []


def _stack_rule(
    name: str,
    description: str,
    severity: Severity,
    reference: str,
    tiers: tuple[Tier, ...] = TIERS,
    always_mandatory: bool = False,
) -> Callable[[StackCheck], StackCheck]:
    def register(check: StackCheck) -> StackCheck:
        _REGISTRY.append(
            StackRule(
                name=name,
                description=description,
                severity=severity,
                reference=reference,
                tiers=frozenset(tiers),
                always_mandatory=always_mandatory,
                check=check,
            )
        )
        return check

    return register


def of_type(resources: Iterable[ResourceView], *types: str) -> list[ResourceView]:
    return [resource for resource in resources if resource.type in types]


def references(source: ResourceView, prop: str, target: ResourceView, values: Iterable[Any] = ()) -> bool:
    """Whether ``source``'s top-level property ``prop`` refers to ``target``.

    ``values`` are the strings to compare with the target's identities when the reference
    sits deeper than the top-level property (e.g. an ARN inside a list of blocks).
    """
    if target.urn in source.property_dependencies.get(prop, ()):
        return True
    candidates = list(values) if values else as_str_list(dig(source.props, prop))
    return any(isinstance(value, str) and value in target.identities for value in candidates)


def stack_name_matches(reference: Any, stack: str) -> bool:
    """``org/project/prod`` and ``prod`` name the same stack (compare the last segment)."""
    reference = reveal(reference)
    if not isinstance(reference, str) or is_unknown(reference):
        return False
    return reference.rsplit("/", 1)[-1] == stack.rsplit("/", 1)[-1]


# ---------------------------------------------------------------------------------------
# S3 buckets carry their guardrail resources
# ---------------------------------------------------------------------------------------

BUCKET_COMPANIONS = {
    tokens.BUCKET_SSE: "BucketServerSideEncryptionConfiguration",
    tokens.BUCKET_VERSIONING: "BucketVersioning",
    tokens.BUCKET_PUBLIC_ACCESS_BLOCK: "BucketPublicAccessBlock",
    tokens.BUCKET_POLICY: "BucketPolicy (TLS-only access)",
}


@_stack_rule(
    "s3-bucket-guardrails",
    "Every S3 bucket has encryption, versioning, public-access-block and policy resources.",
    "high",
    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html",
)
def s3_bucket_guardrails(context: RuleContext) -> list[Finding]:
    findings = []
    for bucket in of_type(context.resources, tokens.BUCKET):
        missing = [
            label
            for companion_type, label in BUCKET_COMPANIONS.items()
            if not any(
                references(companion, "bucket", bucket) for companion in of_type(context.resources, companion_type)
            )
        ]
        if missing:
            findings.append(Finding(f"bucket {bucket.name} lacks its {', '.join(missing)}.", bucket.urn))
    return findings


# ---------------------------------------------------------------------------------------
# Network
# ---------------------------------------------------------------------------------------


def _captures_all(flow_log: ResourceView) -> bool:
    traffic = dig(flow_log.props, "trafficType")
    return traffic == "ALL" or is_unknown(traffic)


@_stack_rule(
    "vpc-flow-logs",
    "Every VPC has a flow log capturing ALL traffic.",
    "medium",
    "https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs.html",
)
def vpc_flow_logs(context: RuleContext) -> list[Finding]:
    flow_logs = of_type(context.resources, tokens.FLOW_LOG)
    findings = []
    for vpc in of_type(context.resources, tokens.VPC):
        attached = [flow_log for flow_log in flow_logs if references(flow_log, "vpcId", vpc)]
        if not attached:
            findings.append(Finding(f"VPC {vpc.name} has no flow log: network forensics would be blind.", vpc.urn))
        elif not any(_captures_all(flow_log) for flow_log in attached):
            findings.append(Finding(f"VPC {vpc.name} flow logs do not capture trafficType ALL.", vpc.urn))
    return findings


WORLD_CIDRS = frozenset({"0.0.0.0/0", "::/0"})
EDGE_PUBLIC_PORTS = frozenset({80, 443})


def _world_cidrs(*values: Any) -> list[str]:
    return sorted({cidr for value in values for cidr in as_str_list(value)} & WORLD_CIDRS)


def _edge_ports_only(rule: Any, protocol: Any) -> bool:
    """TCP 80 or 443, one port per rule: all the edge may take from the world."""
    if str(reveal(protocol)).lower() not in ("tcp", "6"):
        return False
    low, high = number(dig(rule, "fromPort")), number(dig(rule, "toPort"))
    return low is not None and low == high and int(low) in EDGE_PUBLIC_PORTS


def _describe(rule: Any, protocol: Any, world: list[str]) -> str:
    return (
        f"opens {', '.join(world)} on protocol {reveal(protocol)!r} ports "
        f"{dig(rule, 'fromPort')!r}-{dig(rule, 'toPort')!r}: only the edge load balancer's group "
        f"(tag {EDGE_TAG_KEY}={EDGE_TAG_VALUE}) may take world traffic, on TCP 80 or 443."
    )


@_stack_rule(
    "sg-no-world-ingress",
    "No security group ingress from 0.0.0.0/0 or ::/0, except TCP 80/443 to the edge load balancer's group.",
    "critical",
    "https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html",
)
def sg_no_world_ingress(context: RuleContext) -> list[Finding]:
    groups = of_type(context.resources, tokens.SECURITY_GROUP)
    findings = []
    for group in groups:
        edge = is_edge(group.props, group.name)
        for index, rule in enumerate(as_list(dig(group.props, "ingress"))):
            protocol = dig(rule, "protocol")
            world = _world_cidrs(dig(rule, "cidrBlocks"), dig(rule, "ipv6CidrBlocks"))
            if world and not (edge and _edge_ports_only(rule, protocol)):
                findings.append(Finding(f"{group.name} ingress[{index}] {_describe(rule, protocol, world)}", group.urn))
    for rule in of_type(context.resources, tokens.SECURITY_GROUP_RULE, tokens.SECURITY_GROUP_INGRESS_RULE):
        if rule.type == tokens.SECURITY_GROUP_RULE:
            if dig(rule.props, "type") != "ingress":
                continue
            protocol = dig(rule.props, "protocol")
            world = _world_cidrs(dig(rule.props, "cidrBlocks"), dig(rule.props, "ipv6CidrBlocks"))
        else:
            protocol = dig(rule.props, "ipProtocol")
            world = _world_cidrs(dig(rule.props, "cidrIpv4"), dig(rule.props, "cidrIpv6"))
        if not world:
            continue
        # Judge the group the rule opens; the rule's own tags/name only when that group is
        # not in this stack.
        targets = [group for group in groups if references(rule, "securityGroupId", group)]
        edge = all(is_edge(group.props, group.name) for group in targets) if targets else is_edge(rule.props, rule.name)
        if not (edge and _edge_ports_only(rule.props, protocol)):
            findings.append(Finding(f"{rule.name} {_describe(rule.props, protocol, world)}", rule.urn))
    return findings


@_stack_rule(
    "emr-private-subnets",
    "EMR clusters only use subnets that do not assign public IPs.",
    "high",
    "https://docs.aws.amazon.com/emr/latest/ManagementGuide/emr-clusters-in-a-vpc.html",
)
def emr_private_subnets(context: RuleContext) -> list[Finding]:
    subnets = of_type(context.resources, tokens.SUBNET)
    findings = []
    for cluster in of_type(context.resources, tokens.EMR_CLUSTER):
        chosen = [
            dig(cluster.props, "ec2Attributes.subnetId"),
            *as_list(dig(cluster.props, "ec2Attributes.subnetIds")),
        ]
        for subnet in subnets:
            used = references(cluster, "ec2Attributes", subnet, values=[value for value in chosen if value])
            if used and dig(subnet.props, "mapPublicIpOnLaunch") is True:
                findings.append(
                    Finding(
                        f"EMR cluster {cluster.name} uses subnet {subnet.name}, which maps public IPs on launch.",
                        cluster.urn,
                    )
                )
    return findings


# ---------------------------------------------------------------------------------------
# Tags
# ---------------------------------------------------------------------------------------

REQUIRED_TAG_KEYS = ("project", "stack", "environment", "owner", "cost-center")


def effective_tags(resource: ResourceView) -> dict[str, Any] | None:
    """Provider default tags overlaid by the resource's own tags; None when unknown."""
    defaults = provider_default_tags(resource.provider_props)
    own = tags_of(resource.props.get("tags"))
    if defaults is None or own is None:
        return None
    return {**defaults, **own}


@_stack_rule(
    "tags-required",
    "Every taggable AWS resource carries project, stack, environment, owner and cost-centre "
    "(its own tags or its provider's default tags).",
    "medium",
    "https://docs.aws.amazon.com/whitepapers/latest/tagging-best-practices/tagging-best-practices.html",
)
def tags_required(context: RuleContext) -> list[Finding]:
    findings = []
    for resource in context.resources:
        if resource.type not in TAGGABLE_TYPES:
            continue
        tags = effective_tags(resource)
        if tags is None:
            continue
        missing = [key for key in REQUIRED_TAG_KEYS if not is_set(tags.get(key))]
        if missing:
            findings.append(Finding(f"{resource.name} lacks tag(s) {', '.join(missing)}.", resource.urn))
    return findings


@_stack_rule(
    "tier-matches-environment-tag",
    "The tier the pack enforces equals every 'environment' tag in the stack (otherwise a "
    "prod stack could be checked with advisory rules).",
    "critical",
    "https://docs.aws.amazon.com/whitepapers/latest/tagging-best-practices/tagging-best-practices.html",
    always_mandatory=True,
)
def tier_matches_environment_tag(context: RuleContext) -> list[Finding]:
    findings = []
    for resource in context.resources:
        if resource.type == tokens.AWS_PROVIDER:
            tags = provider_default_tags(resource.props)
        elif resource.type in TAGGABLE_TYPES:
            tags = effective_tags(resource)
        else:
            continue
        environment = (tags or {}).get("environment")
        if isinstance(environment, str) and not is_unknown(environment) and environment != context.tier:
            findings.append(
                Finding(
                    f"{resource.name} is tagged environment={environment!r} but the pack "
                    f"runs as tier {context.tier!r}: fix the tag or the stack's tier.",
                    resource.urn,
                )
            )
    return findings


# ---------------------------------------------------------------------------------------
# Disaster recovery
# ---------------------------------------------------------------------------------------

DR_WHITEPAPER = (
    "https://docs.aws.amazon.com/whitepapers/latest/disaster-recovery-workloads-on-aws/"
    "disaster-recovery-workloads-on-aws.html"
)
DR_PEER_TAG = "dr-peer-stack"
"""Tag on a stateful store whose cross-region path lives in another stack (named by the
tag value). Checked against both plans by `dr_pairing_findings`."""

NON_DR_BUCKET_WORDS = frozenset({"log", "logs", "accesslogs", "checkpoint", "checkpoints"})
"""Buckets that need no cross-region copy: access logs, and Spark checkpoints, which must
never be resumed in another region (Kafka offsets differ between clusters)."""


def needs_cross_region_path(store: ResourceView) -> bool:
    if store.type != tokens.BUCKET:
        return store.type in (tokens.MSK_CLUSTER, tokens.REPLICATION_GROUP)
    role = (tags_of(store.props.get("tags")) or {}).get("role")
    return not name_tokens(store.name, role) & NON_DR_BUCKET_WORDS


def _replicator_cluster_arns(replicator: ResourceView) -> list[Any]:
    arns = [
        dig(cluster, "amazonMskCluster.mskClusterArn") for cluster in as_list(dig(replicator.props, "kafkaClusters"))
    ]
    arns += [
        dig(replicator.props, "replicationInfoList.sourceKafkaClusterArn"),
        dig(replicator.props, "replicationInfoList.targetKafkaClusterArn"),
    ]
    return [arn for arn in arns if arn]


def _msk_path(cluster: ResourceView, resources: Sequence[ResourceView]) -> bool:
    """Source or target of an MSK Replicator (the target is the DR copy)."""
    return any(
        references(replicator, "kafkaClusters", cluster, _replicator_cluster_arns(replicator))
        or references(replicator, "replicationInfoList", cluster, _replicator_cluster_arns(replicator))
        for replicator in of_type(resources, tokens.MSK_REPLICATOR)
    )


def _elasticache_path(group: ResourceView, resources: Sequence[ResourceView]) -> bool:
    """Primary of a Global Datastore, or a secondary member of one."""
    if is_set(dig(group.props, "globalReplicationGroupId")):
        return True
    return any(
        references(global_group, "primaryReplicationGroupId", group)
        for global_group in of_type(resources, tokens.GLOBAL_REPLICATION_GROUP)
    )


def _rtc_enabled(rule: Any) -> bool:
    return dig(rule, "status") == "Enabled" and dig(rule, "destination.replicationTime.status") == "Enabled"


def _bucket_replication_path(bucket: ResourceView, resources: Sequence[ResourceView]) -> bool:
    """Source of an RTC replication rule, or the destination of one."""
    for config in of_type(resources, tokens.BUCKET_REPLICATION):
        rules = [rule for rule in as_list(dig(config.props, "rules")) if _rtc_enabled(rule)]
        if not rules:
            continue
        destinations = [dig(rule, "destination.bucket") for rule in rules]
        if references(config, "bucket", bucket) or references(config, "rules", bucket, [d for d in destinations if d]):
            return True
    return False


def _backup_copy_path(bucket: ResourceView, resources: Sequence[ResourceView]) -> bool:
    """Selected by an AWS Backup plan that copies to a vault in another region."""
    plans = of_type(resources, tokens.BACKUP_PLAN)
    for selection in of_type(resources, tokens.BACKUP_SELECTION):
        if not references(selection, "resources", bucket):
            continue
        for plan in plans:
            if references(selection, "planId", plan) and _copies_to_other_region(plan, bucket):
                return True
    return False


def _copies_to_other_region(plan: ResourceView, bucket: ResourceView) -> bool:
    home = plan.region or dig(plan.props, "region") or bucket.region or dig(bucket.props, "region")
    for rule in as_list(dig(plan.props, "rules")):
        for action in as_list(dig(rule, "copyActions")):
            destination = dig(action, "destinationVaultArn")
            if is_unknown(destination):
                return True
            region = arn_region(destination)
            if region is not None and (home is None or region != home):
                return True
    return False


def has_cross_region_path(store: ResourceView, resources: Sequence[ResourceView]) -> bool:
    if store.type == tokens.MSK_CLUSTER:
        return _msk_path(store, resources)
    if store.type == tokens.REPLICATION_GROUP:
        return _elasticache_path(store, resources)
    return _bucket_replication_path(store, resources) or _backup_copy_path(store, resources)


@_stack_rule(
    "dr-cross-region-path",
    "Every prod stateful store (MSK, ElastiCache, data/artifact S3 buckets) has a "
    "cross-region path in this stack, or names the peer stack that holds it.",
    "critical",
    DR_WHITEPAPER,
    tiers=("prod",),
)
def dr_cross_region_path(context: RuleContext) -> list[Finding]:
    findings = []
    for store in context.resources:
        if not needs_cross_region_path(store) or has_cross_region_path(store, context.resources):
            continue
        if is_set((tags_of(store.props.get("tags")) or {}).get(DR_PEER_TAG)):
            continue  # Declared; `dr_pairing_findings` verifies it against the peer's plan.
        findings.append(
            Finding(
                f"{store.type.rsplit(':', 1)[-1]} {store.name} has no cross-region path: add "
                "an MSK Replicator / Global Datastore / S3 RTC replication or cross-region "
                f"backup copy, or tag it {DR_PEER_TAG}=<stack holding the path>.",
                store.urn,
            )
        )
    return findings


@_stack_rule(
    "backup-vault-lock",
    "Every prod AWS Backup vault has a Vault Lock.",
    "high",
    "https://docs.aws.amazon.com/aws-backup/latest/devguide/vault-lock.html",
    tiers=("prod",),
)
def backup_vault_lock(context: RuleContext) -> list[Finding]:
    locks = of_type(context.resources, tokens.BACKUP_VAULT_LOCK)
    return [
        Finding(f"backup vault {vault.name} has no VaultLockConfiguration: backups could be deleted.", vault.urn)
        for vault in of_type(context.resources, tokens.BACKUP_VAULT)
        if not any(references(lock, "backupVaultName", vault) for lock in locks)
    ]


def _depends_on_stack(resource: ResourceView, stack_references: Sequence[ResourceView], stack: str) -> bool:
    """Whether a property of ``resource`` comes from a StackReference to ``stack``."""
    named = {ref.urn for ref in stack_references if stack_name_matches(dig(ref.props, "name"), stack)}
    return any(named & set(urns) for urns in resource.property_dependencies.values())


def dr_pairing_findings(
    stack_a: Sequence[ResourceView], name_a: str, stack_b: Sequence[ResourceView], name_b: str
) -> list[str]:
    """Verify `DR_PEER_TAG` declarations between two stacks' plans (either direction).

    A store tagged in one stack must name the other stack, and the other stack must hold
    its path: a replication resource naming it (by id/ARN/name), or, for MSK, a Replicator
    fed from a StackReference to the tagged store's stack.
    """
    problems = []
    for home, home_name, peer, peer_name in ((stack_a, name_a, stack_b, name_b), (stack_b, name_b, stack_a, name_a)):
        for store in home:
            declared = (tags_of(store.props.get("tags")) or {}).get(DR_PEER_TAG)
            if not is_set(declared) or not needs_cross_region_path(store):
                continue
            if not stack_name_matches(declared, peer_name):
                problems.append(f"{home_name}: {store.name} names DR peer {declared!r}, not {peer_name!r}.")
                continue
            if has_cross_region_path(store, peer):
                continue
            if store.type == tokens.MSK_CLUSTER and any(
                _depends_on_stack(replicator, of_type(peer, tokens.STACK_REFERENCE), home_name)
                for replicator in of_type(peer, tokens.MSK_REPLICATOR)
            ):
                continue
            problems.append(f"{home_name}: {store.name} declares DR peer {peer_name!r}, whose plan has no path for it.")
    return problems


STACK_RULES: tuple[StackRule, ...] = tuple(_REGISTRY)
