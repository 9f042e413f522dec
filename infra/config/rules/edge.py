"""Rules for the load balancers: prod never serves plain HTTP; listeners use a TLS 1.3 policy."""

from __future__ import annotations

from collections.abc import Iterator

import yaml

from infra.config.problems import Problem, error
from infra.config.schema import StackConfig
from infra.paths import DATA

_TLS_POLICIES = yaml.safe_load((DATA / "elb_tls_policies.yaml").read_text(encoding="utf-8"))
# ELB security policies of the 2021-06 TLS 1.3 generation or newer (infra/data/elb_tls_policies.yaml).
ALLOWED_TLS_POLICIES: tuple[str, ...] = tuple(_TLS_POLICIES["allowed"])
DEFAULT_TLS_POLICY: str = _TLS_POLICIES["default"]


def check(config: StackConfig) -> Iterator[Problem]:
    edge = config.edge
    has_tls = edge.certificate_arn is not None or (edge.domain_name is not None and edge.hosted_zone_id is not None)
    if config.tier == "prod" and not has_tls:
        yield error(
            "edge.certificateArn",
            None,
            "prod never serves HTTP only: set edge.certificateArn, or edge.domainName with edge.hostedZoneId",
        )
    if (edge.domain_name is None) != (edge.hosted_zone_id is None) and edge.certificate_arn is None:
        yield error(
            "edge.hostedZoneId",
            edge.hosted_zone_id,
            "edge.domainName and edge.hostedZoneId go together to issue a certificate",
        )
    if edge.certificate_arn is not None and not edge.certificate_arn.startswith("arn:aws:acm:"):
        yield error(
            "edge.certificateArn",
            edge.certificate_arn,
            "must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)",
        )
    elif edge.certificate_arn is not None and edge.certificate_arn.split(":")[3] != config.region:
        yield error(
            "edge.certificateArn",
            edge.certificate_arn,
            f"must be an ACM certificate in the stack's region ({config.region})",
        )
    if edge.ssl_policy not in ALLOWED_TLS_POLICIES:
        yield error(
            "edge.sslPolicy",
            edge.ssl_policy,
            f"TLS 1.3 policies of 2021-06 or newer only (allowed: {', '.join(ALLOWED_TLS_POLICIES)})",
        )
