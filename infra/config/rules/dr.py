"""Rules for the disaster-recovery pair: strategy per tier, peer region and CIDR, roles, failover prerequisites."""

from __future__ import annotations

import re
from collections.abc import Iterator

from infra.catalog.cidr import cidrs_overlap, parse_ipv4_cidr
from infra.catalog.regions import SUPPORTED_REGIONS
from infra.config.pair import active_region, serves_traffic
from infra.config.problems import Problem, error, warning
from infra.config.schema import StackConfig

# The weakest strategy each tier may run (the strategies of "Disaster Recovery of Workloads on AWS",
# https://docs.aws.amazon.com/whitepapers/latest/disaster-recovery-workloads-on-aws/disaster-recovery-options-in-the-cloud.html,
# checked 2026-12-02).
ORDER = ("none", "backup-restore", "warm-standby")
LEAST_STRATEGY = {"dev": "none", "staging": "backup-restore", "prod": "warm-standby"}


# AWS Backup rules take cron() only; EventBridge Scheduler also takes rate() and at(), but a daily
# job is a cron. Six fields: minutes hours day-of-month month day-of-week year ("Schedule types on
# EventBridge Scheduler", "Creating a backup plan", checked 2026-11-26).
CRON = re.compile(r"^cron\((\S+ ){5}\S+\)$")


def check(config: StackConfig) -> Iterator[Problem]:
    dr = config.dr
    least = LEAST_STRATEGY[config.tier]
    if ORDER.index(dr.strategy) < ORDER.index(least):
        allowed = ", ".join(ORDER[ORDER.index(least) :])
        yield error("dr.strategy", dr.strategy, f"{config.tier} needs at least '{least}' (allowed: {allowed})")
    if dr.strategy == "none":
        if dr.role == "secondary":
            yield error("dr.role", dr.role, "a secondary stack needs a DR strategy other than 'none'")
        if dr.active_region is not None:
            yield error("dr.activeRegion", dr.active_region, "only a DR pair has an active region (strategy 'none')")
        return
    if dr.region is None:
        yield error("dr.region", None, f"required with strategy '{dr.strategy}': the other region of the pair")
    elif dr.region == config.region:
        yield error("dr.region", dr.region, f"must differ from the stack's region {config.region}")
    elif dr.region not in SUPPORTED_REGIONS:
        yield error("dr.region", dr.region, f"allowed: {', '.join(r for r in SUPPORTED_REGIONS if r != config.region)}")
    if dr.peer_cidr is None:
        yield error("dr.peerCidr", None, f"required with strategy '{dr.strategy}': the other region's VPC CIDR")
    else:
        yield from _peer_cidr(dr.peer_cidr, config.network.cidr)
    if dr.role == "secondary" and dr.strategy != "warm-standby":
        yield error("dr.role", dr.role, "only 'warm-standby' runs a secondary stack; backup-restore keeps copies only")
    pair = {config.region, dr.region}
    if dr.active_region is not None and dr.active_region not in pair:
        yield error(
            "dr.activeRegion", dr.active_region, f"must be one of the pair: {', '.join(sorted(r for r in pair if r))}"
        )
    yield from _schedules(config)
    yield from _isolated_copy(config)
    if dr.strategy == "warm-standby":
        yield from _warm_standby(config)
    else:
        yield from _backup_restore(config)


def _peer_cidr(peer_cidr: str, vpc_cidr: str) -> Iterator[Problem]:
    """The peer's VPC block must be IPv4 and disjoint from ours; a bad network.cidr is foundation's to report."""
    try:
        parse_ipv4_cidr(peer_cidr)
    except ValueError as exc:
        yield error("dr.peerCidr", peer_cidr, str(exc))
        return
    try:
        overlaps = cidrs_overlap(peer_cidr, vpc_cidr)
    except ValueError:
        return
    if overlaps:
        yield error("dr.peerCidr", peer_cidr, f"overlaps network.cidr {vpc_cidr}; the pair needs disjoint ranges")


def _schedules(config: StackConfig) -> Iterator[Problem]:
    for key, expression in (
        ("dr.backupSchedule", config.dr.backup_schedule),
        ("dr.cacheExportSchedule", config.dr.cache_export_schedule),
    ):
        if not CRON.match(expression):
            yield error(key, expression, "must be a six-field cron(...) expression, e.g. cron(0 5 ? * * *)")


def _warm_standby(config: StackConfig) -> Iterator[Problem]:
    dr, edge = config.dr, config.edge
    if dr.role == "primary" and dr.peer_stack is None:
        yield error(
            "dr.peerStack",
            None,
            "a warm-standby primary names its standby (org/project/stack): bucket, vault and alarm names derive from it",
        )
    if edge.domain_name is None or edge.hosted_zone_id is None:
        yield error(
            "edge.domainName",
            edge.domain_name,
            "warm-standby fails traffic over with Route 53 records: set edge.domainName and edge.hostedZoneId",
        )
    if config.spark.run_job and not serves_traffic(config):
        yield warning(
            "spark.runJob",
            True,
            f"ignored while {config.region} is not dr.activeRegion ({active_region(config)}): the standby starts "
            "the job only after failover, with a new checkpoint (spark.jobGeneration) and spark.startingTimestamp",
        )


def _backup_restore(config: StackConfig) -> Iterator[Problem]:
    if config.dr.routing_controls:
        yield error(
            "dr.routingControls", True, "ARC routing controls need a standby to route to (strategy 'warm-standby')"
        )


def _isolated_copy(config: StackConfig) -> Iterator[Problem]:
    """'account' copies need the other account's vault; a vault ARN without 'account' would be ignored."""
    dr = config.dr
    if dr.isolated_copy == "account" and dr.isolated_vault_arn is None:
        yield error("dr.isolatedVaultArn", None, "required with dr.isolatedCopy 'account': the other account's vault")
    if dr.isolated_copy != "account" and dr.isolated_vault_arn is not None:
        yield error("dr.isolatedVaultArn", dr.isolated_vault_arn, "only with dr.isolatedCopy 'account'")
