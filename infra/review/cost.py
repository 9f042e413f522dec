"""Monthly cost estimate of a planned stack, from the dated price file.

Why: a streaming platform's bill is decided in review (broker type, node counts, NAT
per AZ), not when the first invoice arrives. Every rate comes from
``infra/data/prices.yaml`` (dated, each key with its AWS pricing page), and every usage
figure the plan cannot tell (GB processed, GB stored, LCUs) is a named assumption of
that file that the estimate lists, so a reviewer sees what each number rests on.

Pure: a ``StackPlan`` and a ``PriceBook`` in, a ``CostEstimate`` out. ``cost_delta``
compares two estimates for ``blueprint diff``; ``format_cost`` and
``format_cost_delta`` give the short lines the plan renderer prints.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from infra.offline.record import PlannedResource, StackPlan
from infra.paths import DATA

PRICE_FILE = DATA / "prices.yaml"
STACK_TYPE = "pulumi:pulumi:Stack"
STACK_LABEL = "(stack)"

# No standing charge (AWS pricing pages: VPC, IAM, ECS, ELB listeners, EMR security
# configurations, ... are free; their usage, if any, is billed on the resource that
# carries it). Counted, not listed as "not priced", so that list stays worth reading.
NO_CHARGE_TYPES: frozenset[str] = frozenset(
    {
        "aws:acm/certificate:Certificate",
        "aws:acm/certificateValidation:CertificateValidation",
        "aws:appautoscaling/policy:Policy",
        "aws:appautoscaling/scheduledAction:ScheduledAction",
        "aws:appautoscaling/target:Target",
        "aws:backup/logicallyAirGappedVault:LogicallyAirGappedVault",
        "aws:backup/selection:Selection",
        "aws:backup/vault:Vault",
        "aws:backup/vaultLockConfiguration:VaultLockConfiguration",
        "aws:backup/vaultNotifications:VaultNotifications",
        "aws:backup/vaultPolicy:VaultPolicy",
        "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl",
        "aws:ec2/defaultRouteTable:DefaultRouteTable",
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
        "aws:ec2/eipAssociation:EipAssociation",
        "aws:ec2/internetGateway:InternetGateway",
        "aws:ec2/route:Route",
        "aws:ec2/routeTable:RouteTable",
        "aws:ec2/routeTableAssociation:RouteTableAssociation",
        "aws:ec2/securityGroup:SecurityGroup",
        "aws:ec2/securityGroupRule:SecurityGroupRule",
        "aws:ec2/subnet:Subnet",
        "aws:ec2/vpc:Vpc",
        "aws:ec2/vpcEndpointRouteTableAssociation:VpcEndpointRouteTableAssociation",
        "aws:ec2/vpcPeeringConnection:VpcPeeringConnection",
        "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter",
        "aws:ecs/cluster:Cluster",
        "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders",
        "aws:ecs/taskDefinition:TaskDefinition",
        "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup",
        "aws:elasticache/parameterGroup:ParameterGroup",
        "aws:elasticache/subnetGroup:SubnetGroup",
        "aws:elasticache/user:User",
        "aws:elasticache/userGroup:UserGroup",
        "aws:elasticache/userGroupAssociation:UserGroupAssociation",
        "aws:emr/managedScalingPolicy:ManagedScalingPolicy",
        "aws:emr/securityConfiguration:SecurityConfiguration",
        "aws:iam/instanceProfile:InstanceProfile",
        "aws:iam/policy:Policy",
        "aws:iam/role:Role",
        "aws:iam/rolePolicy:RolePolicy",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "aws:iam/serviceLinkedRole:ServiceLinkedRole",
        "aws:kms/alias:Alias",
        "aws:kms/keyPolicy:KeyPolicy",
        "aws:lb/listener:Listener",
        "aws:lb/listenerCertificate:ListenerCertificate",
        "aws:lb/listenerRule:ListenerRule",
        "aws:lb/targetGroup:TargetGroup",
        "aws:lb/targetGroupAttachment:TargetGroupAttachment",
        "aws:msk/clusterPolicy:ClusterPolicy",
        "aws:msk/configuration:Configuration",
        "aws:msk/scramSecretAssociation:ScramSecretAssociation",
        "aws:msk/singleScramSecretAssociation:SingleScramSecretAssociation",
        "aws:msk/topic:Topic",
        "aws:route53/record:Record",
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "aws:s3/bucketLogging:BucketLogging",
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        "aws:s3/bucketPolicy:BucketPolicy",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketVersioning:BucketVersioning",
        "aws:secretsmanager/secretVersion:SecretVersion",
        "aws:sns/topicSubscription:TopicSubscription",
        "aws:ssm/parameter:Parameter",
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "aws:wafv2/ipSet:IpSet",
        "aws:wafv2/ruleGroup:RuleGroup",
        "aws:wafv2/webAclAssociation:WebAclAssociation",
    }
)

# Billed by usage only; the plan says nothing about that usage, so these are reported
# as not priced with the reason, rather than guessed.
USAGE_ONLY_REASONS: Mapping[str, str] = {
    "aws:cloudwatch/logGroup:LogGroup": "usage-based: log ingestion and storage",
    "aws:ec2/flowLog:FlowLog": "usage-based: billed as log ingestion at the destination",
    "aws:ecr/repository:Repository": "usage-based: image storage",
    "aws:sns/topic:Topic": "usage-based: publishes and deliveries",
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": (
        "usage-based: billed as log ingestion at the destination"
    ),
}


class PriceFileError(ValueError):
    """The price file is missing, unreadable or not shaped as the estimate needs."""


@dataclass(frozen=True)
class Assumption:
    """A stated figure the estimate depends on: a usage guess or a billing rule."""

    key: str
    value: Any
    why: str

    def describe(self) -> str:
        return f"{self.key} = {self.value}: {self.why}"


@dataclass(frozen=True)
class PriceBook:
    """The parsed price file: per-region rates plus the stated assumptions."""

    effective_date: str
    currency: str
    source: str
    hours_per_month: float
    regions: Mapping[str, Mapping[str, Any]]
    assumptions: Mapping[str, Assumption]

    def rate(self, region: str, key: str, *items: str) -> float | None:
        """A unit price, or None when the file has none for that region/key/item."""
        node: Any = self.regions.get(region, {}).get(key)
        for item in items:
            node = node.get(item) if isinstance(node, Mapping) else None
        if isinstance(node, bool) or not isinstance(node, int | float):
            return None
        return float(node)


@dataclass(frozen=True)
class Charge:
    """One billed dimension of a resource, e.g. broker hours or GB processed."""

    what: str
    quantity: float
    unit: str
    unit_price: float

    @property
    def monthly(self) -> float:
        return self.quantity * self.unit_price


@dataclass(frozen=True)
class ResourceCost:
    urn: str
    type: str
    name: str
    region: str
    component: str
    """``"<type token> <name>"`` of the nearest enclosing component, or ``(stack)``."""
    charges: tuple[Charge, ...]

    @property
    def monthly(self) -> float:
        return sum(charge.monthly for charge in self.charges)


@dataclass(frozen=True)
class NotPriced:
    urn: str
    type: str
    name: str
    reason: str


@dataclass(frozen=True)
class CostEstimate:
    stack: str
    currency: str
    price_date: str
    hours_per_month: float
    resources: tuple[ResourceCost, ...]
    not_priced: tuple[NotPriced, ...]
    no_charge_count: int
    assumptions: tuple[str, ...]

    @property
    def total(self) -> float:
        return sum(resource.monthly for resource in self.resources)

    @property
    def by_component(self) -> dict[str, float]:
        """Monthly cost per component label, largest first."""
        return _sum_by(self.resources, lambda resource: resource.component)

    @property
    def by_type(self) -> dict[str, float]:
        """Monthly cost per resource type token, largest first."""
        return _sum_by(self.resources, lambda resource: resource.type)


@dataclass(frozen=True)
class CostDelta:
    """What a change does to the monthly bill, for ``blueprint diff``."""

    before_total: float
    after_total: float
    by_component: tuple[tuple[str, float, float], ...]
    """(component, before, after) for every component whose cost changed, largest change first."""
    by_type: tuple[tuple[str, float, float], ...]
    newly_not_priced: tuple[str, ...]
    """Type tokens not priced after the change that were priced (or absent) before."""
    price_dates: tuple[str, str]

    @property
    def delta(self) -> float:
        return self.after_total - self.before_total


# --------------------------------------------------------------------- price file


def parse_price_book(document: Any) -> PriceBook:
    """Validate the price file's shape; every problem is named, none is a traceback."""
    if not isinstance(document, Mapping):
        raise PriceFileError("price file: top level must be a mapping")
    problems: list[str] = []
    for key in ("effective_date", "currency", "source", "hours_per_month", "regions"):
        if document.get(key) in (None, ""):
            problems.append(f"missing '{key}'")
    regions = document.get("regions")
    if regions is not None and not (
        isinstance(regions, Mapping) and regions and all(isinstance(prices, Mapping) for prices in regions.values())
    ):
        problems.append("'regions' must map region names to mappings of prices")
    hours = document.get("hours_per_month")
    if hours is not None and not (isinstance(hours, int | float) and hours > 0):
        problems.append("'hours_per_month' must be a positive number")
    if problems:
        raise PriceFileError("price file: " + "; ".join(problems))
    assumptions: dict[str, Assumption] = {}
    for section in ("billing_rules", "usage_assumptions"):
        items = (document.get(section) or {}).get("items") or {}
        for key, entry in items.items():
            if not (isinstance(entry, Mapping) and "value" in entry and entry.get("why")):
                raise PriceFileError(f"price file: {section}.{key} needs 'value' and 'why'")
            assumptions[key] = Assumption(key, entry["value"], str(entry["why"]).strip())
    return PriceBook(
        effective_date=str(document["effective_date"]),
        currency=str(document["currency"]),
        source=str(document["source"]).strip(),
        hours_per_month=float(document["hours_per_month"]),
        regions=document["regions"],
        assumptions=assumptions,
    )


