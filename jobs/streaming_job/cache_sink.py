"""Latest window aggregates in Valkey/Redis, exactly once per micro-batch.

Each micro-batch contributes (count, amount sum) per (event_type, window). A Lua
script adds a contribution to the window's hash only if the hash was last written by
an OLDER (generation, batch_id): a replayed batch finds its own version and changes
nothing, and a job of an older generation (a zombie after a DR failover) is refused.
The first write of a newer generation replaces the totals instead of adding to them:
that generation recomputes the window from its own rewind, which covers the whole
window (windows it cannot see completely are never sent, see JobConfig).

A second script keeps one "latest" hash per event_type pointing at the most recent
window; it accepts a write only if (window_end, generation, batch_id) does not go
backwards, so readers never see the pointer move back in time.

Both scripts touch one key each, so they work unchanged in cluster mode.
Pure Python + redis-py (no pyspark): it runs inside Spark tasks and in tests against a
real redis-server.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import redis
from redis.cluster import RedisCluster

WINDOW_SCRIPT = """
local generation = tonumber(ARGV[1])
local batch_id = tonumber(ARGV[2])
local stored = redis.call('HMGET', KEYS[1], 'generation', 'batch_id')
local stored_generation = tonumber(stored[1])
local stored_batch_id = tonumber(stored[2])
if stored_generation ~= nil then
  if stored_generation > generation or (stored_generation == generation and stored_batch_id > batch_id) then
    return {-1}
  end
  if stored_generation == generation and stored_batch_id == batch_id then
    local totals = redis.call('HMGET', KEYS[1], 'event_count', 'amount_minor_sum')
    return {0, totals[1], totals[2]}
  end
end
if stored_generation == generation then
  redis.call('HINCRBY', KEYS[1], 'event_count', ARGV[3])
  redis.call('HINCRBY', KEYS[1], 'amount_minor_sum', ARGV[4])
else
  redis.call('HSET', KEYS[1], 'event_count', ARGV[3], 'amount_minor_sum', ARGV[4])
end
redis.call('HSET', KEYS[1], 'generation', ARGV[1], 'batch_id', ARGV[2],
           'window_start_ms', ARGV[5], 'window_end_ms', ARGV[6])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[7]))
local totals = redis.call('HMGET', KEYS[1], 'event_count', 'amount_minor_sum')
return {1, totals[1], totals[2]}
"""
"""KEYS: window hash. ARGV: generation, batch_id, count, amount sum, window start ms,
window end ms, ttl. Returns {1, totals} applied, {0, totals} replay, {-1} refused."""

LATEST_SCRIPT = """
local incoming = {tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])}
local stored = redis.call('HMGET', KEYS[1], 'window_end_ms', 'generation', 'batch_id')
if stored[1] then
  for i = 1, 3 do
    local current = tonumber(stored[i])
    if incoming[i] < current then return 0 end
    if incoming[i] > current then break end
  end
end
redis.call('HSET', KEYS[1], 'window_end_ms', ARGV[1], 'generation', ARGV[2], 'batch_id', ARGV[3],
           'window_start_ms', ARGV[4], 'event_count', ARGV[5], 'amount_minor_sum', ARGV[6])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[7]))
return 1
"""
"""KEYS: latest hash. ARGV: window end ms, generation, batch_id, window start ms, count,
amount sum, ttl. Returns 1 written, 0 refused (older than what is stored)."""

CacheClient = redis.Redis | RedisCluster
APPLIED, REPLAYED, REFUSED = 1, 0, -1


class FencedWriterError(RuntimeError):
    """The cache holds writes newer than this batch: another job owns it now.

    Raised after a micro-batch so the query fails loudly instead of running as a
    zombie next to the generation that replaced it (or after its checkpoint was rolled
    back by hand).
    """


@dataclass(frozen=True)
class WindowContribution:
    """One micro-batch's (count, amount sum) for one (event_type, window)."""

    event_type: str
    window_start_ms: int
    window_end_ms: int
    event_count: int
    amount_minor_sum: int


@dataclass(frozen=True)
class CacheLayout:
    """Key names and expiry. The window length and slide are part of every key, so a
    generation started with other window settings never mixes its totals with old ones."""

    key_prefix: str
    window_seconds: int
    slide_seconds: int
    ttl_seconds: int

    def _window_spec(self) -> str:
        return f"{self.window_seconds}s:{self.slide_seconds}s"

    def window_key(self, event_type: str, window_start_ms: int) -> str:
        return f"{self.key_prefix}window:{self._window_spec()}:{event_type}:{window_start_ms}"

    def latest_key(self, event_type: str) -> str:
        return f"{self.key_prefix}latest:{self._window_spec()}:{event_type}"


