"""The drill's state file: written after every step so an interrupted drill can resume or roll back.

JSON, replaced atomically (write a temporary file, then rename), holding each step's
status, UTC start and end, and its record (facts read, responses of its calls, canary
writes and reads): everything the report and a later rollback need.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

StepStatus = Literal["pending", "running", "done", "failed", "rolled-back", "rollback-failed"]
DrillStatus = Literal["running", "completed", "stopped", "failed", "refused"]
RollbackStatus = Literal["complete", "incomplete", "nothing-to-undo"]
STATE_VERSION = 1


class StateError(ValueError):
    """The state file is missing, unreadable or for another drill."""


@dataclass
class StepState:
    name: str
    phase: str
    status: StepStatus = "pending"
    started_at: str | None = None
    finished_at: str | None = None
    record: dict[str, Any] | None = None
    detail: str = ""
    polls: int = 0


@dataclass
class Event:
    at: str
    kind: str
    message: str


@dataclass
class DrillState:
    drill_id: str
    scenario: str
    stack: str
    region: str
    peer_stack: str | None
    started_at: str
    status: DrillStatus = "running"
    steps: list[StepState] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    stop_reason: str | None = None
    rollback: RollbackStatus | None = None
    version: int = STATE_VERSION

    def step(self, name: str) -> StepState:
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(name)

    def note(self, at: str, kind: str, message: str) -> None:
        self.events.append(Event(at, kind, message))

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(path.suffix + ".tmp")
        temporary.write_text(json.dumps(asdict(self), indent=2) + "\n")
        os.replace(temporary, path)

    @classmethod
    def load(cls, path: Path) -> DrillState:
        try:
            document = json.loads(path.read_text())
        except FileNotFoundError:
            raise StateError(f"no state file at {path}") from None
        except (OSError, ValueError) as error:
            raise StateError(f"{path} is not a drill state file: {error}") from None
        if not isinstance(document, dict) or document.get("version") != STATE_VERSION:
            raise StateError(f"{path}: not a version-{STATE_VERSION} drill state file")
        try:
            steps = [StepState(**step) for step in document.pop("steps")]
            events = [Event(**event) for event in document.pop("events")]
            return cls(**document, steps=steps, events=events)
        except (KeyError, TypeError) as error:
            raise StateError(f"{path}: malformed drill state ({error})") from None
