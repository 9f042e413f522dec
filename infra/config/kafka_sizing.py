"""The MSK cluster a stack asks for: the one its workload needs (``kafka.sizing: workload``) or
its explicit settings evaluated against the workload.

Shared by the config rules (infra/config/rules/kafka.py), which reject a cluster MSK would
refuse or that cannot carry the workload, and by the Kafka component, which builds exactly
the cluster the rules accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from infra.catalog import sizing
from infra.config.schema import StackConfig


def workload_of(config: StackConfig) -> sizing.Workload:
    """The stack's workload, with kafka.diskFillPercent as the volumes' fill target."""
    workload = config.workload
    return sizing.Workload(
        ingress_mbps=workload.ingress_mbps,
        retention_hours=workload.retention_hours,
        peak_factor=workload.peak_factor,
        replication_factor=workload.replication_factor,
        consumer_groups=workload.consumer_groups,
        partitions=workload.partitions,
        fill_target=config.kafka.disk_fill_percent / 100,
    )


@dataclass(frozen=True)
class KafkaSizing:
    """The cluster shape the stack builds, with the numbers that justify it."""

    mode: Literal["workload", "explicit"]
    instance_type: str
    brokers: int
    az_count: int
    volume_gib: int
    volume_throughput_mbps: int | None
    evaluation: sizing.Evaluation
    peak_ingress_mbps: float
    reasons: tuple[str, ...]
    problems: tuple[str, ...]
    """Explicit sizing only: why the cluster cannot carry the workload ([] when it can)."""

    def to_output(self) -> dict[str, Any]:
        """The `kafkaSizing` stack output (camelCase), what `blueprint plan` prints."""
        evaluation = self.evaluation
        return {
            "mode": self.mode,
            "instanceType": self.instance_type,
            "brokers": self.brokers,
            "brokersPerAz": self.brokers // self.az_count,
            "azCount": self.az_count,
            "volumeGib": self.volume_gib,
            "volumeThroughputMibps": self.volume_throughput_mbps,
            "peakIngressMbps": round(self.peak_ingress_mbps, 3),
            "sustainedLimitMbps": round(evaluation.sustained_limit_mbps, 3),
            "targetMbps": round(evaluation.target_mbps, 3),
            "limitingTerm": evaluation.limiting_term,
            "terms": {name: _finite_or_none(value) for name, value in evaluation.terms.items()},
            "reasons": list(self.reasons),
            "problems": list(self.problems),
        }


def _finite_or_none(value: float) -> float | None:
    return round(value, 3) if value != float("inf") else None


def resolve_sizing(config: StackConfig) -> KafkaSizing:
    """The stack's cluster: recommended from the workload, or the explicit settings evaluated.

    Outside dev the recommendation leaves burstable (T3) brokers out: AWS suggests them for
    development and tests only. Raises sizing.SizingError for settings MSK would reject and
    sizing.NoClusterFitsError when no cluster carries the workload; the config rules turn
    both into config errors.
    """
    kafka, workload, azs = config.kafka, workload_of(config), config.network.az_count
    if kafka.sizing == "workload":
        candidates = sizing.SUPPORTED_INSTANCE_TYPES if config.tier == "dev" else sizing.NON_BURSTABLE_INSTANCE_TYPES
        recommendation = sizing.recommend(workload, azs, instance_types=candidates)
        return KafkaSizing(
            mode="workload",
            instance_type=recommendation.instance_type,
            brokers=recommendation.brokers,
            az_count=azs,
            volume_gib=recommendation.volume_gib,
            volume_throughput_mbps=recommendation.volume_throughput_mbps,
            evaluation=recommendation.evaluation,
            peak_ingress_mbps=workload.peak_ingress_mbps,
            reasons=tuple(recommendation.reasons),
            problems=(),
        )
    if kafka.instance_type is None or kafka.brokers is None or kafka.volume_gib is None:
        raise sizing.SizingError("explicit sizing needs kafka.instanceType, kafka.brokers and kafka.volumeGib")
    problems = sizing.check_cluster(
        workload, kafka.instance_type, kafka.brokers, kafka.volume_gib, azs, kafka.volume_throughput_mbps
    )
    evaluation = sizing.evaluate(
        kafka.instance_type,
        kafka.brokers,
        workload.replication_factor,
        workload.consumer_groups,
        kafka.volume_throughput_mbps,
    )
    return KafkaSizing(
        mode="explicit",
        instance_type=kafka.instance_type,
        brokers=kafka.brokers,
        az_count=azs,
        volume_gib=kafka.volume_gib,
        volume_throughput_mbps=kafka.volume_throughput_mbps,
        evaluation=evaluation,
        peak_ingress_mbps=workload.peak_ingress_mbps,
        reasons=(
            "Explicit sizing from kafka.instanceType / kafka.brokers / kafka.volumeGib.",
            f"Equation 1: {evaluation.describe()}.",
        ),
        problems=tuple(problems),
    )
