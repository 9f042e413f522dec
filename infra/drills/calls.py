"""AWS calls of a drill: planned as data, executed through watched boto3 clients.

A step describes its mutating calls as ``Call`` values, so the dry run prints exactly what
an execution would send. Every client the drill uses is watched through botocore's event
system: each API call is logged (service, operation, region, time), and while mutations
are not allowed (a dry run, or any read-only phase) a mutating operation raises before it
leaves the process. The read-only test is the operation name: AWS read APIs are named
Describe*, List*, Get*, Head*, Search*, Lookup* or BatchGet*.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from infra.drills.clock import Clock, iso

READ_ONLY_PREFIXES = ("Describe", "List", "Get", "Head", "Search", "Lookup", "BatchGet")

ClientFactory = Callable[..., Any]
"""(service, region[, endpoint_url]) -> a boto3 client; tests pass moto or Stubber-backed clients.

The endpoint is passed only for services answered by per-resource endpoints (ARC's cluster).
"""


def operation_name(method: str) -> str:
    """``reboot_broker`` -> ``RebootBroker`` (boto3 method name to API operation name)."""
    return "".join(part[:1].upper() + part[1:] for part in method.split("_"))


def is_mutating(operation: str) -> bool:
    """True unless the API operation (either spelling) only reads."""
    name = operation_name(operation) if "_" in operation or operation[:1].islower() else operation
    return not name.startswith(READ_ONLY_PREFIXES)


class MutationRefusedError(RuntimeError):
    """A mutating call was attempted while mutations were not allowed."""


@dataclass(frozen=True)
class Call:
    """One API call a step makes: boto3 method name and keyword arguments, in a region."""

    service: str
    method: str
    region: str
    params: Mapping[str, Any] = field(default_factory=dict)
    key: str | None = None
    """Name under which the step's record keeps the response."""
    endpoint_url: str | None = None
    """For ARC routing-control states: one of the cluster's regional endpoints (``region`` is its region)."""

    @property
    def mutating(self) -> bool:
        return is_mutating(self.method)

    def render(self) -> str:
        """The exact call, every parameter in full: a dry run is the rehearsal of what an execution sends."""
        args = ", ".join(f"{name}={json.dumps(value, default=str)}" for name, value in self.params.items())
        via = f" via {self.endpoint_url}" if self.endpoint_url else ""
        return f"{self.service}.{self.method}({args})  [{self.region}{via}]"


@dataclass(frozen=True)
class CallRecord:
    service: str
    operation: str
    region: str
    mutating: bool
    at: str


class Clients:
    """boto3 clients per (service, region), created once and watched (see module docstring)."""

    def __init__(self, factory: ClientFactory, clock: Clock) -> None:
        self._factory = factory
        self._clock = clock
        self._clients: dict[tuple[str, ...], Any] = {}
        self.allow_mutations = False
        self.log: list[CallRecord] = []

    def __call__(self, service: str, region: str, endpoint_url: str | None = None) -> Any:
        key = (service, region) if endpoint_url is None else (service, region, endpoint_url)
        if key not in self._clients:
            client = (
                self._factory(service, region) if endpoint_url is None else self._factory(service, region, endpoint_url)
            )
            client.meta.events.register_first("before-call.*.*", self._before_call(service, region))
            self._clients[key] = client
        return self._clients[key]

    def _before_call(self, service: str, region: str) -> Callable[..., None]:
        def hook(model: Any, **_: Any) -> None:
            mutating = is_mutating(model.name)
            self.log.append(CallRecord(service, model.name, region, mutating, iso(self._clock.now())))
            if mutating and not self.allow_mutations:
                raise MutationRefusedError(f"{service}.{model.name} in {region} refused: mutations are not allowed now")

        return hook

    def execute(self, call: Call) -> dict[str, Any]:
        """Send a planned call; the response without ResponseMetadata, made JSON-safe."""
        response = getattr(self(call.service, call.region, call.endpoint_url), call.method)(**call.params)
        return json_safe({k: v for k, v in response.items() if k != "ResponseMetadata"})

    def mutating_calls(self) -> list[CallRecord]:
        return [record for record in self.log if record.mutating]


def json_safe(value: Any) -> Any:
    """Datetimes and bytes (boto3 responses) as strings, so records go into the JSON state file."""
    return json.loads(json.dumps(value, default=_to_text))


def _to_text(value: Any) -> str:
    if hasattr(value, "isoformat"):
        return iso(value) if getattr(value, "tzinfo", None) else str(value.isoformat())
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


_ARN = re.compile(
    r"^arn:(?P<partition>[^:]+):(?P<service>[^:]+):(?P<region>[^:]*):(?P<account>[^:]*):(?P<resource>.+)$"
)


@dataclass(frozen=True)
class Arn:
    service: str
    region: str
    account: str
    resource: str

    @classmethod
    def parse(cls, text: str) -> Arn:
        match = _ARN.match(text)
        if match is None:
            raise ValueError(f"not an ARN: {text!r}")
        return cls(match["service"], match["region"], match["account"], match["resource"])
