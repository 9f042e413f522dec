"""Markdown review of stack diffs, for pull-request comments and failing snapshot tests."""

from __future__ import annotations

import json
from typing import Any

from infra.review.diff import StackDiff, action, added_or_removed
from infra.review.report import CostChange, PairCost, pair_lines

MAX_VALUE = 80


def _show(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else value
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def _property_line(path: str, was: Any, now: Any) -> str:
    item = added_or_removed(path, was, now)
    if item:
        shown, verb, value = item
        return f"`{shown}`: {verb} `{_show(value)}`"
    return f"`{path}`: `{_show(was)}` → `{_show(now)}`"


def render_markdown(
    diffs: list[StackDiff], costs: dict[str, CostChange] | None = None, pairs: list[PairCost] | None = None
) -> str:
    lines = ["# Infrastructure review", ""]
    all_risks = [(d.stack, r) for d in diffs for r in d.risks]
    if all_risks:
        lines += [f"## ⚠ Risky changes ({len(all_risks)})", ""]
        lines += [f"- **{stack}**: {risk}" for stack, risk in all_risks]
        lines.append("")
    for diff in diffs:
        added = [c for c in diff.changes if c.kind == "add"]
        removed = [c for c in diff.changes if c.kind == "remove"]
        updated = [c for c in diff.changes if c.kind == "update"]
        replaced = sum(action(c) == "replace" for c in updated)
        of_which = f" ({replaced} replaced)" if replaced else ""
        lines.append(
            f"## Stack `{diff.stack}`: +{len(added)} added, ~{len(updated)} changed{of_which}, -{len(removed)} removed"
        )
        lines.append("")
        if diff.empty:
            lines += ["No change.", ""]
        if diff.config_changes:
            lines += ["**Config changes**", ""]
            lines += [f"- `{path}`: `{_show(was)}` → `{_show(now)}`" for path, was, now in diff.config_changes]
            lines.append("")
        for title, group in (("Added", added), ("Removed", removed)):
            if group:
                lines += [f"**{title}**", ""] + [f"- `{c.resource}` ({c.type})" for c in group] + [""]
        if updated:
            lines += ["**Changed**", ""]
            for change in updated:
                lines.append(f"- `{change.resource}` ({change.type}): **{action(change)}**")
                lines += [f"  - {reason}" for reason in change.reasons]
                lines += [f"  - {_property_line(path, was, now)}" for path, was, now in change.properties]
            lines.append("")
        if costs and diff.stack in costs:
            lines += ["**Monthly cost**", ""] + [f"- {line}" for line in costs[diff.stack].lines] + [""]
    if pairs:
        lines += ["## DR pairs", ""] + [f"- {line}" for pair in pairs for line in pair_lines(pair)] + [""]
    return "\n".join(lines).rstrip() + "\n"
