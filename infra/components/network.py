"""One VPC per stack across N AZs: public, private-app and private-data subnet tiers.

Subnet CIDRs come from the stable allocator (infra/catalog/cidr.py), so adding an AZ or
a tier never renumbers an existing subnet. Private-app subnets reach the internet through
NAT (one per AZ outside dev, so an AZ loss does not cut egress elsewhere); private-data
subnets have no default route at all: MSK and ElastiCache need none.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.catalog.cidr import SUBNET_TIERS, allocate_subnets
from infra.config.schema import NetworkConfig, StackConfig
from infra.naming import Naming

# Security groups every tier gets up front, with egress only: the component that owns a destination
# adds the ingress rules naming its sources, so tiers can reference each other without cycles.
TIER_SECURITY_GROUPS = {
    "alb": "internet-facing application load balancer",
    "ingest": "ingest gateway tasks (ECS Fargate)",
    "processing": "EMR Spark nodes (added to the EMR-managed groups)",
    "kafka": "MSK brokers",
    "cache": "ElastiCache nodes",
    "endpoints": "interface VPC endpoints",
    "canary": "RPO canary function (Lambda)",
}
# Tiers that need egress beyond the VPC (image pulls, S3, AWS APIs through NAT or endpoints).
# The ALB is not one: it only reaches its targets, the ingest tasks inside the VPC.
EGRESS_ANYWHERE = ("ingest", "processing", "canary")


def client_tiers(config: StackConfig) -> tuple[str, ...]:
    """Tiers whose security groups the data stores (brokers, cache) admit: the RPO canary's too where it runs."""
    return ("ingest", "processing", "canary") if config.canary.enabled else ("ingest", "processing")


@dataclass(frozen=True)
class NetworkArgs:
    config: NetworkConfig
    naming: Naming
    availability_zones: list[str]
    kms_key_arn: pulumi.Input[str]
    canary: bool = False
    """Create the RPO canary's security group (``canary.enabled``); a group nothing uses is not created."""


