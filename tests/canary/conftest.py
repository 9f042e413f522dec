"""Fixtures for the RPO canary function (canary/rpo_canary, packaged into a Lambda, not installed).

The cache side runs against a real redis-server, started by the streaming job's fixture helpers.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

CANARY_DIR = Path(__file__).resolve().parents[2] / "canary"
sys.path.insert(0, str(CANARY_DIR))

from tests.jobs.conftest import start_redis_server, stop_redis_server  # noqa: E402


class FakeClock:
    """Epoch seconds that only move when a test (or a fake sleep) moves them."""

    def __init__(self, start: float = 1_796_212_800.0) -> None:  # 2026-12-02T12:00:00Z
        self.now = start

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def canary_redis_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    process, port = start_redis_server(tmp_path_factory.mktemp("canary-redis"))
    yield port
    stop_redis_server(process)


@pytest.fixture
def cache_client(canary_redis_port: int) -> Iterator[redis.Redis]:
    client = redis.Redis(host="127.0.0.1", port=canary_redis_port)
    client.flushall()
    yield client
    client.close()
