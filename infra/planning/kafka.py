"""Pure planning for the MSK tier: Kafka versions, cluster sizing, topics and broker settings.

Shared by the config rules (infra/config/rules/kafka.py), which must reject a stack before
any resource exists, and by the component (infra/components/kafka.py), which must build
exactly what the rules accepted. Nothing here imports pulumi.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Any, Literal

import jinja2
import yaml

from infra.config.loader import REPO_ROOT
from infra.config.schema import StackConfig, WorkloadConfig
from infra.planning import sizing

TEMPLATES_DIR = REPO_ROOT / "templates"
SERVER_PROPERTIES_TEMPLATE = "kafka/server.properties.j2"

# An MSK cluster puts its brokers in two or three client subnets in distinct AZs
# ("AWS::MSK::Cluster BrokerNodeGroupInfo", ClientSubnets, AWS CloudFormation template
# reference, checked 2026-11-26).
MSK_AZ_COUNTS = sizing.AZ_COUNTS

# Client ports of an MSK cluster inside the VPC ("Port information", Amazon MSK developer
# guide, https://docs.aws.amazon.com/msk/latest/developerguide/port-info.html, checked 2026-11-26).
PORT_TLS = 9094
PORT_SASL_SCRAM = 9096
PORT_SASL_IAM = 9098

DEAD_LETTER_SUFFIX = "-dlq"

_VERSIONS_DATA = yaml.safe_load(resources.files("infra").joinpath("data/msk_versions.yaml").read_text(encoding="utf-8"))
VERSIONS_CHECKED: str = str(_VERSIONS_DATA["checked"])


@dataclass(frozen=True)
class KafkaVersion:
    """One MSK Kafka version string and its support window (infra/data/msk_versions.yaml)."""

    version: str
    msk_release: date | None
    end_of_support: date | None
    metadata_mode: Literal["zookeeper", "kraft"]
    standard_brokers: bool
    recommended: bool

    def ended(self, today: date) -> bool:
        return self.end_of_support is not None and self.end_of_support <= today


MSK_VERSIONS: Mapping[str, KafkaVersion] = {
    name: KafkaVersion(
        version=name,
        msk_release=row["msk_release"],
        end_of_support=row["end_of_support"],
        metadata_mode=row["metadata_mode"],
        standard_brokers=bool(row["standard_brokers"]),
        recommended=bool(row["recommended"]),
    )
    for name, row in _VERSIONS_DATA["versions"].items()
}


def supported_versions(today: date) -> list[str]:
    """Versions a new Standard-broker cluster may use on ``today``."""
    return [v.version for v in MSK_VERSIONS.values() if v.standard_brokers and not v.ended(today)]


def version_problem(version: str, today: date) -> str | None:
    """Why MSK would refuse (or soon auto-upgrade) a cluster on ``version``; None when it is fine."""
    recommended = [v.version for v in MSK_VERSIONS.values() if v.recommended]
    allowed = f"{', '.join(supported_versions(today))} (AWS recommends {' / '.join(recommended)})"
    info = MSK_VERSIONS.get(version)
    if info is None:
        return f"not a Kafka version MSK offers (checked {VERSIONS_CHECKED}); allowed: {allowed}"
    if not info.standard_brokers:
        return f"MSK runs {version} on Express brokers only; this blueprint uses Standard brokers (allowed: {allowed})"
    if info.ended(today):
        return f"MSK ended support for {version} on {info.end_of_support}; allowed: {allowed}"
    return None


def workload_of(workload: WorkloadConfig) -> sizing.Workload:
    return sizing.Workload(
        ingress_mbps=workload.ingress_mbps,
        retention_hours=workload.retention_hours,
        peak_factor=workload.peak_factor,
        replication_factor=workload.replication_factor,
        consumer_groups=workload.consumer_groups,
        partitions=workload.partitions,
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
    kafka, workload, azs = config.kafka, workload_of(config.workload), config.network.az_count
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


def min_insync_replicas(replication_factor: int) -> int:
    """2 when r >= 3 (survives one broker down for acks=all writes), r-1 below that."""
    return min(2, replication_factor - 1)


def retention_ms(retention_hours: float) -> int:
    return round(retention_hours * 3_600_000)


@dataclass(frozen=True)
class TopicPlan:
    """One topic the platform owns, created as aws.msk.Topic (auto-creation is off)."""

    name: str
    partitions: int
    replication_factor: int
    min_insync_replicas: int
    retention_ms: int
    dead_letter: bool

    def configs(self) -> dict[str, str]:
        """Topic-level overrides: pinned so a broker-default change never alters them silently."""
        return {
            "cleanup.policy": "delete",
            "min.insync.replicas": str(self.min_insync_replicas),
            "retention.ms": str(self.retention_ms),
        }


def plan_topics(workload: WorkloadConfig, az_count: int) -> list[TopicPlan]:
    """Split ``workload.partitions`` over the topics.

    Dead-letter topics (``*-dlq``) carry little traffic: one partition per AZ keeps their
    leaders spread. The data topics share what is left evenly (earlier topics take the
    remainder), at least one partition each, so the total equals ``workload.partitions``
    (the number the sizing model checked) whenever it leaves a partition per data topic.
    """
    r = workload.replication_factor
    dead = [t for t in workload.topics if t.endswith(DEAD_LETTER_SUFFIX)]
    data = [t for t in workload.topics if not t.endswith(DEAD_LETTER_SUFFIX)]
    remaining = workload.partitions - az_count * len(dead)
    share, extra = divmod(max(remaining, len(data)), len(data)) if data else (0, 0)
    counts = {t: az_count for t in dead}
    counts.update({t: share + (1 if i < extra else 0) for i, t in enumerate(data)})
    return [
        TopicPlan(
            name=topic,
            partitions=counts[topic],
            replication_factor=r,
            min_insync_replicas=min_insync_replicas(r),
            retention_ms=retention_ms(workload.retention_hours),
            dead_letter=topic in dead,
        )
        for topic in workload.topics
    ]


def client_ports(scram: bool) -> dict[int, str]:
    """Broker ports the client tiers may reach: TLS and SASL/IAM always, SASL/SCRAM when enabled."""
    ports = {PORT_SASL_IAM: "SASL/IAM over TLS", PORT_TLS: "TLS"}
    if scram:
        ports[PORT_SASL_SCRAM] = "SASL/SCRAM over TLS"
    return ports


@functools.cache
def template_environment() -> jinja2.Environment:
    """Templates under templates/; a missing variable is an error, never an empty string."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )


def render_server_properties(config: StackConfig, cluster_name: str) -> str:
    """The broker configuration of the stack's cluster (templates/kafka/server.properties.j2).

    Only ``key=value`` lines are kept: the template's comments explain the values to people,
    and a comment edit must not create a new MSK configuration.
    """
    workload = config.workload
    r = workload.replication_factor
    text = (
        template_environment()
        .get_template(SERVER_PROPERTIES_TEMPLATE)
        .render(
            cluster_name=cluster_name,
            replication_factor=r,
            min_insync_replicas=min_insync_replicas(r),
            retention_hours=f"{workload.retention_hours:g}",
            retention_ms=retention_ms(workload.retention_hours),
            scram=config.kafka.scram,
        )
    )
    return "".join(f"{key}={value}\n" for key, value in parse_properties(text).items())


def parse_properties(text: str) -> dict[str, str]:
    """``key=value`` lines of a Java properties text (comments and blank lines skipped)."""
    pairs = {}
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith(("#", "!")):
            key, _, value = stripped.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


def configuration_name(cluster_name: str, server_properties: str, kafka_versions: list[str]) -> str:
    """``<cluster>-<hash>``: a new name for every new content.

    MSK refuses to delete a configuration a cluster uses ("configuration in use"). With the
    name derived from the content, a change replaces the configuration: Pulumi creates the
    new one, moves the cluster to it, then deletes the old one (create-before-delete).
    """
    digest = hashlib.sha256("\n".join([*kafka_versions, server_properties]).encode()).hexdigest()[:10]
    return f"{cluster_name}-{digest}"