_BOOKS: dict[tuple[Path, int, int], PriceBook] = {}


def load_price_book(path: Path = PRICE_FILE) -> PriceBook:
    """The parsed price file, read once per version of the file (every cost estimate needs it)."""
    try:
        stat = path.stat()
        key = (path.resolve(), stat.st_mtime_ns, stat.st_size)
        if key not in _BOOKS:
            _BOOKS[key] = parse_price_book(yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader))
    except OSError as error:
        raise PriceFileError(f"cannot read price file {path}: {error.strerror}") from error
    except yaml.YAMLError as error:
        raise PriceFileError(f"price file {path} is not valid YAML: {error}") from error
    return _BOOKS[key]


# --------------------------------------------------------------------- estimate


class _UnpricedError(Exception):
    """Raised by a pricing rule that cannot price its resource; the message says why."""


@dataclass
class _Context:
    """What the pricing rules share: the plan, the prices, the assumptions they used."""

    plan: StackPlan
    book: PriceBook
    used: dict[str, Assumption] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def hours(self) -> float:
        return self.book.hours_per_month

    def assume(self, key: str) -> Any:
        assumption = self.book.assumptions.get(key)
        if assumption is None:
            raise _UnpricedError(f"price file states no assumption '{key}'")
        self.used[key] = assumption
        return assumption.value

    def rate(self, region: str, key: str, *items: str) -> float:
        price = self.book.rate(region, key, *items)
        if price is None:
            what = "/".join((key, *items))
            raise _UnpricedError(f"no price for {what} in {region}")
        return price

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def config_section(self, name: str) -> Mapping[str, Any]:
        section = self.plan.config.get(name)
        return section if isinstance(section, Mapping) else {}

    def ingress_gb_per_month(self) -> float:
        """Producer ingress in GB/month: the stack's declared workload, else the assumption."""
        mbps = _number(self.config_section("workload").get("ingress_mbps"))
        if mbps is None:
            mbps = float(self.assume("default_ingress_mbps"))
        else:
            self.note(f"Kafka ingress {mbps:g} MB/s average, from the stack's workload config.")
        return mbps * 3600 * self.hours / 1000

    def consumer_groups(self) -> float:
        """Groups reading the tip; none on a warm standby that does not serve traffic (its job is stopped)."""
        if self.plan.outputs.get("drServesTraffic") is False:
            self.note("Standby region: its consumers are stopped until failover; only the Replicator writes.")
            return 0.0
        groups = _number(self.config_section("workload").get("consumer_groups"))
        return groups if groups is not None else float(self.assume("default_consumer_groups"))


