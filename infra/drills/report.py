"""The drill report: timeline, RTO with its breakdown, RPO per store from the canaries, PASS/FAIL per target.

Everything is computed from the state file, never typed in: RTO runs from the start of the
fault step (T0) to the end of the last recovery step; its detection part ends when the
detect step saw the fault, its decision part when the decide step finished (the same moment
as detection when the scenario has no decide step). RPO per store is the span of canary
writes that never reached the recovery target, measured from the newest write before the
loss that did arrive; duplicates are sequences read more than once. Canary lag samples a step
recorded (``facts.canaryLag``: per store, ``[{"at": ISO, "seconds": lag}]``, e.g. the canary
function's replicated-age metric) are kept for the timeline picture (infra/drills/timeline.py),
written beside the Markdown and JSON.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from infra.drills.clock import parse_iso, seconds_between
from infra.drills.state import DrillState, StepState
from infra.drills.targets import DrillTarget
from infra.drills.timeline import render_svg


@dataclass(frozen=True)
class CanaryResult:
    store: str
    written: int
    recovered: int
    lost: list[int]
    duplicates: int
    rpo_seconds: float


def canary_result(store: str, writes: Sequence[Mapping[str, Any]], seen: Sequence[int]) -> CanaryResult:
    """RPO of one store: 0 when every write arrived, else from the last good write to the newest lost one."""
    written_at = {int(w["sequence"]): str(w["at"]) for w in writes}
    counts = Counter(seq for seq in seen if seq in written_at)
    lost = sorted(set(written_at) - set(counts))
    rpo = 0.0
    if lost:
        before = [seq for seq in counts if seq < lost[0]]
        anchor = written_at[max(before)] if before else written_at[lost[0]]
        rpo = seconds_between(anchor, written_at[lost[-1]])
    duplicates = sum(count - 1 for count in counts.values())
    return CanaryResult(store, len(written_at), len(counts), lost, duplicates, rpo)


def _first(steps: Sequence[StepState], phase: str) -> StepState | None:
    return next((s for s in steps if s.phase == phase), None)


def milestones(state: DrillState) -> dict[str, str | None]:
    fault, detect, decide = (_first(state.steps, p) for p in ("fault", "detect", "decide"))
    recovered = [
        s for s in state.steps if s.phase == "recover" and s.status in ("done", "rolled-back") and s.finished_at
    ]
    t0 = fault.started_at if fault else None
    detected = detect.finished_at if detect and detect.record and detect.record.get("detected") else None
    decided = decide.finished_at if decide else detected
    return {
        "t0": t0,
        "detected": detected,
        "decided": decided,
        "recovered": recovered[-1].finished_at if recovered else None,
    }


def rto(marks: Mapping[str, str | None]) -> dict[str, float | None]:
    def span(start: str, end: str) -> float | None:
        begin, finish = marks[start], marks[end]
        return seconds_between(begin, finish) if begin and finish else None

    return {
        "total": span("t0", "recovered"),
        "detection": span("t0", "detected"),
        "decision": span("detected", "decided"),
        "execution": span("decided", "recovered"),
    }


def canary_results(state: DrillState) -> tuple[list[CanaryResult], list[str]]:
    """Results per store written in the canary step and read in the verify step; stores written but never read."""
    writes: dict[str, list[dict[str, Any]]] = {}
    reads: dict[str, list[int]] = {}
    for step in state.steps:
        record = step.record or {}
        for store, entries in (record.get("writes") or {}).items():
            writes.setdefault(store, []).extend(entries)
        for store, read in (record.get("reads") or {}).items():
            reads[store] = list(read["sequences"])
    results = [canary_result(store, writes[store], reads[store]) for store in sorted(writes) if store in reads]
    return results, sorted(set(writes) - set(reads))


def recovery_point_ages(state: DrillState) -> dict[str, float]:
    """RPO of backup-based recovery: the age at T0 of what was restored, per store."""
    return {
        store: float(age)
        for step in state.steps
        for store, age in (((step.record or {}).get("facts") or {}).get("recovery_point_age_seconds") or {}).items()
    }


def canary_metric_readings(state: DrillState) -> dict[str, dict[str, Any]]:
    """What the deployed RPO canary measured (infra/drills/canary_metrics.py), per store, from any step."""
    readings: dict[str, dict[str, Any]] = {}
    for step in state.steps:
        record = step.record or {}
        readings.update(record.get("canaryMetrics") or (record.get("facts") or {}).get("canaryMetrics") or {})
    return readings


def merged_rpo(canaries: Sequence[CanaryResult], ages: Mapping[str, float]) -> dict[str, float]:
    """Per store: the canaries' RPO when nothing was lost; when canaries were lost, the restored backup's age if larger."""
    rpo = dict(ages)
    for canary in canaries:
        rpo[canary.store] = max(canary.rpo_seconds, ages.get(canary.store, 0.0)) if canary.lost else canary.rpo_seconds
    return rpo


def canary_lag(state: DrillState) -> dict[str, list[dict[str, Any]]]:
    """Per store, the lag samples the steps recorded, oldest first (none: the picture has no lag chart)."""
    samples: dict[str, list[dict[str, Any]]] = {}
    for step in state.steps:
        for store, points in (((step.record or {}).get("facts") or {}).get("canaryLag") or {}).items():
            samples.setdefault(store, []).extend({"at": str(p["at"]), "seconds": float(p["seconds"])} for p in points)
    return {store: sorted(points, key=lambda p: parse_iso(p["at"])) for store, points in samples.items()}


def _evaluate(
    target: DrillTarget | None, rto_total: float | None, rpo: Mapping[str, float], completed: bool
) -> list[dict[str, Any]]:
    if target is None:
        return []
    rows: list[dict[str, Any]] = []
    if target.rto_seconds is not None:
        rows.append(_row("RTO", target.rto_seconds, rto_total if completed else None))
    rows += [_row(f"RPO {store}", limit, rpo.get(store)) for store, limit in target.rpo_seconds.items()]
    return rows


def _row(name: str, limit: float, value: float | None) -> dict[str, Any]:
    verdict = "NOT MEASURED" if value is None else "PASS" if value <= limit else "FAIL"
    return {"target": name, "limitSeconds": limit, "measuredSeconds": value, "verdict": verdict}


def build_report(state: DrillState, target: DrillTarget | None, stores: Sequence[str]) -> dict[str, Any]:
    """The report as data (the JSON file); ``stores`` are the ones this scenario measures."""
    marks = milestones(state)
    times = rto(marks)
    canaries, unread = canary_results(state)
    canaries = [c for c in canaries if c.store in stores]
    completed = state.status == "completed"
    ages = recovery_point_ages(state)
    rpo = merged_rpo(canaries, ages)
    measured = canary_metric_readings(state)
    for store, reading in measured.items():
        if store in stores:
            rpo[store] = max(rpo.get(store, 0.0), float(reading["rpoSeconds"]))
    results = _evaluate(target, times["total"], rpo, completed)
    deviations = [e.message for e in state.events if e.kind in ("deviation", "rollback-failed")]
    deviations += [
        f"{c.store}: {len(c.lost)} of {c.written} canary writes never reached the recovery target"
        for c in canaries
        if c.lost
    ]
    deviations += [f"{store}: canaries written but never read back" for store in unread if store in stores]
    deviations += _alarm_deviations(state)
    unmeasured = [s for s in stores if s not in rpo]
    lag = {
        k: v for s in state.steps for k, v in ((s.record or {}).get("facts", {}).get("replication_lag") or {}).items()
    }
    verdicts = [r["verdict"] for r in results]
    overall = (
        "FAIL"
        if not completed or "FAIL" in verdicts
        else "PASS"
        if verdicts and "NOT MEASURED" not in verdicts
        else "INCOMPLETE"
    )
    return {
        "drillId": state.drill_id,
        "scenario": state.scenario,
        "stack": state.stack,
        "peerStack": state.peer_stack,
        "status": state.status,
        "stopReason": state.stop_reason,
        "rollback": state.rollback,
        "result": overall,
        "milestones": marks,
        "rtoSeconds": times,
        "canaries": [asdict(c) for c in canaries],
        "recoveryPointAgeSeconds": ages,
        "canaryMetrics": {store: reading for store, reading in measured.items() if store in stores},
        "unmeasuredStores": unmeasured,
        "duplicates": sum(c.duplicates for c in canaries),
        "replicationLagAtCutover": lag,
        "canaryLag": canary_lag(state),
        "targets": results,
        "targetSource": target.source if target else None,
        "deviations": deviations,
        "actionItems": [f"Investigate and fix: {d}" for d in deviations]
        + [
            f"{r['target']} missed: {r['measuredSeconds']:.0f} s > {r['limitSeconds']:.0f} s"
            for r in results
            if r["verdict"] == "FAIL"
        ],
        "timeline": [{"at": e.at, "kind": e.kind, "message": e.message} for e in state.events],
        "steps": [
            {
                "name": s.name,
                "phase": s.phase,
                "status": s.status,
                "startedAt": s.started_at,
                "finishedAt": s.finished_at,
                "detail": s.detail,
            }
            for s in state.steps
        ],
    }


def _alarm_deviations(state: DrillState) -> list[str]:
    detect = _first(state.steps, "detect")
    record = (detect.record or {}) if detect else {}
    expected, fired = (record.get("facts") or {}).get("alarmsExpected") or [], record.get("alarmsFired") or []
    if not expected or fired:
        return []
    return [f"none of the {len(expected)} alarms expected for this fault fired while it lasted"]


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f} s"


def render_markdown(report: Mapping[str, Any]) -> str:
    lines = [
        f"# Drill {report['drillId']}",
        "",
        f"- Scenario: `{report['scenario']}` on stack `{report['stack']}`"
        + (f" (peer `{report['peerStack']}`)" if report["peerStack"] else ""),
        f"- Outcome: **{report['result']}** (drill {report['status']}"
        + (f": {report['stopReason']}" if report["stopReason"] else "")
        + (f"; rollback {report['rollback']}" if report["rollback"] else "")
        + ")",
        "",
        f"![timeline: detection, decision, execution, steps, canary lag]({report['drillId']}.svg)",
        "",
        "## RTO",
        "",
        "| part | seconds |",
        "| --- | --- |",
    ]
    lines += [f"| {part} | {_seconds(value)} |" for part, value in report["rtoSeconds"].items()]
    lines += ["", "Milestones (UTC): " + ", ".join(f"{k} {v or 'n/a'}" for k, v in report["milestones"].items()), ""]
    lines += [
        "## RPO (canaries)",
        "",
        "| store | written | recovered | lost | duplicates | RPO |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    lines += [
        f"| {c['store']} | {c['written']} | {c['recovered']} | {len(c['lost'])} | {c['duplicates']} | {_seconds(c['rpo_seconds'])} |"
        for c in report["canaries"]
    ]
    if report["recoveryPointAgeSeconds"]:
        ages = ", ".join(f"{k} {_seconds(v)}" for k, v in report["recoveryPointAgeSeconds"].items())
        lines += ["", f"RPO of restored backups (age at T0): {ages}"]
    if report["canaryMetrics"]:
        lines.append(
            "\nRPO canary (CloudWatch): "
            + ", ".join(
                f"{store} {r['lostRecords']:g} lost, RPO {_seconds(r['rpoSeconds'])}"
                for store, r in report["canaryMetrics"].items()
            )
        )
    if report["unmeasuredStores"]:
        lines.append(f"\nNot measured (no canary): {', '.join(report['unmeasuredStores'])}")
    if report["replicationLagAtCutover"]:
        lines += [
            "",
            "Replication lag at cut-over: "
            + ", ".join(f"{k} {v}" for k, v in report["replicationLagAtCutover"].items()),
        ]
    lines += [
        "",
        f"## Targets ({report['targetSource'] or 'none'})",
        "",
        "| target | limit | measured | verdict |",
        "| --- | --- | --- | --- |",
    ]
    lines += [
        f"| {t['target']} | {_seconds(t['limitSeconds'])} | {_seconds(t['measuredSeconds'])} | {t['verdict']} |"
        for t in report["targets"]
    ]
    lines += ["", "## Deviations", ""] + ([f"- {d}" for d in report["deviations"]] or ["- none"])
    lines += ["", "## Action items", ""] + ([f"- [ ] {a}" for a in report["actionItems"]] or ["- none"])
    lines += ["", "## Timeline (UTC)", "", "| at | event | detail |", "| --- | --- | --- |"]
    lines += [f"| {e['at']} | {e['kind']} | {e['message'].replace('|', '/')} |" for e in report["timeline"]]
    return "\n".join(lines) + "\n"


def write_report(report: Mapping[str, Any], directory: Path) -> tuple[Path, Path, Path]:
    """``<drill-id>.json``, ``.md`` and the ``.svg`` timeline the Markdown shows."""
    directory.mkdir(parents=True, exist_ok=True)
    json_path = directory / f"{report['drillId']}.json"
    markdown_path = directory / f"{report['drillId']}.md"
    svg_path = directory / f"{report['drillId']}.svg"
    json_path.write_text(json.dumps(report, indent=2) + "\n")
    markdown_path.write_text(render_markdown(report))
    svg_path.write_text(render_svg(report))
    return json_path, markdown_path, svg_path
