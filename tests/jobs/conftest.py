"""Fixtures for the streaming job: one local SparkSession and a real redis-server.

The job package lives in jobs/ (shipped to EMR with --py-files, not installed), so it
is put on the import path here, for this process and for the Python workers that local
Spark starts (they run the cache writes).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis

JOBS_DIR = Path(__file__).resolve().parents[2] / "jobs"
sys.path.insert(0, str(JOBS_DIR))
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(JOBS_DIR), os.environ.get("PYTHONPATH")) if p)
os.environ["PYSPARK_PYTHON"] = sys.executable
os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable

from pyspark.sql import DataFrame, SparkSession  # noqa: E402
from streaming_job.app import ROCKSDB_STATE_STORE  # noqa: E402
from streaming_job.config import JobConfig, parse_args  # noqa: E402
from streaming_job.schema import KAFKA_RECORD_SCHEMA  # noqa: E402

TEST_NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
"""The clock the job's argument checks see: test data lives on the morning of 2026-11-26."""

KafkaRecord = tuple[Any, int, dt.datetime]
"""(value: dict -> JSON, bytes, or None; offset; Kafka timestamp)."""


SLOW_FIXTURES = frozenset({"spark", "redis_server", "redis_cluster"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that starts local Spark or a redis-server is a `job` test: `make test-fast` skips them."""
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.job)


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkSession]:
    """One session for the whole run: small, UI off, one shuffle partition, UTC."""
    scratch = tmp_path_factory.mktemp("spark")
    session = (
        SparkSession.builder.master("local[1]")
        .appName("streaming-job-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "1")
        # Tiny inputs: adaptive planning would only add per-query overhead.
        .config("spark.sql.adaptive.enabled", "false")
        # Each query runs once on a few rows: compiling generated code and JIT-optimizing costs more than it saves.
        .config("spark.sql.codegen.wholeStage", "false")
        .config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
        .config("spark.default.parallelism", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.local.dir", str(scratch / "local"))
        .config("spark.sql.warehouse.dir", str(scratch / "warehouse"))
        .config("spark.sql.streaming.stateStore.providerClass", ROCKSDB_STATE_STORE)
        .config("spark.sql.streaming.stateStore.rocksdb.changelogCheckpointing.enabled", "true")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def make_records(spark: SparkSession) -> Callable[..., DataFrame]:
    """Build a DataFrame shaped exactly like Spark's Kafka source output."""

    def build(records: list[KafkaRecord], topic: str = "ingest", partition: int = 0) -> DataFrame:
        rows = []
        for value, offset, timestamp in records:
            payload = json.dumps(value).encode() if isinstance(value, dict) else value
            rows.append((None, payload, topic, partition, offset, timestamp, 0))
        return spark.createDataFrame(rows, KAFKA_RECORD_SCHEMA)

    return build


@dataclass(frozen=True)
class RedisServer:
    host: str
    port: int


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _free_port(cluster_bus: bool) -> int:
    """A free loopback port; for a cluster node also a free bus port (port + 10000 <= 65535)."""
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        if not cluster_bus or (port <= 55535 and _bindable(port + 10000)):
            return port


def start_redis_server(workdir: Path, *extra: str) -> tuple[subprocess.Popen[bytes], int]:
    """Start redis-server on a free loopback port, no persistence; wait until it answers.

    Retried on another port if the chosen one was taken in the meantime.
    """
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed: apt-get install -y redis-server")
    workdir.mkdir(parents=True, exist_ok=True)
    for _attempt in range(3):
        port = _free_port(cluster_bus="--cluster-enabled" in extra)
        process = subprocess.Popen(
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(workdir),
                "--logfile",
                str(workdir / "redis.log"),
                *extra,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if _answers(process, port):
            return process, port
        stop_redis_server(process)
    pytest.fail(f"redis-server did not start; see {workdir / 'redis.log'}")


def _answers(process: subprocess.Popen[bytes], port: int) -> bool:
    client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=0.2)
    deadline = time.monotonic() + 10
    try:
        while process.poll() is None and time.monotonic() < deadline:
            try:
                return bool(client.ping())
            except redis.ConnectionError:
                time.sleep(0.02)
        return False
    finally:
        client.close()


def stop_redis_server(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    process, port = start_redis_server(tmp_path_factory.mktemp("redis"))
    yield RedisServer("127.0.0.1", port)
    stop_redis_server(process)


@pytest.fixture
def redis_client(redis_server: RedisServer) -> Iterator[redis.Redis]:
    """A client on an emptied server: every test starts from a blank cache."""
    client = redis.Redis(host=redis_server.host, port=redis_server.port)
    client.flushall()
    yield client
    client.close()


@pytest.fixture
def job_config(tmp_path: Path, redis_server: RedisServer) -> Callable[..., JobConfig]:
    """A valid job configuration on local paths and the test redis (no TLS, no auth)."""

    def build(*extra: str, generation: int = 1) -> JobConfig:
        start = [] if any(a.startswith("--starting-") for a in extra) else ["--starting-offsets", "earliest"]
        argv = [
            "--bootstrap-servers",
            "localhost:9098",
            "--topic",
            "ingest",
            "--generation",
            str(generation),
            "--checkpoint-root",
            str(tmp_path / "checkpoints"),
            "--lake-path",
            str(tmp_path / "lake"),
            "--dead-letter-path",
            str(tmp_path / "dead-letters"),
            "--cache-host",
            redis_server.host,
            "--cache-port",
            str(redis_server.port),
            "--cache-auth",
            "none",
            "--no-cache-tls",
            "--cache-key-prefix",
            "test:",
        ]
        return parse_args([*argv, *start, *extra], now=TEST_NOW)

    return build


def parquet_snapshot(root: Path) -> list[tuple[str, str]]:
    """(partition directory, sha256 of content) of every Parquet file under ``root``.

    File names carry a random job id, so a rewrite is compared by place and content.
    """
    return sorted(
        (str(path.parent.relative_to(root)), hashlib.sha256(path.read_bytes()).hexdigest())
        for path in root.rglob("*.parquet")
    )


def cache_snapshot(client: redis.Redis) -> dict[bytes, dict[bytes, bytes]]:
    return {key: client.hgetall(key) for key in sorted(client.keys("*"))}