Rule = Callable[[PlannedResource, _Context], list[Charge]]


def estimate_cost(plan: StackPlan, book: PriceBook | None = None) -> CostEstimate:
    """Price every custom resource of the plan for one month of on-demand use."""
    book = book if book is not None else load_price_book()
    context = _Context(plan, book)
    priced: list[ResourceCost] = []
    not_priced: list[NotPriced] = []
    no_charge = 0
    for resource in plan.custom_resources():
        if resource.type in NO_CHARGE_TYPES:
            no_charge += 1
            continue
        rule = _RULES.get(resource.type)
        if rule is None:
            reason = USAGE_ONLY_REASONS.get(resource.type, "no price rule for this resource type")
            not_priced.append(NotPriced(resource.urn, resource.type, resource.name, reason))
            continue
        if resource.region not in book.regions:
            reason = f"the price file has no prices for {resource.region}"
            not_priced.append(NotPriced(resource.urn, resource.type, resource.name, reason))
            continue
        used, notes = dict(context.used), list(context.notes)
        try:
            charges = rule(resource, context)
        except _UnpricedError as unpriced:
            context.used, context.notes = used, notes  # what a failed rule assumed is not shown
            not_priced.append(NotPriced(resource.urn, resource.type, resource.name, str(unpriced)))
            continue
        if not charges:
            no_charge += 1
            continue
        component = _component_label(plan.component_of(resource))
        priced.append(
            ResourceCost(resource.urn, resource.type, resource.name, resource.region, component, tuple(charges))
        )
    assumptions = (
        f"On-demand list prices effective {book.effective_date} ({book.currency}), "
        f"{book.hours_per_month:g} h/month; no taxes, support, free tiers, reservations or savings plans.",
        *context.notes,
        *(assumption.describe() for assumption in context.used.values()),
    )
    return CostEstimate(
        stack=plan.stack,
        currency=book.currency,
        price_date=book.effective_date,
        hours_per_month=book.hours_per_month,
        resources=tuple(priced),
        not_priced=tuple(not_priced),
        no_charge_count=no_charge,
        assumptions=assumptions,
    )


# --------------------------------------------------------------------- pricing rules


