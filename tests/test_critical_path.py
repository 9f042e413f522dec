"""Deploy-time critical path: hand-computed small plans, the real create-times file, properties."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infra.offline.record import PlannedResource, StackPlan
from infra.review.critical_path import (
    SERIALIZATION_WATCHLIST,
    CreateTimesError,
    critical_path,
    format_critical_path,
    load_create_times,
    parse_create_times,
)

MSK = "aws:msk/cluster:Cluster"
CACHE = "aws:elasticache/replicationGroup:ReplicationGroup"
EMR = "aws:emr/cluster:Cluster"

# Round figures so every expected total is a sum done by hand.
TIMES = parse_create_times(
    {
        "checked": "2026-11-26",
        "default": {"create_minutes": 0.5, "delete_minutes": 0.25, "source": "test default"},
        "types": {
            "aws:ec2/vpc:Vpc": {"create_minutes": 1, "delete_minutes": 1, "source": "t"},
            "aws:ec2/subnet:Subnet": {"create_minutes": 0.5, "delete_minutes": 0.5, "source": "t"},
            MSK: {"create_minutes": 30, "delete_minutes": 15, "source": "t"},
            CACHE: {"create_minutes": 20, "delete_minutes": 10, "source": "t"},
            EMR: {"create_minutes": 11, "delete_minutes": 5, "source": "t"},
        },
    }
)


def resource(
    type_token: str,
    name: str,
    *,
    depends: tuple[PlannedResource, ...] = (),
    parent: PlannedResource | None = None,
    custom: bool = True,
    property_depends: dict[str, tuple[PlannedResource, ...]] | None = None,
) -> PlannedResource:
    return PlannedResource(
        urn=f"urn:pulumi:test::streaming-platform::{type_token}::{name}",
        type=type_token,
        name=name,
        custom=custom,
        parent=parent.urn if parent else None,
        provider=None,
        region="us-east-1",
        dependencies=tuple(dependency.urn for dependency in depends),
        property_dependencies={
            key: tuple(dependency.urn for dependency in values) for key, values in (property_depends or {}).items()
        },
        inputs={},
        outputs={},
    )


def plan_of(*resources: PlannedResource) -> StackPlan:
    return StackPlan("streaming-platform", "test", "us-east-1", {}, list(resources))


def names(result: Any) -> list[str]:
    return [step.name for step in result.path]


VPC = resource("aws:ec2/vpc:Vpc", "vpc")
SUBNET = resource("aws:ec2/subnet:Subnet", "subnet", depends=(VPC,))


def test_parallel_msk_and_cache_take_the_longer_of_the_two() -> None:
    kafka = resource(MSK, "kafka", depends=(SUBNET,))
    cache = resource(CACHE, "cache", depends=(SUBNET,))
    result = critical_path(plan_of(VPC, SUBNET, kafka, cache), TIMES)
    assert result.total_minutes == pytest.approx(1 + 0.5 + 30)  # max(30, 20) after the network
    assert names(result) == ["vpc", "subnet", "kafka"]
    assert [(step.start, step.finish) for step in result.path] == [(0, 1), (1, 1.5), (1.5, 31.5)]
    assert result.findings == ()


def test_a_depends_on_between_cache_and_msk_adds_them_up_and_is_a_finding() -> None:
    kafka = resource(MSK, "kafka", depends=(SUBNET,))
    cache = resource(CACHE, "cache", depends=(SUBNET, kafka))
    result = critical_path(plan_of(VPC, SUBNET, kafka, cache), TIMES)
    assert result.total_minutes == pytest.approx(1 + 0.5 + 30 + 20)
    assert names(result) == ["vpc", "subnet", "kafka", "cache"]
    assert len(result.findings) == 1
    assert result.findings[0].startswith(f"serialized: {CACHE} 'cache' (20 min) waits for {MSK} 'kafka' (30 min)")
    assert "via kafka -> cache" in result.findings[0]


def test_waiting_on_a_component_waits_for_everything_under_it() -> None:
    kafka_tier = resource("streaming:kafka:Kafka", "kafka-tier", custom=False)
    security_group = resource("aws:ec2/securityGroup:SecurityGroup", "kafka-sg", parent=kafka_tier)
    kafka = resource(MSK, "kafka", parent=kafka_tier, depends=(security_group,))
    spark_tier = resource("streaming:spark:Spark", "spark-tier", custom=False)
    spark = resource(EMR, "spark", parent=spark_tier, depends=(kafka_tier,))
    result = critical_path(plan_of(kafka_tier, security_group, kafka, spark_tier, spark), TIMES)
    assert result.total_minutes == pytest.approx(0.5 + 30 + 11)
    assert names(result) == ["kafka-sg", "kafka", "spark"]
    assert result.tier_finish == (
        ("streaming:kafka:Kafka kafka-tier", pytest.approx(30.5)),
        ("streaming:spark:Spark spark-tier", pytest.approx(41.5)),
    )
    assert "waits for" in result.findings[0] and "'spark'" in result.findings[0]


def test_three_in_a_row_give_two_findings_not_three() -> None:
    kafka = resource(MSK, "kafka")
    cache = resource(CACHE, "cache", property_depends={"securityGroupIds": (kafka,)})
    spark = resource(EMR, "spark", depends=(cache,))
    result = critical_path(plan_of(kafka, cache, spark), TIMES)
    assert result.total_minutes == pytest.approx(30 + 20 + 11)
    assert len(result.findings) == 2
    assert "'cache' (20 min) waits for" in result.findings[0] and "'kafka'" in result.findings[0]
    assert "'spark' (11 min) waits for" in result.findings[1] and "'cache'" in result.findings[1]


def test_unknown_types_use_the_stated_default_and_providers_are_ignored() -> None:
    provider = resource("pulumi:providers:aws", "west")
    role = resource("aws:iam/role:Role", "role", depends=(provider,))
    policy = resource("aws:iam/rolePolicy:RolePolicy", "policy", depends=(role,))
    result = critical_path(plan_of(provider, role, policy), TIMES)
    assert result.total_minutes == pytest.approx(0.5 + 0.5)
    assert names(result) == ["role", "policy"]


def test_delete_runs_the_graph_backwards_with_delete_minutes() -> None:
    kafka = resource(MSK, "kafka", depends=(SUBNET,))
    cache = resource(CACHE, "cache", depends=(SUBNET,))
    result = critical_path(plan_of(VPC, SUBNET, kafka, cache), TIMES, operation="delete")
    # kafka (15) must go before the subnet (0.5), which goes before the VPC (1)
    assert result.total_minutes == pytest.approx(15 + 0.5 + 1)
    assert names(result) == ["kafka", "subnet", "vpc"]
    assert result.findings == ()


def test_empty_plan_and_a_cycle() -> None:
    assert critical_path(plan_of(), TIMES).total_minutes == 0
    first = resource("aws:iam/role:Role", "a")
    second = resource("aws:iam/role:Role", "b", depends=(first,))
    first = resource("aws:iam/role:Role", "a", depends=(second,))
    with pytest.raises(ValueError, match="dependency cycle among 2 resources"):
        critical_path(plan_of(first, second), TIMES)


def test_format_critical_path_lines() -> None:
    kafka = resource(MSK, "kafka", depends=(SUBNET,))
    cache = resource(CACHE, "cache", depends=(kafka,))
    lines = format_critical_path(critical_path(plan_of(VPC, SUBNET, kafka, cache), TIMES))
    assert lines[0] == "Deploy critical path (create, typical minutes): 51.5 min"
    assert lines[3] == f"     1.5 ->   31.5  {MSK} kafka (30 min)"
    assert lines[5] == "Tiers done at: (stack) 51.5 min"
    assert lines[6].startswith("! serialized:")


def test_real_create_times_file_has_a_source_for_every_entry() -> None:
    times = load_create_times()
    assert times.checked == "2026-12-02"
    assert times.default.create_minutes > 0 and times.default.source
    for token in SERIALIZATION_WATCHLIST:
        assert token in times.by_type
        assert "https://" in times.by_type[token].source or "estimate" in times.by_type[token].source
    assert times.minutes(MSK) == 30
    assert times.minutes("aws:nothing/like:This") == times.default.create_minutes
    for timing in times.by_type.values():
        assert timing.source.strip()


def test_malformed_create_times_are_named() -> None:
    with pytest.raises(CreateTimesError, match="malformed entry"):
        parse_create_times({"default": {"create_minutes": 1, "delete_minutes": 1}})
    with pytest.raises(CreateTimesError, match="malformed entry"):
        parse_create_times({"default": {"create_minutes": -1, "delete_minutes": 1, "source": "x"}})


# --------------------------------------------------------------------- properties

TYPES = ["aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", MSK, CACHE, EMR, "aws:iam/role:Role"]


@st.composite
def random_dags(draw: st.DrawFn) -> StackPlan:
    """Plans whose dependencies only point backwards, so they are acyclic by construction."""
    count = draw(st.integers(1, 12))
    resources: list[PlannedResource] = []
    for index in range(count):
        earlier = draw(st.lists(st.integers(0, index - 1), unique=True, max_size=3)) if index else []
        resources.append(
            resource(draw(st.sampled_from(TYPES)), f"r{index}", depends=tuple(resources[i] for i in earlier))
        )
    return plan_of(*resources)


@settings(max_examples=80, deadline=None)
@given(random_dags())
def test_path_is_a_real_chain_whose_minutes_add_up_to_the_total(plan: StackPlan) -> None:
    result = critical_path(plan, TIMES)
    weights = [TIMES.minutes(item.type) for item in plan.resources]
    assert result.total_minutes == pytest.approx(sum(step.minutes for step in result.path))
    assert max(weights) <= result.total_minutes + 1e-9 <= sum(weights) + 1e-9
    for before, after in zip(result.path, result.path[1:], strict=False):
        assert before.urn in plan.by_urn()[after.urn].dependencies
        assert after.start == pytest.approx(before.finish)


@settings(max_examples=80, deadline=None)
@given(random_dags(), st.data())
def test_adding_a_dependency_never_shortens_the_path(plan: StackPlan, data: st.DataObject) -> None:
    if len(plan.resources) < 2:
        return
    later = data.draw(st.integers(1, len(plan.resources) - 1))
    earlier = data.draw(st.integers(0, later - 1))
    resources = list(plan.resources)
    target = resources[later]
    resources[later] = resource(
        target.type,
        target.name,
        depends=tuple(item for item in resources[:later] if item.urn in {*target.dependencies, resources[earlier].urn}),
    )
    assert critical_path(plan_of(*resources), TIMES).total_minutes >= critical_path(plan, TIMES).total_minutes - 1e-9


def test_a_dependency_on_the_stack_itself_is_not_a_wait_for_everything() -> None:
    stack = resource("pulumi:pulumi:Stack", "streaming-platform-test", custom=False)
    kafka = resource(MSK, "kafka", parent=stack)
    alarm = resource("aws:cloudwatch/metricAlarm:MetricAlarm", "alarm", parent=stack, depends=(stack,))
    result = critical_path(plan_of(stack, kafka, alarm), TIMES)
    assert result.total_minutes == 30
    assert result.tier_finish == (("(stack)", 30),)


def test_every_planned_stack_has_a_consistent_critical_path(stack_plan: StackPlan) -> None:
    times = load_create_times()
    result = critical_path(stack_plan, times)
    heaviest = max(times.minutes(item.type) for item in stack_plan.custom_resources())
    assert result.total_minutes >= heaviest
    assert result.total_minutes == pytest.approx(result.path[-1].finish)
    assert max(minute for _, minute in result.tier_finish) == pytest.approx(result.total_minutes)
    assert critical_path(stack_plan, times, operation="delete").total_minutes > 0
