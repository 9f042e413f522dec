"""Rules for the disaster-recovery pair: strategy per tier, peer region and CIDR, roles."""

from __future__ import annotations

from collections.abc import Iterator

from infra.config.problems import Problem, error
from infra.config.schema import StackConfig
from infra.planning.cidr import cidrs_overlap

# The weakest strategy each tier may run (aws-facts.md "Disaster recovery").
ORDER = ("none", "backup-restore", "warm-standby")
LEAST_STRATEGY = {"dev": "none", "staging": "backup-restore", "prod": "warm-standby"}


def check(config: StackConfig) -> Iterator[Problem]:
    dr = config.dr
    least = LEAST_STRATEGY[config.tier]
    if ORDER.index(dr.strategy) < ORDER.index(least):
        allowed = ", ".join(ORDER[ORDER.index(least) :])
        yield error("dr.strategy", dr.strategy, f"{config.tier} needs at least '{least}' (allowed: {allowed})")
    if dr.strategy == "none":
        if dr.role == "secondary":
            yield error("dr.role", dr.role, "a secondary stack needs a DR strategy other than 'none'")
        return
    if dr.region is None:
        yield error("dr.region", None, f"required with strategy '{dr.strategy}': the other region of the pair")
    elif dr.region == config.region:
        yield error("dr.region", dr.region, f"must differ from the stack's region {config.region}")
    if dr.peer_cidr is None:
        yield error("dr.peerCidr", None, f"required with strategy '{dr.strategy}': the other region's VPC CIDR")
    elif cidrs_overlap(dr.peer_cidr, config.network.cidr):
        yield error(
            "dr.peerCidr", dr.peer_cidr, f"overlaps network.cidr {config.network.cidr}; the pair needs disjoint ranges"
        )
    if dr.role == "secondary" and dr.peer_stack is None:
        yield error("dr.peerStack", None, "a secondary stack reads its primary's outputs: name it as org/project/stack")
    if dr.role == "secondary" and dr.strategy != "warm-standby":
        yield error("dr.role", dr.role, "only 'warm-standby' runs a secondary stack; backup-restore keeps copies only")
    pair = {config.region, dr.region}
    if dr.active_region is not None and dr.active_region not in pair:
        yield error(
            "dr.activeRegion", dr.active_region, f"must be one of the pair: {', '.join(sorted(r for r in pair if r))}"
        )