def _msk_cluster(resource: PlannedResource, context: _Context) -> list[Charge]:
    info = _mapping(resource.inputs.get("brokerNodeGroupInfo"))
    brokers = _number(resource.inputs.get("numberOfBrokerNodes"))
    instance_type = info.get("instanceType")
    if not brokers or not isinstance(instance_type, str):
        raise _UnpricedError("no numberOfBrokerNodes or brokerNodeGroupInfo.instanceType input")
    region, hours = resource.region, context.hours
    charges = [
        Charge(
            f"broker hours ({instance_type})",
            brokers * hours,
            "broker-h",
            context.rate(region, "msk_broker_hour", instance_type),
        )
    ]
    ebs = _mapping(_mapping(info.get("storageInfo")).get("ebsStorageInfo"))
    volume_gib = _number(ebs.get("volumeSize"))
    if volume_gib:
        charges.append(
            Charge(
                "broker storage",
                brokers * volume_gib,
                "GB-month",
                context.rate(region, "msk_storage_gb_month"),
            )
        )
    throughput = _mapping(ebs.get("provisionedThroughput"))
    if throughput.get("enabled"):
        included = float(context.assume("msk_throughput_included_mbps"))
        billed = max(0.0, (_number(throughput.get("volumeThroughput")) or 0.0) - included)
        if billed:
            charges.append(
                Charge(
                    f"provisioned storage throughput above {included:g} MB/s",
                    brokers * billed,
                    "MB/s-month",
                    context.rate(region, "msk_provisioned_throughput_mbps_month"),
                )
            )
    subnets = info.get("clientSubnets")
    az_count = len(subnets) if isinstance(subnets, list) and subnets else None
    if az_count is None:
        az_count = int(context.assume("msk_client_az_count"))
    if az_count > 1:
        # Producers write to partition leaders and every consumer group reads from them;
        # (azs - 1) / azs of that traffic crosses an AZ, billed on both sides. Broker-to-
        # broker replication is free on MSK. No fetch-from-follower assumed.
        cross_az_share = (az_count - 1) / az_count
        gb = context.ingress_gb_per_month() * cross_az_share * (1 + context.consumer_groups())
        context.note(
            "MSK client traffic crossing AZs = ingress x (azs - 1) / azs x (1 + consumer groups),"
            " billed out and in; broker replication is free; no fetch-from-follower."
        )
        charges.append(
            Charge(
                "client traffic across AZs",
                gb,
                "GB",
                2 * context.rate(region, "inter_az_gb_each_way"),
            )
        )
    return charges


def _msk_replicator(resource: PlannedResource, context: _Context) -> list[Charge]:
    region = resource.region
    gb = context.ingress_gb_per_month() * float(context.assume("msk_replicated_share"))
    return [
        Charge("replicator hours", context.hours, "h", context.rate(region, "msk_replicator_hour")),
        Charge("data replicated", gb, "GB", context.rate(region, "msk_replicator_gb")),
        Charge("inter-region transfer", gb, "GB", context.rate(region, "inter_region_gb")),
    ]


def _arc_cluster(resource: PlannedResource, context: _Context) -> list[Charge]:
    """An ARC cluster bills every hour it exists, whether or not a routing control ever flips."""
    return [Charge("cluster hours", context.hours, "h", context.rate(resource.region, "arc_cluster_hour"))]


def _elasticache_replication_group(resource: PlannedResource, context: _Context) -> list[Charge]:
    inputs, outputs = resource.inputs, resource.outputs
    secondary = bool(inputs.get("globalReplicationGroupId"))
    cache_config = context.config_section("cache") if secondary else {}
    node_type = _first(inputs.get("nodeType"), outputs.get("nodeType"))
    if node_type is None and cache_config.get("node_type"):
        node_type = cache_config["node_type"]
        context.note(
            f"Global Datastore secondary '{resource.name}': node type {node_type} taken from the"
            " stack's cache config (a secondary inherits the primary's node type)."
        )
    if not isinstance(node_type, str):
        raise _UnpricedError("no node type in inputs, outputs or the stack's cache config")
    engine = _first(inputs.get("engine"), outputs.get("engine"), cache_config.get("engine"))
    if engine is None:
        engine = context.assume("elasticache_engine")
    groups = _number(_first(inputs.get("numNodeGroups"), outputs.get("numNodeGroups"), cache_config.get("shards")))
    replicas = _number(
        _first(
            inputs.get("replicasPerNodeGroup"),
            outputs.get("replicasPerNodeGroup"),
            cache_config.get("replicas_per_shard"),
        )
    )
    if groups is not None or replicas is not None:
        nodes = (groups or 1) * (1 + (replicas or 0))
    else:
        nodes = _number(_first(inputs.get("numCacheClusters"), outputs.get("numCacheClusters"))) or 1
    price = context.rate(resource.region, "elasticache_node_hour", str(engine).lower(), node_type)
    return [Charge(f"{engine} node hours ({node_type})", nodes * context.hours, "node-h", price)]


@dataclass(frozen=True)
class _InstanceChoice:
    instance_type: str
    weight: float
    ec2: float
    emr: float
    bid_percent: float | None


