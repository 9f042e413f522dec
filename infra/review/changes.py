"""One changed resource of a review: what changed, and what AWS will do about it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Change:
    resource: str
    type: str
    kind: str  # "add" | "remove" | "update"
    properties: list[tuple[str, Any, Any]] = field(default_factory=list)
    action: str = ""
    """What AWS does (replacement.py): create, delete, update, replace, or update or replace (unknown)."""
    reasons: list[str] = field(default_factory=list)
    """Why: the force-new paths that change, or the replaced resources whose new ids the inputs take."""
    risks: list[str] = field(default_factory=list)
    """What the review flags about this change (diff.assess_risks)."""
