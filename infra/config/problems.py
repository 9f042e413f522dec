"""Config problems: one message per problem, naming the stack file, the key, the value and what is allowed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

PROJECT = "streaming-platform"


@dataclass(frozen=True)
class Problem:
    key: str
    """Dotted stack-file key without namespace, e.g. ``network.azCount``; ``aws:region`` kept as is;
    ``(file)`` or ``(stack name)`` for what is not a key."""
    value: Any
    message: str
    """What is wrong and what is allowed."""
    severity: Literal["error", "warning"] = "error"

    def format(self, stack_file: str) -> str:
        key = self.key if ":" in self.key or self.key.startswith("(") else f"{PROJECT}:{self.key}"
        return f"{stack_file}: {key} = {self.value!r}: {self.message}"


class ConfigError(Exception):
    """Raised before any resource is registered when a stack's config is invalid."""

    def __init__(self, stack_file: str, problems: list[Problem]) -> None:
        self.stack_file = stack_file
        self.problems = problems
        lines = [p.format(stack_file) for p in problems]
        super().__init__(f"{len(problems)} problem(s) in {stack_file}:\n" + "\n".join(f"  - {x}" for x in lines))


def error(key: str, value: Any, message: str) -> Problem:
    return Problem(key, value, message, "error")


def warning(key: str, value: Any, message: str) -> Problem:
    return Problem(key, value, message, "warning")
