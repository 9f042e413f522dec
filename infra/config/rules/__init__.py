"""Cross-field config rules, one module per concern; each exposes ``check(config)``.

Field-level types and bounds live in the schema; these rules need several fields or the
tier at once (prod needs 3 AZs, brokers a multiple of the AZ count, ...). They return
every problem rather than stopping at the first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from infra.config.problems import Problem
from infra.config.rules import cache, dr, edge, foundation, ingest, kafka, spark
from infra.config.schema import StackConfig

CHECKS: tuple[Callable[[StackConfig], Iterable[Problem]], ...] = (
    foundation.check,
    kafka.check,
    cache.check,
    ingest.check,
    edge.check,
    spark.check,
    dr.check,
)


def check_all(config: StackConfig) -> list[Problem]:
    return [problem for check in CHECKS for problem in check(config)]
