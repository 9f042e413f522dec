"""The production streaming plan end to end, over a local file stream shaped like Kafka.

Each JSON-lines file is one micro-batch (maxFilesPerTrigger=1) of Kafka records, so the
real query runs: parse -> observe -> stateful dedup -> foreachBatch sinks, with its
checkpoint, on real Parquet and a real redis-server.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as sf
from streaming_job.app import QUALITY_METRICS, start_query
from streaming_job.cache_sink import CacheLayout
from streaming_job.config import JobConfig, format_timestamp_ms

from .conftest import cache_snapshot, parquet_snapshot

ENVELOPE = "offset LONG, kafka_ms LONG, value STRING"
T0 = dt.datetime(2026, 11, 26, 9, 58, tzinfo=dt.UTC)
MINUTE_MS = 60_000
W0 = int(T0.timestamp() * 1000)
LAYOUT = CacheLayout("test:", 60, 60, 7 * 86400)
FILE_EPOCH = 1_790_000_000


def event(event_id: str, event_type: str, second: int, amount: int) -> dict[str, Any]:
    moment = T0 + dt.timedelta(seconds=second)
    return {
        "event_id": event_id,
        "event_type": event_type,
        "event_time": moment.isoformat(),
        "producer_id": "app-3",
        "amount_minor": amount,
        "schema_version": 1,
    }


class KafkaLikeSource:
    """A directory the file source streams from; each file is one micro-batch of records."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True)
        self._offset = 0
        self._files = 0

    def publish(self, values: list[Any], delay_seconds: int = 2) -> None:
        """Records reach Kafka ``delay_seconds`` after their event time (bad ones: now)."""
        lines = []
        for value in values:
            if isinstance(value, dict):
                moment = dt.datetime.fromisoformat(value["event_time"]) + dt.timedelta(seconds=delay_seconds)
                payload = json.dumps(value)
            else:
                moment, payload = T0 + dt.timedelta(minutes=5), value
            lines.append(
                json.dumps({"offset": self._offset, "kafka_ms": int(moment.timestamp() * 1000), "value": payload})
            )
            self._offset += 1
        staging = self.directory.parent / f".{self.directory.name}-{self._files}.tmp"
        staging.write_text("\n".join(lines) + "\n")
        # The file source orders files by modification time only: make it strictly increasing.
        os.utime(staging, (FILE_EPOCH + self._files, FILE_EPOCH + self._files))
        staging.rename(self.directory / f"batch-{self._files:04d}.json")  # appear atomically
        self._files += 1

    def stream(self, spark: SparkSession) -> DataFrame:
        return (
            spark.readStream.schema(ENVELOPE)
            .option("maxFilesPerTrigger", 1)
            .json(str(self.directory))
            .select(
                sf.lit(None).cast("binary").alias("key"),
                sf.col("value").cast("binary").alias("value"),
                sf.lit("ingest").alias("topic"),
                sf.lit(0).alias("partition"),
                sf.col("offset"),
                sf.timestamp_millis("kafka_ms").alias("timestamp"),
                sf.lit(0).alias("timestampType"),
            )
        )


def run_to_completion(spark: SparkSession, config: JobConfig, source: KafkaLikeSource) -> list[dict[str, Any]]:
    query = start_query(config, source.stream(spark), available_now=True)
    query.awaitTermination()
    assert query.exception() is None
    return list(query.recentProgress)


def window_totals(client: redis.Redis, event_type: str, window_start_ms: int) -> tuple[int, int, int]:
    """(count, amount sum, generation that wrote it)."""
    values = client.hmget(
        LAYOUT.window_key(event_type, window_start_ms), ["event_count", "amount_minor_sum", "generation"]
    )
    return int(values[0]), int(values[1]), int(values[2])


def forget_commits_from(checkpoint: Path, batch_id: int) -> None:
    """Make the checkpoint look as if the job died after batch_id's sinks ran, before
    Spark committed it (and before any later batch was planned)."""
    for log, first_removed in (("commits", batch_id), ("offsets", batch_id + 1)):
        for entry in (checkpoint / log).iterdir():
            number = entry.name.lstrip(".").removesuffix(".crc")
            if number.isdigit() and int(number) >= first_removed:
                entry.unlink()


