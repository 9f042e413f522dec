"""Tests for the stable subnet CIDR planner: the properties that keep subnets from renumbering."""

from __future__ import annotations

import ipaddress
import itertools

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from infra.catalog.cidr import (
    DEFAULT_PREFIX_LENGTHS,
    MAX_AZS,
    RFC1918_RANGES,
    SUBNET_TIERS,
    SubnetPlan,
    allocate_subnets,
    check_layout,
    cidrs_overlap,
    tier_regions,
)

Layout = tuple[str, dict[str, int]]


@st.composite
def vpc_cidrs(draw: st.DrawFn, min_prefix: int = 16, max_prefix: int = 23) -> str:
    """Any canonical VPC CIDR inside one of the RFC 1918 ranges."""
    private = draw(st.sampled_from(RFC1918_RANGES))
    prefix = draw(st.integers(max(min_prefix, private.prefixlen), max_prefix))
    index = draw(st.integers(0, 2 ** (prefix - private.prefixlen) - 1))
    first = int(private.network_address) + index * 2 ** (32 - prefix)
    return str(ipaddress.IPv4Network((first, prefix)))


@st.composite
def any_layouts(draw: st.DrawFn) -> Layout:
    """A VPC and tier sizes within AWS limits; they may or may not fit together."""
    vpc = draw(vpc_cidrs())
    lengths = {
        "public": draw(st.integers(16, 27)),
        "private-app": draw(st.integers(16, 28)),
        "private-data": draw(st.integers(16, 28)),
    }
    return vpc, lengths


@st.composite
def valid_layouts(draw: st.DrawFn) -> Layout:
    """A VPC and tier sizes that check_layout accepts (sizes drawn near the VPC size)."""
    vpc = draw(vpc_cidrs())
    vpc_prefix = ipaddress.IPv4Network(vpc).prefixlen
    lengths = {
        "public": draw(st.integers(vpc_prefix + 4, 27)),
        "private-app": draw(st.integers(vpc_prefix + 4, 28)),
        "private-data": draw(st.integers(vpc_prefix + 4, 28)),
    }
    assume(check_layout(vpc, 1, lengths) == [])
    return vpc, lengths


tier_subsets = st.lists(st.sampled_from(SUBNET_TIERS), min_size=1, unique=True)


def by_key(plans: list[SubnetPlan]) -> dict[tuple[str, int], str]:
    return {(plan.tier, plan.az_index): plan.cidr for plan in plans}


# --- properties -------------------------------------------------------------------------


@given(valid_layouts())
def test_subnets_never_overlap_and_stay_inside_the_vpc(layout: Layout) -> None:
    vpc_cidr, lengths = layout
    vpc = ipaddress.IPv4Network(vpc_cidr)
    plans = allocate_subnets(vpc_cidr, MAX_AZS, SUBNET_TIERS, lengths)
    networks = [ipaddress.IPv4Network(plan.cidr) for plan in plans]  # strict: aligned blocks
    assert len(plans) == MAX_AZS * len(SUBNET_TIERS)
    for plan, network in zip(plans, networks, strict=True):
        assert network.subnet_of(vpc)
        assert network.prefixlen == lengths[plan.tier]
    for first, second in itertools.combinations(networks, 2):
        assert not first.overlaps(second), (first, second)


@given(valid_layouts(), st.integers(1, MAX_AZS - 1), tier_subsets)
def test_adding_an_az_keeps_every_existing_subnet(layout: Layout, az_count: int, tiers: list[str]) -> None:
    vpc_cidr, lengths = layout
    before = allocate_subnets(vpc_cidr, az_count, tiers, lengths)
    after = allocate_subnets(vpc_cidr, az_count + 1, tiers, lengths)
    assert after[: len(before)] == before
    assert {plan.az_index for plan in after[len(before) :]} == {az_count}


@given(valid_layouts(), st.integers(1, MAX_AZS), tier_subsets, tier_subsets)
def test_adding_a_tier_keeps_existing_tiers(
    layout: Layout, az_count: int, some_tiers: list[str], more_tiers: list[str]
) -> None:
    vpc_cidr, lengths = layout
    fewer = allocate_subnets(vpc_cidr, az_count, some_tiers, lengths)
    more = allocate_subnets(vpc_cidr, az_count, sorted({*some_tiers, *more_tiers}), lengths)
    more_by_key = by_key(more)
    assert {key: more_by_key[key] for key in by_key(fewer)} == by_key(fewer)


@given(valid_layouts(), st.integers(16, 28))
def test_appending_a_tier_to_the_registry_moves_no_existing_region(layout: Layout, new_tier_prefix: int) -> None:
    vpc_cidr, lengths = layout
    extended = (*SUBNET_TIERS, "future-tier")
    try:
        grown = tier_regions(vpc_cidr, {**lengths, "future-tier": new_tier_prefix}, registry=extended)
    except ValueError:
        assume(False)  # the new tier does not fit this VPC: nothing to compare
    current = tier_regions(vpc_cidr, lengths)
    assert {tier: grown[tier] for tier in SUBNET_TIERS} == current
    new_block = {ipaddress.IPv4Network(cidr) for cidr in grown["future-tier"].slots}
    existing = {ipaddress.IPv4Network(c) for region in current.values() for c in region.slots}
    assert not any(a.overlaps(b) for a in new_block for b in existing)


