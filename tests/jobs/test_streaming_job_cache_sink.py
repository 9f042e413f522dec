"""Versioned cache writes against a real redis-server (single node and a 3-node cluster)."""

from __future__ import annotations

import subprocess
import time
from collections import Counter, namedtuple
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis.cluster import ClusterNode, RedisCluster
from streaming_job.cache_sink import (
    CacheConnection,
    CacheLayout,
    WindowContribution,
    write_contributions,
    write_partition,
)

from .conftest import RedisServer, cache_snapshot, start_redis_server, stop_redis_server

LAYOUT = CacheLayout(key_prefix="t:", window_seconds=60, slide_seconds=60, ttl_seconds=3600)
MINUTE = 60_000
T0 = 1_795_000_000_000 - 1_795_000_000_000 % MINUTE
AggregateRow = namedtuple("AggregateRow", "event_type window_start_ms window_end_ms event_count amount_minor_sum")
"""What Spark hands write_partition: rows with these attributes."""


def window(event_type: str, minute: int, count: int, amount: int) -> WindowContribution:
    start = T0 + minute * MINUTE
    return WindowContribution(event_type, start, start + MINUTE, count, amount)


def totals(client: redis.Redis | RedisCluster, key: str) -> tuple[int, int]:
    stored = client.hmget(key, ["event_count", "amount_minor_sum"])
    return int(stored[0]), int(stored[1])


def test_replaying_a_batch_changes_nothing(redis_client: redis.Redis) -> None:
    batch = [window("click", 0, 3, 300), window("click", 1, 1, 5), window("view", 0, 2, 0)]
    first = write_contributions(redis_client, LAYOUT, batch, generation=1, batch_id=7)
    assert (first.applied, first.replayed, first.refused) == (3, 0, 0)
    before = cache_snapshot(redis_client)
    replay = write_contributions(redis_client, LAYOUT, batch, generation=1, batch_id=7)
    assert (replay.applied, replay.replayed, replay.refused) == (0, 3, 0)
    assert cache_snapshot(redis_client) == before
    assert totals(redis_client, LAYOUT.window_key("click", T0)) == (3, 300)
    assert 0 < redis_client.ttl(LAYOUT.window_key("click", T0)) <= 3600


def test_later_batches_add_and_an_older_batch_is_refused(redis_client: redis.Redis) -> None:
    key = LAYOUT.window_key("click", T0)
    write_contributions(redis_client, LAYOUT, [window("click", 0, 3, 30)], 1, 7)
    write_contributions(redis_client, LAYOUT, [window("click", 0, 2, 20)], 1, 8)
    assert totals(redis_client, key) == (5, 50)
    stale = write_contributions(redis_client, LAYOUT, [window("click", 0, 100, 100)], 1, 6)
    assert stale.refused == 1
    assert totals(redis_client, key) == (5, 50)
    assert redis_client.hmget(key, ["generation", "batch_id"]) == [b"1", b"8"]


def test_a_new_generation_recomputes_windows_and_fences_the_old_one(redis_client: redis.Redis) -> None:
    key = LAYOUT.window_key("click", T0)
    write_contributions(redis_client, LAYOUT, [window("click", 0, 10, 100)], generation=1, batch_id=500)
    # DR: generation 2 starts its batch ids from 0 and replaces, not adds to, the totals.
    write_contributions(redis_client, LAYOUT, [window("click", 0, 4, 40)], generation=2, batch_id=0)
    write_contributions(redis_client, LAYOUT, [window("click", 0, 6, 60)], generation=2, batch_id=1)
    assert totals(redis_client, key) == (10, 100)
    zombie = write_contributions(redis_client, LAYOUT, [window("click", 0, 1, 1)], generation=1, batch_id=501)
    assert zombie.refused == 1
    assert totals(redis_client, key) == (10, 100)


def test_latest_pointer_never_moves_back(redis_client: redis.Redis) -> None:
    latest = LAYOUT.latest_key("click")
    write_contributions(redis_client, LAYOUT, [window("click", 0, 1, 1), window("click", 2, 5, 50)], 1, 1)
    assert redis_client.hmget(latest, ["window_start_ms", "event_count"]) == [str(T0 + 2 * MINUTE).encode(), b"5"]
    # A late event for an older window updates that window, not the pointer.
    write_contributions(redis_client, LAYOUT, [window("click", 1, 1, 1)], 1, 2)
    assert redis_client.hget(latest, "window_start_ms") == str(T0 + 2 * MINUTE).encode()
    # More events in the newest window move the totals the pointer shows.
    write_contributions(redis_client, LAYOUT, [window("click", 2, 2, 20)], 1, 3)
    assert redis_client.hmget(latest, ["event_count", "amount_minor_sum", "batch_id"]) == [b"7", b"70", b"3"]


def test_window_settings_are_part_of_the_keys() -> None:
    five_minute = CacheLayout("t:", 300, 60, 3600)
    assert LAYOUT.window_key("click", T0) != five_minute.window_key("click", T0)
    assert LAYOUT.latest_key("click") == "t:latest:60s:60s:click"


