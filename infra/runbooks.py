"""Runbooks rendered per stack: jinja2 templates + the stack's config, outputs and alarm names -> Markdown.

Templates live in templates/runbooks/ and are rendered with StrictUndefined: a runbook that
names an output the stack does not export fails to render instead of printing a blank
where an ARN should be. Outputs come from `pulumi stack output --json` (a real
deployment, labelled with the date it was taken) or from the offline plan. The offline
plan's ids, ARNs and endpoints are the mock's inventions, so a runbook rendered from it
never prints them: each such output becomes a shell variable (``${PROD_DR_EMR_CLUSTER_ID}``)
that the runbook's "Resolve identifiers" block reads from `pulumi stack output` when it
runs. Alarm names always come from the plan, where they are deterministic
(``sp-<stack>-<key>``), because the stack exports alarm counts, not names.
The rendered runbooks are committed under runbooks/<stack>/; a test re-renders them from
the offline plan and fails when they differ, so nobody edits them by hand.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
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
    variables: Mapping[str, str] = field(default_factory=dict)
    """Offline plan only: shell variable -> jq path of the output it is read from at run time."""
    taken: str | None = None
    """Real outputs only: the date they were taken (`pulumi stack output --json`)."""


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


def mock_values(plan: StackPlan) -> set[str]:
    """Identifiers only the mock knows: every id and computed output of the plan's resources, and its account id.

    A value the program gave the resource (an alarm's id is its name), short values, status words
    (``PENDING_VALIDATION``) and region names carry no invented identity and are kept out.
    """
    found = {str(plan.outputs["accountId"])}
    for resource in plan.custom_resources():
        invented = {*_strings(resource.outputs), resource.resource_id or ""} - set(_strings(resource.inputs))
        found.update(v for v in invented if len(v) >= 8 and not v.isupper() and not _REGION.fullmatch(v))
    return found


_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d")


def _strings(value: Any) -> list[str]:
    if isinstance(value, Mapping):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list | tuple):
        return [s for item in value for s in _strings(item)]
    return [value] if isinstance(value, str) else []


def _deferred(value: Any, path: str, prefix: str, mocks: set[str], variables: dict[str, str]) -> Any:
    """``value`` with every leaf that holds a mock identifier replaced by a shell variable read from ``path``."""
    if isinstance(value, Mapping):
        return {
            key: _deferred(
                item, f"{path}.{key}" if _PLAIN_KEY.fullmatch(key) else f'{path}["{key}"]', prefix, mocks, variables
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_deferred(item, f"{path}[{index}]", prefix, mocks, variables) for index, item in enumerate(value)]
    if isinstance(value, str) and any(mock in value for mock in mocks):
        words = re.findall(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", path)
        name = "_".join([prefix, *words]).upper()
        variables[name] = path
        return f"${{{name}}}"
    return value


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def view_of(
    plan: StackPlan,
    outputs: Mapping[str, Any] | None = None,
    taken: str | None = None,
    invented: set[str] | None = None,
) -> StackView:
    """A stack as templates see it; ``outputs`` (a real deployment's, taken on date ``taken``) replace the plan's.

    ``invented``: the mock values to keep out (default: the plan's own; pass its peer's too, since a
    standby re-exports what it reads from its primary's stack).
    """
    variables: dict[str, str] = {}
    if outputs is None:
        prefix = re.sub(r"\W", "_", plan.stack)
        outputs = _deferred(plan.outputs, "", prefix, mock_values(plan) if invented is None else invented, variables)
    return StackView(
        stack=plan.stack,
        region=plan.region,
        tier=str(plan.config["tier"]),
        config=plan.config,
        outputs=outputs,
        alarms=alarm_names(plan),
        variables=variables,
        taken=taken,
    )


_VARIABLE = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")


def resolve_block(text: str, views: list[StackView]) -> list[tuple[StackView, list[tuple[str, str]]]]:
    """Per stack, the (variable, jq path) pairs a rendered runbook uses: what its "Resolve identifiers" block sets."""
    used = set(_VARIABLE.findall(text))
    return [
        (view, [(name, path) for name, path in view.variables.items() if name in used])
        for view in views
        if used & set(view.variables)
    ]


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
    views = [view] if peer is None else [view, peer]
    targets = {name: target_for(name, view.outputs) for name in SCENARIOS}
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
        files[runbook.filename] = _render(environment.get_template(runbook.template), views, context, runbook=runbook)
    index = _render(
        environment.get_template(f"{TEMPLATE_DIR}/README.md.j2"),
        views,
        context,
        rendered=[r for r in RUNBOOKS if r.filename in files],
        skipped=skipped,
        drillable=drillable,
        titles={r.name: r.title for r in RUNBOOKS},
    )
    return {"README.md": index, **files}


def _render(template: jinja2.Template, views: list[StackView], context: Mapping[str, Any], **extra: Any) -> str:
    """Twice: the first pass finds the shell variables the text uses, the second prints the block that sets them."""
    first = template.render(**context, **extra, resolve=[])
    return template.render(**context, **extra, resolve=resolve_block(first, views))


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
