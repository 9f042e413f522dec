"""Scenarios as code: ordered steps, each with read-only preparation, planned calls, verification and rollback.

A step's life in an execution: ``prepare`` (reads only, also run by the dry run), tag check
of its ``targets``, its ``calls`` sent in order (or its own ``run`` for data-plane work such
as canary writes), then ``verify`` polled until done or the step's timeout, and, if the
drill stops later, ``rollback`` (calls that undo it). Phases tell the report which steps mark
the fault (T0), its detection, the decision and the recovery, so RTO comes from the
recorded timestamps.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from infra.drills.calls import Call, Clients
from infra.drills.canaries import Canary
from infra.drills.clock import Clock
from infra.drills.guard import TagTarget

Phase = Literal["preflight", "canary", "fault", "detect", "decide", "recover", "verify", "cleanup"]
Facts = dict[str, Any]
Record = dict[str, Any]


class Unread(str):
    """A value only an AWS read would give: prints as where it comes from; looking inside it stays unread.

    A dry run shows these where an earlier step's read would fill in the value (and a rehearsal without
    credentials, where no read happens at all).
    """

    path: str

    def __new__(cls, path: str) -> Unread:
        value = super().__new__(cls, f"<{path}: read at run time>")
        value.path = path
        return value

    def __getitem__(self, key: Any) -> Unread:  # type: ignore[override]
        return Unread(f"{self.path}.{key}")

    def get(self, key: Any, _default: Any = None) -> Unread:
        return self[key]


class UnreadFacts(dict[str, Any]):
    """A step's facts when its reads were skipped: every key is Unread."""

    def __init__(self, step: str) -> None:
        super().__init__()
        self.step = step

    def __missing__(self, key: str) -> Unread:
        return Unread(f"{self.step}.{key}")


class MissingOutputError(LookupError):
    """A stack output the scenario needs is not in the outputs given (older stack, or not deployed)."""


class PreconditionError(RuntimeError):
    pass


class StepFailedError(RuntimeError):
    pass


@dataclass(frozen=True)
class Verdict:
    done: bool
    detail: str = ""
    failed: bool = False
    """A terminal failure (e.g. restore job FAILED): stop polling and roll back."""


@dataclass(frozen=True)
class Peer:
    """The other stack of a warm-standby pair, with its outputs."""

    stack: str
    region: str
    outputs: Mapping[str, Any]


@dataclass
class DrillContext:
    scenario: str
    stack: str
    region: str
    outputs: Mapping[str, Any]
    clients: Clients
    clock: Clock
    drill_id: str
    execute: bool
    peer: Peer | None = None
    canaries: Mapping[str, Canary] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    records: dict[str, Record] = field(default_factory=dict)

    def out(self, path: str, outputs: Mapping[str, Any] | None = None, stack: str | None = None) -> Any:
        """A required stack output by dotted path (``lakeBucket.name``); MissingOutputError names it."""
        value: Any = self.outputs if outputs is None else outputs
        for part in path.split("."):
            if not isinstance(value, Mapping) or value.get(part) is None:
                raise MissingOutputError(f"stack {stack or self.stack} has no output '{path}'")
            value = value[part]
        return value

    def peer_out(self, path: str) -> Any:
        peer = self.require_peer()
        return self.out(path, peer.outputs, peer.stack)

    def require_peer(self) -> Peer:
        if self.peer is None:
            raise MissingOutputError(f"scenario {self.scenario} needs the outputs of {self.stack}'s DR peer stack")
        return self.peer

    def recorded(self, step: str, *path: str) -> Any:
        """A value an earlier step recorded; in a dry run, a readable placeholder for it."""
        value: Any = self.records.get(step)
        for part in path:
            if not isinstance(value, Mapping) or part not in value:
                if not self.execute:
                    return Unread(f"{step}.{'.'.join(path)}")
                raise StepFailedError(f"step '{step}' recorded no {'.'.join(path)} (did it run?)")
            value = value[part]
        return value


def _none(*_: Any) -> list[Any]:
    return []


def _no_facts(_: DrillContext) -> Facts:
    return {}


@dataclass(frozen=True)
class Step:
    name: str
    phase: Phase
    summary: str
    expected_seconds: float
    """Duration the runbook plans for; a slower step is reported as a deviation."""
    prepare: Callable[[DrillContext], Facts] = _no_facts
    targets: Callable[[DrillContext, Facts], Sequence[TagTarget]] = _none
    calls: Callable[[DrillContext, Facts], Sequence[Call]] = _none
    run: Callable[[DrillContext, Facts, Sequence[Call]], Record] | None = None
    """Custom execution (canaries); by default the calls are sent in order."""
    verify: Callable[[DrillContext, Record], Verdict] | None = None
    timeout_seconds: float = 900
    poll_seconds: float = 15
    on_timeout: Literal["fail", "continue"] = "fail"
    rollback: Callable[[DrillContext, Record], Sequence[Call]] = _none


@dataclass(frozen=True)
class Scenario:
    name: str
    summary: str
    steps: Callable[[DrillContext], Sequence[Step]]
    canary_stores: tuple[str, ...] = ()
    """Stores whose RPO the scenario measures (canaries for others are ignored)."""
    needs_peer: bool = False
    applies: Callable[[Mapping[str, Any]], str | None] = lambda _outputs: None
    """None when the stack (by its outputs) can run the scenario, else why not."""