batches = st.lists(
    st.lists(
        st.tuples(
            st.sampled_from(["click", "view", "buy"]),
            st.integers(0, 5),
            st.integers(1, 50),
            st.integers(-(10**6), 10**6),
        ),
        min_size=1,
        max_size=8,
        unique_by=lambda item: (item[0], item[1]),
    ),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=40,
    suppress_health_check=[*settings.default.suppress_health_check, HealthCheck.function_scoped_fixture],
)
@given(
    batches, st.lists(st.integers(0, 3), min_size=6, max_size=6), st.lists(st.integers(0, 8), min_size=6, max_size=6)
)
def test_any_crash_and_replay_pattern_counts_each_batch_once(
    redis_server: RedisServer, batch_items: list[list[tuple[str, int, int, int]]], replays: list[int], cut: list[int]
) -> None:
    """A batch may die after writing a prefix of its windows, then be replayed in full,
    possibly several times: the totals must equal each batch counted once."""
    client = redis.Redis(host=redis_server.host, port=redis_server.port)
    client.flushall()
    expected: Counter[tuple[str, int]] = Counter()
    expected_amount: Counter[tuple[str, int]] = Counter()
    for batch_id, items in enumerate(batch_items):
        contributions = [window(t, m, c, a) for t, m, c, a in items]
        write_contributions(client, LAYOUT, contributions[: cut[batch_id]], 4, batch_id)  # crash mid-way
        for _ in range(1 + replays[batch_id]):
            assert write_contributions(client, LAYOUT, contributions, 4, batch_id).refused == 0
        for t, m, c, a in items:
            expected[(t, m)] += c
            expected_amount[(t, m)] += a
    for (event_type, minute), count in expected.items():
        key = LAYOUT.window_key(event_type, T0 + minute * MINUTE)
        assert totals(client, key) == (count, expected_amount[(event_type, minute)])
    for event_type in {t for t, _ in expected}:
        newest = max(m for t, m in expected if t == event_type)
        latest = client.hmget(LAYOUT.latest_key(event_type), ["window_start_ms", "event_count", "amount_minor_sum"])
        assert [int(v) for v in latest] == [
            T0 + newest * MINUTE,
            expected[(event_type, newest)],
            expected_amount[(event_type, newest)],
        ]
    client.close()


def test_write_partition_takes_spark_rows(redis_server: RedisServer, redis_client: redis.Redis) -> None:
    connection = CacheConnection(redis_server.host, redis_server.port, False, None, None, cluster_mode=False)
    rows = [AggregateRow("click", T0, T0 + MINUTE, 2, 20), AggregateRow("view", T0, T0 + MINUTE, 1, 0)]
    assert list(write_partition(connection, LAYOUT, 1, 3, iter(rows))) == [(2, 0, 0)]
    assert list(write_partition(connection, LAYOUT, 1, 3, iter(rows))) == [(0, 2, 0)]
    assert list(write_partition(connection, LAYOUT, 1, 4, iter([]))) == [(0, 0, 0)]
    assert totals(redis_client, LAYOUT.window_key("click", T0)) == (2, 20)


@pytest.fixture(scope="module")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisCluster]:
    """Three masters on loopback sharing the 16384 slots, like a cluster-mode cache."""
    workdir: Path = tmp_path_factory.mktemp("redis-cluster")
    processes: list[subprocess.Popen[bytes]] = []
    admins: list[redis.Redis] = []
    try:
        for i in range(3):
            process, port = start_redis_server(
                workdir / f"node{i}", "--cluster-enabled", "yes", "--cluster-node-timeout", "2000"
            )
            processes.append(process)
            admins.append(redis.Redis(host="127.0.0.1", port=port))
        for admin, (first, last) in zip(admins, [(0, 5460), (5461, 10922), (10923, 16383)], strict=True):
            admin.execute_command("CLUSTER", "ADDSLOTSRANGE", first, last)
        for admin in admins[1:]:
            admins[0].execute_command("CLUSTER", "MEET", "127.0.0.1", admin.get_connection_kwargs()["port"])
        deadline = time.monotonic() + 15
        while not all(admin.cluster("info")["cluster_state"] == "ok" for admin in admins):
            if time.monotonic() > deadline:
                pytest.fail("local redis cluster did not converge")
            time.sleep(0.05)
        client = RedisCluster(
            startup_nodes=[ClusterNode("127.0.0.1", a.get_connection_kwargs()["port"]) for a in admins]
        )
        yield client
        client.close()
    finally:
        for admin in admins:
            admin.close()
        for process in processes:
            stop_redis_server(process)


def test_cluster_mode_sends_scripts_with_eval(redis_cluster: RedisCluster) -> None:
    """redis-py blocks EVALSHA in cluster pipelines; the writer must still work there."""
    batch = [window(t, m, 1 + m, 10 * m) for t in ("click", "view", "buy", "refund") for m in range(6)]
    slots = {redis_cluster.keyslot(LAYOUT.window_key(w.event_type, w.window_start_ms)) for w in batch}
    nodes = {redis_cluster.get_node_from_key(LAYOUT.window_key(w.event_type, w.window_start_ms)).port for w in batch}
    assert len(slots) > 1 and len(nodes) == 3  # the batch really spans all three shards
    assert write_contributions(redis_cluster, LAYOUT, batch, 1, 1).applied == len(batch)
    assert write_contributions(redis_cluster, LAYOUT, batch, 1, 1).replayed == len(batch)
    assert write_contributions(redis_cluster, LAYOUT, batch[:3], 1, 2).applied == 3
    assert totals(redis_cluster, LAYOUT.window_key("click", T0 + MINUTE)) == (4, 20)
    assert redis_cluster.hget(LAYOUT.latest_key("buy"), "event_count") == b"6"
