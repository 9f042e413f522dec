"""AZ-outage experiments (AWS FIS) and the alarms that guard every drill.

One FIS experiment template per Availability Zone: for the template's duration it cuts all
traffic in and out of that AZ's private subnets (``aws:network:disrupt-connectivity``,
scope ``all``) and interrupts power to the cache nodes in that AZ
(``aws:elasticache:replicationgroup-interrupt-az-power``). The experiment stops by itself when
a guard alarm fires: those alarms mean the drill hurts clients more than an AZ loss is
designed to (5XX at the edge, no healthy target, offline Kafka partitions). The drill runner
(infra/drills) watches the same alarms, so both stop on the same signal.

Facts (AWS FIS User Guide, "AWS FIS Actions reference" and "Targets for AWS FIS", checked
2026-11-26): disrupt-connectivity targets ``aws:ec2:subnet`` by ARN and needs the managed
policy AWSFaultInjectionSimulatorNetworkAccess; the ElastiCache action targets
``aws:elasticache:replicationgroup`` by resource tag only, with the
``availabilityZoneIdentifier`` target parameter, and needs elasticache:InterruptClusterAzPower,
elasticache:DescribeReplicationGroups and tag:GetResources; stop conditions are CloudWatch
alarm ARNs (source ``aws:cloudwatch:alarm``). Dev has no templates: its cheaper single-NAT
network is not built to survive an AZ loss.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.components.cache import Cache
from infra.components.foundation import Built, Foundation
from infra.components.network import service_trust
from infra.naming import Naming

TIERS_WITH_EXPERIMENTS = ("staging", "prod")
# Long enough for ECS to replace the lost tasks in the other AZs and for the cache to fail
# over (under a minute when healthy); short enough to keep a drill inside an hour.
FAULT_DURATION = "PT10M"
NETWORK_ACCESS_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AWSFaultInjectionSimulatorNetworkAccess"
# Observability alarm keys (infra/components/observability.py) whose firing stops any drill.
STOP_ALARM_KEYS = ("edge-alb-elb-5xx", "edge-alb-no-healthy-hosts", "kafka-offline-partitions")
# Alarm families expected to fire during each scenario: the drill report checks them.
DETECTION_FAMILIES: Mapping[str, tuple[str, ...]] = {
    "az-outage": (
        "edge-alb-unhealthy-hosts",
        "edge-nlb-unhealthy-hosts",
        "ingest-tasks-below-desired",
        "kafka-under-replicated",
        "cache-replication-lag",
    ),
    "broker-reboot": ("kafka-under-replicated",),
    "cache-failover": ("cache-replication-lag",),
}


def select_alarm_keys(available: Sequence[str], wanted: Sequence[str]) -> list[str]:
    """Alarm keys among ``available`` that are one of ``wanted`` or a per-target alarm of a wanted family."""
    return [key for key in available if any(key == family or key.startswith(f"{family}-") for family in wanted)]


def experiment_actions(duration: str) -> list[dict[str, Any]]:
    """The two faults of an AZ outage, started together (SDK argument dicts, snake_case keys)."""
    return [
        {
            "name": "disrupt-az-subnets",
            "action_id": "aws:network:disrupt-connectivity",
            "description": "deny all traffic in and out of the AZ's private subnets (network ACL swap)",
            "parameters": [{"key": "duration", "value": duration}, {"key": "scope", "value": "all"}],
            "target": {"key": "Subnets", "value": "az-private-subnets"},
        },
        {
            "name": "interrupt-cache-az-power",
            "action_id": "aws:elasticache:replicationgroup-interrupt-az-power",
            "description": "power off the cache nodes in the AZ; replicas elsewhere are promoted",
            "parameters": [{"key": "duration", "value": duration}],
            "target": {"key": "ReplicationGroups", "value": "az-cache"},
        },
    ]


def experiment_role_policy(region: str, account_id: str, replication_group_id: str) -> dict[str, Any]:
    """The ElastiCache part of the experiment role (the network part is the AWS managed policy)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "InterruptThisStacksCacheAzPower",
                "Effect": "Allow",
                "Action": ["elasticache:InterruptClusterAzPower", "elasticache:DescribeReplicationGroups"],
                "Resource": f"arn:aws:elasticache:{region}:{account_id}:replicationgroup:{replication_group_id}",
            },
            {
                # Tag-based target resolution; GetResources has no resource-level permissions.
                "Sid": "ResolveTargetsByTag",
                "Effect": "Allow",
                "Action": ["tag:GetResources"],
                "Resource": "*",
            },
        ],
    }


def experiment_role_trust(region: str, account_id: str) -> dict[str, Any]:
    """FIS may assume the role only for this account's experiments: the confused-deputy guard of the
    FIS user guide ("IAM roles for AWS FIS experiments", checked 2026-11-26)."""
    trust = service_trust("fis.amazonaws.com")
    trust["Statement"][0]["Condition"] = {  # type: ignore[index]
        "StringEquals": {"aws:SourceAccount": account_id},
        "ArnLike": {"aws:SourceArn": f"arn:aws:fis:{region}:{account_id}:experiment/*"},
    }
    return trust


def subnet_arn(region: str, account_id: str, subnet_id: str) -> str:
    return f"arn:aws:ec2:{region}:{account_id}:subnet/{subnet_id}"


