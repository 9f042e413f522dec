"""The network component, per stack: subnets and AZ spread, NAT layout, routes, endpoints, flow logs."""

from __future__ import annotations

import json
from collections import Counter

from infra.catalog.cidr import SUBNET_TIERS, allocate_subnets
from infra.components.network import TIER_SECURITY_GROUPS
from infra.offline.record import StackPlan


def _subnets(plan: StackPlan) -> list:
    return plan.of_type("aws:ec2/subnet:Subnet")


def test_one_vpc_with_the_configured_cidr_and_dns(stack_plan: StackPlan) -> None:
    vpc = stack_plan.one("aws:ec2/vpc:Vpc")
    assert vpc.inputs["cidrBlock"] == stack_plan.config["network"]["cidr"]
    assert vpc.inputs["enableDnsHostnames"] and vpc.inputs["enableDnsSupport"]


def test_every_tier_has_one_subnet_in_each_az_of_the_region(stack_plan: StackPlan) -> None:
    azs = stack_plan.config["network"]["az_count"]
    expected_azs = [f"{stack_plan.region}{letter}" for letter in "abcdef"[:azs]]
    subnets = _subnets(stack_plan)
    assert len(subnets) == len(SUBNET_TIERS) * azs
    for tier in SUBNET_TIERS:
        tier_azs = sorted(s.inputs["availabilityZone"] for s in subnets if s.inputs["tags"]["tier"] == tier)
        assert tier_azs == expected_azs, tier
    assert not any(s.inputs["mapPublicIpOnLaunch"] for s in subnets)


def test_subnet_cidrs_come_from_the_stable_allocator(stack_plan: StackPlan) -> None:
    net = stack_plan.config["network"]
    expected = {(p.tier, p.cidr) for p in allocate_subnets(net["cidr"], net["az_count"])}
    actual = {(s.inputs["tags"]["tier"], s.inputs["cidrBlock"]) for s in _subnets(stack_plan)}
    assert actual == expected


def test_dev_shares_one_nat_and_other_tiers_have_one_per_az(plans: dict[str, StackPlan]) -> None:
    for stack, plan in plans.items():
        nats = plan.of_type("aws:ec2/natGateway:NatGateway")
        expected = 1 if plan.config["tier"] == "dev" else plan.config["network"]["az_count"]
        assert len(nats) == expected, stack
        public_subnets = {s.outputs["id"] for s in _subnets(plan) if s.inputs["tags"]["tier"] == "public"}
        assert {n.inputs["subnetId"] for n in nats} <= public_subnets
        assert len({n.inputs["subnetId"] for n in nats}) == len(nats), "each NAT in its own AZ"


def test_private_app_routes_to_the_nat_of_its_own_az(plans: dict[str, StackPlan]) -> None:
    plan = plans["prod"]
    nat_by_subnet = {n.inputs["subnetId"]: n.outputs["id"] for n in plan.of_type("aws:ec2/natGateway:NatGateway")}
    subnet_az = {s.outputs["id"]: s.inputs["availabilityZone"] for s in _subnets(plan)}
    nat_az = {nat: subnet_az[subnet] for subnet, nat in nat_by_subnet.items()}
    tables = {t.outputs["id"]: t for t in plan.of_type("aws:ec2/routeTable:RouteTable")}
    app_routes = [r for r in plan.of_type("aws:ec2/route:Route") if r.inputs.get("natGatewayId")]
    assert len(app_routes) == 3
    for route in app_routes:
        table = tables[route.inputs["routeTableId"]]
        assert table.inputs["tags"]["tier"] == "private-app"
        assert table.inputs["tags"]["Name"].endswith(nat_az[route.inputs["natGatewayId"]])


def test_a_route_table_per_tier_per_az_and_data_subnets_have_no_default_route(stack_plan: StackPlan) -> None:
    azs = stack_plan.config["network"]["az_count"]
    tables = stack_plan.of_type("aws:ec2/routeTable:RouteTable")
    assert Counter(t.inputs["tags"]["tier"] for t in tables) == dict.fromkeys(SUBNET_TIERS, azs)
    data_tables = {t.outputs["id"] for t in tables if t.inputs["tags"]["tier"] == "private-data"}
    routes = stack_plan.of_type("aws:ec2/route:Route")
    assert not [r for r in routes if r.inputs["routeTableId"] in data_tables]
    assert sum(1 for r in routes if r.inputs.get("gatewayId")) == azs


