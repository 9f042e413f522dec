"""The job's command line: every argument the EMR step passes, parsed and checked up front.

Pure Python (no pyspark) so the argument contract can be tested, rendered into an EMR
step (``JobConfig.to_argv``) and validated before a cluster is involved. A bad argument
ends the process with exit code 2 and one clear message, never a traceback: a DR
operator restarting the job at 3 a.m. must see "--starting-timestamp is in the future",
not a Py4J stack.

The job needs Python 3.11 on the cluster (EMR 7.1+ ships /usr/bin/python3.11 next to the
default 3.9; the step's spark-env must point PYSPARK_PYTHON at it, see jobs/README.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

# How far a producer's clock may run ahead of the broker's. Events of a window that
# starts at least this long after --starting-timestamp all carry Kafka timestamps at or
# after it, so a run started from that timestamp sees the whole window.
DEFAULT_CLOCK_SKEW_ALLOWANCE = "5m"
DEFAULT_DEDUP_HORIZON = "15m"
DEFAULT_WINDOW = "1m"
DEFAULT_TRIGGER_INTERVAL = "30s"
DEFAULT_CACHE_TTL = "7d"
# A starting timestamp this far ahead of the clock is a typo, not a plan: with the
# "latest" fallback Spark would silently skip everything up to now.
MAX_STARTING_TIMESTAMP_LEAD = dt.timedelta(minutes=5)

_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d)\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_BROKER = re.compile(r"^[A-Za-z0-9.-]+:(\d{1,5})$")
_TOPIC = re.compile(r"^[A-Za-z0-9._-]{1,249}$")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MILLISECOND = dt.timedelta(milliseconds=1)


class ConfigError(ValueError):
    """An argument is missing, malformed or contradicts another one."""


@dataclass(frozen=True)
class StartingPosition:
    """Where a NEW checkpoint starts reading; Spark ignores it when the checkpoint exists.

    Exactly one of ``offsets`` ("earliest", "latest" or Spark's per-partition JSON) and
    ``timestamp_ms`` (epoch milliseconds, the DR rewind) is set.
    """

    offsets: str | None = None
    timestamp_ms: int | None = None


@dataclass(frozen=True)
class CacheSettings:
    """Where and how the latest window aggregates are written (ElastiCache Valkey)."""

    host: str
    port: int
    tls: bool
    auth: str
    """"iam" (SigV4 token per connection, ElastiCache with TLS) or "none" (tests, local)."""
    user_id: str | None
    cache_name: str | None
    """Replication group id (or serverless cache name) the IAM token is signed for."""
    serverless: bool
    cluster_mode: bool
    key_prefix: str
    ttl_seconds: int
    writer_partitions: int


@dataclass(frozen=True)
class JobConfig:
    """Everything the job needs; built only by ``parse_args`` so it is always valid."""

    bootstrap_servers: str
    topic: str
    region: str | None
    generation: int
    """Checkpoint generation: bumped for every NEW checkpoint (DR failover, reprocessing).

    It names the checkpoint directory and versions every lake partition and cache write,
    so a newer generation never collides with, and always supersedes, an older one.
    """
    checkpoint_root: str
    lake_path: str
    dead_letter_path: str
    starting: StartingPosition
    clock_skew_allowance_seconds: int
    dedup_horizon_seconds: int
    window_seconds: int
    slide_seconds: int
    trigger_interval_seconds: int
    max_offsets_per_trigger: int | None
    fail_on_data_loss: bool
    group_id_prefix: str
    query_name: str
    cache: CacheSettings

    @property
    def checkpoint_location(self) -> str:
        """One checkpoint per generation: a DR restart never resumes a copied checkpoint."""
        return f"{self.checkpoint_root.rstrip('/')}/generation={self.generation}"

    @property
    def cache_complete_from_ms(self) -> int | None:
        """Earliest window start this run sees completely (None: it sees every window).

        A run started from a timestamp misses events of windows that began before it,
        so it must not overwrite their cached totals (kept from the previous generation).
        """
        if self.starting.timestamp_ms is None:
            return None
        return self.starting.timestamp_ms + self.clock_skew_allowance_seconds * 1000

    def to_argv(self) -> list[str]:
        """The argument list that ``parse_args`` turns back into this exact config."""
        argv = [
            "--bootstrap-servers",
            self.bootstrap_servers,
            "--topic",
            self.topic,
            "--generation",
            str(self.generation),
            "--checkpoint-root",
            self.checkpoint_root,
            "--lake-path",
            self.lake_path,
            "--dead-letter-path",
            self.dead_letter_path,
        ]
        if self.starting.timestamp_ms is not None:
            argv += ["--starting-timestamp", format_timestamp_ms(self.starting.timestamp_ms)]
        else:
            argv += ["--starting-offsets", str(self.starting.offsets)]
        if self.region is not None:
            argv += ["--region", self.region]
        argv += [
            "--clock-skew-allowance",
            f"{self.clock_skew_allowance_seconds}s",
            "--dedup-horizon",
            f"{self.dedup_horizon_seconds}s",
            "--window",
            f"{self.window_seconds}s",
            "--window-slide",
            f"{self.slide_seconds}s",
            "--trigger-interval",
            f"{self.trigger_interval_seconds}s",
            "--fail-on-data-loss" if self.fail_on_data_loss else "--no-fail-on-data-loss",
            "--group-id-prefix",
            self.group_id_prefix,
            "--query-name",
            self.query_name,
        ]
        if self.max_offsets_per_trigger is not None:
            argv += ["--max-offsets-per-trigger", str(self.max_offsets_per_trigger)]
        cache = self.cache
        argv += [
            "--cache-host",
            cache.host,
            "--cache-port",
            str(cache.port),
            "--cache-tls" if cache.tls else "--no-cache-tls",
            "--cache-auth",
            cache.auth,
            "--cache-key-prefix",
            cache.key_prefix,
            "--cache-ttl",
            f"{cache.ttl_seconds}s",
            "--cache-writer-partitions",
            str(cache.writer_partitions),
            "--cache-cluster-mode" if cache.cluster_mode else "--no-cache-cluster-mode",
        ]
        if cache.user_id is not None:
            argv += ["--cache-user-id", cache.user_id]
        if cache.cache_name is not None:
            argv += ["--cache-name", cache.cache_name]
        if cache.serverless:
            argv += ["--cache-serverless"]
        return argv


def parse_duration(text: str) -> int:
    """Seconds in "30s", "15m", "1h" or "7d"; rejects zero, fractions and other units."""
    match = _DURATION.match(text)
    if match is None:
        raise ConfigError(f"{text!r} is not a duration like 30s, 15m, 1h or 7d")
    seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds <= 0:
        raise ConfigError(f"duration {text!r} must be positive")
    return seconds


def parse_timestamp_ms(text: str) -> int:
    """Epoch milliseconds from epoch millis or an ISO-8601 time WITH an offset.

    A time without an offset is refused: guessing the zone of a DR rewind point could
    silently skip hours of data.
    """
    stripped = text.strip()
    if stripped.isdigit():
        return int(stripped)
    iso = stripped[:-1] + "+00:00" if stripped[-1:] in ("Z", "z") else stripped
    try:
        parsed = dt.datetime.fromisoformat(iso)
    except ValueError:
        raise ConfigError(
            f"{text!r} is neither epoch milliseconds nor an ISO-8601 time such as 2026-11-26T10:00:00Z"
        ) from None
    if parsed.tzinfo is None:
        raise ConfigError(f"{text!r} has no UTC offset; write it as e.g. 2026-11-26T10:00:00Z")
    return (parsed - _EPOCH) // _MILLISECOND


def format_timestamp_ms(timestamp_ms: int) -> str:
    """ISO-8601 UTC with milliseconds, the form operators read in runbooks and logs."""
    moment = _EPOCH + timestamp_ms * _MILLISECOND
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_starting_offsets(text: str, topic: str) -> str:
    """Spark's startingOffsets: "earliest", "latest" or JSON {topic: {partition: offset}}."""
    if text in ("earliest", "latest"):
        return text
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        raise ConfigError(
            f'--starting-offsets must be earliest, latest or JSON like {{"{topic}": {{"0": 42}}}}, got {text!r}'
        ) from None
    if not isinstance(parsed, dict) or set(parsed) != {topic}:
        raise ConfigError(f"--starting-offsets JSON must have exactly one key, the topic {topic!r}")
    partitions = parsed[topic]
    if not isinstance(partitions, dict) or not partitions:
        raise ConfigError("--starting-offsets JSON must map partition numbers to offsets")
    for partition, offset in partitions.items():
        if not partition.isdigit():
            raise ConfigError(f"--starting-offsets: partition {partition!r} is not a number")
        # -2 = earliest and -1 = latest for a single partition (Spark's convention).
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < -2:
            raise ConfigError(f"--starting-offsets: offset {offset!r} of partition {partition} is not valid")
    return json.dumps(parsed, sort_keys=True, separators=(",", ":"))


def _check_bootstrap_servers(text: str) -> str:
    brokers = [broker.strip() for broker in text.split(",") if broker.strip()]
    if not brokers:
        raise ConfigError("--bootstrap-servers is empty")
    for broker in brokers:
        match = _BROKER.match(broker)
        if match is None or not 0 < int(match.group(1)) < 65536:
            raise ConfigError(f"--bootstrap-servers: {broker!r} is not host:port")
    return ",".join(brokers)


def _check_distinct_locations(locations: dict[str, str]) -> None:
    """The checkpoint, lake and dead-letter trees must not contain one another.

    A dynamic partition overwrite of the lake must never reach the checkpoint, and a
    reader of the lake must never see dead letters.
    """
    normalised = {flag: path.rstrip("/") + "/" for flag, path in locations.items()}
    for flag, path in normalised.items():
        if path == "/":
            raise ConfigError(f"{flag} is empty")
        for other_flag, other in normalised.items():
            if flag != other_flag and other.startswith(path):
                raise ConfigError(f"{other_flag} must not be inside {flag} ({locations[flag]})")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="streaming_job",
        description=(
            "Reads the ingest topic from MSK (IAM auth), dead-letters bad records with the reason, "
            "deduplicates on event id, writes the lake (partitioned Parquet) and the latest window "
            "aggregates (Valkey), idempotently per micro-batch."
        ),
    )
    source = parser.add_argument_group("source (MSK)")
    source.add_argument("--bootstrap-servers", required=True, help="SASL/IAM bootstrap brokers, host:9098,...")
    source.add_argument("--topic", required=True, help="ingest topic (same name in both regions)")
    start = source.add_mutually_exclusive_group(required=True)
    start.add_argument("--starting-offsets", help="earliest | latest | JSON; for a NEW checkpoint only")
    start.add_argument(
        "--starting-timestamp",
        help="epoch ms or ISO-8601 with offset; DR rewind point for a NEW checkpoint",
    )
    source.add_argument("--max-offsets-per-trigger", type=int, help="cap per micro-batch (catch-up after a rewind)")
    source.add_argument(
        "--fail-on-data-loss",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="fail (default) instead of skipping when offsets aged out of retention",
    )
    source.add_argument("--group-id-prefix", default="streaming-job", help="prefix of Spark's consumer group ids")

    state = parser.add_argument_group("state and outputs")
    state.add_argument("--generation", required=True, type=int, help="checkpoint generation, +1 per new checkpoint")
    state.add_argument("--checkpoint-root", required=True, help="s3://.../checkpoints/<job>; gets /generation=<N>")
    state.add_argument("--lake-path", required=True, help="s3://... root of the partitioned Parquet lake")
    state.add_argument("--dead-letter-path", required=True, help="s3://... root of the dead-letter Parquet")
    state.add_argument("--query-name", default="ingest-events", help="streaming query name (metrics, UI)")

    logic = parser.add_argument_group("processing")
    logic.add_argument("--dedup-horizon", default=DEFAULT_DEDUP_HORIZON, help="how long an event id is remembered")
    logic.add_argument("--window", default=DEFAULT_WINDOW, help="aggregate window length")
    logic.add_argument("--window-slide", help="window slide (default: the window length, i.e. tumbling)")
    logic.add_argument("--trigger-interval", default=DEFAULT_TRIGGER_INTERVAL, help="micro-batch interval")
    logic.add_argument(
        "--clock-skew-allowance",
        default=DEFAULT_CLOCK_SKEW_ALLOWANCE,
        help="producer clock lead over the brokers; widens the window cut after --starting-timestamp",
    )
    logic.add_argument("--region", help="AWS region of the cache (required with --cache-auth iam)")

    cache = parser.add_argument_group("cache (ElastiCache Valkey)")
    cache.add_argument("--cache-host", required=True, help="primary or configuration endpoint")
    cache.add_argument("--cache-port", type=int, default=6379)
    cache.add_argument("--cache-tls", action=argparse.BooleanOptionalAction, default=True)
    cache.add_argument("--cache-auth", choices=("iam", "none"), default="iam")
    cache.add_argument("--cache-user-id", help="IAM-enabled ElastiCache user (user id == user name)")
    cache.add_argument("--cache-name", help="replication group id (or serverless cache name) for the token")
    cache.add_argument("--cache-serverless", action="store_true", help="the cache is ElastiCache Serverless")
    cache.add_argument("--cache-cluster-mode", action=argparse.BooleanOptionalAction, default=False)
    cache.add_argument("--cache-key-prefix", default="stream:")
    cache.add_argument("--cache-ttl", default=DEFAULT_CACHE_TTL, help="expiry of window keys")
    cache.add_argument("--cache-writer-partitions", type=int, default=4, help="parallel cache writers per batch")
    return parser


