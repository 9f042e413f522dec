"""The canary's cache side against a real redis-server: writes, read-back, a lost write, the standby's view."""

from __future__ import annotations

from typing import Any

import redis
from rpo_canary.canary import Canary, Settings
from rpo_canary.records import Record
from rpo_canary.stores import CacheStore

from tests.canary.conftest import FakeClock


class ListSink:
    def __init__(self) -> None:
        self.data: list[dict[str, Any]] = []

    def put(self, data: Any) -> None:
        self.data += list(data)


def _settings(writes: bool = True, source: str = "us-east-1", region: str = "us-east-1") -> Settings:
    return Settings("prod", region, source, writes, interval_seconds=10, window_seconds=300)


def _values(sink: ListSink, metric: str) -> list[float]:
    return [d["Value"] for d in sink.data if d["MetricName"] == metric]


def test_every_tick_writes_a_linked_record_and_reads_it_back(cache_client: redis.Redis, clock: FakeClock) -> None:
    sink = ListSink()
    canary = Canary(_settings(), [CacheStore(cache_client, keep=31)], sink, clock)
    assert canary.run(lambda: 60.0, sleep=clock.sleep) == 6
    stored = [Record.decode(raw) for raw in cache_client.zrange(CacheStore.key("us-east-1"), 0, -1)]
    assert [r.sequence - stored[0].sequence for r in stored if r] == [0, 1, 2, 3, 4, 5]
    assert [r.prev for r in stored if r][1:] == [r.sequence for r in stored if r][:-1]
    assert _values(sink, "WriteSuccess") == [1.0] * 6
    assert _values(sink, "SequenceGaps") == [0.0] * 6
    assert _values(sink, "ReplicatedAgeSeconds") == [0.0] * 6
    assert {d["Unit"] for d in sink.data if d["MetricName"] == "ReplicatedAgeSeconds"} == {"Seconds"}
    assert {(dim["Name"], dim["Value"]) for d in sink.data for dim in d["Dimensions"]} == {
        ("Stack", "prod"),
        ("Store", "Cache"),
    }


def test_an_acknowledged_record_the_cache_lost_shows_as_a_gap(cache_client: redis.Redis, clock: FakeClock) -> None:
    sink = ListSink()
    canary = Canary(_settings(), [CacheStore(cache_client, keep=31)], sink, clock)
    for _ in range(3):
        canary.tick()
        clock.sleep(10)
    key = CacheStore.key("us-east-1")
    # A failover to a replica that had not received the second record yet.
    cache_client.zremrangebyrank(key, 1, 1)
    canary.tick()
    assert _values(sink, "SequenceGaps")[-1] == 1.0
    assert _values(sink, "WriteSuccess")[-1] == 1.0


def test_a_new_invocation_links_to_what_the_last_one_left(cache_client: redis.Redis, clock: FakeClock) -> None:
    first = Canary(_settings(), [CacheStore(cache_client, keep=31)], ListSink(), clock)
    first.tick()
    clock.sleep(60)
    Canary(_settings(), [CacheStore(cache_client, keep=31)], ListSink(), clock).tick()
    records = [Record.decode(raw) for raw in cache_client.zrange(CacheStore.key("us-east-1"), 0, -1)]
    assert records[1] and records[0] and records[1].prev == records[0].sequence


def test_old_records_are_trimmed_to_the_window(cache_client: redis.Redis, clock: FakeClock) -> None:
    canary = Canary(_settings(), [CacheStore(cache_client, keep=3)], ListSink(), clock)
    for _ in range(6):
        canary.tick()
        clock.sleep(10)
    assert cache_client.zcard(CacheStore.key("us-east-1")) == 4


def test_the_standby_reads_the_primary_s_records_and_reports_their_age(
    cache_client: redis.Redis, clock: FakeClock
) -> None:
    Canary(_settings(), [CacheStore(cache_client, keep=31)], ListSink(), clock).tick()
    clock.sleep(3)
    sink = ListSink()
    standby = Canary(_settings(writes=False, region="us-west-2"), [CacheStore(cache_client, keep=31)], sink, clock)
    standby.tick()
    assert _values(sink, "ReplicatedAgeSeconds") == [3.0]
    assert _values(sink, "WriteSuccess") == []
    assert cache_client.zcard(CacheStore.key("us-west-2")) == 0


def test_a_refused_write_counts_as_a_failure_and_never_as_a_gap(cache_client: redis.Redis, clock: FakeClock) -> None:
    class ReadOnly:
        """A Global Datastore secondary, or a primary mid-failover: reads work, writes are refused."""

        def __init__(self, client: redis.Redis) -> None:
            self.client = client

        def zadd(self, *_: Any) -> Any:
            raise redis.ReadOnlyError("READONLY You can't write against a read only replica.")

        def zremrangebyscore(self, *args: Any) -> Any:
            return self.client.zremrangebyscore(*args)

        def zrangebyscore(self, *args: Any) -> Any:
            return self.client.zrangebyscore(*args)

    sink = ListSink()
    canary = Canary(_settings(), [CacheStore(cache_client, keep=31)], sink, clock)
    canary.tick()
    clock.sleep(10)
    canary.stores = [CacheStore(ReadOnly(cache_client), keep=31)]  # type: ignore[list-item]
    canary.tick()
    clock.sleep(10)
    canary.stores = [CacheStore(cache_client, keep=31)]
    canary.tick()
    assert _values(sink, "WriteSuccess") == [1.0, 0.0, 1.0]
    assert _values(sink, "SequenceGaps") == [0.0, 0.0, 0.0]


def test_a_run_stops_when_another_tick_would_outlast_the_invocation(
    cache_client: redis.Redis, clock: FakeClock
) -> None:
    canary = Canary(_settings(), [CacheStore(cache_client, keep=31)], ListSink(), clock)
    deadline = clock.now + 35  # an invocation started with 35 s left

    # Ticks at 0, 10 and 20 s; then 15 s remain, less than a sleep and a tick.
    assert canary.run(lambda: deadline - clock.now, sleep=clock.sleep) == 3


def test_cloudwatch_gets_at_most_1000_values_per_call() -> None:
    from rpo_canary.canary import CloudWatchSink

    class Client:
        def __init__(self) -> None:
            self.calls: list[tuple[str, int]] = []

        def put_metric_data(self, Namespace: str, MetricData: list[Any]) -> None:  # noqa: N803 (boto3 names)
            self.calls.append((Namespace, len(MetricData)))

    client = Client()
    CloudWatchSink(client).put([{"MetricName": "SequenceGaps", "Value": 0.0}] * 2500)
    assert client.calls == [
        ("StreamingPlatform/Canary", 1000),
        ("StreamingPlatform/Canary", 1000),
        ("StreamingPlatform/Canary", 500),
    ]
