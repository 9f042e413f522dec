"""Rules for the MSK cluster: explicit sizing completeness, AZ multiple, replication factor."""

from __future__ import annotations

from collections.abc import Iterator

from infra.config.problems import Problem, error
from infra.config.schema import StackConfig


def check(config: StackConfig) -> Iterator[Problem]:
    kafka, azs = config.kafka, config.network.az_count
    rf = config.workload.replication_factor
    if config.tier == "prod" and rf < 3:
        yield error("workload.replicationFactor", rf, "prod needs 3 or more replicas (allowed: 3..5)")
    if kafka.sizing == "explicit":
        for key, value in (("instanceType", kafka.instance_type), ("brokers", kafka.brokers), ("volumeGib", kafka.volume_gib)):
            if value is None:
                yield error(f"kafka.{key}", None, "required when kafka.sizing is 'explicit'")
        if kafka.brokers is not None:
            if kafka.brokers % azs:
                yield error("kafka.brokers", kafka.brokers, f"must be a multiple of network.azCount ({azs})")
            if kafka.brokers < rf:
                yield error("kafka.brokers", kafka.brokers, f"must be at least workload.replicationFactor ({rf})")
