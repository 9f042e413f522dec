"""Rules for the load balancers: prod never serves plain HTTP."""

from __future__ import annotations

from collections.abc import Iterator

from infra.config.problems import Problem, error
from infra.config.schema import StackConfig


def check(config: StackConfig) -> Iterator[Problem]:
    edge = config.edge
    has_tls = edge.certificate_arn is not None or (edge.domain_name is not None and edge.hosted_zone_id is not None)
    if config.tier == "prod" and not has_tls:
        yield error(
            "edge.certificateArn", None,
            "prod never serves HTTP only: set edge.certificateArn, or edge.domainName with edge.hostedZoneId",
        )  # fmt: skip
    if (edge.domain_name is None) != (edge.hosted_zone_id is None) and edge.certificate_arn is None:
        yield error("edge.hostedZoneId", edge.hosted_zone_id, "edge.domainName and edge.hostedZoneId go together to issue a certificate")
    if edge.certificate_arn is not None and not edge.certificate_arn.startswith("arn:aws:acm:"):
        yield error("edge.certificateArn", edge.certificate_arn, "must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)")
