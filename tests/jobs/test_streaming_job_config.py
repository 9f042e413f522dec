"""The job's argument contract and its Kafka source options (no Spark, no Kafka)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from streaming_job.config import (
    ConfigError,
    JobConfig,
    format_timestamp_ms,
    parse_args,
    parse_duration,
    parse_timestamp_ms,
)
from streaming_job.kafka_source import kafka_source_options

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
BASE = [
    "--bootstrap-servers",
    "b-1.msk.example:9098,b-2.msk.example:9098",
    "--topic",
    "ingest-events",
    "--generation",
    "3",
    "--checkpoint-root",
    "s3://artifacts/checkpoints/ingest/",
    "--lake-path",
    "s3://lake/events",
    "--dead-letter-path",
    "s3://lake-dead-letters/events",
    "--cache-host",
    "master.cache.example",
    "--cache-user-id",
    "stream-writer",
    "--cache-name",
    "Platform-Cache",
    "--region",
    "eu-west-1",
]


def parse(*extra: str) -> JobConfig:
    return parse_args([*BASE, *extra], now=NOW)


def rejected(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Parse, expect exit code 2, return what the user saw on stderr."""
    with pytest.raises(SystemExit) as exit_info:
        parse_args(list(argv), now=NOW)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def test_defaults_and_derived_locations() -> None:
    config = parse("--starting-offsets", "earliest")
    assert config.checkpoint_location == "s3://artifacts/checkpoints/ingest/generation=3"
    assert config.starting.offsets == "earliest" and config.starting.timestamp_ms is None
    assert (config.window_seconds, config.slide_seconds) == (60, 60)
    assert config.dedup_horizon_seconds == 15 * 60
    assert config.fail_on_data_loss is True
    assert config.cache.auth == "iam" and config.cache.tls is True
    assert config.cache.cache_name == "platform-cache"  # ElastiCache ids are lower case
    assert config.cache_complete_from_ms is None


def test_dr_rewind_marks_incomplete_windows() -> None:
    config = parse("--starting-timestamp", "2026-11-26T09:30:00Z", "--clock-skew-allowance", "2m")
    rewind_ms = parse_timestamp_ms("2026-11-26T09:30:00+00:00")
    assert config.starting.timestamp_ms == rewind_ms
    assert config.cache_complete_from_ms == rewind_ms + 120_000


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--starting-timestamp", "2026-11-26T12:30:00Z"], "is in the future"),
        (["--starting-timestamp", "2026-11-26T09:30:00"], "has no UTC offset"),
        (["--starting-timestamp", "yesterday"], "neither epoch milliseconds nor an ISO-8601"),
        (["--starting-offsets", '{"other-topic": {"0": 5}}'], "exactly one key, the topic 'ingest-events'"),
        (["--starting-offsets", '{"ingest-events": {"0": -3}}'], "offset -3 of partition 0 is not valid"),
        (["--starting-offsets", "from-the-start"], "must be earliest, latest or JSON"),
        (["--starting-offsets", "earliest", "--window", "1m", "--window-slide", "2m"], "must not be longer"),
        (["--starting-offsets", "earliest", "--dedup-horizon", "15 minutes"], "is not a duration"),
        (["--starting-offsets", "earliest", "--no-cache-tls"], "needs TLS"),
        (["--starting-offsets", "earliest", "--max-offsets-per-trigger", "0"], "must be positive"),
    ],
)
def test_bad_arguments_exit_2_with_the_reason(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert message in rejected(capsys, *BASE, *argv)


def test_iam_auth_names_every_missing_argument(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [a for a in BASE if a not in ("--cache-user-id", "stream-writer", "--region", "eu-west-1")]
    err = rejected(capsys, *argv, "--starting-offsets", "latest")
    assert "--cache-auth iam needs --cache-user-id, --region" in err


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--dead-letter-path", "s3://lake/events/dead", "--dead-letter-path must not be inside --lake-path"),
        ("--checkpoint-root", "s3://lake/events/_checkpoints", "--checkpoint-root must not be inside --lake-path"),
        ("--bootstrap-servers", "b-1.msk.example", "is not host:port"),
        ("--topic", "bad topic", "not a valid Kafka topic name"),
        ("--generation", "-1", "--generation must be 0 or more"),
    ],
)
def test_conflicting_or_malformed_locations(
    capsys: pytest.CaptureFixture[str], flag: str, value: str, message: str
) -> None:
    argv = list(BASE)
    argv[argv.index(flag) + 1] = value
    assert message in rejected(capsys, *argv, "--starting-offsets", "earliest")


def test_start_position_is_mandatory_and_exclusive(capsys: pytest.CaptureFixture[str]) -> None:
    assert "one of the arguments --starting-offsets --starting-timestamp is required" in rejected(capsys, *BASE)
    err = rejected(capsys, *BASE, "--starting-offsets", "earliest", "--starting-timestamp", "0")
    assert "not allowed with argument" in err


def test_entry_point_rejects_bad_input_before_spark(capsys: pytest.CaptureFixture[str]) -> None:
    from streaming_job.app import main

    with pytest.raises(SystemExit) as exit_info:
        main([*BASE, "--starting-offsets", "earliest", "--window", "0s"])
    assert exit_info.value.code == 2
    assert "duration '0s' must be positive" in capsys.readouterr().err


