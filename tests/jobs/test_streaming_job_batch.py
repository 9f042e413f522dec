"""One micro-batch through the real sinks: Parquet on disk and a real redis-server."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis
from botocore.credentials import ReadOnlyCredentials
from pyspark.sql import DataFrame, SparkSession
from streaming_job.batch import BatchProcessor
from streaming_job.cache_auth import iam_auth_token
from streaming_job.cache_sink import CacheLayout, FencedWriterError
from streaming_job.config import JobConfig
from streaming_job.transforms import REASON, deduplicate, parse_records

from .conftest import cache_snapshot, parquet_snapshot

KAFKA_TIME = dt.datetime(2026, 11, 26, 10, 0, 5, tzinfo=dt.UTC)
MINUTE_MS = 60_000
W0 = int(dt.datetime(2026, 11, 26, 9, 58, tzinfo=dt.UTC).timestamp() * 1000)
LAYOUT = CacheLayout("test:", 60, 60, 7 * 86400)


def event(event_id: str, event_type: str, second: int, amount: int | str) -> dict[str, Any]:
    """An event ``second`` seconds after 09:58:00Z."""
    moment = dt.datetime(2026, 11, 26, 9, 58, tzinfo=dt.UTC) + dt.timedelta(seconds=second)
    return {
        "event_id": event_id,
        "event_type": event_type,
        "event_time": moment.isoformat().replace("+00:00", "Z"),
        "producer_id": "web-1",
        "amount_minor": amount,
        "schema_version": 1,
    }


FIRST_BATCH = [
    event("a", "click", 5, 100),
    event("b", "click", 30, 250),
    event("c", "click", 75, 10),  # next minute
    event("d", "view", 59, 0),
    event("b", "click", 31, 999),  # retry of "b" in the same batch
    b'{"event_id": "e"',
    event("f", "click", 10, "12"),
]


def batch_frame(make_records: Callable[..., DataFrame], values: list[Any], first_offset: int = 0) -> DataFrame:
    records = make_records([(value, first_offset + i, KAFKA_TIME) for i, value in enumerate(values)])
    return deduplicate(parse_records(records), horizon_seconds=900)


def totals(client: redis.Redis, event_type: str, window_start_ms: int) -> tuple[int, int]:
    count, amount = client.hmget(LAYOUT.window_key(event_type, window_start_ms), ["event_count", "amount_minor_sum"])
    return int(count), int(amount)


def test_a_batch_reaches_every_sink_and_a_replay_changes_nothing(
    spark: SparkSession,
    make_records: Callable[..., DataFrame],
    job_config: Callable[..., JobConfig],
    redis_client: redis.Redis,
) -> None:
    config = job_config()
    process = BatchProcessor(config)
    batch = batch_frame(make_records, FIRST_BATCH)
    process(batch, 5)

    lake = spark.read.parquet(config.lake_path).collect()
    assert sorted(row.event_id for row in lake) == ["a", "b", "c", "d"]
    assert {(row.event_date, row.event_hour, row.generation, row.batch_id) for row in lake} == {
        (dt.date(2026, 11, 26), 9, 1, 5)  # partition discovery reads the date back as a date
    }
    dead = spark.read.parquet(config.dead_letter_path).collect()
    reasons = sorted(row[REASON] for row in dead)
    assert len(reasons) == 2
    assert reasons[0].startswith("field 'amount_minor' is not a 64-bit integer")
    assert reasons[1].startswith("malformed JSON")
    assert totals(redis_client, "click", W0) == (2, 350)
    assert totals(redis_client, "click", W0 + MINUTE_MS) == (1, 10)
    assert totals(redis_client, "view", W0) == (1, 0)

    files_before = parquet_snapshot(Path(config.lake_path)) + parquet_snapshot(Path(config.dead_letter_path))
    cache_before = cache_snapshot(redis_client)
    process(batch, 5)  # Spark re-runs the batch after a crash before its commit
    assert parquet_snapshot(Path(config.lake_path)) + parquet_snapshot(Path(config.dead_letter_path)) == files_before
    assert cache_snapshot(redis_client) == cache_before
    assert spark.read.parquet(config.lake_path).count() == 4


def test_the_next_batch_adds_without_touching_the_previous_one(
    spark: SparkSession,
    make_records: Callable[..., DataFrame],
    job_config: Callable[..., JobConfig],
    redis_client: redis.Redis,
) -> None:
    config = job_config()
    process = BatchProcessor(config)
    process(batch_frame(make_records, FIRST_BATCH), 5)
    first_files = parquet_snapshot(Path(config.lake_path))
    process(batch_frame(make_records, [event("g", "click", 40, 1), event("h", "buy", 150, 5)], 100), 6)

    assert set(first_files) <= set(parquet_snapshot(Path(config.lake_path)))
    lake = spark.read.parquet(config.lake_path)
    assert lake.where("batch_id = 6").count() == 2 and lake.where("batch_id = 5").count() == 4
    assert totals(redis_client, "click", W0) == (3, 351)
    assert totals(redis_client, "buy", W0 + 2 * MINUTE_MS) == (1, 5)
    latest = redis_client.hmget(LAYOUT.latest_key("click"), ["window_start_ms", "event_count"])
    assert latest == [str(W0 + MINUTE_MS).encode(), b"1"]


def test_a_job_of_an_older_generation_stops_itself(
    make_records: Callable[..., DataFrame], job_config: Callable[..., JobConfig], redis_client: redis.Redis
) -> None:
    BatchProcessor(job_config(generation=2))(batch_frame(make_records, FIRST_BATCH), 0)
    zombie = BatchProcessor(job_config(generation=1))
    with pytest.raises(FencedWriterError, match="generation 1 batch 900: 3 cache windows"):
        zombie(batch_frame(make_records, FIRST_BATCH), 900)
    assert totals(redis_client, "click", W0) == (2, 350)


def test_partitions_need_a_utc_session(
    spark: SparkSession, make_records: Callable[..., DataFrame], job_config: Callable[..., JobConfig]
) -> None:
    config = job_config()
    spark.conf.set("spark.sql.session.timeZone", "America/New_York")
    try:
        with pytest.raises(RuntimeError, match="must be UTC"):
            BatchProcessor(config)(batch_frame(make_records, FIRST_BATCH), 0)
    finally:
        spark.conf.set("spark.sql.session.timeZone", "UTC")
    assert not Path(config.lake_path).exists()


def test_iam_connections_use_a_token_minted_for_the_batch(job_config: Callable[..., JobConfig]) -> None:
    config = job_config(
        "--cache-auth",
        "iam",
        "--cache-tls",
        "--cache-user-id",
        "stream-writer",
        "--cache-name",
        "platform-cache",
        "--region",
        "eu-west-1",
    )
    credentials = ReadOnlyCredentials("AKIDEXAMPLE", "secret", None)
    now = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
    connection = BatchProcessor(config, credentials=lambda: credentials).cache_connection(now)
    assert (connection.username, connection.tls) == ("stream-writer", True)
    assert connection.password == iam_auth_token(
        cache_name="platform-cache",
        user_id="stream-writer",
        region="eu-west-1",
        credentials=credentials,
        signed_at=now,
    )
