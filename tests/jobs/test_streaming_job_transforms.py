"""The pure DataFrame logic on plain (static) DataFrames in local Spark."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyspark.sql import DataFrame
from streaming_job.transforms import (
    REASON,
    complete_windows,
    dead_letter_rows,
    dead_letters,
    deduplicate,
    lake_rows,
    parse_records,
    valid_events,
    windowed_aggregates,
)

MakeRecords = Callable[..., DataFrame]
KAFKA_TIME = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
GOOD: dict[str, Any] = {
    "event_id": "evt-0001",
    "event_type": "click",
    "event_time": "2026-11-26T09:59:58.250Z",
    "producer_id": "web-7",
    "amount_minor": 1250,
    "schema_version": 1,
}


def with_changes(**changes: Any) -> dict[str, Any]:
    event = {**GOOD, **changes}
    return {k: v for k, v in event.items() if v is not ...}


# (Kafka value, every fragment the reason must contain); None = valid event.
CASES: list[tuple[Any, list[str] | None]] = [
    (GOOD, None),
    (with_changes(attributes={"page": "home", "ab": 3}), None),
    (with_changes(event_time="2026-11-26T10:59:58+01:00", extra_field="ignored"), None),
    (None, ["empty message"]),
    (b"", ["empty message"]),
    (b"{not json", ["malformed JSON", "'{not json'"]),
    (b"[1, 2]", ["malformed JSON"]),
    (b"42", ["malformed JSON"]),
    (with_changes(event_id=...), ["missing required field 'event_id'"]),
    (with_changes(event_id=None, producer_id=...), ["missing required field 'event_id'", "'producer_id'"]),
    (with_changes(amount_minor="1250"), ["field 'amount_minor' is not a 64-bit integer: '1250'"]),
    (with_changes(amount_minor=12.5), ["field 'amount_minor' is not a 64-bit integer: '12.5'"]),
    (with_changes(amount_minor=10**13), ["beyond +-1000000000000"]),
    (with_changes(schema_version=2), ["unsupported schema_version 2 (supported: 1)"]),
    (with_changes(schema_version="one"), ["field 'schema_version' is not a 32-bit integer: 'one'"]),
    (with_changes(attributes=["a"]), ["field 'attributes' is not an object of strings"]),
    (with_changes(event_type="Page View"), ["field 'event_type' does not match", "'Page View'"]),
    (with_changes(event_id={"nested": 1}), ["field 'event_id' does not match"]),
    (with_changes(event_time="2026-11-26 09:59:58"), ["'event_time' is not an RFC 3339 timestamp"]),
    (with_changes(event_time="2026-11-26T09:59:58"), ["'event_time' is not an RFC 3339 timestamp"]),
    (with_changes(event_id="x" * 200, amount_minor="lots"), ["'event_id' does not match", "'amount_minor' is not"]),
]


def test_every_broken_rule_is_named_and_nothing_is_dropped(make_records: MakeRecords) -> None:
    records = make_records([(value, offset, KAFKA_TIME) for offset, (value, _) in enumerate(CASES)])
    parsed = {row.kafka_offset: row for row in parse_records(records).collect()}
    assert sorted(parsed) == list(range(len(CASES)))  # one output row per record
    for offset, (value, fragments) in enumerate(CASES):
        reason = parsed[offset][REASON]
        if fragments is None:
            assert reason is None, f"{value!r} was rejected: {reason}"
        else:
            assert reason is not None, f"{value!r} was accepted"
            for fragment in fragments:
                assert fragment in reason, f"{fragment!r} not in {reason!r}"
    assert parsed[1].attributes == {"page": "home", "ab": "3"}
    assert parsed[2].event_time == dt.datetime(2026, 11, 26, 9, 59, 58)  # UTC, offset applied


def test_dead_letters_keep_the_raw_record_and_where_it_came_from(make_records: MakeRecords) -> None:
    records = make_records([(b"\xff\xfe{broken", 41, KAFKA_TIME), (GOOD, 42, KAFKA_TIME)], partition=5)
    dead = dead_letter_rows(dead_letters(parse_records(records)), generation=2, batch_id=9).collect()
    assert len(dead) == 1
    row = dead[0]
    assert bytes(row.value) == b"\xff\xfe{broken"
    assert (row.kafka_topic, row.kafka_partition, row.kafka_offset) == ("ingest", 5, 41)
    assert row[REASON].startswith("malformed JSON")
    assert (row.ingest_date, row.generation, row.batch_id) == ("2026-11-26", 2, 9)


def test_duplicates_collapse_but_dead_letters_never_do(make_records: MakeRecords) -> None:
    records = make_records(
        [
            (GOOD, 0, KAFKA_TIME),
            (with_changes(amount_minor=1), 1, KAFKA_TIME),  # same event id: a retry
            (with_changes(event_id="evt-0002"), 2, KAFKA_TIME),
            (b"bad", 3, KAFKA_TIME),
            (b"bad", 4, KAFKA_TIME),  # identical bad payloads are still two dead letters
            (with_changes(event_id=...), 5, KAFKA_TIME),
            (with_changes(event_id=...), 6, KAFKA_TIME),
        ]
    )
    deduplicated = deduplicate(parse_records(records), horizon_seconds=600)
    assert sorted(r.event_id for r in valid_events(deduplicated).collect()) == ["evt-0001", "evt-0002"]
    assert sorted(r.kafka_offset for r in dead_letters(deduplicated).collect()) == [3, 4, 5, 6]


def test_lake_partitions_are_utc_date_and_hour(make_records: MakeRecords) -> None:
    records = make_records([(with_changes(event_time="2026-11-26T23:30:00-02:00"), 0, KAFKA_TIME)])
    row = lake_rows(valid_events(parse_records(records)), generation=1, batch_id=3).collect()[0]
    assert (row.event_date, row.event_hour, row.generation, row.batch_id) == ("2026-11-27", 1, 1, 3)


def reference_windows(
    events: list[tuple[str, int, int]], window_s: int, slide_s: int
) -> dict[tuple[str, int], tuple[int, int]]:
    """(type, window start ms) -> (count, amount sum), straight from the definition."""
    count: Counter[tuple[str, int]] = Counter()
    amount: Counter[tuple[str, int]] = Counter()
    for event_type, second, amount_minor in events:
        start = (second // slide_s) * slide_s
        while start > second - window_s:
            count[(event_type, start * 1000)] += 1
            amount[(event_type, start * 1000)] += amount_minor
            start -= slide_s
    return {key: (count[key], amount[key]) for key in count}


BASE_SECOND = int(dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC).timestamp())


@settings(
    max_examples=8,
    suppress_health_check=[*settings.default.suppress_health_check, HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(
        st.tuples(st.sampled_from(["click", "view"]), st.integers(0, 900), st.integers(-(10**9), 10**9)),
        min_size=1,
        max_size=40,
    ),
    st.sampled_from([(60, 60), (300, 60), (120, 40), (3600, 3600)]),
)
def test_window_totals_are_exact(
    make_records: MakeRecords, events: list[tuple[str, int, int]], window: tuple[int, int]
) -> None:
    window_s, slide_s = window
    records = make_records(
        [
            (
                with_changes(
                    event_id=f"e{i}",
                    event_type=event_type,
                    event_time=dt.datetime.fromtimestamp(BASE_SECOND + second, dt.UTC).isoformat(),
                    amount_minor=amount,
                ),
                i,
                KAFKA_TIME,
            )
            for i, (event_type, second, amount) in enumerate(events)
        ]
    )
    aggregates = windowed_aggregates(valid_events(parse_records(records)), window_s, slide_s).collect()
    got = {(r.event_type, r.window_start_ms): (r.event_count, r.amount_minor_sum) for r in aggregates}
    shifted = [(t, BASE_SECOND + s, a) for t, s, a in events]
    assert got == reference_windows(shifted, window_s, slide_s)
    assert all(r.window_end_ms - r.window_start_ms == window_s * 1000 for r in aggregates)


def test_a_rewound_run_only_publishes_windows_it_saw_from_the_start(make_records: MakeRecords) -> None:
    minute = 60_000
    start = BASE_SECOND * 1000
    records = make_records(
        [
            (
                with_changes(
                    event_id=f"e{i}",
                    event_time=dt.datetime.fromtimestamp(start / 1000 + 30 + 60 * i, dt.UTC).isoformat(),
                ),
                i,
                KAFKA_TIME,
            )
            for i in range(4)
        ]
    )
    aggregates = windowed_aggregates(valid_events(parse_records(records)), 60, 60)
    kept = complete_windows(aggregates, complete_from_ms=start + 2 * minute).collect()
    assert sorted(r.window_start_ms for r in kept) == [start + 2 * minute, start + 3 * minute]
    assert complete_windows(aggregates, None).count() == 4
