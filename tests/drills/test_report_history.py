"""Reports people read: the timeline picture beside each report, `blueprint drill history`, and where reports go."""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from infra import paths
from infra.cli import drill
from infra.drills.clock import iso
from infra.drills.history import history_lines, load_reports
from infra.drills.report import build_report, write_report
from infra.drills.state import DrillState, StepState
from infra.drills.targets import DrillTarget
from infra.drills.timeline import SVG_NS, render_svg
from tests.drills.conftest import START, drill_cli

TARGET = DrillTarget("region-failover", 1800.0, {"kafka": 60.0, "cache": 1.0})


def _at(seconds: int) -> str:
    return iso(START + timedelta(seconds=seconds))


def drill_state(drill_id: str = "d1", *, recover_until: int = 600, lag: bool = True) -> DrillState:
    """A completed failover: fault at +0 s, detected at +60 s, decided at +120 s, recovered at ``recover_until``."""
    spans = {
        "fence-traffic": ("fault", 0, 10),
        "detect": ("detect", 10, 60),
        "replication-lag": ("decide", 60, 120),
        "promote-cache": ("recover", 120, recover_until),
    }
    steps = []
    for name, (phase, start, end) in spans.items():
        step = StepState(name, phase, "done", _at(start), _at(end))
        step.record = {"facts": {}}
        steps.append(step)
    steps[1].record = {"facts": {}, "detected": "routing control Off"}
    # One canary write per store before the fault, read back after the recovery: nothing lost.
    steps[0].record = {"facts": {}, "writes": {s: [{"sequence": 1, "at": _at(0)}] for s in ("kafka", "cache")}}
    reads = {s: {"sequences": [1]} for s in ("kafka", "cache")}
    if lag:
        steps[3].record = {
            "reads": reads,
            "facts": {
                "canaryLag": {
                    "kafka": [{"at": _at(s), "seconds": s / 20} for s in (300, 60, 180)],
                    "cache": [{"at": _at(60), "seconds": 0.5}],
                }
            },
        }
    else:
        steps[3].record = {"facts": {}, "reads": reads}
    return DrillState(drill_id, "region-failover", "prod", "us-east-1", "prod-dr", _at(0), "completed", steps)


def report(drill_id: str = "d1", **kwargs: Any) -> dict[str, Any]:
    return build_report(drill_state(drill_id, **kwargs), TARGET, ("kafka", "cache"))


def titles(svg: ET.Element) -> list[str]:
    return [t.text or "" for t in svg.iter(f"{{{SVG_NS}}}title")]


def test_the_timeline_is_well_formed_svg_with_the_phases_steps_and_targets() -> None:
    svg = ET.fromstring(render_svg(report()))
    assert svg.tag == f"{{{SVG_NS}}}svg"
    names = titles(svg)
    assert {"detection: 60 s", "decision: 60 s", "execution: 480 s"} <= set(names)
    assert "promote-cache [recover] done: 480 s" in names
    assert "RTO target 1800 s" in names


def test_the_timeline_draws_canary_lag_over_time_with_each_stores_target() -> None:
    built = report()
    assert [p["seconds"] for p in built["canaryLag"]["kafka"]] == [3.0, 9.0, 15.0]  # oldest first
    svg = ET.fromstring(render_svg(built))
    lines = {t: p for p in svg.iter(f"{{{SVG_NS}}}polyline") for t in titles(p)}
    assert set(lines) == {"kafka canary lag", "cache canary lag"}
    assert len(lines["kafka canary lag"].get("points", "").split()) == 3
    assert len(list(svg.iter(f"{{{SVG_NS}}}circle"))) == 4  # a marker per sample: one sample still shows
    assert {"RPO kafka target 60 s", "RPO cache target 1 s"} <= set(titles(svg))


def test_without_samples_or_steps_the_picture_says_so_and_stays_valid() -> None:
    no_lag = ET.fromstring(render_svg(report(lag=False)))
    assert not list(no_lag.iter(f"{{{SVG_NS}}}polyline"))
    empty = DrillState(
        "d0", "restore", "prod", "us-east-1", None, _at(0), "failed", [StepState("preflight", "preflight")]
    )
    svg = ET.fromstring(render_svg(build_report(empty, None, ("s3",))))
    assert any("nothing to draw" in (t.text or "") for t in svg.iter(f"{{{SVG_NS}}}text"))


def test_the_report_is_written_with_its_picture_beside_it(tmp_path: Path) -> None:
    json_path, markdown_path, svg_path = write_report(report(), tmp_path)
    assert svg_path == tmp_path / "d1.svg" and ET.parse(svg_path).getroot().tag == f"{{{SVG_NS}}}svg"
    assert "](d1.svg)" in markdown_path.read_text()
    assert json.loads(json_path.read_text())["canaryLag"]["cache"] == [{"at": _at(60), "seconds": 0.5}]


def test_history_shows_each_drill_against_its_targets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_report(report("region-failover-prod-1"), tmp_path)
    write_report(report("region-failover-prod-2", recover_until=2400), tmp_path)
    drill_state("ignored").save(tmp_path / "region-failover-prod-2.state.json")
    (tmp_path / "notes.json").write_text('{"hello": 1}')
    assert drill_cli("history", "--report-dir", str(tmp_path)) == 0
    captured = capsys.readouterr()
    assert "skipped notes.json: not a drill report" in captured.err
    out = captured.out.splitlines()
    assert "## region-failover on prod: 1 of 2 drills passed" in out
    assert "| T0 (UTC) | drill | result | RTO | RPO cache | RPO kafka |" in out
    rows = [line for line in out if line.startswith("| 2026")]
    assert rows[0].startswith("| 2026-11-26T09:30:00.000Z | region-failover-prod-1 | PASS | 10 min / 30 min PASS |")
    assert "| FAIL | 40 min / 30 min FAIL |" in rows[1]
    assert all(row.endswith("| 0 s / 1 s PASS | 0 s / 1 min PASS |") for row in rows)


def test_history_filters_by_stack_and_scenario(tmp_path: Path) -> None:
    write_report(report("a"), tmp_path)
    reports = load_reports(tmp_path).reports
    assert history_lines(reports, stack="staging") == ["no drill reports on staging"]
    assert history_lines(reports, scenario="restore") == ["no drill reports for restore"]
    assert history_lines(reports, "region-failover", "prod")[0] == "## region-failover on prod: 1 of 1 drills passed"


def test_history_takes_no_drill_options_and_drills_need_a_stack(capsys: pytest.CaptureFixture[str]) -> None:
    assert drill_cli("broker-reboot") == 2
    assert "--stack is required" in capsys.readouterr().err
    assert drill_cli("broker-reboot", "--stack", "prod", "--scenario", "restore") == 2
    assert "--scenario applies to history only" in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_reports_go_where_gitignore_keeps_them_out_of_commits() -> None:
    parser = argparse.ArgumentParser()
    drill.register(parser.add_subparsers())
    default = parser.parse_args(["drill", "history"]).report_dir
    assert default == paths.DRILL_REPORTS and default.parent == paths.ROOT
    for name in ("d1.json", "d1.md", "d1.svg", "d1.state.json"):
        ignored = subprocess.run(
            ["git", "check-ignore", "--no-index", "-q", str(default / name)], cwd=paths.ROOT, check=False
        )
        assert ignored.returncode == 0, f"{name} in {default} would be committed"
    kept = subprocess.run(
        ["git", "check-ignore", "--no-index", "-q", "runbooks/README.md"], cwd=paths.ROOT, check=False
    )
    assert kept.returncode == 1  # the runbooks index is a committed file