def test_s3_gateway_endpoint_serves_every_private_route_table(stack_plan: StackPlan) -> None:
    endpoints = stack_plan.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
    [s3] = [e for e in endpoints if e.inputs["vpcEndpointType"] == "Gateway"]
    assert s3.inputs["serviceName"] == f"com.amazonaws.{stack_plan.region}.s3"
    private = {
        t.outputs["id"]
        for t in stack_plan.of_type("aws:ec2/routeTable:RouteTable")
        if t.inputs["tags"]["tier"] != "public"
    }
    assert set(s3.inputs["routeTableIds"]) == private


def test_interface_endpoints_follow_the_config(stack_plan: StackPlan) -> None:
    wanted = stack_plan.config["network"]["interface_endpoints"]
    endpoints = [
        e for e in stack_plan.of_type("aws:ec2/vpcEndpoint:VpcEndpoint") if e.inputs["vpcEndpointType"] == "Interface"
    ]
    assert sorted(e.inputs["serviceName"] for e in endpoints) == sorted(
        f"com.amazonaws.{stack_plan.region}.{s}" for s in wanted
    )
    for required in ("sts", "kms", "logs", "secretsmanager", "ecr.api", "ecr.dkr"):
        assert required in wanted
    app_subnets = {s.outputs["id"] for s in _subnets(stack_plan) if s.inputs["tags"]["tier"] == "private-app"}
    endpoint_sg = stack_plan.outputs["securityGroupIds"]["endpoints"]
    for endpoint in endpoints:
        assert endpoint.inputs["privateDnsEnabled"] is True
        assert set(endpoint.inputs["subnetIds"]) == app_subnets
        assert endpoint.inputs["securityGroupIds"] == [endpoint_sg]


def test_vpc_flow_logs_go_to_an_encrypted_log_group(stack_plan: StackPlan) -> None:
    flow_log = stack_plan.one("aws:ec2/flowLog:FlowLog")
    vpc = stack_plan.one("aws:ec2/vpc:Vpc")
    assert flow_log.inputs["vpcId"] == vpc.outputs["id"]
    assert flow_log.inputs["trafficType"] == "ALL"
    [group] = [
        g for g in stack_plan.of_type("aws:cloudwatch/logGroup:LogGroup") if g.inputs["name"].endswith("vpc-flow-logs")
    ]
    assert flow_log.inputs["logDestination"] == group.outputs["arn"]
    assert group.inputs["kmsKeyId"] == stack_plan.outputs["kmsKeyArn"]
    assert group.inputs["retentionInDays"] == stack_plan.config["network"]["flow_log_retention_days"]
    [role] = [r for r in stack_plan.of_type("aws:iam/role:Role") if r.outputs["arn"] == flow_log.inputs["iamRoleArn"]]
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Principal"]["Service"] == [
        "vpc-flow-logs.amazonaws.com"
    ]


def test_default_security_group_is_stripped(stack_plan: StackPlan) -> None:
    default_sg = stack_plan.one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert default_sg.inputs["ingress"] == [] and default_sg.inputs["egress"] == []


def test_only_the_ingest_processing_and_canary_tiers_egress_beyond_the_vpc(stack_plan: StackPlan) -> None:
    """The ALB reaches only its targets inside the VPC; data tiers and endpoints never leave it (the canary
    calls CloudWatch and S3)."""
    sg_ids = stack_plan.outputs["securityGroupIds"]
    egress = stack_plan.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
    destinations = {
        tier: [r.inputs.get("cidrIpv4") for r in egress if r.inputs["securityGroupId"] == sg_ids[tier]]
        for tier in sg_ids
    }
    vpc_cidr = stack_plan.config["network"]["cidr"]
    assert destinations == {
        tier: ["0.0.0.0/0" if tier in ("ingest", "processing", "canary") else vpc_cidr] for tier in sg_ids
    }
    canary = ("canary",) if stack_plan.config["canary"]["enabled"] else ()
    assert set(sg_ids) == {tier for tier in TIER_SECURITY_GROUPS if tier != "canary"} | set(canary)
