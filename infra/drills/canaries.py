"""Canary writers: numbered records written before the fault and read back at the recovery target.

RPO is measured, not assumed: a drill writes sequence numbers 1..N into each data store
(Kafka topic, S3 bucket, cache) just before the fault, with their UTC write times, then
reads at the place the platform recovers to (the DR cluster, the replica bucket, the
restored scratch bucket, the promoted cache). Sequences never seen there are lost data;
sequences seen twice are duplicates (Kafka replication and producer retries can do that).

Each canary is an object with ``write`` and ``read``. S3 uses boto3; the cache uses a
redis-py compatible client (``rpush``/``lrange``); Kafka takes an injected producer (the
``send(topic, key=..., value=...)`` of kafka-python, or any adapter) and an injected reader,
since the project ships no Kafka client.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from infra.drills.clock import iso

CANARY_PREFIX = "drills/canary"


class Canary(Protocol):
    store: str
    """``kafka``, ``s3`` or ``cache``: the data store whose RPO this canary measures."""

    def write(self, drill_id: str, sequence: int, written_at: datetime) -> None: ...

    def read(self, drill_id: str) -> list[int]:
        """Every sequence visible at the recovery target, repeats included."""
        ...


def _payload(drill_id: str, sequence: int, written_at: datetime) -> bytes:
    return json.dumps({"drill": drill_id, "sequence": sequence, "writtenAt": iso(written_at)}).encode()


class S3Canary:
    """Objects ``drills/canary/<drill>/<seq>`` written to one bucket, read from another (replica, restore)."""

    store = "s3"

    def __init__(self, writer: Any, write_bucket: str, reader: Any, read_bucket: str) -> None:
        self._writer, self._write_bucket = writer, write_bucket
        self._reader, self.read_bucket = reader, read_bucket

    def write(self, drill_id: str, sequence: int, written_at: datetime) -> None:
        self._writer.put_object(
            Bucket=self._write_bucket,
            Key=f"{CANARY_PREFIX}/{drill_id}/{sequence:08d}",
            Body=_payload(drill_id, sequence, written_at),
            ContentType="application/json",
        )

    def read(self, drill_id: str) -> list[int]:
        prefix = f"{CANARY_PREFIX}/{drill_id}/"
        sequences: list[int] = []
        for page in self._reader.get_paginator("list_objects_v2").paginate(Bucket=self.read_bucket, Prefix=prefix):
            sequences += [int(item["Key"].rsplit("/", 1)[1]) for item in page.get("Contents", [])]
        return sequences


class RedisLike(Protocol):
    def rpush(self, name: str, *values: Any) -> Any: ...

    def lrange(self, name: str, start: int, end: int) -> Any: ...


class CacheCanary:
    """A list per drill; the hash tag keeps it in one cluster slot, so cluster mode needs no special client."""

    store = "cache"

    def __init__(self, writer: RedisLike, reader: RedisLike) -> None:
        self._writer, self._reader = writer, reader

    @staticmethod
    def key(drill_id: str) -> str:
        return f"{{drill:{drill_id}}}:canary"

    def write(self, drill_id: str, sequence: int, written_at: datetime) -> None:
        self._writer.rpush(self.key(drill_id), _payload(drill_id, sequence, written_at))

    def read(self, drill_id: str) -> list[int]:
        return [int(json.loads(item)["sequence"]) for item in self._reader.lrange(self.key(drill_id), 0, -1)]


class KafkaProducerLike(Protocol):
    def send(self, topic: str, key: bytes | None = None, value: bytes | None = None) -> Any: ...

    def flush(self, timeout: float | None = None) -> Any: ...


class KafkaSequenceReader(Protocol):
    def sequences(self, topic: str, drill_id: str) -> Sequence[int]:
        """Sequences of this drill's canary records found in the topic (repeats included)."""
        ...


class KafkaCanary:
    """Records keyed ``canary-<drill>`` on the ingest topic; the job dead-letters or ignores them by key."""

    store = "kafka"

    def __init__(self, producer: KafkaProducerLike, reader: KafkaSequenceReader, topic: str) -> None:
        self._producer, self._reader, self.topic = producer, reader, topic

    def write(self, drill_id: str, sequence: int, written_at: datetime) -> None:
        self._producer.send(
            self.topic, key=f"canary-{drill_id}".encode(), value=_payload(drill_id, sequence, written_at)
        )
        self._producer.flush(timeout=30)

    def read(self, drill_id: str) -> list[int]:
        return list(self._reader.sequences(self.topic, drill_id))


def sequences_from_payloads(payloads: Sequence[bytes], drill_id: str) -> list[int]:
    """For Kafka readers: the sequences of this drill's canary payloads among raw record values."""
    found = []
    for payload in payloads:
        try:
            record = json.loads(payload)
        except (ValueError, TypeError):
            continue
        if isinstance(record, dict) and record.get("drill") == drill_id:
            found.append(int(record["sequence"]))
    return found