@dataclass(frozen=True)
class CacheConnection:
    """How to open a client; a plain picklable value the driver ships to writer tasks.

    ``password`` is the short-lived IAM token minted on the driver for this batch (or
    None without auth); it is only checked when a connection is opened.
    """

    host: str
    port: int
    tls: bool
    username: str | None
    password: str | None
    cluster_mode: bool

    def open(self) -> CacheClient:
        options: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "ssl": self.tls,
            "username": self.username,
            "password": self.password,
            "socket_timeout": 10,
            "socket_connect_timeout": 10,
        }
        if self.cluster_mode:
            return RedisCluster(**options)
        return redis.Redis(**options)


@dataclass
class WriteOutcome:
    applied: int = 0
    replayed: int = 0
    refused: int = 0


def _chunks(items: list[WindowContribution], size: int) -> Iterator[list[WindowContribution]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _ScriptRunner:
    """Queues a script call on a pipeline: EVALSHA on a single node, EVAL in cluster mode.

    redis-py 7 refuses EVALSHA inside cluster pipelines (PIPELINE_BLOCKED_COMMANDS) and
    its ClusterPipeline.eval() is not the EVAL command, so cluster mode sends a raw EVAL
    with the script text (routed by its one key; Valkey caches the compiled script).
    """

    def __init__(self, client: CacheClient, text: str) -> None:
        self._text = text
        self._script = None if isinstance(client, RedisCluster) else client.register_script(text)

    def queue(self, pipeline: Any, key: str, args: list[Any]) -> None:
        if self._script is None:
            pipeline.execute_command("EVAL", self._text, 1, key, *args)
        else:
            self._script(keys=[key], args=args, client=pipeline)


def write_contributions(
    client: CacheClient,
    layout: CacheLayout,
    contributions: Iterable[WindowContribution],
    generation: int,
    batch_id: int,
    chunk_size: int = 500,
) -> WriteOutcome:
    """Apply one batch's contributions; safe to repeat for the same batch any number of times."""
    window_runner = _ScriptRunner(client, WINDOW_SCRIPT)
    latest_runner = _ScriptRunner(client, LATEST_SCRIPT)
    outcome = WriteOutcome()
    newest_per_type: dict[str, tuple[WindowContribution, int, int]] = {}
    for chunk in _chunks(list(contributions), chunk_size):
        pipeline = client.pipeline(transaction=False)
        for item in chunk:
            window_runner.queue(
                pipeline,
                layout.window_key(item.event_type, item.window_start_ms),
                [
                    generation,
                    batch_id,
                    item.event_count,
                    item.amount_minor_sum,
                    item.window_start_ms,
                    item.window_end_ms,
                    layout.ttl_seconds,
                ],
            )
        for item, reply in zip(chunk, pipeline.execute(), strict=True):
            status = int(reply[0])
            if status == REFUSED:
                outcome.refused += 1
                continue
            if status == APPLIED:
                outcome.applied += 1
            else:
                outcome.replayed += 1
            best = newest_per_type.get(item.event_type)
            if best is None or item.window_end_ms > best[0].window_end_ms:
                newest_per_type[item.event_type] = (item, int(reply[1]), int(reply[2]))
    # Only the newest window of each type can move its "latest" pointer.
    pipeline = client.pipeline(transaction=False)
    for event_type, (item, event_count, amount_minor_sum) in newest_per_type.items():
        latest_runner.queue(
            pipeline,
            layout.latest_key(event_type),
            [
                item.window_end_ms,
                generation,
                batch_id,
                item.window_start_ms,
                event_count,
                amount_minor_sum,
                layout.ttl_seconds,
            ],
        )
    if newest_per_type:
        pipeline.execute()
    return outcome


def write_partition(
    connection: CacheConnection,
    layout: CacheLayout,
    generation: int,
    batch_id: int,
    rows: Iterable[Any],
) -> Iterator[tuple[int, int, int]]:
    """``mapPartitions`` body: write a partition of aggregate rows, yield its outcome once."""
    contributions = [
        WindowContribution(
            event_type=row.event_type,
            window_start_ms=row.window_start_ms,
            window_end_ms=row.window_end_ms,
            event_count=row.event_count,
            amount_minor_sum=row.amount_minor_sum,
        )
        for row in rows
    ]
    if not contributions:
        yield (0, 0, 0)
        return
    client = connection.open()
    try:
        outcome = write_contributions(client, layout, contributions, generation, batch_id)
    finally:
        client.close()
    yield (outcome.applied, outcome.replayed, outcome.refused)
