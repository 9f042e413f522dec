"""The drill report's timeline picture: an SVG beside its Markdown and JSON, drawn from the report alone.

Three bands share one time axis (seconds from the first step's start): the RTO phases (detection,
decision, execution, from the report's milestones) with the RTO target as a dashed line; one bar per
step, coloured by phase; and, when the report has canary lag samples, their lag per store over time
with each store's RPO target. Built with ElementTree (no network, no plotting library), so text is
escaped and the file is always well-formed XML.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from typing import Any

from infra.drills.clock import seconds_between

SVG_NS = "http://www.w3.org/2000/svg"
WIDTH = 960
LEFT = 220
RIGHT = 30
ROW = 22
PHASE_COLOURS = {"detection": "#e4572e", "decision": "#f3a712", "execution": "#2e86ab"}
STEP_COLOURS = {
    "preflight": "#9e9e9e",
    "canary": "#76b041",
    "fault": "#e4572e",
    "detect": "#e4572e",
    "decide": "#f3a712",
    "recover": "#2e86ab",
    "verify": "#76b041",
    "cleanup": "#9e9e9e",
}
STORE_COLOURS = {"kafka": "#6a4c93", "s3": "#1982c4", "cache": "#ff595e"}
LAG_HEIGHT = 140
PHASES = (("detection", "t0", "detected"), ("decision", "detected", "decided"), ("execution", "decided", "recovered"))


class _Axis:
    """Seconds since ``origin`` -> x pixels, over ``span`` seconds."""

    def __init__(self, origin: str, span: float) -> None:
        self.origin, self.span = origin, max(span, 1.0)

    def offset(self, at: str) -> float:
        return seconds_between(self.origin, at)

    def x(self, at: str) -> float:
        return self.at_seconds(self.offset(at))

    def at_seconds(self, seconds: float) -> float:
        return LEFT + (WIDTH - LEFT - RIGHT) * seconds / self.span


def _limit(report: Mapping[str, Any], name: str) -> float | None:
    return next((float(t["limitSeconds"]) for t in report["targets"] if t["target"] == name), None)


def _times(report: Mapping[str, Any]) -> list[str]:
    steps = [t for s in report["steps"] for t in (s["startedAt"], s["finishedAt"]) if t]
    marks = [t for t in report["milestones"].values() if t]
    samples = [p["at"] for points in report.get("canaryLag", {}).values() for p in points]
    return steps + marks + samples


def _text(parent: ET.Element, x: float, y: float, text: str, **attrs: str) -> None:
    element = ET.SubElement(parent, "text", {"x": f"{x:.1f}", "y": f"{y:.1f}", **attrs})
    element.text = text


def _rect(parent: ET.Element, x0: float, x1: float, y: float, colour: str, title: str) -> None:
    rect = ET.SubElement(
        parent, "rect", x=f"{x0:.1f}", y=f"{y:.1f}", width=f"{max(x1 - x0, 2):.1f}", height=f"{ROW - 6}", fill=colour
    )
    ET.SubElement(rect, "title").text = title


def render_svg(report: Mapping[str, Any]) -> str:
    times = _times(report)
    origin = min(times, key=lambda t: seconds_between(times[0], t)) if times else None
    lag = {store: points for store, points in report.get("canaryLag", {}).items() if points}
    steps = [s for s in report["steps"] if s["startedAt"] and s["finishedAt"]]
    height = 110 + ROW * (len(steps) + 1) + (LAG_HEIGHT + 50 if lag else 0)
    svg = ET.Element(
        "svg", xmlns=SVG_NS, width=str(WIDTH), height=str(height), viewBox=f"0 0 {WIDTH} {height}", role="img"
    )
    svg.set("font-family", "sans-serif")
    svg.set("font-size", "12")
    ET.SubElement(svg, "title").text = f"Drill {report['drillId']} timeline"
    _text(
        svg,
        10,
        20,
        f"{report['scenario']} on {report['stack']}: {report['result']} (drill {report['status']})",
        **{"font-size": "15", "font-weight": "bold"},
    )
    if origin is None:
        _text(svg, 10, 50, "no step ran: nothing to draw")
        return ET.tostring(svg, encoding="unicode")
    rto_limit = _limit(report, "RTO")
    t0 = report["milestones"]["t0"]
    end = max(seconds_between(origin, t) for t in times)
    if rto_limit is not None and t0:
        end = max(end, seconds_between(origin, t0) + rto_limit)
    axis = _Axis(origin, end)
    y = 40.0
    _axis_ticks(svg, axis, y, height)
    y += 20
    _text(svg, 10, y + 12, "RTO phases")
    marks = report["milestones"]
    for index, (phase, start, finish) in enumerate(PHASES):
        seconds = seconds_between(marks[start], marks[finish]) if marks[start] and marks[finish] else None
        if seconds is not None:
            _rect(
                svg, axis.x(marks[start]), axis.x(marks[finish]), y, PHASE_COLOURS[phase], f"{phase}: {seconds:.0f} s"
            )
        # The legend names each phase at a fixed place: short phases would overlap their own labels.
        legend = f"{phase} {seconds:.0f} s" if seconds is not None else f"{phase} n/a"
        _text(svg, LEFT + 180 * index, y + ROW + 8, legend, fill=PHASE_COLOURS[phase])
    if rto_limit is not None and t0:
        _dashed(
            svg, axis.at_seconds(axis.offset(t0) + rto_limit), 40, height - 10, "#000", f"RTO target {rto_limit:.0f} s"
        )
    y += ROW + 24
    for step in steps:
        _text(svg, 10, y + 12, step["name"])
        taken = seconds_between(step["startedAt"], step["finishedAt"])
        colour = STEP_COLOURS.get(step["phase"], "#9e9e9e")
        _rect(
            svg,
            axis.x(step["startedAt"]),
            axis.x(step["finishedAt"]),
            y,
            colour,
            f"{step['name']} [{step['phase']}] {step['status']}: {taken:.0f} s",
        )
        y += ROW
    if lag:
        _lag_chart(svg, report, axis, lag, y + 30)
    return ET.tostring(svg, encoding="unicode")


def _axis_ticks(svg: ET.Element, axis: _Axis, y: float, height: float) -> None:
    for index in range(6):
        seconds = axis.span * index / 5
        x = axis.at_seconds(seconds)
        ET.SubElement(svg, "line", x1=f"{x:.1f}", x2=f"{x:.1f}", y1=f"{y}", y2=f"{height - 10}", stroke="#ddd")
        _text(svg, x, y, f"+{seconds:.0f} s", **{"text-anchor": "middle", "fill": "#555"})


def _dashed(svg: ET.Element, x: float, y0: float, y1: float, colour: str, label: str) -> None:
    line = ET.SubElement(svg, "line", x1=f"{x:.1f}", x2=f"{x:.1f}", y1=f"{y0}", y2=f"{y1}", stroke=colour)
    line.set("stroke-dasharray", "6 4")
    ET.SubElement(line, "title").text = label
    _text(svg, x - 3, y0 + 12, label, fill=colour, **{"text-anchor": "end"})


def _lag_chart(
    svg: ET.Element, report: Mapping[str, Any], axis: _Axis, lag: Mapping[str, Sequence[Mapping[str, Any]]], top: float
) -> None:
    limits = {store: _limit(report, f"RPO {store}") for store in lag}
    highest = max(
        [float(p["seconds"]) for points in lag.values() for p in points]
        + [limit for limit in limits.values() if limit is not None]
        + [1.0]
    )
    bottom = top + LAG_HEIGHT

    def y_of(seconds: float) -> float:
        return bottom - LAG_HEIGHT * seconds / highest

    _text(svg, 10, top + 12, "canary lag (s)")
    _text(svg, LEFT - 6, top + 4, f"{highest:.0f}", **{"text-anchor": "end", "fill": "#555"})
    _text(svg, LEFT - 6, bottom, "0", **{"text-anchor": "end", "fill": "#555"})
    ET.SubElement(svg, "line", x1=str(LEFT), x2=str(WIDTH - RIGHT), y1=f"{bottom}", y2=f"{bottom}", stroke="#555")
    for row, (store, points) in enumerate(sorted(lag.items())):
        colour = STORE_COLOURS.get(store, "#333")
        ordered = sorted(points, key=lambda p: axis.offset(p["at"]))
        coordinates = " ".join(f"{axis.x(p['at']):.1f},{y_of(float(p['seconds'])):.1f}" for p in ordered)
        line = ET.SubElement(svg, "polyline", points=coordinates, fill="none", stroke=colour)
        line.set("stroke-width", "2")
        ET.SubElement(line, "title").text = f"{store} canary lag"
        for point in ordered:
            dot = ET.SubElement(
                svg, "circle", cx=f"{axis.x(point['at']):.1f}", cy=f"{y_of(float(point['seconds'])):.1f}", r="3"
            )
            dot.set("fill", colour)
            ET.SubElement(dot, "title").text = f"{store} lag {float(point['seconds']):g} s at {point['at']}"
        _text(svg, 10, top + 30 + row * 16, store, fill=colour)
        limit = limits[store]
        if limit is not None:
            target = ET.SubElement(
                svg, "line", x1=str(LEFT), x2=str(WIDTH - RIGHT), y1=f"{y_of(limit):.1f}", y2=f"{y_of(limit):.1f}"
            )
            target.set("stroke", colour)
            target.set("stroke-dasharray", "3 3")
            ET.SubElement(target, "title").text = f"RPO {store} target {limit:g} s"
