"""Runbooks rendered per stack: jinja2 templates + the stack's config, outputs and alarm names -> Markdown.

Templates live in templates/runbooks/ and are rendered with StrictUndefined: a runbook that
names an output the stack does not export fails to render instead of printing a blank
where an ARN should be. Outputs come from `pulumi stack output --json` (a real
deployment) or from the offline plan; alarm names always come from the plan, where they
are deterministic (``sp-<stack>-<key>``), because the stack exports alarm counts, not names.
The rendered runbooks are committed under runbooks/<stack>/; a test re-renders them from
the offline plan and fails when they differ, so nobody edits them by hand.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from infra import paths
from infra.offline.record import StackPlan

TEMPLATE_DIR = "runbooks"
ALARM_TYPE = "aws:cloudwatch/metricAlarm:MetricAlarm"
ALARM_PREFIX = "observability-"
# `outputs.name` or `peer.outputs.name` in a template: what the stack must export.
_OUTPUT_REFERENCE = re.compile(r"\b(peer\.)?outputs\.([A-Za-z][A-Za-z0-9]*)")


@dataclass(frozen=True)
class StackView:
    """What a template sees of one stack."""

    stack: str
    region: str
    tier: str
    config: Mapping[str, Any]
    """The validated config as a snake_case dump (StackPlan.config)."""
    outputs: Mapping[str, Any]
    alarms: Mapping[str, str]
    """Observability alarm key -> alarm name."""


@dataclass(frozen=True)
class Runbook:
    name: str
    title: str
    applies: Callable[[StackView, StackView | None], str | None]
    """None when the runbook applies to the stack, else why it does not."""

    @property
    def template(self) -> str:
        return f"{TEMPLATE_DIR}/{self.name}.md.j2"

    @property
    def filename(self) -> str:
        return f"{self.name}.md"


def _always(_: StackView, __: StackView | None) -> str | None:
    return None


def _pair_primary(view: StackView, peer: StackView | None) -> str | None:
    dr = view.config["dr"]
    if dr["strategy"] != "warm-standby":
        return f"DR strategy is '{dr['strategy']}': there is no standby region to fail over to"
    if dr["role"] != "primary":
        return f"this stack is the standby of its pair: see runbooks/{_peer_name(dr)}/ (the runbook covers both stacks)"
    if peer is None:
        return "the DR peer stack's outputs are needed to render it"
    return None


def _with_backups(view: StackView, _: StackView | None) -> str | None:
    strategy = view.config["dr"]["strategy"]
    return (
        None
        if strategy != "none"
        else "DR strategy 'none': no AWS Backup vault; see cache-primary-failure.md for snapshots"
    )


def _peer_name(dr: Mapping[str, Any]) -> str:
    return str(dr.get("peer_stack") or "").rsplit("/", 1)[-1]


RUNBOOKS: tuple[Runbook, ...] = (
    Runbook("region-failover", "Region failover to the warm standby", _pair_primary),
    Runbook("failback", "Failback to the primary region", _pair_primary),
    Runbook("az-loss", "Availability Zone loss", _always),
    Runbook("msk-broker", "MSK broker failure and disk pressure", _always),
    Runbook("cache-primary-failure", "Cache primary failure", _always),
    Runbook("restore", "Restore from backup (S3 lake and cache snapshot)", _with_backups),
    Runbook("spark-restart", "Spark job restart and reprocessing from a timestamp", _always),
)


def alarm_names(plan: StackPlan) -> dict[str, str]:
    """Alarm key -> name, from the observability component's alarms in the plan."""
    return {
        alarm.name.removeprefix(ALARM_PREFIX): str(alarm.inputs["name"])
        for alarm in plan.of_type(ALARM_TYPE)
        if alarm.name.startswith(ALARM_PREFIX)
    }


def view_of(plan: StackPlan, outputs: Mapping[str, Any] | None = None) -> StackView:
    """A stack as templates see it; ``outputs`` (a real deployment's) replace the plan's when given."""
    return StackView(
        stack=plan.stack,
        region=plan.region,
        tier=str(plan.config["tier"]),
        config=plan.config,
        outputs=plan.outputs if outputs is None else outputs,
        alarms=alarm_names(plan),
    )


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(paths.TEMPLATES),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["alarms_of"] = alarms_of
    environment.filters["step_json"] = step_json
    return environment


