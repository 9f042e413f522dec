"""The Pulumi program: builds one stack of the platform from its validated config.

Tiers are wired in dependency order; each is one ComponentResource in its own module.
Shared pieces (provider with default tags, naming, the stack key, the network and its
tier security groups) are created first and handed to the tiers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.components import cache, chaos, dr, edge, ingest, kafka, observability, spark, storage
from infra.components.kms import StackKey, StackKeyArgs
from infra.components.network import Network, NetworkArgs
from infra.config.schema import StackConfig
from infra.naming import Naming, stack_tags


@dataclass
class Platform:
    """What the tiers of one stack share; filled in as the program goes."""

    config: StackConfig
    naming: Naming
    provider: aws.Provider
    account_id: str
    key: StackKey
    network: Network
    outputs: dict[str, Any] = field(default_factory=dict)
    # Tier components, set as the program creates them (None until then, or when a
    # stack does not have the tier). Typed Any until each tier module exists.
    storage: Any = None
    kafka: Any = None
    cache: Any = None
    ingest: Any = None
    edge: Any = None
    spark: Any = None
    observability: Any = None
    chaos: Any = None
    dr: Any = None
    peer: Any = None
    """The DR primary's outputs (pulumi.StackReference), on a warm-standby secondary only; see dr.peer_reference."""

    def opts(self, **kwargs: Any) -> pulumi.ResourceOptions:
        """Options for a tier component: this stack's provider, plus any extras."""
        return pulumi.ResourceOptions(providers=[self.provider], **kwargs)


def build(config: StackConfig) -> dict[str, Any]:
    """Create every resource of the stack; return the stack outputs."""
    naming = Naming(config.stack, config.region)
    provider = aws.Provider(
        f"aws-{config.region}", region=config.region, default_tags=aws.ProviderDefaultTagsArgs(tags=stack_tags(config))
    )
    invoke = pulumi.InvokeOptions(provider=provider)
    account_id = aws.get_caller_identity(opts=invoke).account_id
    zones = aws.get_availability_zones(state="available", opts=invoke).names
    component_opts = pulumi.ResourceOptions(providers=[provider])
    key = StackKey(
        "stack-key",
        StackKeyArgs(naming=naming, account_id=account_id, deletion_window_days=config.kms.deletion_window_days),
        component_opts,
    )
    network = Network(
        "network",
        NetworkArgs(config=config.network, naming=naming, availability_zones=list(zones), kms_key_arn=key.key.arn),
        component_opts,
    )
    platform = Platform(
        config=config, naming=naming, provider=provider, account_id=account_id, key=key, network=network
    )
    platform.outputs.update(_foundation_outputs(platform))
    platform.storage = storage.add_to(platform)
    platform.kafka = kafka.add_to(platform)
    platform.cache = cache.add_to(platform, dr.cache_global_datastore_id(platform))
    platform.edge = edge.add_to(platform)
    platform.ingest = ingest.add_to(platform)
    platform.spark = spark.add_to(platform)
    platform.observability = observability.add_to(platform)
    platform.chaos = chaos.add_to(platform)
    platform.dr = dr.add_to(platform)
    observability.add_dashboard(platform)  # last: it graphs the alarms every tier added
    return platform.outputs


def _foundation_outputs(p: Platform) -> dict[str, Any]:
    net = p.network
    return {
        "stack": p.config.stack,
        "tier": p.config.tier,
        "region": p.config.region,
        "accountId": p.account_id,
        "kmsKeyArn": p.key.key.arn,
        "kmsKeyAlias": p.key.alias.name,
        "vpcId": net.vpc.id,
        "vpcCidr": p.config.network.cidr,
        "availabilityZones": net.availability_zones,
        "publicSubnetIds": [s.id for s in net.subnets["public"]],
        "privateAppSubnetIds": [s.id for s in net.subnets["private-app"]],
        "privateDataSubnetIds": [s.id for s in net.subnets["private-data"]],
        "natGatewayIds": [n.id for n in net.nat_gateways],
        "securityGroupIds": {tier: sg.id for tier, sg in net.security_groups.items()},
    }
