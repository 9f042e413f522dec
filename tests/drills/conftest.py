"""Drill test kit: a clock that never sleeps, moto for the APIs it implements, Stubber for the rest.

Services listed in ``stubbed`` get a botocore Stubber (expected calls in order, with their
parameters); every other client is a plain boto3 client inside moto's mock. Both kinds go
through the drill's watched Clients, so the tests see the same call log a real drill keeps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from infra.cli import main
from infra.drills.calls import Clients
from infra.drills.guard import StopWatch, TagGuard
from infra.drills.model import DrillContext, Peer, Scenario
from infra.drills.runner import DrillRunner

START = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)


@dataclass
class FakeClock:
    """Time moves only when the drill sleeps; callbacks fire once their time has come."""

    at: datetime = START
    slept: list[float] = field(default_factory=list)
    due: list[tuple[datetime, Callable[[], None]]] = field(default_factory=list)

    def now(self) -> datetime:
        return self.at

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.at += timedelta(seconds=seconds)
        for when, action in [d for d in self.due if d[0] <= self.at]:
            self.due.remove((when, action))
            action()

    def after(self, seconds: float, action: Callable[[], None]) -> None:
        self.due.append((self.at + timedelta(seconds=seconds), action))


class Factory:
    """(service, region) -> client: Stubber-backed for ``stubbed`` services, moto otherwise."""

    def __init__(self, stubbed: tuple[str, ...] = ()) -> None:
        self.stubbed = stubbed
        self.stubbers: dict[tuple[str, str], Stubber] = {}

    def __call__(self, service: str, region: str, endpoint_url: str | None = None) -> Any:
        client = boto3.client(service, region_name=region, endpoint_url=endpoint_url)
        if service in self.stubbed:
            stubber = Stubber(client)
            stubber.activate()
            self.stubbers[(service, region)] = stubber
        return client

    def stub(self, service: str, region: str, clients: Clients, endpoint_url: str | None = None) -> Stubber:
        clients(service, region, endpoint_url)
        return self.stubbers[(service, region)]


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield


@dataclass
class Kit:
    """Everything a scenario test needs; ``runner()`` builds the DrillRunner for a scenario."""

    clock: FakeClock
    factory: Factory
    clients: Clients
    lines: list[str] = field(default_factory=list)

    def context(
        self,
        scenario: str,
        stack: str,
        outputs: dict[str, Any],
        *,
        execute: bool,
        peer: Peer | None = None,
        canaries: dict[str, Any] | None = None,
        options: dict[str, Any] | None = None,
    ) -> DrillContext:
        return DrillContext(
            scenario=scenario,
            stack=stack,
            region=str(outputs["region"]),
            outputs=outputs,
            clients=self.clients,
            clock=self.clock,
            drill_id=f"{scenario}-{stack}-20261126T093000Z-abcd",
            execute=execute,
            peer=peer,
            canaries=canaries or {},
            options=options or {},
        )

    def runner(
        self, scenario: Scenario, ctx: DrillContext, stops: dict[str, list[str]], state_path: Any = None
    ) -> DrillRunner:
        return DrillRunner(
            scenario,
            ctx,
            stop_watch=StopWatch(self.clients, stops),
            guard=TagGuard(self.clients),
            state_path=state_path,
            echo=self.lines.append,
        )


def kit(stubbed: tuple[str, ...]) -> Kit:
    clock = FakeClock()
    factory = Factory(stubbed)
    return Kit(clock, factory, Clients(factory, clock))


def create_alarms(region: str, names: list[str]) -> None:
    """The stop-condition alarms, in moto (state INSUFFICIENT_DATA until set)."""
    cloudwatch = boto3.client("cloudwatch", region_name=region)
    for name in names:
        cloudwatch.put_metric_alarm(
            AlarmName=name,
            MetricName="HTTPCode_ELB_5XX_Count",
            Namespace="AWS/ApplicationELB",
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanThreshold",
        )


def set_alarm(region: str, name: str, state: str) -> None:
    boto3.client("cloudwatch", region_name=region).set_alarm_state(AlarmName=name, StateValue=state, StateReason="test")


class MemoryKafka:
    """A topic in memory: the injectable producer and reader of the Kafka canary."""

    def __init__(self) -> None:
        self.records: list[tuple[str, bytes, bytes]] = []
        self.flushes = 0

    def send(self, topic: str, key: bytes | None = None, value: bytes | None = None) -> None:
        self.records.append((topic, key or b"", value or b""))

    def flush(self, timeout: float | None = None) -> None:
        self.flushes += 1

    def sequences(self, topic: str, drill_id: str) -> list[int]:
        from infra.drills.canaries import sequences_from_payloads

        return sequences_from_payloads([value for t, _, value in self.records if t == topic], drill_id)


class MemoryRedis:
    """The rpush/lrange subset of redis-py the cache canary uses."""

    def __init__(self) -> None:
        self.lists: dict[str, list[bytes]] = {}

    def rpush(self, name: str, *values: Any) -> int:
        self.lists.setdefault(name, []).extend(v if isinstance(v, bytes) else str(v).encode() for v in values)
        return len(self.lists[name])

    def lrange(self, name: str, start: int, end: int) -> list[bytes]:
        items = self.lists.get(name, [])
        return items[start:] if end == -1 else items[start : end + 1]


def drill_cli(*argv: str) -> int:
    """`blueprint drill ...` in process, with its exit code."""
    return main(["drill", *argv])