@dataclass(frozen=True)
class ChaosArgs:
    naming: Naming
    account_id: str
    region: str
    private_subnet_ids_by_az: Mapping[str, Sequence[pulumi.Input[str]]]
    """AZ name -> the private-app and private-data subnets in it."""
    cache_replication_group_id: str
    """The cache's id, also its Name tag: the ElastiCache target resolves by that tag."""
    stop_alarm_arns: Sequence[pulumi.Input[str]]
    duration: str = FAULT_DURATION


class Chaos(pulumi.ComponentResource):
    """The FIS role and one AZ-outage experiment template per AZ."""

    role: aws.iam.Role
    templates: dict[str, aws.fis.ExperimentTemplate]

    def __init__(self, name: str, args: ChaosArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:chaos:Chaos", name, None, opts)
        if not args.stop_alarm_arns:
            raise ValueError("an FIS experiment needs at least one stop-condition alarm")
        naming, child = args.naming, pulumi.ResourceOptions(parent=self)
        self.role = aws.iam.Role(
            f"{name}-fis-role",
            name=naming("fis"),
            assume_role_policy=json.dumps(experiment_role_trust(args.region, args.account_id)),
            description="AWS FIS: disrupt this stack's private subnets and cache AZ power during drills",
            opts=child,
        )
        role_child = pulumi.ResourceOptions(parent=self.role)
        network_access = aws.iam.RolePolicyAttachment(
            f"{name}-fis-network-access", role=self.role.name, policy_arn=NETWORK_ACCESS_POLICY_ARN, opts=role_child
        )
        cache_access = aws.iam.RolePolicy(
            f"{name}-fis-cache-access",
            role=self.role.id,
            policy=json.dumps(experiment_role_policy(args.region, args.account_id, args.cache_replication_group_id)),
            opts=role_child,
        )
        self.templates = {
            az: self._template(name, args, az, subnets, depends_on=[network_access, cache_access])
            for az, subnets in args.private_subnet_ids_by_az.items()
        }
        self.register_outputs(
            {"roleArn": self.role.arn, "templateIds": {az: template.id for az, template in self.templates.items()}}
        )

    def _template(
        self,
        name: str,
        args: ChaosArgs,
        az: str,
        subnet_ids: Sequence[pulumi.Input[str]],
        depends_on: list[pulumi.Resource],
    ) -> aws.fis.ExperimentTemplate:
        arns = [
            pulumi.Output.from_input(s).apply(lambda i: subnet_arn(args.region, args.account_id, i)) for s in subnet_ids
        ]
        return aws.fis.ExperimentTemplate(
            f"{name}-az-outage-{az}",
            description=f"{args.naming('az-outage', az)}: {az} loses its private subnets and cache nodes for {args.duration}",
            role_arn=self.role.arn,
            actions=experiment_actions(args.duration),
            targets=[
                {
                    "name": "az-private-subnets",
                    "resource_type": "aws:ec2:subnet",
                    "selection_mode": "ALL",
                    "resource_arns": arns,
                },
                {
                    "name": "az-cache",
                    "resource_type": "aws:elasticache:replicationgroup",
                    "selection_mode": "ALL",
                    "resource_tags": [{"key": "Name", "value": args.cache_replication_group_id}],
                    "parameters": {"availabilityZoneIdentifier": az},
                },
            ],
            stop_conditions=[{"source": "aws:cloudwatch:alarm", "value": arn} for arn in args.stop_alarm_arns],
            # Fail rather than run a partial outage when a target resolves to nothing.
            experiment_options={"account_targeting": "single-account", "empty_target_resolution_mode": "fail"},
            tags={"Name": args.naming("az-outage", az), "scenario": "az-outage", "az": az},
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on),
        )


def drill_alarms(alarm_names: Mapping[str, pulumi.Input[str]]) -> dict[str, Any]:
    """The ``drillAlarms`` output: guard alarms that stop every drill and the alarms each scenario should fire."""
    keys = list(alarm_names)
    return {
        "stop": [alarm_names[key] for key in select_alarm_keys(keys, STOP_ALARM_KEYS)],
        "detect": {
            scenario: [alarm_names[key] for key in select_alarm_keys(keys, families)]
            for scenario, families in DETECTION_FAMILIES.items()
        },
    }


def build(
    foundation: Foundation, cache: Cache, alarms: Mapping[str, aws.cloudwatch.MetricAlarm]
) -> Built[Chaos | None]:
    """The drill alarms of every stack, out of the stack's ``alarms``; staging and prod also get the AZ-outage experiments."""
    config, network = foundation.config, foundation.network
    outputs: dict[str, Any] = {"drillAlarms": drill_alarms({key: alarm.name for key, alarm in alarms.items()})}
    if config.tier not in TIERS_WITH_EXPERIMENTS:
        return Built(None, outputs)
    subnets_by_az = {
        az: [network.subnets[tier][index].id for tier in ("private-app", "private-data")]
        for index, az in enumerate(network.availability_zones)
    }
    chaos = Chaos(
        "chaos",
        ChaosArgs(
            naming=foundation.naming,
            account_id=foundation.account_id,
            region=config.region,
            private_subnet_ids_by_az=subnets_by_az,
            cache_replication_group_id=cache.replication_group_id,
            stop_alarm_arns=[alarms[key].arn for key in select_alarm_keys(list(alarms), STOP_ALARM_KEYS)],
        ),
        foundation.opts(),
    )
    outputs.update(
        {
            "fisExperimentTemplateIds": {az: template.id for az, template in chaos.templates.items()},
            "fisRoleArn": chaos.role.arn,
            "fisFaultDuration": FAULT_DURATION,
        }
    )
    return Built(chaos, outputs)