def alarms_of(alarms: Mapping[str, str], *prefixes: str) -> list[str]:
    """Alarm names whose key starts with one of the prefixes, in key order."""
    return [alarms[key] for key in sorted(alarms) if key.startswith(prefixes)]


def step_json(
    job_step: Mapping[str, Any], suffix: str, starting: str | None = None, generation: int | None = None
) -> str:
    """The job's EMR step as `aws emr add-steps` JSON: as deployed, or at a new generation from ``starting``."""
    from infra.drills.jobstep import rewound_step

    if starting is None or generation is None:
        name, jar, args = f"{job_step['name']} {suffix}", job_step["jar"], list(job_step["args"])
    else:
        step = rewound_step(job_step, starting, generation, suffix)
        name, jar, args = step["Name"], step["HadoopJarStep"]["Jar"], step["HadoopJarStep"]["Args"]
    document = [
        {"Type": "CUSTOM_JAR", "Name": name, "ActionOnFailure": job_step["actionOnFailure"], "Jar": jar, "Args": args}
    ]
    return json.dumps(document, indent=2)


def render_stack(view: StackView, peer: StackView | None = None) -> dict[str, str]:
    """Every runbook that applies to the stack, plus its README index; file name -> Markdown."""
    from infra.drills.scenarios import SCENARIOS
    from infra.drills.targets import target_for

    environment = _environment()
    targets = {name: target_for(name, view.tier, view.outputs) for name in SCENARIOS}
    drillable = {name: targets[name] for name, scenario in SCENARIOS.items() if scenario.applies(view.outputs) is None}
    context = {
        "stack": view,
        "outputs": view.outputs,
        "peer": peer,
        "alarms": view.alarms,
        "config": view.config,
        "targets": targets,
    }
    files: dict[str, str] = {}
    skipped: dict[str, str] = {}
    for runbook in RUNBOOKS:
        reason = runbook.applies(view, peer)
        if reason is not None:
            skipped[runbook.name] = reason
            continue
        files[runbook.filename] = environment.get_template(runbook.template).render(**context, runbook=runbook)
    index = environment.get_template(f"{TEMPLATE_DIR}/README.md.j2").render(
        **context,
        rendered=[r for r in RUNBOOKS if r.filename in files],
        skipped=skipped,
        drillable=drillable,
        titles={r.name: r.title for r in RUNBOOKS},
    )
    return {"README.md": index, **files}


def write_stack(stack: str, files: Mapping[str, str], directory: Path | None = None) -> list[Path]:
    """Replace runbooks/<stack>/ with exactly these files (stale runbooks of a dropped feature go)."""
    target = (directory or paths.RUNBOOKS) / stack
    target.mkdir(parents=True, exist_ok=True)
    for stale in target.glob("*.md"):
        if stale.name not in files:
            stale.unlink()
    written = []
    for name, text in files.items():
        path = target / name
        path.write_text(text)
        written.append(path)
    return written


_GUARD = re.compile(r'\{%-?\s*if\s+"[A-Za-z][A-Za-z0-9]*"\s+in\s+(?:peer\.)?outputs\b')
_IF = re.compile(r"\{%-?\s*(if|endif)\b")


def _guarded_spans(text: str) -> list[tuple[int, int]]:
    """Spans of ``{% if "X" in outputs %} ... {% endif %}`` blocks: outputs read there are optional."""
    spans = []
    for guard in _GUARD.finditer(text):
        depth = 0
        for tag in _IF.finditer(text, guard.start()):
            depth += 1 if tag.group(1) == "if" else -1
            if depth == 0:
                spans.append((guard.start(), tag.end()))
                break
    return spans


def output_references() -> dict[str, dict[str, set[str]]]:
    """Per template, the outputs it reads: required ``self``/``peer`` and ``optional`` (inside an ``"X" in outputs`` guard)."""
    found: dict[str, dict[str, set[str]]] = {}
    for path in sorted((paths.TEMPLATES / TEMPLATE_DIR).glob("*.md.j2")):
        text = path.read_text()
        spans = _guarded_spans(text)
        refs: dict[str, set[str]] = {"self": set(), "peer": set(), "optional": set()}
        for match in _OUTPUT_REFERENCE.finditer(text):
            optional = any(start <= match.start() < end for start, end in spans)
            refs["optional" if optional else "peer" if match.group(1) else "self"].add(match.group(2))
        found[path.name.removesuffix(".md.j2")] = refs
    return found