class Network(pulumi.ComponentResource):
    vpc: aws.ec2.Vpc
    subnets: dict[str, list[aws.ec2.Subnet]]
    security_groups: dict[str, aws.ec2.SecurityGroup]
    nat_gateways: list[aws.ec2.NatGateway]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:network:Network", name, None, opts)
        cfg, naming = args.config, args.naming
        self.availability_zones = args.availability_zones[: cfg.az_count]
        child = pulumi.ResourceOptions(parent=self)
        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=cfg.cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": naming("vpc")},
            opts=child,
        )
        vpc_child = pulumi.ResourceOptions(parent=self.vpc)
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=self.vpc.id,
            ingress=[],
            egress=[],
            tags={"Name": naming("default-sg-unused")},
            opts=vpc_child,
        )
        self.subnets = {tier: [] for tier in SUBNET_TIERS}
        for plan in allocate_subnets(cfg.cidr, cfg.az_count, prefix_lengths=cfg.subnet_prefix_lengths):
            az = self.availability_zones[plan.az_index]
            self.subnets[plan.tier].append(
                aws.ec2.Subnet(
                    f"{name}-{plan.tier}-{plan.az_index}",
                    vpc_id=self.vpc.id,
                    cidr_block=plan.cidr,
                    availability_zone=az,
                    map_public_ip_on_launch=False,
                    tags={"Name": naming(plan.tier, az), "tier": plan.tier, **_emr_tag(plan.tier == "private-app")},
                    opts=vpc_child,
                )
            )
        igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=self.vpc.id, tags={"Name": naming("igw")}, opts=vpc_child)
        self.nat_gateways = self._nat_gateways(name, cfg, naming, vpc_child)
        self.route_tables = self._route_tables(name, cfg, naming, igw, vpc_child)
        tiers = [tier for tier in TIER_SECURITY_GROUPS if tier != "canary" or args.canary]
        self.security_groups = self._security_groups(name, naming, tiers, vpc_child)
        self.endpoints = self._endpoints(name, cfg, naming, vpc_child)
        self.flow_log = self._flow_log(name, cfg, naming, args.kms_key_arn, vpc_child)
        self.register_outputs({"vpcId": self.vpc.id, "azs": self.availability_zones})

    def _nat_gateways(
        self, name: str, cfg: NetworkConfig, naming: Naming, opts: pulumi.ResourceOptions
    ) -> list[aws.ec2.NatGateway]:
        count = cfg.az_count if cfg.nat_gateways == "per-az" else 1
        gateways = []
        for index in range(count):
            az = self.availability_zones[index]
            eip = aws.ec2.Eip(f"{name}-nat-eip-{index}", domain="vpc", tags={"Name": naming("nat", az)}, opts=opts)
            gateways.append(
                aws.ec2.NatGateway(
                    f"{name}-nat-{index}",
                    allocation_id=eip.allocation_id,
                    subnet_id=self.subnets["public"][index].id,
                    connectivity_type="public",
                    tags={"Name": naming("nat", az)},
                    opts=opts,
                )
            )
        return gateways

    def _route_tables(
        self, name: str, cfg: NetworkConfig, naming: Naming, igw: aws.ec2.InternetGateway, opts: pulumi.ResourceOptions
    ) -> dict[str, list[aws.ec2.RouteTable]]:
        """A route table per tier per AZ, so an AZ's routes can change without touching the others."""
        tables: dict[str, list[aws.ec2.RouteTable]] = {tier: [] for tier in SUBNET_TIERS}
        for tier in SUBNET_TIERS:
            for index, subnet in enumerate(self.subnets[tier]):
                az = self.availability_zones[index]
                table = aws.ec2.RouteTable(
                    f"{name}-{tier}-rt-{index}",
                    vpc_id=self.vpc.id,
                    tags={"Name": naming(tier, az), "tier": tier},
                    opts=opts,
                )
                aws.ec2.RouteTableAssociation(
                    f"{name}-{tier}-rta-{index}", route_table_id=table.id, subnet_id=subnet.id, opts=opts
                )
                if tier == "public":
                    aws.ec2.Route(
                        f"{name}-{tier}-default-{index}",
                        route_table_id=table.id,
                        destination_cidr_block="0.0.0.0/0",
                        gateway_id=igw.id,
                        opts=opts,
                    )
                elif tier == "private-app":
                    nat = self.nat_gateways[index if cfg.nat_gateways == "per-az" else 0]
                    aws.ec2.Route(
                        f"{name}-{tier}-default-{index}",
                        route_table_id=table.id,
                        destination_cidr_block="0.0.0.0/0",
                        nat_gateway_id=nat.id,
                        opts=opts,
                    )
                tables[tier].append(table)
        return tables

    def _security_groups(
        self, name: str, naming: Naming, tiers: list[str], opts: pulumi.ResourceOptions
    ) -> dict[str, aws.ec2.SecurityGroup]:
        groups = {}
        for tier in tiers:
            purpose = TIER_SECURITY_GROUPS[tier]
            group = aws.ec2.SecurityGroup(
                f"{name}-{tier}-sg",
                name=naming(tier),
                description=f"{purpose}; rules are separate resources",
                vpc_id=self.vpc.id,
                tags={
                    "Name": naming(tier),
                    "tier": tier,
                    **({"exposure": "public"} if tier == "alb" else {}),
                    **_emr_tag(tier == "processing"),
                },
                opts=opts,
            )
            destination = {"cidr_ipv4": "0.0.0.0/0"} if tier in EGRESS_ANYWHERE else {"cidr_ipv4": self.vpc.cidr_block}
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-{tier}-egress",
                security_group_id=group.id,
                ip_protocol="-1",
                description="egress to the internet (NAT) and AWS APIs"
                if tier in EGRESS_ANYWHERE
                else "egress inside the VPC only",
                opts=pulumi.ResourceOptions(parent=group),
                **destination,
            )
            groups[tier] = group
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-endpoints-https",
            security_group_id=groups["endpoints"].id,
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            cidr_ipv4=self.vpc.cidr_block,
            description="HTTPS to AWS APIs from inside the VPC",
            opts=pulumi.ResourceOptions(parent=groups["endpoints"]),
        )
        return groups

    def _endpoints(
        self, name: str, cfg: NetworkConfig, naming: Naming, opts: pulumi.ResourceOptions
    ) -> dict[str, aws.ec2.VpcEndpoint]:
        private_tables = [t.id for tier in ("private-app", "private-data") for t in self.route_tables[tier]]
        endpoints = {
            "s3": aws.ec2.VpcEndpoint(
                f"{name}-s3-endpoint",
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{naming.region}.s3",
                vpc_endpoint_type="Gateway",
                route_table_ids=private_tables,
                tags={"Name": naming("s3")},
                opts=opts,
            )
        }
        for service in cfg.interface_endpoints:
            endpoints[service] = aws.ec2.VpcEndpoint(
                f"{name}-{service.replace('.', '-')}-endpoint",
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{naming.region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=[s.id for s in self.subnets["private-app"]],
                security_group_ids=[self.security_groups["endpoints"].id],
                tags={"Name": naming(service)},
                opts=opts,
            )
        return endpoints

    def _flow_log(
        self,
        name: str,
        cfg: NetworkConfig,
        naming: Naming,
        kms_key_arn: pulumi.Input[str],
        opts: pulumi.ResourceOptions,
    ) -> aws.ec2.FlowLog:
        group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=naming.log_group("vpc-flow-logs"),
            retention_in_days=cfg.flow_log_retention_days,
            kms_key_id=kms_key_arn,
            opts=opts,
        )
        role = aws.iam.Role(
            f"{name}-flow-logs-role",
            name=naming("flow-logs"),
            assume_role_policy=json.dumps(service_trust("vpc-flow-logs.amazonaws.com")),
            opts=opts,
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs-policy",
            role=role.id,
            policy=group.arn.apply(
                lambda arn: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                                "Resource": [arn, f"{arn}:*"],
                            }
                        ],
                    }
                )
            ),
            opts=pulumi.ResourceOptions(parent=role),
        )
        return aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=self.vpc.id,
            traffic_type=cfg.flow_log_traffic_type,
            log_destination_type="cloud-watch-logs",
            log_destination=group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags={"Name": naming("flow-log")},
            opts=opts,
        )


def _emr_tag(applies: bool) -> dict[str, str]:
    """EMR's v2 managed service policy only launches into subnets and groups carrying this tag
    (Amazon EMR management guide, "AmazonEMRServicePolicy_v2", checked 2026-11-26)."""
    return {"for-use-with-amazon-emr-managed-policies": "true"} if applies else {}


def service_trust(*services: str) -> dict[str, object]:
    """Trust policy letting AWS services assume a role."""
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": list(services)}, "Action": "sts:AssumeRole"}],
    }