def _fleet_charges(label: str, fleet: Mapping[str, Any], region: str, context: _Context) -> list[Charge]:
    """An EMR instance fleet, priced at its cheapest type per capacity unit (lowest-price allocation)."""
    on_demand_units = _number(fleet.get("targetOnDemandCapacity")) or 0.0
    spot_units = _number(fleet.get("targetSpotCapacity")) or 0.0
    if not on_demand_units and not spot_units:
        return []
    choices = []
    for config in fleet.get("instanceTypeConfigs") or []:
        instance_type = _mapping(config).get("instanceType")
        ec2 = context.book.rate(region, "ec2_instance_hour", str(instance_type))
        emr = context.book.rate(region, "emr_uplift_hour", str(instance_type))
        if ec2 is None or emr is None:
            continue
        weight = _number(config.get("weightedCapacity")) or 1.0
        bid = _number(config.get("bidPriceAsPercentageOfOnDemandPrice"))
        choices.append(_InstanceChoice(str(instance_type), weight, ec2, emr, bid))
    if not choices:
        raise _UnpricedError(f"{label}: no EC2 and EMR price in {region} for any of its instance types")
    best = min(choices, key=lambda choice: (choice.ec2 + choice.emr) / choice.weight)
    charges = []
    if on_demand_units:
        count = _instances(on_demand_units, best.weight)
        charges += _instance_charges(f"{label} on-demand", best.instance_type, count, best.ec2, best.emr, context)
    if spot_units:
        count = _instances(spot_units, best.weight)
        ec2_spot = best.ec2 * _spot_factor(best.bid_percent, context)
        charges += _instance_charges(f"{label} spot", best.instance_type, count, ec2_spot, best.emr, context)
    return charges


def _group_charges(label: str, group: Mapping[str, Any], region: str, context: _Context) -> list[Charge]:
    """An EMR instance group: instanceCount x instanceType, spot when it has a bid price."""
    instance_type = group.get("instanceType")
    if not isinstance(instance_type, str):
        raise _UnpricedError(f"{label}: no instanceType input")
    count = _number(group.get("instanceCount"))
    count = 1.0 if count is None else count
    ec2 = context.rate(region, "ec2_instance_hour", instance_type)
    emr = context.rate(region, "emr_uplift_hour", instance_type)
    if group.get("bidPrice"):
        return _instance_charges(f"{label} spot", instance_type, count, ec2 * _spot_factor(None, context), emr, context)
    return _instance_charges(f"{label} on-demand", instance_type, count, ec2, emr, context)


def _instance_charges(
    label: str, instance_type: str, count: float, ec2: float, emr: float, context: _Context
) -> list[Charge]:
    hours = count * context.hours
    return [
        Charge(f"{label} EC2 ({count:g} x {instance_type})", hours, "instance-h", ec2),
        Charge(f"{label} EMR uplift ({count:g} x {instance_type})", hours, "instance-h", emr),
    ]


def _spot_factor(bid_percent: float | None, context: _Context) -> float:
    """Share of the on-demand EC2 price paid for spot: the stated discount, capped by the bid."""
    context.assume("spot_keeps_emr_uplift")
    factor = 1.0 - float(context.assume("spot_discount"))
    return min(factor, bid_percent / 100) if bid_percent else factor


def _instances(units: float, weight: float) -> float:
    return float(math.ceil(units / weight - 1e-9))


def _emr_cluster(resource: PlannedResource, context: _Context) -> list[Charge]:
    inputs, region = resource.inputs, resource.region
    charges: list[Charge] = []
    for role in ("master", "core"):
        fleet = inputs.get(f"{role}InstanceFleet")
        group = inputs.get(f"{role}InstanceGroup")
        if isinstance(fleet, Mapping):
            charges += _fleet_charges(f"{role} fleet", fleet, region, context)
        elif isinstance(group, Mapping):
            charges += _group_charges(f"{role} group", group, region, context)
    if not charges:
        raise _UnpricedError("no master/core instance fleet or group input")
    return charges


def _emr_instance_fleet(resource: PlannedResource, context: _Context) -> list[Charge]:
    return _fleet_charges("task fleet", resource.inputs, resource.region, context)


def _emr_instance_group(resource: PlannedResource, context: _Context) -> list[Charge]:
    return _group_charges("task group", resource.inputs, resource.region, context)


def _ecs_service(resource: PlannedResource, context: _Context) -> list[Charge]:
    inputs = resource.inputs
    task_definition = _task_definition_of(resource, context.plan)
    strategies = inputs.get("capacityProviderStrategies") or []
    providers = [str(_mapping(strategy).get("capacityProvider", "")) for strategy in strategies]
    compatibilities = task_definition.inputs.get("requiresCompatibilities") or []
    fargate = (
        inputs.get("launchType") == "FARGATE"
        or any(provider.startswith("FARGATE") for provider in providers)
        or (inputs.get("launchType") is None and not providers and "FARGATE" in compatibilities)
    )
    if not fargate:
        raise _UnpricedError("EC2 launch type: its capacity is priced with the instances")
    tasks = _number(inputs.get("desiredCount"))
    vcpu = _number(task_definition.inputs.get("cpu"))
    memory_mib = _number(task_definition.inputs.get("memory"))
    if tasks is None or vcpu is None or memory_mib is None:
        raise _UnpricedError("no desiredCount, or no task-level cpu/memory on the task definition")
    platform = _mapping(task_definition.inputs.get("runtimePlatform"))
    arm = platform.get("cpuArchitecture") == "ARM64"
    prefix = "fargate_arm" if arm else "fargate"
    region, task_hours = resource.region, tasks * context.hours
    if any(provider == "FARGATE_SPOT" for provider in providers):
        context.note(f"ECS service '{resource.name}': Fargate Spot capacity priced as on-demand.")
    label = f"{tasks:g} tasks x {vcpu / 1024:g} vCPU / {memory_mib / 1024:g} GB ({'ARM' if arm else 'x86'})"
    return [
        Charge(
            f"Fargate vCPU, {label}", task_hours * vcpu / 1024, "vCPU-h", context.rate(region, f"{prefix}_vcpu_hour")
        ),
        Charge(
            f"Fargate memory, {label}",
            task_hours * memory_mib / 1024,
            "GB-h",
            context.rate(region, f"{prefix}_gb_hour"),
        ),
    ]


