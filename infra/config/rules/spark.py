"""Rules for the EMR cluster: HA primaries in prod, managed-scaling bounds."""

from __future__ import annotations

from collections.abc import Iterator

from infra.config.problems import Problem, error
from infra.config.schema import StackConfig


def check(config: StackConfig) -> Iterator[Problem]:
    spark = config.spark
    if config.tier == "prod" and spark.primary_count != 3:
        yield error("spark.primaryCount", spark.primary_count, "prod runs 3 primary nodes for HA (allowed: 3)")
    if spark.managed_scaling_max < spark.core_capacity:
        yield error("spark.managedScalingMax", spark.managed_scaling_max, f"must be >= spark.coreCapacity ({spark.core_capacity})")
    if config.tier == "prod" and spark.idle_timeout_minutes is not None:
        yield error("spark.idleTimeoutMinutes", spark.idle_timeout_minutes, "prod runs a streaming job: no idle auto-termination")
