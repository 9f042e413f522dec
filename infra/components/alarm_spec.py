"""An alarm before it exists: what it watches and when it fires.

Each tier returns its specs (components/foundation.py ``Built``); observability turns them
into CloudWatch alarms and the dashboard once every tier has returned.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi

OPERATORS = {
    "GreaterThanThreshold": ">",
    "GreaterThanOrEqualToThreshold": ">=",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "<=",
}


@dataclass(frozen=True)
class Metric:
    namespace: str
    name: str
    dimensions: Mapping[str, pulumi.Input[str]]
    stat: str
    """Average, Maximum, Minimum, Sum, or a percentile such as p99."""
    period: int = 60


@dataclass(frozen=True)
class AlarmSpec:
    """One CloudWatch alarm, before it exists: what it watches and when it fires."""

    tier: str
    """Tier it belongs to; the alarmCounts output counts per tier."""
    family: str
    """What is watched, e.g. ``kafka-disk-used``; one dashboard widget per family."""
    summary: str
    """Human description of the watched value, e.g. "KafkaDataLogsDiskUsed, %"."""
    metrics: Mapping[str, Metric]
    """Query id -> metric. One metric and no expression: a plain single-metric alarm."""
    comparison: str
    threshold: float
    evaluation_periods: int
    datapoints_to_alarm: int
    target: str | None = None
    """The instance watched (``broker-1``, ``0001-002``), or None for a tier-wide alarm."""
    expression: str | None = None
    """Metric math over the query ids; its result is what the alarm compares."""
    treat_missing_data: str = "missing"

    @property
    def key(self) -> str:
        return f"{self.family}-{self.target}" if self.target else self.family

    @property
    def period(self) -> int:
        return next(iter(self.metrics.values())).period

    @property
    def description(self) -> str:
        where = f" on {self.target}" if self.target else ""
        return (
            f"{self.summary}{where} {OPERATORS[self.comparison]} {self.threshold:g} in {self.datapoints_to_alarm} of "
            f"{self.evaluation_periods} periods of {self.period} s"
        )