def _task_definition_of(service: PlannedResource, plan: StackPlan) -> PlannedResource:
    """The service's task definition: by ARN output, by family, else its one dependency."""
    definitions = plan.of_type("aws:ecs/taskDefinition:TaskDefinition")
    reference = service.inputs.get("taskDefinition")
    if isinstance(reference, str) and reference:
        family = (
            reference.split("task-definition/")[-1].rsplit(":", 1)[0]
            if reference.startswith("arn:")
            else reference.split(":")[0]
        )
        for definition in definitions:
            if definition.outputs.get("arn") == reference or definition.inputs.get("family") == family:
                return definition
    dependencies = set(service.dependencies)
    linked = [definition for definition in definitions if definition.urn in dependencies]
    if len(linked) == 1:
        return linked[0]
    raise _UnpricedError("cannot tell which task definition the service runs")


def _load_balancer(resource: PlannedResource, context: _Context) -> list[Charge]:
    kind = resource.inputs.get("loadBalancerType") or "application"
    keys = {
        "application": ("alb_hour", "alb_lcu_hour", "alb_lcu", "LCU"),
        "network": ("nlb_hour", "nlb_nlcu_hour", "nlb_nlcu", "NLCU"),
    }
    if kind not in keys:
        raise _UnpricedError(f"{kind} load balancers are not in the price file")
    hour_key, unit_key, assumption, unit = keys[kind]
    capacity_units = float(context.assume(assumption))
    region, hours = resource.region, context.hours
    return [
        Charge(f"{kind} load balancer hours", hours, "h", context.rate(region, hour_key)),
        Charge(f"{unit}s", capacity_units * hours, f"{unit}-h", context.rate(region, unit_key)),
    ]


def _nat_gateway(resource: PlannedResource, context: _Context) -> list[Charge]:
    region = resource.region
    return [
        Charge("NAT gateway hours", context.hours, "h", context.rate(region, "nat_gateway_hour")),
        Charge(
            "data processed",
            float(context.assume("nat_gateway_gb_per_month")),
            "GB",
            context.rate(region, "nat_gateway_gb"),
        ),
    ]


def _vpc_endpoint(resource: PlannedResource, context: _Context) -> list[Charge]:
    kind = resource.inputs.get("vpcEndpointType") or "Gateway"
    if kind == "Gateway":
        return []
    if kind != "Interface":
        raise _UnpricedError(f"{kind} endpoints are not in the price file")
    subnets = resource.inputs.get("subnetIds")
    if not isinstance(subnets, list) or not subnets:
        raise _UnpricedError("interface endpoint without subnetIds: cannot tell its AZ count")
    region = resource.region
    return [
        Charge(
            f"endpoint hours in {len(subnets)} AZs",
            len(subnets) * context.hours,
            "AZ-h",
            context.rate(region, "interface_endpoint_az_hour"),
        ),
        Charge(
            "data processed",
            float(context.assume("interface_endpoint_gb_per_month")),
            "GB",
            context.rate(region, "interface_endpoint_gb"),
        ),
    ]


def _public_ipv4(resource: PlannedResource, context: _Context) -> list[Charge]:
    return [Charge("public IPv4 hours", context.hours, "h", context.rate(resource.region, "public_ipv4_hour"))]


_BUCKET_ROLES = ("checkpoints", "artifacts", "logs", "lake")


def _bucket_role(resource: PlannedResource) -> str:
    """First role word found in the bucket's name or tag values (most specific first)."""
    tags = _mapping(resource.inputs.get("tags"))
    text = " ".join([resource.name, str(resource.inputs.get("bucket") or ""), *map(str, tags.values())]).lower()
    return next((role for role in _BUCKET_ROLES if role in text), "other")


def _s3_bucket(resource: PlannedResource, context: _Context) -> list[Charge]:
    role = _bucket_role(resource)
    gb_by_role = _mapping(context.assume("s3_gb_by_role"))
    gb = _number(gb_by_role.get(role))
    if gb is None:
        raise _UnpricedError(f"s3_gb_by_role states no GB for role '{role}'")
    return [
        Charge(f"S3 Standard storage ({role})", gb, "GB-month", context.rate(resource.region, "s3_standard_gb_month"))
    ]


