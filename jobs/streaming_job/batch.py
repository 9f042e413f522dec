"""The foreachBatch body: one micro-batch to the dead-letter output, the lake and the cache.

Every sink is idempotent per (generation, batch_id), because Spark replays the last
micro-batch after a failure (foreachBatch is at-least-once):
- lake and dead letters: the batch's rows carry generation and batch_id as partition
  columns and are written with dynamic partition overwrite, so a replay replaces
  exactly the files of its own first attempt;
- cache: versioned Lua writes (cache_sink), so a replay adds nothing twice.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable, Sequence

from botocore.credentials import ReadOnlyCredentials
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as sf

from .cache_auth import current_credentials, iam_auth_token
from .cache_sink import CacheConnection, CacheLayout, FencedWriterError, write_partition
from .config import JobConfig
from .schema import DEAD_LETTER_PARTITION_COLUMNS, LAKE_PARTITION_COLUMNS
from .transforms import (
    REASON,
    complete_windows,
    dead_letter_rows,
    dead_letters,
    lake_rows,
    valid_events,
    windowed_aggregates,
)

log = logging.getLogger(__name__)

CredentialsProvider = Callable[[], ReadOnlyCredentials]


def overwrite_batch_partitions(
    rows: DataFrame, path: str, partition_columns: Sequence[str], order_columns: Sequence[str]
) -> None:
    """Write ``rows`` as Parquet, replacing only the partitions they fall into.

    Rows are sorted inside each task so a replayed batch writes byte-identical files.
    """
    (
        rows.sortWithinPartitions(*partition_columns, *order_columns)
        .write.mode("overwrite")
        .option("partitionOverwriteMode", "dynamic")
        .partitionBy(*partition_columns)
        .parquet(path)
    )


def require_utc_session(spark: SparkSession) -> None:
    """Partition dates and hours are UTC only if the session time zone is UTC."""
    zone = spark.conf.get("spark.sql.session.timeZone")
    if zone not in ("UTC", "Etc/UTC", "Z", "+00:00"):
        raise RuntimeError(f"spark.sql.session.timeZone must be UTC for the lake partitions, got {zone}")


class BatchProcessor:
    """Callable given to ``writeStream.foreachBatch``; runs on the driver per micro-batch."""

    def __init__(self, config: JobConfig, credentials: CredentialsProvider | None = None) -> None:
        self._config = config
        self._credentials = credentials or (lambda: current_credentials(config.region))
        self._layout = CacheLayout(
            key_prefix=config.cache.key_prefix,
            window_seconds=config.window_seconds,
            slide_seconds=config.slide_seconds,
            ttl_seconds=config.cache.ttl_seconds,
        )

    def cache_connection(self, now: dt.datetime) -> CacheConnection:
        """Connection settings for this batch, with a freshly minted IAM token if needed.

        Minted on the driver so executors need neither botocore nor credentials; a
        token stays valid for 15 minutes, far longer than one batch's cache writes.
        """
        cache = self._config.cache
        password = None
        if cache.auth == "iam":
            if not (cache.cache_name and cache.user_id and self._config.region):
                raise ValueError("IAM cache auth needs --cache-name, --cache-user-id and --region")
            password = iam_auth_token(
                cache_name=cache.cache_name,
                user_id=cache.user_id,
                region=self._config.region,
                credentials=self._credentials(),
                signed_at=now,
                serverless=cache.serverless,
            )
        return CacheConnection(
            host=cache.host,
            port=cache.port,
            tls=cache.tls,
            username=cache.user_id,
            password=password,
            cluster_mode=cache.cluster_mode,
        )

    def __call__(self, batch: DataFrame, batch_id: int) -> None:
        require_utc_session(batch.sparkSession)
        config = self._config
        batch.persist()
        try:
            counts = {
                row["valid"]: row["rows"]
                for row in batch.groupBy(sf.col(REASON).isNull().alias("valid"))
                .agg(sf.count("*").alias("rows"))
                .collect()
            }
            valid_count, dead_count = counts.get(True, 0), counts.get(False, 0)
            if dead_count:
                overwrite_batch_partitions(
                    dead_letter_rows(dead_letters(batch), config.generation, batch_id),
                    config.dead_letter_path,
                    DEAD_LETTER_PARTITION_COLUMNS,
                    ("kafka_topic", "kafka_partition", "kafka_offset"),
                )
            outcome = (0, 0, 0)
            if valid_count:
                events = valid_events(batch)
                overwrite_batch_partitions(
                    lake_rows(events, config.generation, batch_id),
                    config.lake_path,
                    LAKE_PARTITION_COLUMNS,
                    ("event_time", "event_id"),
                )
                outcome = self._write_cache(events, batch_id)
        finally:
            batch.unpersist()
        applied, replayed, refused = outcome
        log.info(
            "generation %d batch %d: %d events, %d dead letters, cache windows applied=%d replayed=%d refused=%d",
            config.generation,
            batch_id,
            valid_count,
            dead_count,
            applied,
            replayed,
            refused,
        )
        if refused:
            raise FencedWriterError(
                f"generation {config.generation} batch {batch_id}: {refused} cache windows were already written "
                "by a newer generation or batch; stopping this job (see jobs/README.md, 'Fencing')"
            )

    def _write_cache(self, events: DataFrame, batch_id: int) -> tuple[int, int, int]:
        config = self._config
        aggregates = complete_windows(
            windowed_aggregates(events, config.window_seconds, config.slide_seconds),
            config.cache_complete_from_ms,
        ).coalesce(config.cache.writer_partitions)
        writer = functools.partial(
            write_partition,
            self.cache_connection(dt.datetime.now(dt.UTC)),
            self._layout,
            config.generation,
            batch_id,
        )
        totals = aggregates.rdd.mapPartitions(writer).collect()
        return (
            sum(applied for applied, _, _ in totals),
            sum(replayed for _, replayed, _ in totals),
            sum(refused for _, _, refused in totals),
        )
