"""Kafka client settings rendered from a stack's outputs, so nobody copies broker lists by hand.

Input: the stack outputs, either from `pulumi stack output --json` (real brokers) or from
the offline plan (mock brokers, for review). Output: ``client.properties`` for Java clients
and the Kafka CLI (IAM over TLS) and ``spark-reader-options.json`` for the Structured
Streaming Kafka source, both rendered from templates/kafka/.

The Spark options start a NEW query at the earliest retained offset (a checkpoint decides
after that) and fail on data loss: a gap means retention expired before the job read the
data, which must page someone rather than pass silently. Consumer groups get the streaming
job's prefix ``sp-<stack>-streaming-job`` (infra/planning/emr.py ``group_id_prefix``),
the only groups the job's IAM policy grants.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.naming import Naming
from infra.planning.kafka import PORT_SASL_IAM, template_environment

CLIENT_PROPERTIES = "client.properties"
SPARK_READER_OPTIONS = "spark-reader-options.json"
TEMPLATES = {
    CLIENT_PROPERTIES: "kafka/client.properties.j2",
    SPARK_READER_OPTIONS: "kafka/spark-reader-options.json.j2",
}
# Same rule as infra/planning/emr.py group_id_prefix (JOB_NAME); tests hold them equal.
JOB_GROUP_NAME = "streaming-job"
REQUIRED_OUTPUTS = ("stack", "region", "kafkaClusterName", "kafkaClusterArn", "kafkaBootstrapBrokersIam", "kafkaTopics")
_BROKER = re.compile(r"^[A-Za-z0-9.-]+:(\d{1,5})$")


class OutputsError(ValueError):
    """Stack outputs that cannot produce client settings; the message says what is missing or wrong."""


@dataclass(frozen=True)
class ClientSettings:
    stack: str
    region: str
    cluster_name: str
    cluster_arn: str
    bootstrap_brokers: str
    data_topics: tuple[str, ...]
    dead_letter_topics: tuple[str, ...]
    source: str
    """Where the outputs came from, written into the rendered files."""

    @property
    def group_id_prefix(self) -> str:
        return Naming(self.stack, self.region)(JOB_GROUP_NAME)


def load_outputs_file(path: Path) -> dict[str, Any]:
    """The JSON object `pulumi stack output --json` prints."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise OutputsError(f"cannot read {path}: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise OutputsError(
            f"{path} is not JSON ({exc.msg} at line {exc.lineno}); expected `pulumi stack output --json`"
        ) from None
    if not isinstance(document, dict):
        raise OutputsError(
            f"{path} holds a JSON {type(document).__name__}; expected the object `pulumi stack output --json` prints"
        )
    return document


def settings_from_outputs(outputs: Mapping[str, Any], source: str) -> ClientSettings:
    """Check the outputs a client needs and collect them; raise OutputsError naming every problem."""
    missing = [key for key in REQUIRED_OUTPUTS if outputs.get(key) in (None, "")]
    if missing:
        raise OutputsError(f"stack outputs lack {', '.join(missing)} (from {source}); is the Kafka tier deployed?")
    brokers = str(outputs["kafkaBootstrapBrokersIam"])
    _check_brokers(brokers)
    topics = outputs["kafkaTopics"]
    if not isinstance(topics, Mapping) or not topics:
        raise OutputsError(f"kafkaTopics must map topic names to their settings, got {topics!r}")
    dead = tuple(name for name, spec in topics.items() if isinstance(spec, Mapping) and spec.get("deadLetter"))
    data = tuple(name for name in topics if name not in dead)
    if not data:
        raise OutputsError(
            f"kafkaTopics has only dead-letter topics ({', '.join(dead)}): nothing for a reader to subscribe to"
        )
    return ClientSettings(
        stack=str(outputs["stack"]),
        region=str(outputs["region"]),
        cluster_name=str(outputs["kafkaClusterName"]),
        cluster_arn=str(outputs["kafkaClusterArn"]),
        bootstrap_brokers=brokers,
        data_topics=data,
        dead_letter_topics=dead,
        source=source,
    )


def _check_brokers(brokers: str) -> None:
    if brokers == "[secret]":
        raise OutputsError("kafkaBootstrapBrokersIam is masked as [secret]: export the outputs with --show-secrets")
    for entry in brokers.split(","):
        match = _BROKER.match(entry.strip())
        if match is None:
            raise OutputsError(f"kafkaBootstrapBrokersIam entry {entry!r} is not host:port")
        if int(match.group(1)) != PORT_SASL_IAM:
            raise OutputsError(
                f"kafkaBootstrapBrokersIam entry {entry!r} is not on the SASL/IAM port {PORT_SASL_IAM}: wrong output?"
            )


def render(settings: ClientSettings) -> dict[str, str]:
    """File name -> content for every client file; the JSON file is checked to parse."""
    environment = template_environment()
    context = {
        "stack": settings.stack,
        "region": settings.region,
        "cluster_name": settings.cluster_name,
        "cluster_arn": settings.cluster_arn,
        "bootstrap_brokers": settings.bootstrap_brokers,
        "subscribe": ",".join(settings.data_topics),
        "group_id_prefix": settings.group_id_prefix,
        "source": settings.source,
    }
    files = {name: environment.get_template(template).render(**context) for name, template in TEMPLATES.items()}
    json.loads(files[SPARK_READER_OPTIONS])
    return files


def reader_options(settings: ClientSettings) -> dict[str, str]:
    """The Spark Kafka source options as a mapping (``spark.readStream.options(**...)``)."""
    options: dict[str, str] = json.loads(render(settings)[SPARK_READER_OPTIONS])
    return options


def write(files: Mapping[str, str], out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in files.items():
        path = out_dir / name
        path.write_text(content, encoding="utf-8")
        written.append(path)
    return written
