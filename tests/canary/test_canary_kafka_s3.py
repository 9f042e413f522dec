"""The Kafka side at the client boundary (a fake broker behind the writer/tail interfaces), S3 on moto, the handler's wiring.

No Kafka-protocol broker installs from the registries reachable here, so the Kafka adapter is tested
through the two interfaces the real kafka-python wrappers implement (rpo_canary/clients.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from moto import mock_aws
from rpo_canary.canary import Canary, Settings
from rpo_canary.handler import settings_from, stores_from
from rpo_canary.records import Record
from rpo_canary.stores import KafkaStore, S3Store

from tests.canary.conftest import FakeClock
from tests.canary.test_canary_cache import ListSink, _values


class FakeBroker:
    """One topic log: ``produce`` appends (or raises while down), ``tail`` returns the last values."""

    def __init__(self) -> None:
        self.log: dict[str, list[bytes]] = {}
        self.down = False

    def produce(self, topic: str, key: bytes, value: bytes) -> None:
        if self.down:
            raise TimeoutError("KafkaTimeoutError: Batch for TopicPartition(topic='rpo-canary', partition=0) expired")
        self.log.setdefault(topic, []).append(value)

    def tail(self, topic: str, count: int) -> Sequence[bytes]:
        return self.log.get(topic, [])[-count:]


SETTINGS = Settings("prod", "us-east-1", "us-east-1", True, interval_seconds=10, window_seconds=300)


def test_kafka_records_are_produced_keyed_by_region_and_read_back(clock: FakeClock) -> None:
    broker, sink = FakeBroker(), ListSink()
    canary = Canary(SETTINGS, [KafkaStore(broker, broker, "rpo-canary", window=31)], sink, clock)
    canary.run(lambda: 60.0, sleep=clock.sleep)
    records = [Record.decode(v) for v in broker.log["rpo-canary"]]
    assert len(records) == 6 and all(r and r.source == "us-east-1" for r in records)
    assert _values(sink, "WriteSuccess") == [1.0] * 6
    assert _values(sink, "SequenceGaps") == [0.0] * 6


def test_a_record_lost_by_the_cluster_is_a_gap_and_an_unreachable_broker_a_failed_write(clock: FakeClock) -> None:
    broker, sink = FakeBroker(), ListSink()
    canary = Canary(SETTINGS, [KafkaStore(broker, broker, "rpo-canary", window=31)], sink, clock)
    for down in (False, True, False, False):
        broker.down = down
        canary.tick()
        clock.sleep(10)
    assert _values(sink, "WriteSuccess") == [1.0, 0.0, 1.0, 1.0]
    assert _values(sink, "SequenceGaps")[-1] == 0.0
    del broker.log["rpo-canary"][1]  # an acknowledged record an unclean leader election dropped
    canary.tick()
    assert _values(sink, "SequenceGaps")[-1] == 1.0


def test_the_standby_reads_kafka_without_writing(clock: FakeClock) -> None:
    broker = FakeBroker()
    Canary(SETTINGS, [KafkaStore(broker, broker, "rpo-canary", window=31)], ListSink(), clock).tick()
    clock.sleep(25)
    standby, sink = KafkaStore(None, broker, "rpo-canary", window=31), ListSink()
    Canary(Settings("prod-dr", "us-west-2", "us-east-1", False, 10, 300), [standby], sink, clock).tick()
    assert _values(sink, "ReplicatedAgeSeconds") == [25.0]
    with pytest.raises(RuntimeError, match="only reads"):
        standby.write(Record("us-west-2", 1, 1.0))


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="lake")
        yield client


def test_s3_records_live_in_their_keys_and_old_ones_are_pruned(s3: Any, clock: FakeClock) -> None:
    store, sink = S3Store(s3, "lake", "lake", "canary/"), ListSink()
    canary = Canary(SETTINGS, [store], sink, clock)
    canary.run(lambda: 60.0, sleep=clock.sleep)
    assert _values(sink, "SequenceGaps") == [0.0] * 6
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="lake")["Contents"]]
    assert len(keys) == 6 and all(k.startswith("canary/us-east-1/") for k in keys)
    newest = store.read("us-east-1", 0)[-1]
    assert store.prune("us-east-1", before=newest.sequence) == 5
    assert store.read("us-east-1", 0) == [newest]
    assert S3Store(s3, None, "lake", "canary/").prune("us-east-1", before=10**12) == 0


class FakeClients:
    def __init__(self) -> None:
        self.broker = FakeBroker()
        self.made: list[str] = []

    def kafka_writer(self, bootstrap: str, region: str) -> FakeBroker:
        self.made.append(f"kafka-writer {bootstrap} {region}")
        return self.broker

    def kafka_tail(self, bootstrap: str, region: str) -> FakeBroker:
        self.made.append(f"kafka-tail {bootstrap} {region}")
        return self.broker

    def cache(self, endpoint: str, name: str, user: str, region: str) -> object:
        self.made.append(f"cache {endpoint} {name} {user} {region}")
        return object()

    def s3(self, region: str) -> object:
        self.made.append(f"s3 {region}")
        return object()


ENV = {
    "AWS_REGION": "us-west-2",
    "CANARY_STACK": "prod-dr",
    "CANARY_SOURCE_REGION": "us-east-1",
    "CANARY_WRITES": "false",
    "CANARY_INTERVAL_SECONDS": "10",
    "KAFKA_BOOTSTRAP": "b-1:9098,b-2:9098",
    "KAFKA_TOPIC": "rpo-canary",
    "CACHE_ENDPOINT": "clustercfg.cache",
    "CACHE_NAME": "sp-prod-dr-cache",
    "CACHE_USER": "sp-prod-dr-cache-app",
    "S3_READ_BUCKET": "replica",
    "S3_PREFIX": "canary/",
}


def test_the_handler_builds_a_reading_standby_from_its_environment() -> None:
    settings = settings_from(ENV)
    assert (settings.region, settings.source, settings.writes, settings.window_seconds) == (
        "us-west-2",
        "us-east-1",
        False,
        300.0,
    )
    clients = FakeClients()
    stores = stores_from(ENV, settings, clients)
    assert [s.name for s in stores] == ["Kafka", "Cache", "S3"]
    assert clients.made == [
        "kafka-tail b-1:9098,b-2:9098 us-west-2",
        "cache clustercfg.cache sp-prod-dr-cache sp-prod-dr-cache-app us-west-2",
        "s3 us-west-2",
    ]


def test_the_active_region_also_builds_writers_and_a_store_without_variables_is_skipped() -> None:
    env = {"AWS_REGION": "us-east-1", "CANARY_STACK": "prod", "CANARY_WRITES": "true", "KAFKA_BOOTSTRAP": "b-1:9098"}
    env["KAFKA_TOPIC"] = "rpo-canary"
    clients = FakeClients()
    settings = settings_from(env)
    assert settings.source == "us-east-1" and settings.writes
    assert [s.name for s in stores_from(env, settings, clients)] == ["Kafka"]
    assert clients.made[0] == "kafka-writer b-1:9098 us-east-1"


def test_the_lambda_entry_point_ticks_for_a_minute_and_publishes(
    s3: Any, monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> None:
    from rpo_canary import canary as canary_module
    from rpo_canary import clients, handler

    broker = FakeBroker()
    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
    monkeypatch.setattr(clients, "kafka_writer", lambda *_: broker)
    monkeypatch.setattr(clients, "kafka_tail", lambda *_: broker)
    monkeypatch.setattr(clients, "cloudwatch", lambda _region: cloudwatch)
    monkeypatch.setattr(canary_module, "time", SimpleNamespace(time=clock, sleep=clock.sleep))
    env = {"AWS_REGION": "us-east-1", "CANARY_STACK": "prod", "CANARY_WRITES": "true", "KAFKA_BOOTSTRAP": "b-1:9098"}
    for key, value in {**env, "KAFKA_TOPIC": "rpo-canary", "S3_READ_BUCKET": "lake", "S3_WRITE_BUCKET": "lake"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("S3_PREFIX", "canary/")

    class Context:
        def get_remaining_time_in_millis(self) -> int:
            return 65_000

    assert handler.handler({}, Context()) == {"ticks": 6, "stores": ["Kafka", "S3"]}
    names = {m["MetricName"] for m in cloudwatch.list_metrics(Namespace="StreamingPlatform/Canary")["Metrics"]}
    assert names == {"WriteSuccess", "ReplicatedAgeSeconds", "SequenceGaps"}


def test_the_cache_password_is_a_presigned_connect_request(monkeypatch: pytest.MonkeyPatch) -> None:
    from rpo_canary.clients import cache_token

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    token = cache_token("SP-Prod-Cache", "sp-prod-cache-app", "us-east-1")
    assert token.startswith("sp-prod-cache/?Action=connect&User=sp-prod-cache-app&X-Amz-Algorithm=AWS4-HMAC-SHA256")
    assert "X-Amz-Expires=900" in token and "%2Fus-east-1%2Felasticache%2Faws4_request" in token
