"""Wiring: Spark session, the MSK source, the streaming plan and the query.

``build_pipeline`` and ``start_query`` take the record stream as an argument, so tests
run the exact production plan over a local file stream with Kafka's record schema.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as sf
from pyspark.sql.streaming import StreamingQuery

from .batch import BatchProcessor
from .config import JobConfig, parse_args
from .kafka_source import kafka_source_options
from .transforms import REASON, deduplicate, parse_records

QUALITY_METRICS = "ingest_quality"
"""Name of the observed metrics (records, dead_letters) in every StreamingQueryProgress."""

ROCKSDB_STATE_STORE = "org.apache.spark.sql.execution.streaming.state.RocksDBStateStoreProvider"


def build_session(config: JobConfig) -> SparkSession:
    """The job's session. UTC makes partition dates/hours UTC; RocksDB keeps the dedup
    state off the JVM heap and, with changelog checkpointing (Spark >= 3.4), uploads only
    the changes to the S3 checkpoint each batch."""
    return (
        SparkSession.builder.appName(f"streaming-job-{config.query_name}-g{config.generation}")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.streaming.stateStore.providerClass", ROCKSDB_STATE_STORE)
        .config("spark.sql.streaming.stateStore.rocksdb.changelogCheckpointing.enabled", "true")
        .getOrCreate()
    )


def kafka_records(spark: SparkSession, config: JobConfig) -> DataFrame:
    return spark.readStream.format("kafka").options(**kafka_source_options(config)).load()


def build_pipeline(records: DataFrame, config: JobConfig) -> DataFrame:
    """Records -> parsed (reason per bad record) -> observed -> deduplicated."""
    parsed = parse_records(records)
    observed = parsed.observe(
        QUALITY_METRICS,
        sf.count(sf.lit(1)).alias("records"),
        sf.count(sf.col(REASON)).alias("dead_letters"),
    )
    return deduplicate(observed, config.dedup_horizon_seconds)


def start_query(
    config: JobConfig,
    records: DataFrame,
    processor: BatchProcessor | None = None,
    available_now: bool = False,
) -> StreamingQuery:
    """Start the query on ``config.checkpoint_location`` (one per generation)."""
    writer = (
        build_pipeline(records, config)
        .writeStream.queryName(config.query_name)
        .foreachBatch(processor or BatchProcessor(config))
        .option("checkpointLocation", config.checkpoint_location)
    )
    if available_now:
        writer = writer.trigger(availableNow=True)
    else:
        writer = writer.trigger(processingTime=f"{config.trigger_interval_seconds} seconds")
    return writer.start()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the EMR step; bad arguments exit with code 2 before Spark starts."""
    config = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    spark = build_session(config)
    query = start_query(config, kafka_records(spark, config))
    query.awaitTermination()
    return 0