def test_stream_dedups_across_batches_dead_letters_and_replays_idempotently(
    spark: SparkSession, tmp_path: Path, job_config: Callable[..., JobConfig], redis_client: redis.Redis
) -> None:
    config = job_config()
    source = KafkaLikeSource(tmp_path / "source")
    source.publish([event("a", "click", 5, 100), event("b", "click", 20, 5), event("c", "view", 70, 0), "{oops"])
    source.publish([event("b", "click", 20, 5), event("d", "click", 65, 7), event("late", "click", -3600, 1)])
    source.publish(
        [
            event("a", "click", 5, 100),
            event("e", "view", 130, 3),
            json.dumps({**event("f", "x", 1, 1), "schema_version": 9}),
        ]
    )
    progress = run_to_completion(spark, config, source)

    lake = spark.read.parquet(config.lake_path)
    assert sorted(r.event_id for r in lake.collect()) == ["a", "b", "c", "d", "e", "late"]
    assert sorted({r.batch_id for r in lake.collect()}) == [0, 1, 2]
    dead = sorted(r.dead_letter_reason for r in spark.read.parquet(config.dead_letter_path).collect())
    assert dead[0].startswith("malformed JSON") and dead[1] == "unsupported schema_version 9 (supported: 1)"

    expected: Counter[tuple[str, int]] = Counter()
    for event_type, second in [
        ("click", 5),
        ("click", 20),
        ("view", 70),
        ("click", 65),
        ("click", -3600),
        ("view", 130),
    ]:
        expected[(event_type, W0 + (second // 60) * MINUTE_MS)] += 1
    for (event_type, window_start), count in expected.items():
        assert window_totals(redis_client, event_type, window_start)[0] == count
    assert window_totals(redis_client, "click", W0) == (2, 105, 1)

    observed = [
        p["observedMetrics"][QUALITY_METRICS] for p in progress if QUALITY_METRICS in p.get("observedMetrics", {})
    ]
    assert sum(int(m["records"]) for m in observed) == 10
    assert sum(int(m["dead_letters"]) for m in observed) == 2
    dropped = sum(int(op["customMetrics"]["numDroppedDuplicateRows"]) for p in progress for op in p["stateOperators"])
    assert dropped == 2

    # Crash after batch 2 wrote everything but before its commit: Spark re-runs batch 2.
    files_before = parquet_snapshot(Path(config.lake_path)) + parquet_snapshot(Path(config.dead_letter_path))
    cache_before = cache_snapshot(redis_client)
    forget_commits_from(Path(config.checkpoint_location), 2)
    replay = run_to_completion(spark, config, source)
    assert any(p["batchId"] == 2 and p["numInputRows"] == 3 for p in replay), [
        (p["batchId"], p["numInputRows"]) for p in replay
    ]
    assert parquet_snapshot(Path(config.lake_path)) + parquet_snapshot(Path(config.dead_letter_path)) == files_before
    assert cache_snapshot(redis_client) == cache_before


def test_dr_restart_uses_a_new_checkpoint_and_recomputes_only_complete_windows(
    spark: SparkSession, tmp_path: Path, job_config: Callable[..., JobConfig], redis_client: redis.Redis
) -> None:
    """Primary (generation 1) runs; the DR region then starts generation 2 from a
    timestamp rewind on its own copy of the topic, which also has an event the primary
    never processed."""
    primary_events = [
        event(f"p{minute}-{i}", "click", 60 * minute + 10 * i, 10) for minute in range(4) for i in range(3)
    ]
    primary = KafkaLikeSource(tmp_path / "primary-topic")
    primary.publish(primary_events[:6])
    primary.publish(primary_events[6:])
    run_to_completion(spark, job_config(generation=1), primary)
    assert [window_totals(redis_client, "click", W0 + m * MINUTE_MS) for m in range(4)] == [(3, 30, 1)] * 4

    rewind_ms = W0 + MINUTE_MS  # 09:59:00Z; with 60 s of clock skew, windows from 10:00 are complete
    dr_config = job_config(
        "--starting-timestamp", format_timestamp_ms(rewind_ms), "--clock-skew-allowance", "60s", generation=2
    )
    assert dr_config.checkpoint_location.endswith("generation=2")
    # What startingTimestamp returns from the replicated topic: records at or after the rewind.
    replicated = KafkaLikeSource(tmp_path / "dr-topic")
    replicated.publish(
        [e for e in primary_events if dt.datetime.fromisoformat(e["event_time"]).timestamp() * 1000 + 2000 >= rewind_ms]
    )
    replicated.publish([event("after-failover", "click", 60 * 3 + 50, 1000)])
    run_to_completion(spark, dr_config, replicated)

    # 09:58 and 09:59 were not fully re-read: they keep the primary's totals. 10:00 and
    # 10:01 are recomputed by generation 2 (not added to generation 1's counts).
    assert window_totals(redis_client, "click", W0) == (3, 30, 1)
    assert window_totals(redis_client, "click", W0 + MINUTE_MS) == (3, 30, 1)
    assert window_totals(redis_client, "click", W0 + 2 * MINUTE_MS) == (3, 30, 2)
    assert window_totals(redis_client, "click", W0 + 3 * MINUTE_MS) == (4, 1030, 2)
    latest = redis_client.hmget(LAYOUT.latest_key("click"), ["window_start_ms", "event_count", "generation"])
    assert latest == [str(W0 + 3 * MINUTE_MS).encode(), b"4", b"2"]

    # Each generation has its own checkpoint and its own lake partitions.
    checkpoints = sorted(p.name for p in (tmp_path / "checkpoints").iterdir())
    assert checkpoints == ["generation=1", "generation=2"]
    lake = spark.read.parquet(str(tmp_path / "lake"))
    assert lake.where("generation = 2").count() == 10 and lake.where("generation = 1").count() == 12