@given(valid_layouts(), st.integers(1, MAX_AZS), tier_subsets)
def test_allocation_is_deterministic_and_ignores_tier_order(layout: Layout, az_count: int, tiers: list[str]) -> None:
    vpc_cidr, lengths = layout
    first = allocate_subnets(vpc_cidr, az_count, tiers, lengths)
    assert allocate_subnets(vpc_cidr, az_count, tiers, lengths) == first
    assert allocate_subnets(vpc_cidr, az_count, list(reversed(tiers)), lengths) == first


@given(any_layouts(), st.integers(-1, MAX_AZS + 1))
def test_allocation_fails_exactly_when_check_layout_reports_a_problem(layout: Layout, az_count: int) -> None:
    vpc_cidr, lengths = layout
    problems = check_layout(vpc_cidr, az_count, lengths)
    if problems:
        with pytest.raises(ValueError) as raised:
            allocate_subnets(vpc_cidr, az_count, SUBNET_TIERS, lengths)
        assert all(problem in str(raised.value) for problem in problems)
    else:
        assert len(allocate_subnets(vpc_cidr, az_count, SUBNET_TIERS, lengths)) == az_count * 3


@given(
    st.integers(0, 2**32 - 1),
    st.integers(8, 32),
    st.integers(0, 2**32 - 1),
    st.integers(8, 32),
)
def test_cidrs_overlap_matches_address_ranges(
    first_address: int, first_prefix: int, second_address: int, second_prefix: int
) -> None:
    first = ipaddress.IPv4Network((first_address, first_prefix), strict=False)
    second = ipaddress.IPv4Network((second_address, second_prefix), strict=False)
    share_an_address = int(first.network_address) <= int(second.broadcast_address) and int(
        second.network_address
    ) <= int(first.broadcast_address)
    assert cidrs_overlap(str(first), str(second)) is share_an_address
    assert cidrs_overlap(str(second), str(first)) is share_an_address


# --- examples: the documented /16 layout --------------------------------------------------


def test_defaults_fit_a_slash_16_with_every_tier_at_max_azs() -> None:
    assert check_layout("10.0.0.0/16", MAX_AZS, DEFAULT_PREFIX_LENGTHS) == []
    assert check_layout("10.0.0.0/17", MAX_AZS) != []


def test_documented_layout_of_a_slash_16() -> None:
    regions = tier_regions("10.0.0.0/16")
    assert regions["public"].slots == tuple(f"10.0.{i}.0/24" for i in range(6))
    assert regions["private-app"].slots == tuple(f"10.0.{16 * (i + 1)}.0/20" for i in range(6))
    assert regions["private-data"].slots == tuple(f"10.0.{112 + 4 * i}.0/22" for i in range(6))


def test_dev_stack_two_azs() -> None:
    assert allocate_subnets("10.20.0.0/16", 2) == [
        SubnetPlan("public", 0, "10.20.0.0/24"),
        SubnetPlan("private-app", 0, "10.20.16.0/20"),
        SubnetPlan("private-data", 0, "10.20.112.0/22"),
        SubnetPlan("public", 1, "10.20.1.0/24"),
        SubnetPlan("private-app", 1, "10.20.32.0/20"),
        SubnetPlan("private-data", 1, "10.20.116.0/22"),
    ]


def test_growing_dev_from_two_to_three_azs_renumbers_nothing() -> None:
    """The awsx failure mode: here the third AZ only adds subnets."""
    two = by_key(allocate_subnets("172.16.0.0/16", 2))
    three = by_key(allocate_subnets("172.16.0.0/16", 3))
    assert {key: three[key] for key in two} == two
    assert {key: cidr for key, cidr in three.items() if key not in two} == {
        ("public", 2): "172.16.2.0/24",
        ("private-app", 2): "172.16.48.0/20",
        ("private-data", 2): "172.16.120.0/22",
    }


def test_only_data_tier_selected_uses_its_reserved_region() -> None:
    assert allocate_subnets("192.168.0.0/16", 3, ["private-data"]) == [
        SubnetPlan("private-data", 0, "192.168.112.0/22"),
        SubnetPlan("private-data", 1, "192.168.116.0/22"),
        SubnetPlan("private-data", 2, "192.168.120.0/22"),
    ]


def test_resizing_a_tier_moves_only_that_tier_and_later_ones() -> None:
    """Documented limit of the rule: sizes are fixed at VPC creation."""
    default = tier_regions("10.0.0.0/16")
    bigger_app = tier_regions("10.0.0.0/16", {"private-app": 19})
    assert bigger_app["public"] == default["public"]
    assert bigger_app["private-app"].slots[0] == "10.0.32.0/19"
    assert bigger_app["private-data"].slots[0] == "10.0.224.0/22"


# --- check_layout: one test per kind of problem -------------------------------------------


