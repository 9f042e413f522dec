"""Stable subnet CIDR allocation for the one-VPC-per-stack network.

Why: general-purpose VPC modules (awsx among them) divide the VPC by the number of
AZs, so changing the AZ count renumbers every subnet and forces a replacement of
everything inside. Here a subnet's CIDR depends only on the VPC CIDR, its tier, its
AZ index and the tier sizes, never on how many AZs or which tiers a stack uses today.

The rule: the VPC is cut, from its first address, into one region per tier in
``SUBNET_TIERS`` order. Each region reserves ``MAX_AZS`` equal slots of the tier's
subnet size and starts at the first address after the previous region that is
aligned to that size. AZ ``i`` of a tier always gets slot ``i``. Consequences:

- adding an AZ fills the next slot; existing subnets keep their CIDRs;
- selecting another tier uses its already reserved region; tiers appended to the
  registry later go after the last region, so nothing existing moves;
- changing a tier's prefix length moves that tier and every tier after it; the
  sizes are therefore fixed when a VPC is created.

Layout of ``10.0.0.0/16`` with ``DEFAULT_PREFIX_LENGTHS``:

============  ======  ===========================  ==============  ==============  ==============
tier          subnet  reserved region (6 slots)    AZ 0            AZ 1            AZ 5
============  ======  ===========================  ==============  ==============  ==============
public        /24     10.0.0.0 - 10.0.5.255        10.0.0.0/24     10.0.1.0/24     10.0.5.0/24
(alignment)           10.0.6.0 - 10.0.15.255       unused: private-app starts on a /20 boundary
private-app   /20     10.0.16.0 - 10.0.111.255     10.0.16.0/20    10.0.32.0/20    10.0.96.0/20
private-data  /22     10.0.112.0 - 10.0.135.255    10.0.112.0/22   10.0.116.0/22   10.0.132.0/22
(free)                10.0.136.0 - 10.0.255.255    30,720 addresses for tiers appended later
============  ======  ===========================  ==============  ==============  ==============

AWS limits used below (checked 2026-11-26):
- VPC and subnet IPv4 CIDR blocks must be between /16 and /28: Amazon EC2 API
  Reference, CreateVpc
  (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateVpc.html) and
  Amazon VPC User Guide, "Subnet CIDR blocks"
  (https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html).
- AWS reserves 5 addresses in every subnet (first four and last): same VPC page.
- Every ALB subnet needs at least a /27 and 8 free addresses so the load balancer
  can scale: Elastic Load Balancing, "Application Load Balancers", subnets section
  (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html).
- Private ranges are those of RFC 1918 (https://www.rfc-editor.org/rfc/rfc1918).
  AWS also accepts publicly routable ranges; this blueprint does not, so VPCs never
  shadow internet addresses and can be peered or routed through a transit gateway.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

SUBNET_TIERS: tuple[str, ...] = ("public", "private-app", "private-data")
"""Registry order is part of the stability contract: new tiers are only ever appended."""

MAX_AZS = 6
"""AZ slots reserved per tier, so a stack can grow to every AZ of a large region: us-east-1
has AZ IDs up to use1-az6 (Amazon S3 User Guide, "S3 Express One Zone Availability Zones
and Regions", https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-express-Endpoints.html,
checked 2026-11-26)."""

DEFAULT_PREFIX_LENGTHS: Mapping[str, int] = MappingProxyType({"public": 24, "private-app": 20, "private-data": 22})
"""Subnet sizes per tier; all three tiers for ``MAX_AZS`` fit a /16 with room to spare.

- public /24 (251 usable): holds only ALB/NLB nodes and NAT gateways. ALBs need a /27
  with 8 free addresses to scale; a /24 leaves room for several load balancers and
  for blue/green replacements that briefly double their ENIs.
- private-app /20 (4,091 usable): every ECS task in awsvpc mode takes its own ENI and
  every EMR instance its own address, and both scale out on load; interface VPC
  endpoints also live here. This is the tier that runs out first, so it gets the most.
- private-data /22 (1,019 usable): MSK brokers and ElastiCache nodes use one address
  each, counted in tens, but create-before-destroy replacements of whole clusters and
  the MSK Replicator's ENIs need headroom, hence larger than the public tier.