def config_from_namespace(args: argparse.Namespace, now: dt.datetime) -> JobConfig:
    """Validate parsed arguments against each other; raises ConfigError with the reason."""
    if not _TOPIC.match(args.topic):
        raise ConfigError(f"--topic {args.topic!r} is not a valid Kafka topic name")
    if args.generation < 0:
        raise ConfigError("--generation must be 0 or more")
    _check_distinct_locations(
        {
            "--checkpoint-root": args.checkpoint_root,
            "--lake-path": args.lake_path,
            "--dead-letter-path": args.dead_letter_path,
        }
    )
    if args.starting_timestamp is not None:
        timestamp_ms = parse_timestamp_ms(args.starting_timestamp)
        if timestamp_ms > (now + MAX_STARTING_TIMESTAMP_LEAD - _EPOCH) // _MILLISECOND:
            raise ConfigError(f"--starting-timestamp {args.starting_timestamp} is in the future")
        starting = StartingPosition(timestamp_ms=timestamp_ms)
    else:
        starting = StartingPosition(offsets=parse_starting_offsets(args.starting_offsets, args.topic))

    window_seconds = parse_duration(args.window)
    slide_seconds = parse_duration(args.window_slide) if args.window_slide else window_seconds
    if slide_seconds > window_seconds:
        raise ConfigError("--window-slide must not be longer than --window")
    if args.max_offsets_per_trigger is not None and args.max_offsets_per_trigger <= 0:
        raise ConfigError("--max-offsets-per-trigger must be positive")
    if not 0 < args.cache_port < 65536:
        raise ConfigError(f"--cache-port {args.cache_port} is not a TCP port")
    if args.cache_writer_partitions <= 0:
        raise ConfigError("--cache-writer-partitions must be positive")
    if args.cache_auth == "iam":
        # ElastiCache only accepts IAM tokens over TLS, for a user whose id == name.
        missing = [
            flag
            for flag, value in (
                ("--cache-user-id", args.cache_user_id),
                ("--cache-name", args.cache_name),
                ("--region", args.region),
            )
            if not value
        ]
        if missing:
            raise ConfigError(f"--cache-auth iam needs {', '.join(missing)}")
        if not args.cache_tls:
            raise ConfigError("--cache-auth iam needs TLS: ElastiCache refuses IAM auth without it")

    return JobConfig(
        bootstrap_servers=_check_bootstrap_servers(args.bootstrap_servers),
        topic=args.topic,
        region=args.region,
        generation=args.generation,
        checkpoint_root=args.checkpoint_root,
        lake_path=args.lake_path,
        dead_letter_path=args.dead_letter_path,
        starting=starting,
        clock_skew_allowance_seconds=parse_duration(args.clock_skew_allowance),
        dedup_horizon_seconds=parse_duration(args.dedup_horizon),
        window_seconds=window_seconds,
        slide_seconds=slide_seconds,
        trigger_interval_seconds=parse_duration(args.trigger_interval),
        max_offsets_per_trigger=args.max_offsets_per_trigger,
        fail_on_data_loss=args.fail_on_data_loss,
        group_id_prefix=args.group_id_prefix,
        query_name=args.query_name,
        cache=CacheSettings(
            host=args.cache_host,
            port=args.cache_port,
            tls=args.cache_tls,
            auth=args.cache_auth,
            user_id=args.cache_user_id,
            cache_name=args.cache_name.lower() if args.cache_name else None,
            serverless=args.cache_serverless,
            cluster_mode=args.cache_cluster_mode,
            key_prefix=args.cache_key_prefix,
            ttl_seconds=parse_duration(args.cache_ttl),
            writer_partitions=args.cache_writer_partitions,
        ),
    )


def parse_args(argv: Sequence[str], now: dt.datetime | None = None) -> JobConfig:
    """Parse and validate; exits with code 2 and a one-line reason on bad input."""
    parser = build_parser()
    args = parser.parse_args(list(argv))
    try:
        return config_from_namespace(args, now or dt.datetime.now(dt.UTC))
    except ConfigError as error:
        parser.error(str(error))  # prints usage + reason, exits with code 2