@pytest.mark.parametrize(
    ("vpc_cidr", "expected"),
    [
        ("not-a-cidr", "is not a valid CIDR block"),
        ("10.0.0.0/33", "is not a valid CIDR block"),
        ("10.0.0.0", "has no prefix length"),
        ("10.0.0.1/16", "did you mean '10.0.0.0/16'"),
        ("fd00::/56", "is IPv6"),
        (None, "must be a string"),
    ],
)
def test_bad_cidr_text(vpc_cidr: str, expected: str) -> None:
    problems = check_layout(vpc_cidr, 3)
    assert len(problems) == 1
    assert expected in problems[0]


@pytest.mark.parametrize("az_count", [0, 7, -1, True, "3", 2.0])
def test_az_count_outside_one_to_six(az_count: int) -> None:
    assert check_layout("10.0.0.0/16", az_count) == [
        f"az_count must be a whole number from 1 to {MAX_AZS}, got {az_count!r}"
    ]


@pytest.mark.parametrize("vpc_cidr", ["8.8.0.0/16", "100.64.0.0/16", "172.32.0.0/16"])
def test_non_private_range(vpc_cidr: str) -> None:
    problems = check_layout(vpc_cidr, 3)
    assert len(problems) == 1
    assert "not inside a private (RFC 1918) range" in problems[0]


def test_vpc_prefix_outside_aws_limits() -> None:
    assert check_layout("10.0.0.0/8", 3) == [
        "VPC CIDR 10.0.0.0/8 must have a prefix length from /16 to /28 (AWS limit)"
    ]
    too_narrow = check_layout("192.168.0.0/29", 3)
    assert any("from /16 to /28" in problem for problem in too_narrow)
    assert any("too small" in problem for problem in too_narrow)


def test_vpc_too_small_names_the_size_needed() -> None:
    (problem,) = check_layout("10.0.0.0/17", 2)
    assert "too small for 6 AZs of every tier" in problem
    assert "needs 34816 addresses" in problem
    assert "use a /16 or larger VPC" in problem


def test_tier_sizes_no_vpc_can_hold() -> None:
    (problem,) = check_layout("10.0.0.0/16", 3, {"private-app": 17})
    assert "more than a /16 VPC can hold" in problem


def test_smaller_tiers_fit_a_smaller_vpc() -> None:
    small = {"public": 26, "private-app": 23, "private-data": 25}
    assert check_layout("10.9.0.0/19", 3, small) == []
    assert check_layout("10.9.0.0/20", 3, small) != []


@pytest.mark.parametrize(
    ("prefix_lengths", "expected"),
    [
        ({"database": 24}, "unknown tier 'database'"),
        ({"private-app": "20"}, "must be a whole number"),
        ({"private-app": 20.0}, "must be a whole number"),
        ({"private-data": 29}, "must be /16 to /28 (AWS limit), got /29"),
        ({"private-data": 15}, "must be /16 to /28 (AWS limit), got /15"),
        ({"public": 28}, "need at least a /27"),
    ],
)
def test_bad_prefix_lengths(prefix_lengths: dict[str, int], expected: str) -> None:
    problems = check_layout("10.0.0.0/16", 3, prefix_lengths)
    assert len(problems) == 1
    assert expected in problems[0]


def test_every_problem_is_reported_at_once() -> None:
    problems = check_layout("8.0.0.0/8", 9, {"public": 30})
    assert [problem.split()[0] for problem in problems] == [
        "az_count",
        "tier",
        "VPC",
        "VPC",
    ]


# --- allocate_subnets / tier_regions / cidrs_overlap errors and examples -------------------


def test_unknown_and_repeated_tiers_are_rejected() -> None:
    with pytest.raises(ValueError, match="unknown subnet tier"):
        allocate_subnets("10.0.0.0/16", 2, ["public", "database"])
    with pytest.raises(ValueError, match="repeat"):
        allocate_subnets("10.0.0.0/16", 2, ["public", "public"])


def test_invalid_layout_raises_with_the_problem() -> None:
    with pytest.raises(ValueError, match="az_count must be a whole number"):
        allocate_subnets("10.0.0.0/16", 7)


def test_registry_tier_without_a_size_is_rejected() -> None:
    with pytest.raises(ValueError, match="no prefix length for tier"):
        tier_regions("10.0.0.0/16", registry=(*SUBNET_TIERS, "future-tier"))


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("10.0.0.0/16", "10.0.128.0/17", True),
        ("10.0.0.0/16", "10.1.0.0/16", False),
        ("10.0.0.0/15", "10.1.0.0/16", True),
        ("10.0.0.0/16", "fd00::/8", False),
        ("fd00::/8", "fd12::/16", True),
    ],
)
def test_cidrs_overlap_examples(a: str, b: str, expected: bool) -> None:
    assert cidrs_overlap(a, b) is expected


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        ("10.0.0.1/16", "did you mean '10.0.0.0/16'"),
        ("ten/8", "not a valid CIDR block"),
        ("", "not a valid CIDR block"),
        ("10.0.0.0", "has no prefix length"),
    ],
)
def test_cidrs_overlap_rejects_bad_text(bad: str, expected: str) -> None:
    with pytest.raises(ValueError, match=expected):
        cidrs_overlap("10.0.0.0/16", bad)