"""

AWS_MIN_PREFIX = 16
AWS_MAX_PREFIX = 28
ALB_MAX_PREFIX = 27
RFC1918_RANGES: tuple[ipaddress.IPv4Network, ...] = (
    ipaddress.IPv4Network("10.0.0.0/8"),
    ipaddress.IPv4Network("172.16.0.0/12"),
    ipaddress.IPv4Network("192.168.0.0/16"),
)


@dataclass(frozen=True)
class SubnetPlan:
    """One subnet to create: which tier, which AZ (index into the stack's AZ list), which CIDR."""

    tier: str
    az_index: int
    cidr: str


@dataclass(frozen=True)
class TierRegion:
    """The block reserved for one tier: ``MAX_AZS`` slots, slot ``i`` for AZ index ``i``."""

    tier: str
    prefix_length: int
    slots: tuple[str, ...]


def parse_ipv4_cidr(text: object) -> ipaddress.IPv4Network:
    """Parse a canonical IPv4 CIDR, with messages a config author can act on."""
    network = _parse_cidr(text)
    if not isinstance(network, ipaddress.IPv4Network):
        raise ValueError(f"CIDR {text!r} is IPv6; the VPC needs an IPv4 CIDR block")
    return network


def cidrs_overlap(a: str, b: str) -> bool:
    """True when two CIDR blocks share an address (peered or DR VPCs must not).

    Blocks of different address families never overlap. Bad text raises ValueError.
    """
    first, second = _parse_cidr(a), _parse_cidr(b)
    if first.version != second.version:
        return False
    return first.overlaps(second)


def tier_regions(
    vpc_cidr: str,
    prefix_lengths: Mapping[str, int] | None = None,
    *,
    registry: Sequence[str] = SUBNET_TIERS,
) -> dict[str, TierRegion]:
    """Reserve each registry tier's region inside the VPC (the stable layout rule).

    ``registry`` exists so callers (and tests) can check that appending a tier leaves
    earlier regions alone; the platform itself always uses ``SUBNET_TIERS``. Raises
    ValueError when a tier has no size or the regions do not fit the VPC.
    """
    vpc = parse_ipv4_cidr(vpc_cidr)
    problems = _prefix_length_problems(prefix_lengths, registry)
    lengths = _merged_prefix_lengths(prefix_lengths)
    missing = [tier for tier in registry if tier not in lengths]
    if missing:
        problems.append(f"no prefix length for tier(s) {', '.join(missing)}")
    if problems:
        raise ValueError("; ".join(problems))
    starts, layout_end = _region_offsets(lengths, registry)
    if layout_end > vpc.num_addresses:
        raise ValueError(_too_small_message(vpc, layout_end))
    regions: dict[str, TierRegion] = {}
    for tier in registry:
        slot_size = 2 ** (32 - lengths[tier])
        base = int(vpc.network_address) + starts[tier]
        slots = tuple(str(ipaddress.IPv4Network((base + index * slot_size, lengths[tier]))) for index in range(MAX_AZS))
        regions[tier] = TierRegion(tier=tier, prefix_length=lengths[tier], slots=slots)
    return regions


def allocate_subnets(
    vpc_cidr: str,
    az_count: int,
    tiers: Sequence[str] = SUBNET_TIERS,
    prefix_lengths: Mapping[str, int] | None = None,
) -> list[SubnetPlan]:
    """Subnets for ``az_count`` AZs of the selected tiers, AZ by AZ in registry tier order.

    The order makes the plan for ``n`` AZs a prefix of the plan for ``n + 1``. Raises
    ValueError (listing every problem) for a layout ``check_layout`` rejects, or for
    unknown or repeated tiers.
    """
    unknown = [tier for tier in tiers if tier not in SUBNET_TIERS]
    if unknown:
        raise ValueError(f"unknown subnet tier(s) {', '.join(map(repr, unknown))}; known: {', '.join(SUBNET_TIERS)}")
    if len(set(tiers)) != len(tiers):
        raise ValueError(f"subnet tiers repeat: {list(tiers)}")
    problems = check_layout(vpc_cidr, az_count, prefix_lengths)
    if problems:
        raise ValueError("; ".join(problems))
    regions = tier_regions(vpc_cidr, prefix_lengths)
    selected = [tier for tier in SUBNET_TIERS if tier in tiers]
    return [
        SubnetPlan(tier=tier, az_index=az_index, cidr=regions[tier].slots[az_index])
        for az_index in range(az_count)
        for tier in selected
    ]


def check_layout(
    vpc_cidr: str,
    az_count: int,
    prefix_lengths: Mapping[str, int] | None = None,
) -> list[str]:
    """Every problem with a network config, as sentences; empty when the layout is usable.

    The size check always covers ``MAX_AZS`` AZs of every registry tier, so a stack
    that passes can later grow to more AZs or tiers without renumbering.
    """
    problems: list[str] = []
    if isinstance(az_count, bool) or not isinstance(az_count, int) or not 1 <= az_count <= MAX_AZS:
        problems.append(f"az_count must be a whole number from 1 to {MAX_AZS}, got {az_count!r}")
    length_problems = _prefix_length_problems(prefix_lengths, SUBNET_TIERS)
    problems.extend(length_problems)
    try:
        vpc = parse_ipv4_cidr(vpc_cidr)
    except ValueError as error:
        problems.append(str(error))
        return problems
    if not any(vpc.subnet_of(private) for private in RFC1918_RANGES):
        problems.append(
            f"VPC CIDR {vpc} is not inside a private (RFC 1918) range: use 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16"
        )
    if not AWS_MIN_PREFIX <= vpc.prefixlen <= AWS_MAX_PREFIX:
        problems.append(
            f"VPC CIDR {vpc} must have a prefix length from /{AWS_MIN_PREFIX} to /{AWS_MAX_PREFIX} (AWS limit)"
        )
    if not length_problems:
        _, layout_end = _region_offsets(_merged_prefix_lengths(prefix_lengths), SUBNET_TIERS)
        if layout_end > vpc.num_addresses:
            problems.append(_too_small_message(vpc, layout_end))
    return problems


def _prefix_length_problems(prefix_lengths: Mapping[str, int] | None, registry: Sequence[str]) -> list[str]:
    """Problems with a stack's tier-size overrides (unknown tier, not an int, outside AWS limits)."""
    problems: list[str] = []
    for tier, length in (prefix_lengths or {}).items():
        if tier not in registry:
            problems.append(f"prefix length given for unknown tier {tier!r}; known: {', '.join(registry)}")
        elif isinstance(length, bool) or not isinstance(length, int):
            problems.append(f"prefix length of tier {tier!r} must be a whole number, got {length!r}")
        elif not AWS_MIN_PREFIX <= length <= AWS_MAX_PREFIX:
            problems.append(
                f"tier {tier!r} subnets must be /{AWS_MIN_PREFIX} to /{AWS_MAX_PREFIX} (AWS limit), got /{length}"
            )
        elif tier == "public" and length > ALB_MAX_PREFIX:
            problems.append(
                f"public subnets hold load balancers, which need at least a /{ALB_MAX_PREFIX}, got /{length}"
            )
    return problems


def _too_small_message(vpc: ipaddress.IPv4Network, layout_end: int) -> str:
    """Say how much room the layout needs, and what would fix it."""
    smallest_prefix = 32 - (layout_end - 1).bit_length()
    if smallest_prefix >= AWS_MIN_PREFIX:
        remedy = f"use a /{smallest_prefix} or larger VPC, or smaller subnets"
    else:
        remedy = f"that is more than a /{AWS_MIN_PREFIX} VPC can hold: use smaller subnets"
    return (
        f"VPC CIDR {vpc} ({vpc.num_addresses} addresses) is too small for {MAX_AZS} AZs "
        f"of every tier at these subnet sizes: the layout needs {layout_end} addresses; {remedy}"
    )


def _merged_prefix_lengths(prefix_lengths: Mapping[str, int] | None) -> dict[str, int]:
    """Defaults overridden by the stack's sizes, so a stack may set only the tiers it changes."""
    return {**DEFAULT_PREFIX_LENGTHS, **(prefix_lengths or {})}


def _region_offsets(lengths: Mapping[str, int], registry: Sequence[str]) -> tuple[dict[str, int], int]:
    """The stable rule: each tier's region start (offset from the VPC start) and the layout end.

    A tier's start depends only on the sizes of the tiers before it in the registry.
    """
    starts: dict[str, int] = {}
    offset = 0
    for tier in registry:
        slot_size = 2 ** (32 - lengths[tier])
        starts[tier] = _align_up(offset, slot_size)
        offset = starts[tier] + MAX_AZS * slot_size
    return starts, offset


def _align_up(offset: int, block_size: int) -> int:
    """Round up to a multiple of the block size, so a CIDR block can start there."""
    return -(-offset // block_size) * block_size


def _parse_cidr(text: object) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """Parse a canonical CIDR of either family; a host address or host bits are mistakes."""
    if not isinstance(text, str):
        raise ValueError(f"CIDR must be a string like '10.0.0.0/16', got {text!r}")
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise ValueError(f"{text!r} is not a valid CIDR block (expected e.g. '10.0.0.0/16')") from None
    address, slash, _ = text.partition("/")
    if not slash:
        raise ValueError(f"CIDR {text!r} has no prefix length; write it like '10.0.0.0/16'")
    if ipaddress.ip_address(address) != network.network_address:
        raise ValueError(f"CIDR {text!r} has host bits set; did you mean '{network}'?")
    return network
