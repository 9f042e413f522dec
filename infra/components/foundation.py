"""What the program hands every tier, and what every tier hands back.

``Foundation`` holds the pieces created before any tier (provider, naming, account, key,
network) and never changes; ``Built`` is a tier's result: the component other tiers may use,
its stack outputs and the alarms observability creates for it. The program passes each tier
the ``Built`` components it reads, so every cross-tier access is typed and nothing is mutated
after creation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import pulumi
import pulumi_aws as aws

from infra.components.alarm_spec import AlarmSpec
from infra.components.kms import StackKey
from infra.components.network import Network
from infra.config.schema import StackConfig
from infra.naming import Naming

T = TypeVar("T", covariant=True)


@dataclass(frozen=True)
class Foundation:
    """The shared pieces of one stack, created before the tiers."""

    config: StackConfig
    naming: Naming
    provider: aws.Provider
    account_id: str
    key: StackKey
    network: Network

    def opts(self) -> pulumi.ResourceOptions:
        """Options for a tier component: this stack's provider."""
        return pulumi.ResourceOptions(providers=[self.provider])

    def outputs(self) -> dict[str, Any]:
        """The stack outputs of the foundation itself (identity, key, network)."""
        config, net = self.config, self.network
        return {
            "stack": config.stack,
            "tier": config.tier,
            "region": config.region,
            "accountId": self.account_id,
            "kmsKeyArn": self.key.key.arn,
            "kmsKeyAlias": self.key.alias.name,
            "vpcId": net.vpc.id,
            "vpcCidr": config.network.cidr,
            "availabilityZones": net.availability_zones,
            "publicSubnetIds": [s.id for s in net.subnets["public"]],
            "privateAppSubnetIds": [s.id for s in net.subnets["private-app"]],
            "privateDataSubnetIds": [s.id for s in net.subnets["private-data"]],
            "natGatewayIds": [n.id for n in net.nat_gateways],
            "securityGroupIds": {tier: sg.id for tier, sg in net.security_groups.items()},
        }


@dataclass(frozen=True)
class Built(Generic[T]):
    """One tier as the program sees it once created."""

    component: T
    """What other tiers may use (the tier's ComponentResource, or None where the stack has none)."""
    outputs: Mapping[str, Any]
    """The tier's stack outputs."""
    alarms: tuple[AlarmSpec, ...] = ()
    """The tier's alarms, created by ``Observability.publish`` once every tier is built."""