@given(st.integers(min_value=1, max_value=10_000), st.sampled_from(["s", "m", "h", "d"]))
def test_durations(amount: int, unit: str) -> None:
    assert parse_duration(f"{amount}{unit}") == amount * {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit]


@pytest.mark.parametrize("text", ["", "1.5m", "-3s", "10 minutes", "5w", "0m"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_duration(text)


@given(st.integers(min_value=0, max_value=4_102_444_800_000))
def test_timestamps_round_trip_through_their_iso_form(timestamp_ms: int) -> None:
    assert parse_timestamp_ms(format_timestamp_ms(timestamp_ms)) == timestamp_ms
    assert parse_timestamp_ms(str(timestamp_ms)) == timestamp_ms


def test_timestamp_offsets_are_honoured() -> None:
    assert parse_timestamp_ms("2026-11-26T10:00:00+01:00") == parse_timestamp_ms("2026-11-26T09:00:00Z")
    assert format_timestamp_ms(0) == "1970-01-01T00:00:00.000Z"


def job_argv(
    generation: int,
    start: list[str],
    window: int,
    slide_divisor: int,
    iam: bool,
    max_offsets: int | None,
    fail_on_data_loss: bool,
    cluster_mode: bool,
    writers: int,
) -> list[str]:
    """A valid argument list built from independently drawn settings."""
    argv = [
        "--bootstrap-servers",
        "b-1.msk.example:9098",
        "--topic",
        "ingest-events",
        "--generation",
        str(generation),
        "--checkpoint-root",
        "s3://artifacts/checkpoints/ingest",
        "--lake-path",
        "s3://lake/events",
        "--dead-letter-path",
        "s3://lake-dead-letters/events",
        "--cache-host",
        "master.cache.example",
        "--window",
        f"{window}s",
        "--window-slide",
        f"{max(1, window // slide_divisor)}s",
        "--fail-on-data-loss" if fail_on_data_loss else "--no-fail-on-data-loss",
        "--cache-writer-partitions",
        str(writers),
    ]
    argv += start
    if max_offsets is not None:
        argv += ["--max-offsets-per-trigger", str(max_offsets)]
    if cluster_mode:
        argv += ["--cache-cluster-mode"]
    if iam:
        argv += ["--cache-user-id", "u1", "--cache-name", "c1", "--region", "us-east-1", "--cache-serverless"]
    else:
        argv += ["--cache-auth", "none", "--no-cache-tls", "--cache-port", "6380"]
    return argv


configs = st.builds(
    job_argv,
    generation=st.integers(min_value=0, max_value=1000),
    start=st.one_of(
        st.sampled_from([["--starting-offsets", "earliest"], ["--starting-offsets", "latest"]]),
        st.dictionaries(st.integers(0, 63).map(str), st.integers(-2, 10**9), min_size=1, max_size=4).map(
            lambda offsets: ["--starting-offsets", json.dumps({"ingest-events": offsets})]
        ),
        st.integers(0, 1_795_000_000_000).map(lambda ms: ["--starting-timestamp", str(ms)]),
    ),
    window=st.integers(min_value=1, max_value=86_400),
    slide_divisor=st.integers(min_value=1, max_value=4),
    iam=st.booleans(),
    max_offsets=st.one_of(st.none(), st.integers(1, 10**7)),
    fail_on_data_loss=st.booleans(),
    cluster_mode=st.booleans(),
    writers=st.integers(1, 64),
)


@given(configs)
def test_to_argv_reproduces_the_config(argv: list[str]) -> None:
    """What the lead's EMR step renders with to_argv parses back to the same job."""
    config = parse_args(argv, now=NOW)
    assert parse_args(config.to_argv(), now=NOW) == config


def test_msk_iam_source_options_from_a_rewind() -> None:
    config = parse("--starting-timestamp", "1795000000000", "--max-offsets-per-trigger", "500000")
    options = kafka_source_options(config)
    assert options == {
        "kafka.bootstrap.servers": "b-1.msk.example:9098,b-2.msk.example:9098",
        "subscribe": "ingest-events",
        "kafka.security.protocol": "SASL_SSL",
        "kafka.sasl.mechanism": "AWS_MSK_IAM",
        "kafka.sasl.jaas.config": "software.amazon.msk.auth.iam.IAMLoginModule required;",
        "kafka.sasl.client.callback.handler.class": "software.amazon.msk.auth.iam.IAMClientCallbackHandler",
        "startingTimestamp": "1795000000000",
        "startingOffsetsByTimestampStrategy": "latest",
        "failOnDataLoss": "true",
        "groupIdPrefix": "streaming-job",
        "maxOffsetsPerTrigger": "500000",
    }


def test_source_options_from_offsets_and_opt_out_of_data_loss_failure() -> None:
    offsets = '{"ingest-events": {"1": 7, "0": -2}}'
    options = kafka_source_options(parse("--starting-offsets", offsets, "--no-fail-on-data-loss"))
    assert json.loads(options["startingOffsets"]) == {"ingest-events": {"0": -2, "1": 7}}
    assert "startingTimestamp" not in options and "maxOffsetsPerTrigger" not in options
    assert options["failOnDataLoss"] == "false"
