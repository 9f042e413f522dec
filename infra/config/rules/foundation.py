"""Rules for the foundation: region, AZs, CIDR layout, NAT, endpoints, log retention."""

from __future__ import annotations

import re
from collections.abc import Iterator

from infra.catalog.cidr import check_layout
from infra.catalog.regions import SUPPORTED_REGIONS
from infra.config.problems import Problem, error
from infra.config.schema import INTERFACE_ENDPOINTS, LOG_RETENTION_DAYS, StackConfig

PROD_MIN_LOG_RETENTION_DAYS = 365
"""A year of logs in prod: checkov CKV_AWS_338, and incidents are often found months later."""
REQUIRED_ENDPOINTS = ("sts", "kms", "logs", "secretsmanager", "ecr.api", "ecr.dkr")
MIN_AZS = {"dev": 2, "staging": 3, "prod": 3}
# Resource names embed the stack name (infra/naming.py). The longest, the bucket
# sp-<stack>-cache-exports-<12-digit account>-eu-central-1, must stay within S3's 63
# lowercase letters, digits and hyphens ("General purpose bucket naming rules", Amazon S3
# User Guide); ElastiCache ids (sp-<stack>-cache, ...) allow no consecutive or trailing
# hyphen (CreateReplicationGroup, ReplicationGroupId). Checked 2026-11-26.
MAX_STACK_NAME_LENGTH = 20
_STACK_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


def stack_name_problem(stack: str) -> str | None:
    """Why resource names derived from this stack name would be rejected by AWS; None when fine."""
    if not _STACK_NAME.match(stack):
        return "lowercase letters, digits and single hyphens, starting with a letter (it is part of bucket and cache names)"
    if len(stack) > MAX_STACK_NAME_LENGTH:
        return f"at most {MAX_STACK_NAME_LENGTH} characters (bucket names derived from it are limited to 63)"
    return None


def check(config: StackConfig) -> Iterator[Problem]:
    name_problem = stack_name_problem(config.stack)
    if name_problem:
        yield error("(stack name)", config.stack, name_problem)
    if config.region not in SUPPORTED_REGIONS:
        yield error("aws:region", config.region, f"allowed: {', '.join(SUPPORTED_REGIONS)}")
    net = config.network
    least = MIN_AZS[config.tier]
    if net.az_count < least:
        yield error("network.azCount", net.az_count, f"{config.tier} needs at least {least} AZs (allowed: {least}..6)")
    for message in check_layout(net.cidr, net.az_count, net.subnet_prefix_lengths):
        yield error("network.cidr", net.cidr, message)
    if config.tier != "dev" and net.nat_gateways != "per-az":
        yield error(
            "network.natGateways",
            net.nat_gateways,
            f"{config.tier} needs 'per-az' so losing one AZ does not cut egress in the others",
        )
    unknown = [e for e in net.interface_endpoints if e not in INTERFACE_ENDPOINTS]
    if unknown:
        yield error(
            "network.interfaceEndpoints", unknown, f"unknown endpoint(s); allowed: {', '.join(INTERFACE_ENDPOINTS)}"
        )
    missing = [e for e in REQUIRED_ENDPOINTS if e not in net.interface_endpoints]
    if missing:
        yield error(
            "network.interfaceEndpoints",
            list(net.interface_endpoints),
            f"must include {', '.join(REQUIRED_ENDPOINTS)} (missing: {', '.join(missing)})",
        )
    if len(set(net.interface_endpoints)) != len(net.interface_endpoints):
        yield error("network.interfaceEndpoints", list(net.interface_endpoints), "each endpoint may appear once")
    for key, days in _retentions(config):
        if days not in LOG_RETENTION_DAYS:
            yield error(key, days, f"CloudWatch Logs allows only {', '.join(map(str, LOG_RETENTION_DAYS))}")
        elif config.tier == "prod" and days < PROD_MIN_LOG_RETENTION_DAYS:
            yield error(key, days, f"prod keeps logs at least {PROD_MIN_LOG_RETENTION_DAYS} days (incident forensics)")


def _retentions(config: StackConfig) -> Iterator[tuple[str, int]]:
    yield "network.flowLogRetentionDays", config.network.flow_log_retention_days
    yield "kafka.logRetentionDays", config.kafka.log_retention_days
    yield "cache.logRetentionDays", config.cache.log_retention_days
    yield "ingest.logRetentionDays", config.ingest.log_retention_days
    yield "canary.logRetentionDays", config.canary.log_retention_days
