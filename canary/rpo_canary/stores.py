"""The three stores as the canary sees them: write one record, read the records since a sequence.

Each adapter takes the smallest client interface it uses (a Protocol), so tests drive the
cache side with a real redis-server, S3 with moto or a stub, and Kafka with a fake producer
and tail reader (the real ones wrap kafka-python in ``handler.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from rpo_canary.records import Record


class Store(Protocol):
    name: str
    """``Kafka``, ``Cache`` or ``S3``: the metric dimension."""

    def write(self, record: Record) -> None:
        """Write one record; return only once the store acknowledged it, raise otherwise."""
        ...

    def read(self, source: str, since: int) -> list[Record]:
        """Records written by ``source`` with a sequence >= ``since``."""
        ...


# --- cache -------------------------------------------------------------------------------------


class SortedSetClient(Protocol):
    def zadd(self, name: str, mapping: Mapping[bytes, float]) -> Any: ...

    def zremrangebyscore(self, name: str, min: float | str, max: float | str) -> Any: ...

    def zrangebyscore(self, name: str, min: float | str, max: float | str) -> Any: ...


class CacheStore:
    """One sorted set per writing region, scored by sequence; the hash tag keeps it in one cluster slot.

    On a Global Datastore secondary the same key is read-only and fed by the primary region.
    """

    name = "Cache"

    def __init__(self, client: SortedSetClient, keep: int) -> None:
        self._client, self._keep = client, keep

    @staticmethod
    def key(source: str) -> str:
        return f"{{rpo-canary}}:{source}"

    def write(self, record: Record) -> None:
        key = self.key(record.source)
        self._client.zadd(key, {record.encode(): float(record.sequence)})
        self._client.zremrangebyscore(key, "-inf", f"({record.sequence - self._keep}")

    def read(self, source: str, since: int) -> list[Record]:
        raw = self._client.zrangebyscore(self.key(source), since, "+inf")
        return [r for r in (Record.decode(item) for item in raw) if r is not None]


# --- Kafka -------------------------------------------------------------------------------------


class KafkaWriter(Protocol):
    def produce(self, topic: str, key: bytes, value: bytes) -> None:
        """Send and wait for the broker's acknowledgement (acks=all); raise on failure."""
        ...


class KafkaTail(Protocol):
    def tail(self, topic: str, count: int) -> Sequence[bytes]:
        """Values of the last ``count`` records of the topic (every partition)."""
        ...


class KafkaStore:
    """Records keyed by the writing region on the canary topic; read back from its tail."""

    name = "Kafka"

    def __init__(self, writer: KafkaWriter | None, tail: KafkaTail, topic: str, window: int) -> None:
        self._writer, self._tail, self.topic, self._window = writer, tail, topic, window

    def write(self, record: Record) -> None:
        if self._writer is None:
            raise RuntimeError("this canary only reads Kafka (standby region)")
        self._writer.produce(self.topic, record.source.encode(), record.encode())

    def read(self, source: str, since: int) -> list[Record]:
        records = (Record.decode(value) for value in self._tail.tail(self.topic, self._window))
        return [r for r in records if r is not None and r.source == source and r.sequence >= since]


# --- S3 ----------------------------------------------------------------------------------------


class S3Store:
    """One empty object per record, the record in its key: a listing reads them all, no GET per record.

    Keys sort by sequence (``<prefix><source>/<sequence:012d>_<written-at ms>_<prev|->``), so a
    listing starts after the window's first key; the writer deletes its own keys older than the window.
    """

    name = "S3"

    def __init__(self, client: Any, write_bucket: str | None, read_bucket: str, prefix: str) -> None:
        self._client, self._write_bucket, self._read_bucket, self._prefix = client, write_bucket, read_bucket, prefix

    def _key(self, record: Record) -> str:
        prev = "-" if record.prev is None else str(record.prev)
        return f"{self._prefix}{record.source}/{record.sequence:012d}_{round(record.written_at * 1000)}_{prev}"

    def write(self, record: Record) -> None:
        if self._write_bucket is None:
            raise RuntimeError("this canary only reads S3 (standby region)")
        self._client.put_object(Bucket=self._write_bucket, Key=self._key(record), Body=b"")

    def read(self, source: str, since: int) -> list[Record]:
        folder = f"{self._prefix}{source}/"
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self._read_bucket, Prefix=folder, StartAfter=f"{folder}{since:012d}"
        )
        keys = [item["Key"] for page in pages for item in page.get("Contents", [])]
        return [r for r in (self._parse(source, key.removeprefix(folder)) for key in keys) if r is not None]

    def prune(self, source: str, before: int) -> int:
        """Delete the writer's own keys older than ``before`` (at most 1000 per call); return how many."""
        if self._write_bucket is None:
            return 0
        folder = f"{self._prefix}{source}/"
        listed = self._client.list_objects_v2(Bucket=self._write_bucket, Prefix=folder, MaxKeys=1000)
        old = [{"Key": item["Key"]} for item in listed.get("Contents", []) if item["Key"] < f"{folder}{before:012d}"]
        if old:
            self._client.delete_objects(Bucket=self._write_bucket, Delete={"Objects": old, "Quiet": True})
        return len(old)

    @staticmethod
    def _parse(source: str, name: str) -> Record | None:
        try:
            sequence, millis, prev = name.split("_")
            return Record(source, int(sequence), int(millis) / 1000, None if prev == "-" else int(prev))
        except ValueError:
            return None
