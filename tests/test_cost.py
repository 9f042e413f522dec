"""Cost estimate: hand-computed examples on small plans, the real price file, properties."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infra.offline.record import PlannedResource, StackPlan
from infra.review.cost import (
    CostDelta,
    PriceBook,
    PriceFileError,
    cost_delta,
    estimate_cost,
    format_cost,
    format_cost_delta,
    load_price_book,
    parse_price_book,
)

HOURS = 730

# A small price document with round-ish figures, so every expected value below can be
# worked out by hand. Independent of infra/data/prices.yaml on purpose.
TEST_PRICES: dict[str, Any] = {
    "effective_date": "2026-11-26",
    "currency": "USD",
    "source": "test figures",
    "hours_per_month": HOURS,
    "regions": {
        "us-east-1": {
            "msk_broker_hour": {"kafka.m7g.large": 0.204},
            "msk_storage_gb_month": 0.10,
            "msk_provisioned_throughput_mbps_month": 0.08,
            "msk_replicator_hour": 0.30,
            "msk_replicator_gb": 0.08,
            "ec2_instance_hour": {
                "m7g.xlarge": 0.1632,
                "r6g.xlarge": 0.2016,
                "r7g.xlarge": 0.2142,
                "r6g.2xlarge": 0.4032,
            },
            "emr_uplift_hour": {
                "m7g.xlarge": 0.0408,
                "r6g.xlarge": 0.0504,
                "r7g.xlarge": 0.05355,
                "r6g.2xlarge": 0.1008,
            },
            "elasticache_node_hour": {
                "valkey": {"cache.r7g.large": 0.1752, "cache.r7g.xlarge": 0.3496},
                "redis": {"cache.r7g.large": 0.219},
            },
            "nat_gateway_hour": 0.045,
            "nat_gateway_gb": 0.045,
            "interface_endpoint_az_hour": 0.01,
            "interface_endpoint_gb": 0.01,
            "public_ipv4_hour": 0.005,
            "alb_hour": 0.0225,
            "alb_lcu_hour": 0.008,
            "nlb_hour": 0.0225,
            "nlb_nlcu_hour": 0.006,
            "fargate_vcpu_hour": 0.04048,
            "fargate_gb_hour": 0.004445,
            "fargate_arm_vcpu_hour": 0.03238,
            "fargate_arm_gb_hour": 0.00356,
            "s3_standard_gb_month": 0.023,
            "backup_storage_gb_month": 0.05,
            "cloudwatch_alarm_month": 0.10,
            "cloudwatch_high_resolution_alarm_month": 0.30,
            "kms_key_month": 1.0,
            "waf_web_acl_month": 5.0,
            "waf_rule_month": 1.0,
            "waf_million_requests": 0.60,
            "route53_health_check_month": 0.50,
            "route53_health_check_feature_month": 1.0,
            "inter_az_gb_each_way": 0.01,
            "inter_region_gb": 0.02,
        }
    },
    "billing_rules": {
        "items": {
            "msk_throughput_included_mbps": {"value": 250, "why": "included throughput"},
            "spot_keeps_emr_uplift": {"value": True, "why": "EMR bills spot too"},
        }
    },
    "usage_assumptions": {
        "items": {
            "spot_discount": {"value": 0.6, "why": "spot at 40%"},
            "default_ingress_mbps": {"value": 1.0, "why": "no workload"},
            "default_consumer_groups": {"value": 1, "why": "no workload"},
            "msk_client_az_count": {"value": 1, "why": "tests opt in to cross-AZ traffic"},
            "msk_replicated_share": {"value": 1.0, "why": "all topics"},
            "nat_gateway_gb_per_month": {"value": 200, "why": "nat"},
            "interface_endpoint_gb_per_month": {"value": 20, "why": "endpoints"},
            "alb_lcu": {"value": 1.0, "why": "lcu"},
            "nlb_nlcu": {"value": 1.0, "why": "nlcu"},
            "waf_million_requests_per_month": {"value": 10, "why": "waf"},
            "s3_gb_by_role": {
                "value": {"lake": 1000, "logs": 200, "checkpoints": 20, "artifacts": 5, "other": 10},
                "why": "buckets",
            },
            "backup_gb_per_plan": {"value": 500, "why": "backup"},
            "elasticache_engine": {"value": "valkey", "why": "default engine"},
        }
    },
}
BOOK = parse_price_book(TEST_PRICES)


def resource(
    type_token: str,
    name: str,
    inputs: dict[str, Any] | None = None,
    *,
    parent: str | None = None,
    custom: bool = True,
    region: str = "us-east-1",
    dependencies: tuple[str, ...] = (),
    outputs: dict[str, Any] | None = None,
) -> PlannedResource:
    return PlannedResource(
        urn=f"urn:pulumi:test::streaming-platform::{type_token}::{name}",
        type=type_token,
        name=name,
        custom=custom,
        parent=parent,
        provider=None,
        region=region,
        dependencies=dependencies,
        inputs=inputs or {},
        outputs=outputs or {},
    )


def plan_of(*resources: PlannedResource, config: dict[str, Any] | None = None) -> StackPlan:
    return StackPlan("streaming-platform", "test", "us-east-1", config or {}, list(resources))


def msk(brokers: int = 3, **info: Any) -> PlannedResource:
    node_info = {
        "instanceType": "kafka.m7g.large",
        "storageInfo": {"ebsStorageInfo": {"volumeSize": 100.0}},
        **info,
    }
    return resource(
        "aws:msk/cluster:Cluster", "kafka", {"numberOfBrokerNodes": float(brokers), "brokerNodeGroupInfo": node_info}
    )


def monthly(plan: StackPlan, book: PriceBook = BOOK) -> float:
    return estimate_cost(plan, book).total


def test_msk_brokers_storage_throughput_and_cross_az_traffic() -> None:
    cluster = msk(
        3,
        clientSubnets=["subnet-a", "subnet-b", "subnet-c"],
        storageInfo={
            "ebsStorageInfo": {
                "volumeSize": 100.0,
                "provisionedThroughput": {"enabled": True, "volumeThroughput": 400.0},
            }
        },
    )
    workload = {"workload": {"ingress_mbps": 10.0, "consumer_groups": 2}}
    estimate = estimate_cost(plan_of(cluster, config=workload), BOOK)
    charges = {charge.what: charge.monthly for charge in estimate.resources[0].charges}
    # 3 brokers x 730 h x $0.204 = 446.76
    assert charges["broker hours (kafka.m7g.large)"] == pytest.approx(446.76)
    # 3 x 100 GiB x $0.10 = 30
    assert charges["broker storage"] == pytest.approx(30.0)
    # (400 - 250 included) MB/s x 3 brokers x $0.08 = 36
    assert charges["provisioned storage throughput above 250 MB/s"] == pytest.approx(36.0)
    # 10 MB/s x 3600 x 730 / 1000 = 26,280 GB; x 2/3 cross-AZ x (1 producer + 2 groups) = 52,560 GB; x $0.02
    assert charges["client traffic across AZs"] == pytest.approx(1051.2)
    assert estimate.total == pytest.approx(1563.96)
    assert any("from the stack's workload config" in line for line in estimate.assumptions)


def test_msk_without_client_subnets_uses_the_stated_az_assumption() -> None:
    estimate = estimate_cost(plan_of(msk(3)), BOOK)
    assert estimate.total == pytest.approx(446.76 + 30.0)  # test book assumes 1 AZ: no cross-AZ line
    assert any(line.startswith("msk_client_az_count = 1") for line in estimate.assumptions)


def test_elasticache_nodes_are_shards_times_one_plus_replicas() -> None:
    group = resource(
        "aws:elasticache/replicationGroup:ReplicationGroup",
        "cache",
        {"engine": "valkey", "nodeType": "cache.r7g.large", "numNodeGroups": 2.0, "replicasPerNodeGroup": 1.0},
    )
    # 2 x (1 + 1) = 4 nodes x 730 h x $0.1752 = 511.584
    assert monthly(plan_of(group)) == pytest.approx(511.584)
    redis = resource(
        "aws:elasticache/replicationGroup:ReplicationGroup",
        "cache",
        {"engine": "redis", "nodeType": "cache.r7g.large", "numCacheClusters": 2.0},
    )
    assert monthly(plan_of(redis)) == pytest.approx(2 * HOURS * 0.219)


def test_global_datastore_secondary_takes_node_type_from_the_cache_config() -> None:
    secondary = resource(
        "aws:elasticache/replicationGroup:ReplicationGroup", "cache", {"globalReplicationGroupId": "ldgnf-cache"}
    )
    config = {"cache": {"engine": "valkey", "node_type": "cache.r7g.xlarge", "shards": 3, "replicas_per_shard": 2}}
    estimate = estimate_cost(plan_of(secondary, config=config), BOOK)
    # 3 x (1 + 2) = 9 nodes x 730 h x $0.3496 = 2,296.872
    assert estimate.total == pytest.approx(2296.872)
    assert any("taken from the stack's cache config" in line for line in estimate.assumptions)
    bare = estimate_cost(plan_of(secondary), BOOK)
    assert bare.total == 0
    assert "no node type" in bare.not_priced[0].reason


def test_emr_fleets_use_cheapest_type_per_unit_and_spot_discount() -> None:
    cluster = resource(
        "aws:emr/cluster:Cluster",
        "spark",
        {
            "masterInstanceFleet": {
                "targetOnDemandCapacity": 1.0,
                "instanceTypeConfigs": [{"instanceType": "m7g.xlarge"}],
            },
            "coreInstanceFleet": {
                "targetOnDemandCapacity": 2.0,
                "instanceTypeConfigs": [{"instanceType": "r7g.xlarge"}, {"instanceType": "r6g.xlarge"}],
            },
        },
    )
    task_fleet = resource(
        "aws:emr/instanceFleet:InstanceFleet",
        "task",
        {
            "targetSpotCapacity": 4.0,
            "instanceTypeConfigs": [
                {"instanceType": "r6g.2xlarge", "weightedCapacity": 2.0, "bidPriceAsPercentageOfOnDemandPrice": 100.0}
            ],
        },
    )
    estimate = estimate_cost(plan_of(cluster, task_fleet), BOOK)
    costs = {item.name: item.monthly for item in estimate.resources}
    # master: 730 x (0.1632 + 0.0408) = 148.92; core: r6g.xlarge is cheaper per unit than
    # r7g.xlarge (0.252 vs 0.26775): 2 x 730 x 0.252 = 367.92
    assert costs["spark"] == pytest.approx(148.92 + 367.92)
    # ceil(4 / 2) = 2 instances x 730 h x (0.4032 x 0.4 spot + 0.1008 EMR) = 382.6368
    assert costs["task"] == pytest.approx(382.6368)


def test_emr_spot_is_capped_by_the_bid_percentage() -> None:
    fleet = resource(
        "aws:emr/instanceFleet:InstanceFleet",
        "task",
        {
            "targetSpotCapacity": 1.0,
            "instanceTypeConfigs": [{"instanceType": "r6g.xlarge", "bidPriceAsPercentageOfOnDemandPrice": 30.0}],
        },
    )
    assert monthly(plan_of(fleet)) == pytest.approx(HOURS * (0.2016 * 0.30 + 0.0504))


def test_fargate_service_links_its_task_definition_by_arn() -> None:
    arn = "arn:aws:ecs:us-east-1:123456789012:task-definition/ingest:3"
    definition = resource(
        "aws:ecs/taskDefinition:TaskDefinition",
        "ingest-task",
        {"family": "ingest", "cpu": "1024", "memory": "2048", "requiresCompatibilities": ["FARGATE"]},
        outputs={"arn": arn},
    )
    service = resource(
        "aws:ecs/service:Service", "ingest", {"desiredCount": 3.0, "launchType": "FARGATE", "taskDefinition": arn}
    )
    # 3 tasks x 730 h x (1 vCPU x 0.04048 + 2 GB x 0.004445) = 108.1203
    assert monthly(plan_of(definition, service)) == pytest.approx(108.1203)


def test_fargate_arm_service_found_through_its_dependency() -> None:
    definition = resource(
        "aws:ecs/taskDefinition:TaskDefinition",
        "ingest-task",
        {"cpu": "512", "memory": "1024", "runtimePlatform": {"cpuArchitecture": "ARM64"}},
    )
    service = resource(
        "aws:ecs/service:Service",
        "ingest",
        {"desiredCount": 2.0, "capacityProviderStrategies": [{"capacityProvider": "FARGATE", "weight": 1.0}]},
        dependencies=(definition.urn,),
    )
    # 2 x 730 x (0.5 x 0.03238 + 1 x 0.00356) = 1460 x 0.01975 = 28.835
    assert monthly(plan_of(definition, service)) == pytest.approx(28.835)


def test_network_resources() -> None:
    alb = resource("aws:lb/loadBalancer:LoadBalancer", "alb", {"loadBalancerType": "application"})
    nlb = resource("aws:lb/loadBalancer:LoadBalancer", "nlb", {"loadBalancerType": "network"})
    nat = resource("aws:ec2/natGateway:NatGateway", "nat-a")
    eip = resource("aws:ec2/eip:Eip", "nat-a-ip")
    interface = resource(
        "aws:ec2/vpcEndpoint:VpcEndpoint", "kms", {"vpcEndpointType": "Interface", "subnetIds": ["a", "b", "c"]}
    )
    gateway = resource("aws:ec2/vpcEndpoint:VpcEndpoint", "s3", {"vpcEndpointType": "Gateway"})
    estimate = estimate_cost(plan_of(alb, nlb, nat, eip, interface, gateway), BOOK)
    costs = {item.name: item.monthly for item in estimate.resources}
    assert costs["alb"] == pytest.approx(730 * 0.0225 + 730 * 0.008)  # 22.265
    assert costs["nlb"] == pytest.approx(730 * 0.0225 + 730 * 0.006)  # 20.805
    assert costs["nat-a"] == pytest.approx(730 * 0.045 + 200 * 0.045)  # 41.85
    assert costs["nat-a-ip"] == pytest.approx(3.65)
    assert costs["kms"] == pytest.approx(3 * 730 * 0.01 + 20 * 0.01)  # 22.1
    assert "s3" not in costs
    assert estimate.no_charge_count == 1


def test_buckets_priced_by_role_from_name_or_tags() -> None:
    lake = resource("aws:s3/bucket:Bucket", "lake")
    checkpoints = resource("aws:s3/bucket:Bucket", "spark-state", {"tags": {"role": "lake-checkpoints"}})
    other = resource("aws:s3/bucket:Bucket", "misc")
    costs = {item.name: item.monthly for item in estimate_cost(plan_of(lake, checkpoints, other), BOOK).resources}
    assert costs == pytest.approx({"lake": 1000 * 0.023, "spark-state": 20 * 0.023, "misc": 10 * 0.023})


def test_backup_plan_with_a_cross_region_copy() -> None:
    plan = resource(
        "aws:backup/plan:Plan",
        "backup",
        {
            "rules": [
                {"ruleName": "daily", "copyActions": [{"destinationVaultArn": "arn:aws:backup:us-west-2:1:vault"}]}
            ]
        },
    )
    # 500 GB x 0.05 here + 500 GB x 0.05 copy + 500 GB x 0.02 transfer = 60
    assert monthly(plan_of(plan)) == pytest.approx(60.0)


def test_a_same_region_copy_pays_storage_but_no_transfer() -> None:
    copies = [
        {"destinationVaultArn": "arn:aws:backup:us-west-2:1:backup-vault:dr"},
        {"destinationVaultArn": "arn:aws:backup:us-east-1:1:backup-vault:isolated"},
    ]
    plan = resource("aws:backup/plan:Plan", "backup", {"rules": [{"ruleName": "daily", "copyActions": copies}]})
    # 500 GB x 0.05 here + 2 x 500 GB x 0.05 copies + 500 GB x 0.02 transfer (us-west-2 only) = 85
    assert plan.region == "us-east-1"
    assert monthly(plan_of(plan)) == pytest.approx(85.0)


def test_small_fixed_fees() -> None:
    alarms = [
        resource("aws:cloudwatch/metricAlarm:MetricAlarm", "cpu", {"period": 300.0}),
        resource("aws:cloudwatch/metricAlarm:MetricAlarm", "fast", {"period": 10.0}),
        resource(
            "aws:cloudwatch/metricAlarm:MetricAlarm",
            "math",
            {"metricQueries": [{"id": "a", "metric": {"period": 60.0}}, {"id": "b", "metric": {}}, {"id": "e"}]},
        ),
    ]
    key = resource("aws:kms/key:Key", "key")
    acl = resource("aws:wafv2/webAcl:WebAcl", "waf", {"rules": [{"name": "rate"}, {"name": "common"}]})
    check = resource("aws:route53/healthCheck:HealthCheck", "hc", {"type": "HTTPS_STR_MATCH", "requestInterval": 10.0})
    costs = {item.name: item.monthly for item in estimate_cost(plan_of(*alarms, key, acl, check), BOOK).resources}
    assert costs["cpu"] == pytest.approx(0.10)
    assert costs["fast"] == pytest.approx(0.30)
    assert costs["math"] == pytest.approx(0.20)  # one alarm metric per metric in the math expression
    assert costs["key"] == pytest.approx(1.0)
    assert costs["waf"] == pytest.approx(5 + 2 * 1 + 10 * 0.6)
    assert costs["hc"] == pytest.approx(0.5 + 3 * 1.0)  # HTTPS, string matching, fast interval


def test_msk_replicator_uses_declared_ingress() -> None:
    replicator = resource("aws:msk/replicator:Replicator", "replicator")
    estimate = estimate_cost(plan_of(replicator, config={"workload": {"ingress_mbps": 2.0}}), BOOK)
    gigabytes = 2 * 3600 * 730 / 1000  # 5,256 GB
    assert estimate.total == pytest.approx(730 * 0.30 + gigabytes * (0.08 + 0.02))


def test_unknown_usage_only_and_free_resources_are_reported_not_guessed() -> None:
    plan = plan_of(
        resource("aws:ec2/vpc:Vpc", "vpc"),
        resource("aws:iam/role:Role", "role"),
        resource("aws:cloudwatch/logGroup:LogGroup", "logs"),
        resource("aws:sagemaker/domain:Domain", "mystery"),
        resource("aws:ec2/natGateway:NatGateway", "far-away", region="ap-south-2"),
    )
    estimate = estimate_cost(plan, BOOK)
    assert estimate.total == 0
    assert estimate.no_charge_count == 2
    reasons = {item.name: item.reason for item in estimate.not_priced}
    assert reasons == {
        "logs": "usage-based: log ingestion and storage",
        "mystery": "no price rule for this resource type",
        "far-away": "the price file has no prices for ap-south-2",
    }


def test_a_missing_price_is_reported_and_its_assumptions_are_not_listed() -> None:
    group = resource(
        "aws:elasticache/replicationGroup:ReplicationGroup",
        "cache",
        {"nodeType": "cache.m9.huge", "numCacheClusters": 1.0},
    )
    estimate = estimate_cost(plan_of(group), BOOK)
    assert estimate.not_priced[0].reason == "no price for elasticache_node_hour/valkey/cache.m9.huge in us-east-1"
    assert not any(line.startswith("elasticache_engine") for line in estimate.assumptions)


def test_costs_are_grouped_by_nearest_component_and_by_type() -> None:
    stack = resource("pulumi:pulumi:Stack", "streaming-platform-test", custom=False)
    network = resource("streaming:network:Network", "network", custom=False, parent=stack.urn)
    kafka = resource("streaming:kafka:Kafka", "kafka", custom=False, parent=stack.urn)
    nat_a = resource("aws:ec2/natGateway:NatGateway", "nat-a", parent=network.urn)
    nat_b = resource("aws:ec2/natGateway:NatGateway", "nat-b", parent=network.urn)
    lonely_key = resource("aws:kms/key:Key", "key", parent=stack.urn)
    cluster = msk(3)
    cluster = resource(cluster.type, cluster.name, cluster.inputs, parent=kafka.urn)
    estimate = estimate_cost(plan_of(stack, network, kafka, nat_a, nat_b, lonely_key, cluster), BOOK)
    assert estimate.by_component == pytest.approx(
        {"streaming:kafka:Kafka kafka": 476.76, "streaming:network:Network network": 83.7, "(stack)": 1.0}
    )
    assert list(estimate.by_component) == [
        "streaming:kafka:Kafka kafka",
        "streaming:network:Network network",
        "(stack)",
    ]
    assert estimate.by_type["aws:ec2/natGateway:NatGateway"] == pytest.approx(83.7)


def test_cost_delta_and_its_lines() -> None:
    before = estimate_cost(plan_of(msk(3), resource("aws:kms/key:Key", "key")), BOOK)
    after = estimate_cost(plan_of(msk(6), resource("aws:sagemaker/domain:Domain", "new")), BOOK)
    delta = cost_delta(before, after)
    # brokers and storage double (+476.76), the key goes (-1)
    assert delta.delta == pytest.approx(475.76)
    assert delta.by_type[0] == ("aws:msk/cluster:Cluster", pytest.approx(476.76), pytest.approx(953.52))
    assert delta.newly_not_priced == ("aws:sagemaker/domain:Domain",)
    lines = format_cost_delta(delta)
    assert lines[0] == "Monthly cost: $477.76 -> $953.52 (+$475.76)"
    assert any("newly not priced: aws:sagemaker/domain:Domain" in line for line in lines)


def test_format_cost_shows_total_breakdown_and_assumptions() -> None:
    plan = plan_of(resource("aws:ec2/natGateway:NatGateway", "nat"), resource("aws:cloudwatch/logGroup:LogGroup", "l"))
    lines = format_cost(estimate_cost(plan, BOOK))
    assert lines[0].startswith("Estimated monthly cost: $41.85 USD (on-demand list prices of 2026-11-26")
    assert "  aws:cloudwatch/logGroup:LogGroup x1: usage-based: log ingestion and storage" in lines
    assert any(line.startswith("  - nat_gateway_gb_per_month = 200") for line in lines)


def test_price_file_shape_errors_are_named() -> None:
    broken = copy.deepcopy(TEST_PRICES)
    del broken["effective_date"]
    broken["hours_per_month"] = -1
    with pytest.raises(PriceFileError, match=r"missing 'effective_date'.*positive number"):
        parse_price_book(broken)
    broken = copy.deepcopy(TEST_PRICES)
    broken["usage_assumptions"]["items"]["alb_lcu"] = {"value": 1}
    with pytest.raises(PriceFileError, match="alb_lcu needs 'value' and 'why'"):
        parse_price_book(broken)


# --------------------------------------------------------------------- the real price file


def test_price_file_states_its_date_source_and_a_source_per_key() -> None:
    import yaml

    from infra.review.cost import PRICE_FILE

    document = yaml.safe_load(PRICE_FILE.read_text(encoding="utf-8"))
    book = load_price_book()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", book.effective_date)
    assert "Price List" in book.source and "pricing" in book.source
    assert set(book.regions) == {"us-east-1", "us-west-2", "eu-west-1"}
    keys = {region: {key for key in prices if key != "low_confidence"} for region, prices in book.regions.items()}
    assert keys["us-east-1"] == keys["us-west-2"] == keys["eu-west-1"]
    assert keys["us-east-1"] == set(document["sources"])
    for source in document["sources"].values():
        assert source.startswith("https://aws.amazon.com/")
    for section in ("usage_assumptions", "billing_rules"):
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", document[section]["checked"])


def test_price_file_regions_price_the_same_items_and_flags_point_at_figures() -> None:
    book = load_price_book()

    def leaves(node: Any, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
        if isinstance(node, dict):
            return {path: value for key, child in node.items() for path, value in leaves(child, (*prefix, key)).items()}
        return {prefix: node}

    per_region = {
        region: leaves({key: value for key, value in prices.items() if key != "low_confidence"})
        for region, prices in book.regions.items()
    }
    assert per_region["us-east-1"].keys() == per_region["us-west-2"].keys() == per_region["eu-west-1"].keys()
    for figures in per_region.values():
        assert all(isinstance(value, int | float) and value > 0 for value in figures.values())
    for region, prices in book.regions.items():
        for flag in prices.get("low_confidence", []):
            prefix = tuple(flag.split("/"))
            assert any(path[: len(prefix)] == prefix for path in per_region[region]), flag


def test_every_assumption_a_rule_can_use_is_in_the_real_file() -> None:
    book = load_price_book()
    assert set(BOOK.assumptions) <= set(book.assumptions)


# --------------------------------------------------------------------- properties

_FIXED_MONTHLY = {
    "aws:ec2/natGateway:NatGateway": 730 * 0.045 + 200 * 0.045,
    "aws:lb/loadBalancer:LoadBalancer": 730 * 0.0225 + 730 * 0.008,
    "aws:kms/key:Key": 1.0,
    "aws:s3/bucket:Bucket": 10 * 0.023,
}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(sorted(_FIXED_MONTHLY)), st.integers(0, 2)), max_size=12))
def test_total_equals_sum_by_component_and_by_type(items: list[tuple[str, int]]) -> None:
    components = [resource(f"streaming:tier:Tier{number}", f"tier{number}", custom=False) for number in range(3)]
    resources = [
        resource(type_token, f"r{index}", parent=components[component].urn)
        for index, (type_token, component) in enumerate(items)
    ]
    estimate = estimate_cost(plan_of(*components, *resources), BOOK)
    expected = sum(_FIXED_MONTHLY[type_token] for type_token, _ in items)
    assert estimate.total == pytest.approx(expected)
    assert sum(estimate.by_component.values()) == pytest.approx(expected)
    assert sum(estimate.by_type.values()) == pytest.approx(expected)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 30), st.integers(1, 16384))
def test_msk_cost_is_linear_in_brokers(brokers: int, volume_gib: int) -> None:
    def cost(count: int) -> float:
        cluster = msk(count, storageInfo={"ebsStorageInfo": {"volumeSize": float(volume_gib)}})
        return monthly(plan_of(cluster))

    assert cost(brokers) == pytest.approx(brokers * cost(1))


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 12), st.integers(1, 12))
def test_cost_delta_is_antisymmetric_and_zero_on_itself(first: int, second: int) -> None:
    one = estimate_cost(plan_of(msk(first)), BOOK)
    two = estimate_cost(plan_of(msk(second)), BOOK)
    assert cost_delta(one, two).delta == pytest.approx(-cost_delta(two, one).delta)
    same = cost_delta(one, one)
    assert same.delta == 0 and same.by_component == () and same.by_type == ()


def test_every_planned_stack_is_priced_consistently(stack_plan: StackPlan) -> None:
    book = load_price_book()
    estimate = estimate_cost(stack_plan, book)
    assert estimate.total > 0
    assert sum(estimate.by_component.values()) == pytest.approx(estimate.total)
    assert {item.region for item in estimate.resources} <= set(book.regions)
    assert all(item.reason for item in estimate.not_priced)
    counted = len(estimate.resources) + len(estimate.not_priced) + estimate.no_charge_count
    assert counted == len(list(stack_plan.custom_resources()))


def test_a_standby_region_pays_no_consumer_traffic(plans: dict[str, StackPlan]) -> None:
    """prod-dr runs the same workload config, but its consumers start only after a failover."""
    active, standby = plans["prod"], plans["prod-dr"]
    assert standby.outputs["drServesTraffic"] is False and active.outputs["drServesTraffic"] is True

    def cross_az(plan: StackPlan) -> float:
        [msk] = [r for r in estimate_cost(plan).resources if r.type == "aws:msk/cluster:Cluster"]
        [charge] = [c for c in msk.charges if c.what == "client traffic across AZs"]
        return charge.quantity

    groups = active.config["workload"]["consumer_groups"]
    assert cross_az(standby) * (1 + groups) == pytest.approx(cross_az(active))


def test_an_unchanged_bill_reads_as_no_change_despite_float_noise() -> None:
    same = CostDelta(896.67, 896.67 - 1e-9, (), (), (), ("2025-01-01", "2025-01-01"))
    assert format_cost_delta(same)[0] == "Monthly cost: $896.67 -> $896.67 (+$0.00)"


def test_the_prod_pair_pays_for_one_arc_cluster_every_hour(plans: dict[str, StackPlan]) -> None:
    """Routing controls are on by default in prod: the primary's cluster bills by the hour; the standby joins it."""
    book = load_price_book()
    arc = "aws:route53recoverycontrol/cluster:Cluster"
    prod = [r for r in estimate_cost(plans["prod"], book).resources if r.type == arc]
    assert len(prod) == 1
    rate = book.rate("us-east-1", "arc_cluster_hour")
    assert rate and prod[0].monthly == pytest.approx(rate * book.hours_per_month)
    assert not [r for r in estimate_cost(plans["prod-dr"], book).resources if r.type == arc]
