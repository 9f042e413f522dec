"""Pure planning for the MSK tier: topics, broker settings, client ports and templates.

The cluster's shape comes from infra/config/kafka_sizing.py and the versions MSK offers from
infra/catalog/msk.py; the component (infra/components/kafka.py) and the client config build
from what is planned here. Nothing here imports pulumi.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass

import jinja2
import yaml

from infra.config.schema import StackConfig, WorkloadConfig
from infra.paths import DATA, TEMPLATES

SERVER_PROPERTIES_TEMPLATE = "kafka/server.properties.j2"

# Client ports of an MSK cluster inside the VPC ("Port information", Amazon MSK developer
# guide, https://docs.aws.amazon.com/msk/latest/developerguide/port-info.html, checked 2026-11-26).
PORT_TLS = 9094
PORT_SASL_SCRAM = 9096
PORT_SASL_IAM = 9098

DEAD_LETTER_SUFFIX = "-dlq"


CLUSTER_TYPE = "aws:msk/cluster:Cluster"


def create_timeouts(multi_vpc_connectivity: bool) -> dict[str, str]:
    """The cluster's ``custom_timeouts``: twice the slowest create in infra/data/create_times.yaml, plus
    twice the slowest multi-VPC connectivity update when the provider runs one inside the create.

    The provider cannot pass multi-VPC connectivity to CreateCluster: it creates the cluster, then
    calls UpdateConnectivity and waits for that rolling update within the same create (and the
    same update timeout when connectivity changes later).
    """
    timing = yaml.safe_load((DATA / "create_times.yaml").read_text(encoding="utf-8"))["types"][CLUSTER_TYPE]
    minutes = 2 * int(timing["slowest_create_minutes"])
    if multi_vpc_connectivity:
        minutes += 2 * int(max(timing["connectivity_update_range"]))
    return {"create": f"{minutes}m", "update": f"{minutes}m"}


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
        loader=jinja2.FileSystemLoader(TEMPLATES),
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