def _s3_replication(resource: PlannedResource, context: _Context) -> list[Charge]:
    gb = float(context.assume("s3_replication_gb_per_month"))
    return [Charge("replicated to another region", gb, "GB", context.rate(resource.region, "inter_region_gb"))]


def _backup_plan(resource: PlannedResource, context: _Context) -> list[Charge]:
    gb = float(context.assume("backup_gb_per_plan"))
    region = resource.region
    destinations: set[str] = set()
    for rule in resource.inputs.get("rules") or []:
        for index, action in enumerate(_mapping(rule).get("copyActions") or []):
            vault = _mapping(action).get("destinationVaultArn")
            destinations.add(vault if isinstance(vault, str) else f"{_mapping(rule).get('ruleName')}#{index}")
    storage = context.rate(region, "backup_storage_gb_month")
    charges = [Charge("backup storage", gb, "GB-month", storage)]
    if destinations:
        copies = len(destinations)
        # Only copies that leave the region pay inter-region transfer (a vault ARN names its region;
        # an unknown destination counts as remote).
        remote = sum(1 for vault in destinations if not vault.startswith(f"arn:aws:backup:{region}:"))
        charges.append(
            Charge(f"copies in {copies} other vault(s), at this region's rate", gb * copies, "GB-month", storage)
        )
        if remote:
            charges.append(
                Charge("copy transfer to the other region", gb * remote, "GB", context.rate(region, "inter_region_gb"))
            )
    return charges


def _metric_alarm(resource: PlannedResource, context: _Context) -> list[Charge]:
    queries = [_mapping(query) for query in resource.inputs.get("metricQueries") or []]
    metrics = [query["metric"] for query in queries if isinstance(query.get("metric"), Mapping)]
    periods = [_number(resource.inputs.get("period")), *(_number(metric.get("period")) for metric in metrics)]
    high_resolution = any(period is not None and period < 60 for period in periods)
    key = "cloudwatch_high_resolution_alarm_month" if high_resolution else "cloudwatch_alarm_month"
    count = max(1, len(metrics))
    kind = "high-resolution" if high_resolution else "standard"
    return [Charge(f"{kind} alarm metrics", count, "metric-month", context.rate(resource.region, key))]


def _flat(what: str, key: str) -> Rule:
    """A resource billed one fixed monthly fee."""

    def rule(resource: PlannedResource, context: _Context) -> list[Charge]:
        return [Charge(what, 1, "month", context.rate(resource.region, key))]

    return rule


def _web_acl(resource: PlannedResource, context: _Context) -> list[Charge]:
    region = resource.region
    rules = resource.inputs.get("rules") or []
    charges = [
        Charge("web ACL", 1, "month", context.rate(region, "waf_web_acl_month")),
        Charge(
            "requests",
            float(context.assume("waf_million_requests_per_month")),
            "million requests",
            context.rate(region, "waf_million_requests"),
        ),
    ]
    if rules:
        charges.append(Charge("rules", len(rules), "rule-month", context.rate(region, "waf_rule_month")))
    return charges


def _health_check(resource: PlannedResource, context: _Context) -> list[Charge]:
    inputs = resource.inputs
    check_type = str(inputs.get("type") or "")
    features = [
        name
        for name, present in (
            ("HTTPS", check_type.startswith("HTTPS")),
            ("string matching", check_type.endswith("STR_MATCH")),
            ("fast interval", _number(inputs.get("requestInterval")) == 10),
            ("latency measurement", bool(inputs.get("measureLatency"))),
        )
        if present
    ]
    region = resource.region
    context.note("Route 53 health checks are priced as checks of AWS endpoints.")
    charges = [Charge("health check", 1, "month", context.rate(region, "route53_health_check_month"))]
    if features:
        charges.append(
            Charge(
                f"optional features ({', '.join(features)})",
                len(features),
                "feature-month",
                context.rate(region, "route53_health_check_feature_month"),
            )
        )
    return charges


_RULES: Mapping[str, Rule] = {
    "aws:msk/cluster:Cluster": _msk_cluster,
    "aws:msk/replicator:Replicator": _msk_replicator,
    "aws:route53recoverycontrol/cluster:Cluster": _arc_cluster,
    "aws:elasticache/replicationGroup:ReplicationGroup": _elasticache_replication_group,
    "aws:emr/cluster:Cluster": _emr_cluster,
    "aws:emr/instanceFleet:InstanceFleet": _emr_instance_fleet,
    "aws:emr/instanceGroup:InstanceGroup": _emr_instance_group,
    "aws:ecs/service:Service": _ecs_service,
    "aws:lb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:ec2/natGateway:NatGateway": _nat_gateway,
    "aws:ec2/vpcEndpoint:VpcEndpoint": _vpc_endpoint,
    "aws:ec2/eip:Eip": _public_ipv4,
    "aws:s3/bucket:Bucket": _s3_bucket,
    "aws:s3/bucketV2:BucketV2": _s3_bucket,
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": _s3_replication,
    "aws:backup/plan:Plan": _backup_plan,
    "aws:cloudwatch/metricAlarm:MetricAlarm": _metric_alarm,
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": _flat("composite alarm", "cloudwatch_composite_alarm_month"),
    "aws:cloudwatch/dashboard:Dashboard": _flat("dashboard", "cloudwatch_dashboard_month"),
    "aws:kms/key:Key": _flat("customer managed key", "kms_key_month"),
    "aws:kms/replicaKey:ReplicaKey": _flat("multi-Region replica key", "kms_key_month"),
    "aws:secretsmanager/secret:Secret": _flat("secret", "secret_month"),
    "aws:wafv2/webAcl:WebAcl": _web_acl,
    "aws:wafv2/webAclRule:WebAclRule": _flat("web ACL rule", "waf_rule_month"),
    "aws:route53/healthCheck:HealthCheck": _health_check,
    "aws:route53/zone:Zone": _flat("hosted zone", "route53_hosted_zone_month"),
}


