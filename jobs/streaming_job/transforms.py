"""Pure DataFrame transforms: Kafka records -> checked events / dead letters -> aggregates.

Every function takes and returns DataFrames and works the same on a streaming
DataFrame and on a plain one, so the logic is tested on small static frames and in a
real streaming query alike. Built-in expressions only (no Python UDFs): parsing stays
in the JVM.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as sf

from .schema import (
    CORRUPT_RECORD_COLUMN,
    EVENT_FIELDS,
    EVENT_TIME_FORMAT,
    REASON_VALUE_CHARS,
    SUPPORTED_SCHEMA_VERSIONS,
    TEXT_JSON_SCHEMA,
    TYPED_JSON_SCHEMA,
)

REASON = "dead_letter_reason"
AMOUNT_MINOR_LIMIT = 10**12
"""Plausibility bound on |amount_minor|: keeps every window sum far inside 64 bits."""

EVENT_COLUMNS = (
    "event_id",
    "event_type",
    "event_time",
    "producer_id",
    "amount_minor",
    "attributes",
    "schema_version",
)
KAFKA_COLUMNS = ("kafka_topic", "kafka_partition", "kafka_offset", "kafka_timestamp")
_JSON_OPTIONS = {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT_RECORD_COLUMN}
_DEDUP_KEY = "_dedup_key"
_SEEN_AT = "_seen_at"


def _quoted(value: Column) -> Column:
    """An offending value for a reason: quoted and cut to a readable length."""
    return sf.concat(sf.lit("'"), sf.substring(value, 1, REASON_VALUE_CHARS), sf.lit("'"))


def _field_problems(typed: str, text: str) -> list[Column]:
    """One nullable message per broken rule of the declared schema."""
    problems: list[Column] = []
    for field in EVENT_FIELDS:
        typed_value = sf.col(f"{typed}.{field.name}")
        # The text parse runs only for records the strict parse flagged; elsewhere null.
        text_value = sf.col(f"{text}.{field.name}")
        if field.required:
            problems.append(
                sf.when(
                    typed_value.isNull() & text_value.isNull(),
                    sf.lit(f"missing required field '{field.name}'"),
                )
            )
        problems.append(
            sf.when(
                typed_value.isNull() & text_value.isNotNull(),
                sf.concat(sf.lit(f"field '{field.name}' is not {field.type_label}: "), _quoted(text_value)),
            )
        )
        if field.pattern is not None:
            problems.append(
                sf.when(
                    ~typed_value.rlike(field.pattern),
                    sf.concat(sf.lit(f"field '{field.name}' does not match {field.pattern}: "), _quoted(typed_value)),
                )
            )
    event_time_text = sf.col(f"{typed}.event_time")
    problems.append(
        sf.when(
            event_time_text.isNotNull() & sf.try_to_timestamp(event_time_text, sf.lit(EVENT_TIME_FORMAT)).isNull(),
            sf.concat(
                sf.lit("field 'event_time' is not an RFC 3339 timestamp with offset: "), _quoted(event_time_text)
            ),
        )
    )
    amount = sf.col(f"{typed}.amount_minor")
    problems.append(
        sf.when(
            sf.abs(amount) > AMOUNT_MINOR_LIMIT,
            sf.concat(sf.lit(f"field 'amount_minor' is beyond +-{AMOUNT_MINOR_LIMIT}: "), amount.cast("string")),
        )
    )
    version = sf.col(f"{typed}.schema_version")
    supported = ", ".join(str(v) for v in SUPPORTED_SCHEMA_VERSIONS)
    problems.append(
        sf.when(
            ~version.isin(*SUPPORTED_SCHEMA_VERSIONS),
            sf.concat(
                sf.lit("unsupported schema_version "), version.cast("string"), sf.lit(f" (supported: {supported})")
            ),
        )
    )
    return problems


def parse_records(records: DataFrame) -> DataFrame:
    """Kafka records -> one row each: the typed event fields plus ``dead_letter_reason``.

    The reason is null for a valid event and lists every broken rule otherwise, so the
    dead-letter output says exactly what to fix. The raw key and value are kept for
    replaying fixed records. Nothing is filtered here: each input row yields one row.
    """
    text = sf.col("value").cast("string")
    with_typed = records.select(
        "key",
        "value",
        sf.col("topic").alias("kafka_topic"),
        sf.col("partition").alias("kafka_partition"),
        sf.col("offset").alias("kafka_offset"),
        sf.col("timestamp").alias("kafka_timestamp"),
        sf.from_json(text, TYPED_JSON_SCHEMA, _JSON_OPTIONS).alias("_typed"),
        text.alias("_text_value"),
    )
    flagged = sf.col(f"_typed.{CORRUPT_RECORD_COLUMN}").isNotNull()
    with_text = with_typed.withColumn(
        "_text", sf.when(flagged, sf.from_json(sf.col("_text_value"), TEXT_JSON_SCHEMA, _JSON_OPTIONS))
    )
    empty = sf.col("value").isNull() | (sf.length("value") == 0)
    malformed = sf.col("_typed").isNull() | (
        flagged & (sf.col("_text").isNull() | sf.col(f"_text.{CORRUPT_RECORD_COLUMN}").isNotNull())
    )
    field_problems = sf.concat_ws("; ", *_field_problems("_typed", "_text"))
    reason = (
        sf.when(empty, sf.lit("empty message: the Kafka record has no value"))
        .when(
            malformed,
            sf.concat(sf.lit("malformed JSON (not one JSON object): "), _quoted(sf.col("_text_value"))),
        )
        .when(field_problems != "", field_problems)
    )
    return with_text.select(
        "key",
        "value",
        *KAFKA_COLUMNS,
        sf.col("_typed.event_id").alias("event_id"),
        sf.col("_typed.event_type").alias("event_type"),
        sf.try_to_timestamp(sf.col("_typed.event_time"), sf.lit(EVENT_TIME_FORMAT)).alias("event_time"),
        sf.col("_typed.producer_id").alias("producer_id"),
        sf.col("_typed.amount_minor").alias("amount_minor"),
        sf.col("_typed.attributes").alias("attributes"),
        sf.col("_typed.schema_version").alias("schema_version"),
        reason.alias(REASON),
    )


def deduplicate(parsed: DataFrame, horizon_seconds: int) -> DataFrame:
    """Drop repeated event ids seen within ``horizon_seconds`` of processing time.

    The watermark is on processing time (the micro-batch timestamp, which Spark
    records in the offset log, so a replayed batch sees the same value) rather than on
    event time: an event-time watermark would silently drop valid late events, and a
    Kafka-timestamp watermark drops rows of partitions that lag during catch-up. The
    horizon is therefore "how long an id is remembered", between 1x and 2x the setting.
    Dead letters are keyed by their Kafka coordinates so none is ever merged away.
    """
    keyed = parsed.withColumn(
        _DEDUP_KEY,
        sf.when(sf.col(REASON).isNull(), sf.col("event_id")).otherwise(
            sf.concat_ws(":", sf.lit("dead-letter"), "kafka_topic", "kafka_partition", "kafka_offset")
        ),
    )
    if parsed.isStreaming:
        deduplicated = (
            keyed.withColumn(_SEEN_AT, sf.current_timestamp())
            .withWatermark(_SEEN_AT, f"{horizon_seconds} seconds")
            .dropDuplicatesWithinWatermark([_DEDUP_KEY])
        )
    else:
        # A static frame is one batch: plain dropDuplicates is the same rule.
        deduplicated = keyed.dropDuplicates([_DEDUP_KEY])
    return deduplicated.drop(_DEDUP_KEY, _SEEN_AT)


def valid_events(parsed: DataFrame) -> DataFrame:
    return parsed.where(sf.col(REASON).isNull()).select(*EVENT_COLUMNS, *KAFKA_COLUMNS)


def dead_letters(parsed: DataFrame) -> DataFrame:
    return parsed.where(sf.col(REASON).isNotNull()).select("key", "value", *KAFKA_COLUMNS, REASON)


def lake_rows(events: DataFrame, generation: int, batch_id: int) -> DataFrame:
    """Events with their partition columns (UTC date/hour of event_time, generation, batch).

    The batch id is a partition column so a replayed batch overwrites exactly its own
    files and nothing else (dynamic partition overwrite).
    """
    return events.select(
        "*",
        sf.date_format("event_time", "yyyy-MM-dd").alias("event_date"),
        sf.hour("event_time").alias("event_hour"),
        sf.lit(generation).alias("generation"),
        sf.lit(batch_id).cast("long").alias("batch_id"),
    )


def dead_letter_rows(dead: DataFrame, generation: int, batch_id: int) -> DataFrame:
    """Dead letters partitioned by the UTC date they reached Kafka (event_time may be bad)."""
    return dead.select(
        "*",
        sf.date_format("kafka_timestamp", "yyyy-MM-dd").alias("ingest_date"),
        sf.lit(generation).alias("generation"),
        sf.lit(batch_id).cast("long").alias("batch_id"),
    )


def windowed_aggregates(events: DataFrame, window_seconds: int, slide_seconds: int) -> DataFrame:
    """Count and amount sum per (event-time window, event_type) over ``events``.

    Applied to one micro-batch this gives that batch's contribution, which the cache
    adds to its running totals exactly once per batch (see cache_sink).
    """
    window = sf.window("event_time", f"{window_seconds} seconds", f"{slide_seconds} seconds")
    return (
        events.groupBy(window.alias("window"), "event_type")
        .agg(
            sf.count(sf.lit(1)).alias("event_count"),
            sf.sum("amount_minor").alias("amount_minor_sum"),
        )
        .select(
            "event_type",
            sf.unix_millis(sf.col("window.start")).alias("window_start_ms"),
            sf.unix_millis(sf.col("window.end")).alias("window_end_ms"),
            "event_count",
            "amount_minor_sum",
        )
    )


def complete_windows(aggregates: DataFrame, complete_from_ms: int | None) -> DataFrame:
    """Only windows this run saw from their start (all of them when it did not rewind)."""
    if complete_from_ms is None:
        return aggregates
    return aggregates.where(sf.col("window_start_ms") >= sf.lit(complete_from_ms))
