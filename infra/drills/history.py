"""`blueprint drill history`: measured RTO and RPO per scenario across past drill reports, against their targets.

Reads the JSON reports (``<drill-id>.json``, written by infra/drills/report.py) in a report
directory; state files (``.state.json``) and files that are not drill reports are skipped and
named. Each row is one drill: when its fault started (T0), its result, and per target the
measured value against the limit it was judged by (the stack's drTargets at the time).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.drills.targets import duration

REPORT_KEYS = ("drillId", "scenario", "stack", "result", "milestones", "targets")


@dataclass
class History:
    reports: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    """Files that look like reports but are not (path: why)."""


def load_reports(directory: Path) -> History:
    history = History()
    for path in sorted(directory.glob("*.json")):
        if path.name.endswith(".state.json"):
            continue
        try:
            document = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            history.skipped.append(f"{path.name}: unreadable ({error})")
            continue
        if not isinstance(document, dict) or any(key not in document for key in REPORT_KEYS):
            history.skipped.append(f"{path.name}: not a drill report")
            continue
        history.reports.append(document)
    return history


def _when(report: Mapping[str, Any]) -> str:
    started = [s["startedAt"] for s in report.get("steps", []) if s.get("startedAt")]
    return str(report["milestones"].get("t0") or (min(started) if started else "") or "n/a")


def _cell(row: Mapping[str, Any] | None) -> str:
    if row is None:
        return "-"
    measured = row["measuredSeconds"]
    return f"{duration(measured) if measured is not None else 'n/a'} / {duration(row['limitSeconds'])} {row['verdict']}"


def history_lines(
    reports: Iterable[Mapping[str, Any]], scenario: str | None = None, stack: str | None = None
) -> list[str]:
    """Per scenario and stack, a table of its drills, oldest first: measured / limit and the verdict per target."""
    chosen = [
        r for r in reports if (scenario is None or r["scenario"] == scenario) and (stack is None or r["stack"] == stack)
    ]
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for report in sorted(chosen, key=lambda r: (r["scenario"], r["stack"], _when(r))):
        groups.setdefault((report["scenario"], report["stack"]), []).append(report)
    lines: list[str] = []
    for (name, on), group in groups.items():
        columns = _columns(group)
        passed = sum(1 for r in group if r["result"] == "PASS")
        lines += [
            f"## {name} on {on}: {passed} of {len(group)} drills passed",
            "",
            "| T0 (UTC) | drill | result | " + " | ".join(columns) + " |",
            "| --- | --- | --- | " + " | ".join("---" for _ in columns) + " |",
        ]
        for report in group:
            by_name = {t["target"]: t for t in report["targets"]}
            cells = [_cell(by_name.get(column)) for column in columns]
            lines.append(f"| {_when(report)} | {report['drillId']} | {report['result']} | " + " | ".join(cells) + " |")
        lines.append("")
    return lines or ["no drill reports" + (f" for {scenario}" if scenario else "") + (f" on {stack}" if stack else "")]


def _columns(group: Sequence[Mapping[str, Any]]) -> list[str]:
    """RTO first, then every RPO target any drill of the group was judged on."""
    names = {t["target"] for r in group for t in r["targets"]}
    return (["RTO"] if "RTO" in names else []) + sorted(names - {"RTO"})