# --------------------------------------------------------------------- delta and text


def cost_delta(before: CostEstimate, after: CostEstimate) -> CostDelta:
    """Per-component and per-type change of the monthly cost between two estimates."""
    before_not_priced = {item.type for item in before.not_priced}
    return CostDelta(
        before_total=before.total,
        after_total=after.total,
        by_component=_changes(before.by_component, after.by_component),
        by_type=_changes(before.by_type, after.by_type),
        newly_not_priced=tuple(sorted({item.type for item in after.not_priced} - before_not_priced)),
        price_dates=(before.price_date, after.price_date),
    )


def format_cost(estimate: CostEstimate, top: int = 12) -> list[str]:
    """Short lines for the plan: total, components, types, what is not priced, assumptions."""
    lines = [
        f"Estimated monthly cost: {_money(estimate.total)} {estimate.currency} "
        f"(on-demand list prices of {estimate.price_date}, {estimate.hours_per_month:g} h/month)"
    ]
    lines.append("By component:")
    lines += [f"  {_money(cost):>12}  {label}" for label, cost in estimate.by_component.items()]
    type_counts = Counter(resource.type for resource in estimate.resources)
    by_type = list(estimate.by_type.items())
    lines.append("By resource type:")
    lines += [f"  {_money(cost):>12}  {token} x{type_counts[token]}" for token, cost in by_type[:top]]
    if len(by_type) > top:
        rest = sum(cost for _, cost in by_type[top:])
        lines.append(f"  {_money(rest):>12}  {len(by_type) - top} more types")
    if estimate.not_priced:
        reasons = Counter((item.type, item.reason) for item in estimate.not_priced)
        lines.append(f"Not priced ({len(estimate.not_priced)}):")
        lines += [f"  {token} x{count}: {reason}" for (token, reason), count in sorted(reasons.items())]
    lines.append(f"No standing charge: {estimate.no_charge_count} resources (VPC, IAM, listeners, ...).")
    lines.append("Assumptions:")
    lines += [f"  - {assumption}" for assumption in estimate.assumptions]
    return lines


def format_cost_delta(delta: CostDelta, top: int = 10) -> list[str]:
    sign = "-" if round(delta.delta, 2) < 0 else "+"  # float noise on an unchanged bill is no saving
    lines = [
        f"Monthly cost: {_money(delta.before_total)} -> {_money(delta.after_total)} ({sign}{_money(abs(delta.delta))})"
    ]
    if delta.price_dates[0] != delta.price_dates[1]:
        lines.append(f"  prices changed too: {delta.price_dates[0]} -> {delta.price_dates[1]}")
    for label, before, after in delta.by_component[:top]:
        change = after - before
        lines.append(f"  {'+' if change >= 0 else '-'}{_money(abs(change)):>11}  {label}")
    if delta.newly_not_priced:
        lines.append("  newly not priced: " + ", ".join(delta.newly_not_priced))
    return lines


# --------------------------------------------------------------------- helpers


def _component_label(component: PlannedResource | None) -> str:
    if component is None or component.type == STACK_TYPE:
        return STACK_LABEL
    return f"{component.type} {component.name}"


def _sum_by(resources: Iterable[ResourceCost], key: Callable[[ResourceCost], str]) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for resource in resources:
        totals[key(resource)] += resource.monthly
    return dict(sorted(totals.items(), key=lambda item: (-item[1], item[0])))


def _changes(before: Mapping[str, float], after: Mapping[str, float]) -> tuple[tuple[str, float, float], ...]:
    rows = [
        (label, before.get(label, 0.0), after.get(label, 0.0))
        for label in sorted(set(before) | set(after))
        if not math.isclose(before.get(label, 0.0), after.get(label, 0.0), abs_tol=0.005)
    ]
    return tuple(sorted(rows, key=lambda row: -abs(row[2] - row[1])))


def _money(amount: float) -> str:
    return f"${amount:,.2f}"


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _number(value: Any) -> float | None:
    """Engine inputs arrive as floats, task sizes as strings ("1024"); both are numbers here."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _first(*values: Any) -> Any:
    return next((value for value in values if value not in (None, "")), None)
