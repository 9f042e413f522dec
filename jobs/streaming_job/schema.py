"""The declared ingest event (schema_version 1) and the Kafka source's record shape.

The contract producers sign up to: a JSON object with these fields. Unknown extra
fields are ignored (producers may add fields before consumers use them); a missing
required field, a value of the wrong JSON type, a bad identifier or an unsupported
schema_version sends the record to the dead-letter output with the reason.

amount_minor is an integer in minor currency units (cents) so window sums are exact.
event_time is RFC 3339 with a mandatory offset; sub-microsecond digits are truncated.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql.types import (
    BinaryType,
    DataType,
    IntegerType,
    LongType,
    MapType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

SUPPORTED_SCHEMA_VERSIONS = (1,)
EVENT_TIME_FORMAT = "yyyy-MM-dd'T'HH:mm:ss[.SSSSSSSSS]XXX"
IDENTIFIER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"
EVENT_TYPE_PATTERN = r"^[a-z][a-z0-9_.-]{0,63}$"
CORRUPT_RECORD_COLUMN = "_corrupt_record"
REASON_VALUE_CHARS = 64
"""Characters of an offending value quoted in a dead-letter reason."""


@dataclass(frozen=True)
class EventField:
    name: str
    json_type: DataType
    required: bool
    type_label: str
    """The expected type as a dead-letter reason names it ("a string")."""
    pattern: str | None = None


EVENT_FIELDS: tuple[EventField, ...] = (
    EventField("event_id", StringType(), True, "a string", IDENTIFIER_PATTERN),
    EventField("event_type", StringType(), True, "a string", EVENT_TYPE_PATTERN),
    EventField("event_time", StringType(), True, "an RFC 3339 timestamp"),
    EventField("producer_id", StringType(), True, "a string", IDENTIFIER_PATTERN),
    EventField("amount_minor", LongType(), True, "a 64-bit integer"),
    EventField("attributes", MapType(StringType(), StringType()), False, "an object of strings"),
    EventField("schema_version", IntegerType(), True, "a 32-bit integer"),
)

TYPED_JSON_SCHEMA = StructType(
    [StructField(f.name, f.json_type) for f in EVENT_FIELDS] + [StructField(CORRUPT_RECORD_COLUMN, StringType())]
)
"""Strict parse: a field of the wrong JSON type comes back null and flags the record."""

TEXT_JSON_SCHEMA = StructType(
    [StructField(f.name, StringType()) for f in EVENT_FIELDS] + [StructField(CORRUPT_RECORD_COLUMN, StringType())]
)
"""Lenient parse (every field as text), run only for flagged records to explain them."""

KAFKA_RECORD_SCHEMA = StructType(
    [
        StructField("key", BinaryType()),
        StructField("value", BinaryType()),
        StructField("topic", StringType()),
        StructField("partition", IntegerType()),
        StructField("offset", LongType()),
        StructField("timestamp", TimestampType()),
        StructField("timestampType", IntegerType()),
    ]
)
"""What ``spark.readStream.format("kafka")`` produces (Spark Kafka integration guide)."""

LAKE_PARTITION_COLUMNS = ("event_date", "event_hour", "generation", "batch_id")
DEAD_LETTER_PARTITION_COLUMNS = ("ingest_date", "generation", "batch_id")
