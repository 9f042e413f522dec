"""One canary run: every tick writes a record to each store (active region), reads each store back, publishes.

Metrics (namespace ``StreamingPlatform/Canary``, dimensions ``Stack`` and ``Store``):
- ``WriteSuccess``: 1 when the store acknowledged the tick's record, 0 when it refused or timed
  out (active region only).
- ``ReplicatedAgeSeconds``: seconds since the newest record of the writing region visible in the
  store was written. In the active region it is the read-your-write delay; in the standby it is
  how far the copy (MSK Replicator, Global Datastore, S3 CRR) trails: the data a failover now
  would lose.
- ``SequenceGaps``: acknowledged records missing from the store in the window read (a record
  whose acknowledged predecessor is gone): data lost after it was acknowledged.
A store that cannot be read publishes no age and no gaps for that tick: missing data, which the
alarms treat as breaching.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from rpo_canary.records import NAMESPACE, Record, newest, observe, sequence_at
from rpo_canary.stores import Store

LOG = logging.getLogger("rpo_canary")


@dataclass(frozen=True)
class Settings:
    stack: str
    region: str
    source: str
    """Region whose records are read: this one in the active region, the peer's in the standby."""
    writes: bool
    """True in the active region."""
    interval_seconds: float
    window_seconds: float
    """How far back each read looks for records and gaps."""

    @property
    def ticks_per_minute(self) -> int:
        return max(1, int(60 // self.interval_seconds))


class MetricSink(Protocol):
    def put(self, data: Sequence[dict[str, Any]]) -> None: ...


class CloudWatchSink:
    """PutMetricData in batches of at most 1000 values (the API's limit per call)."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def put(self, data: Sequence[dict[str, Any]]) -> None:
        for start in range(0, len(data), 1000):
            self._client.put_metric_data(Namespace=NAMESPACE, MetricData=list(data[start : start + 1000]))


class Canary:
    def __init__(
        self,
        settings: Settings,
        stores: Sequence[Store],
        sink: MetricSink,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.settings, self.stores, self.sink = settings, stores, sink
        self.clock = clock or time.time
        self._acknowledged: dict[str, Record | None] = {}

    def tick(self) -> list[dict[str, Any]]:
        """Write (active region), read back and publish once; return the metric data published."""
        s = self.settings
        now = self.clock()
        since = sequence_at(now - s.window_seconds, s.interval_seconds)
        data: list[dict[str, Any]] = []
        for store in self.stores:
            if s.writes:
                data.append(
                    self._datum("WriteSuccess", store.name, 1.0 if self._write(store, now, since) else 0.0, now)
                )
            try:
                records = store.read(s.source, since)
            except Exception:  # any client or network error: this tick has no reading for the store
                LOG.exception("reading %s failed", store.name)
                continue
            seen = observe(records, s.source, self.clock())
            if seen.age_seconds is not None:
                data.append(self._datum("ReplicatedAgeSeconds", store.name, seen.age_seconds, now))
            data.append(self._datum("SequenceGaps", store.name, float(seen.gaps), now))
        self.sink.put(data)
        return data

    def run(self, remaining_seconds: Callable[[], float], sleep: Callable[[float], None] | None = None) -> int:
        """Tick every interval while a full tick still fits in the invocation; return the ticks done."""
        sleep = sleep or time.sleep
        ticks = 0
        for _ in range(self.settings.ticks_per_minute):
            started = self.clock()
            self.tick()
            ticks += 1
            spent = self.clock() - started
            if remaining_seconds() < 2 * self.settings.interval_seconds:
                break
            sleep(max(0.0, self.settings.interval_seconds - spent))
        return ticks

    def _write(self, store: Store, now: float, since: int) -> bool:
        s = self.settings
        if store.name not in self._acknowledged:
            # First write of this invocation: link to the newest record a previous invocation left.
            try:
                self._acknowledged[store.name] = newest(store.read(s.region, since), s.region)
            except Exception:
                LOG.exception("reading %s before the first write failed", store.name)
                self._acknowledged[store.name] = None
        previous = self._acknowledged[store.name]
        record = Record(s.region, sequence_at(now, s.interval_seconds), now, previous.sequence if previous else None)
        try:
            store.write(record)
        except Exception:  # refused, timed out, unreachable: a failed write, never linked to
            LOG.exception("writing %s failed", store.name)
            return False
        self._acknowledged[store.name] = record
        return True

    def _datum(self, metric: str, store: str, value: float, at: float) -> dict[str, Any]:
        return {
            "MetricName": metric,
            "Dimensions": [{"Name": "Stack", "Value": self.settings.stack}, {"Name": "Store", "Value": store}],
            "Timestamp": datetime.fromtimestamp(at, UTC),
            "Value": value,
            "Unit": "Seconds" if metric == "ReplicatedAgeSeconds" else "Count",
        }
