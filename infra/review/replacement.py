"""Update or replace: what AWS does with each changed resource, and what a replacement takes with it.

Which argument changes force a new resource is declared by the Terraform AWS provider that
pulumi-aws bridges; infra/data/replacement_paths.yaml holds those declarations per resource
type. A replaced resource gets new ids and ARNs, so every resource whose force-new argument
takes one of them is replaced too (and one whose other arguments take them is updated):
the prediction follows the references through the stack until nothing more changes.
Resource options count as Pulumi applies them: `ignore_changes` hides a change,
`replace_on_changes` forces a replacement, `delete_before_replace` is reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

import yaml

from infra.paths import DATA
from infra.review.changes import Change

if TYPE_CHECKING:
    from infra.offline.record import StackPlan

TABLE_FILE = DATA / "replacement_paths.yaml"

UPDATE = "update"
REPLACE = "replace"
UNKNOWN = "update or replace (unknown)"
IGNORED = "no change (ignore_changes)"
_RANK = {IGNORED: 0, UPDATE: 1, UNKNOWN: 2, REPLACE: 3}

_INDEX = re.compile(r"\[[^\]]*\]")
_REFERENCE = re.compile(r"\$\{([^}]+)\.[A-Za-z]+\}")


@dataclass(frozen=True)
class TypeRule:
    """One resource type's row of the table."""

    terraform: str
    force_new: tuple[str, ...] = ()
    force_new_on_downgrade: tuple[str, ...] = ()
    conditional: tuple[str, ...] = ()
    unknown: bool = False
    file: str | None = None
    commit: str | None = None


@dataclass(frozen=True)
class Table:
    repository: str
    types: dict[str, TypeRule]

    def rule(self, type_token: str) -> TypeRule:
        """A type missing from the data file is unknown, like one marked so."""
        return self.types.get(type_token) or TypeRule(terraform="?", unknown=True)


@cache
def load_table() -> Table:
    document = yaml.safe_load(TABLE_FILE.read_text(encoding="utf-8"))
    types = {
        token: TypeRule(
            terraform=entry["terraform"],
            force_new=tuple(entry.get("forceNew", ())),
            force_new_on_downgrade=tuple(entry.get("forceNewOnDowngrade", ())),
            conditional=tuple(entry.get("conditional", ())),
            unknown=bool(entry.get("unknown", False)),
            file=entry.get("file"),
            commit=entry.get("commit"),
        )
        for token, entry in document["types"].items()
    }
    return Table(repository=document["source"]["repository"], types=types)


def field_path(path: str) -> str:
    """A snapshot path as the table writes it: no ``inputs.`` prefix, no list indices."""
    return _INDEX.sub("", path.removeprefix("inputs."))


def covers(prefixes: Iterable[str], path: str) -> bool:
    """True when `path` is one of `prefixes` or lies under one (``*`` covers everything)."""
    return any(p == "*" or path == p or path.startswith(p + ".") for p in (field_path(q) for q in prefixes))


def _version(text: Any) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", str(text)))


@dataclass
class _Resource:
    """What the prediction needs of one resource in the head revision."""

    type: str
    inputs: dict[str, Any]
    ignore_changes: tuple[str, ...]
    replace_on_changes: tuple[str, ...]
    delete_before_replace: bool
    property_dependencies: dict[str, set[str]]


def _resources(after: dict[str, Any], head: StackPlan | None) -> dict[str, _Resource]:
    from infra.review.snapshot import short_urn

    planned = {short_urn(r.urn): r for r in head.resources} if head is not None else {}
    out = {}
    for name, entry in after["resources"].items():
        options = entry.get("options", {})
        record = planned.get(name)
        out[name] = _Resource(
            type=entry["type"],
            inputs=entry.get("inputs", {}),
            ignore_changes=tuple(options.get("ignoreChanges", ())),
            replace_on_changes=tuple(options.get("replaceOnChanges", ())),
            delete_before_replace=bool(options.get("deleteBeforeReplace", False)),
            property_dependencies={
                key: {short_urn(u) for u in urns}
                for key, urns in (record.property_dependencies.items() if record else ())
            },
        )
    return out


def _effect(rule: TypeRule, resource: _Resource, where: str) -> str:
    """What a change at `where` does, whatever the values: replace, update, or unknown."""
    if covers(resource.replace_on_changes, where) or (not rule.unknown and covers(rule.force_new, where)):
        return REPLACE
    if rule.unknown or covers(rule.conditional, where):
        return UNKNOWN
    return UPDATE


def _classify(rule: TypeRule, resource: _Resource, paths: list[tuple[str, Any, Any]]) -> tuple[str, list[str]]:
    """The action for changed input paths (ignored ones already left out), with the reasons for a replace."""
    reasons, maybe = [], False
    for path, was, now in paths:
        where = field_path(path)
        effect = _effect(rule, resource, where)
        if effect == REPLACE:
            why = "is in replace_on_changes" if covers(resource.replace_on_changes, where) else "forces a new resource"
            reasons.append(f"`{where}` {_show(was)} -> {_show(now)} {why} ({rule.terraform})")
        elif covers(rule.force_new_on_downgrade, where) and was is not None and _version(now) < _version(was):
            reasons.append(f"`{where}` {_show(was)} -> {_show(now)} is a downgrade, which forces a new resource")
        maybe = maybe or effect == UNKNOWN
    if reasons:
        return REPLACE, reasons
    return (UNKNOWN if maybe else UPDATE), []


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:59] + "…"


def _references(value: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(path, referenced resource) for every ``${<resource>.<output>}`` inside an input value."""
    if isinstance(value, dict):
        for key, sub in value.items():
            yield from _references(sub, f"{prefix}.{key}" if prefix else key)
    elif isinstance(value, list):
        for sub in value:
            yield from _references(sub, prefix)
    elif isinstance(value, str):
        for match in _REFERENCE.finditer(value):
            yield prefix, match.group(1)


def predict(
    changes: list[Change], before: dict[str, Any], after: dict[str, Any], head: StackPlan | None = None
) -> list[Change]:
    """Set each change's action and reasons; add the resources a replacement takes with it.

    `before` and `after` are normalized snapshots (references written ``${<resource>.<output>}``);
    `head`, when given, adds the plan's property dependencies for values computed from another
    resource's outputs that the snapshot cannot show as references.
    """

    table = load_table()
    resources = _resources(after, head)
    by_name = {c.resource: c for c in changes}
    for change in changes:
        if change.kind in ("add", "remove"):
            change.action = "create" if change.kind == "add" else "delete"
            continue
        resource = resources[change.resource]
        inputs = [p for p in change.properties if p[0].startswith("inputs.")]
        kept = [p for p in inputs if not covers(resource.ignore_changes, field_path(p[0]))]
        if inputs and not kept and len(inputs) == len(change.properties):
            change.action = IGNORED
            continue
        change.action, change.reasons = _classify(table.rule(change.type), resource, kept)
    replaced = {c.resource for c in changes if c.action == REPLACE}
    frontier = set(replaced)
    while frontier:
        newly: set[str] = set()
        for name, resource in sorted(resources.items()):
            if name in replaced or name not in before["resources"]:
                continue
            action, reasons = _cascade(table.rule(resource.type), resource, frontier)
            if action is None:
                continue
            if name not in by_name:
                by_name[name] = Change(name, resource.type, "update")
                changes.append(by_name[name])
            cascaded = by_name[name]
            if _RANK[action] > _RANK.get(cascaded.action, -1):
                cascaded.reasons = reasons if action == REPLACE else cascaded.reasons + reasons
                cascaded.action = action
                if action == REPLACE:
                    newly.add(name)
        replaced |= newly
        frontier = newly
    for change in changes:
        if change.action == REPLACE and resources[change.resource].delete_before_replace:
            change.reasons.append("delete_before_replace: the old resource is deleted before the new one exists")
    changes.sort(key=lambda c: c.resource)
    return changes


def _cascade(rule: TypeRule, resource: _Resource, replaced: set[str]) -> tuple[str | None, list[str]]:
    """What new ids and ARNs of the `replaced` resources do to `resource` (None: it takes none of them)."""
    touched = [(p, s) for p, s in _touched_paths(resource, replaced) if not covers(resource.ignore_changes, p)]
    if not touched:
        return None, []
    effects = [(_effect(rule, resource, path), path, source) for path, source in touched]
    action = max((effect for effect, _, _ in effects), key=_RANK.__getitem__)
    sources: dict[str, list[str]] = {}
    for effect, path, source in effects:
        if (effect == REPLACE or action != REPLACE) and source not in sources.setdefault(path, []):
            sources[path].append(source)
    named = (", ".join(f"`{s}`" for s in names) for names in sources.values())
    return action, [f"`{path}` takes ids or ARNs of replaced {who}" for path, who in zip(sources, named, strict=True)]


def _touched_paths(resource: _Resource, replaced: set[str]) -> list[tuple[str, str]]:
    """Input paths that take an output of a replaced resource, with that resource."""
    touched = [(path, source) for path, source in _references(resource.inputs) if source in replaced]
    seen = {path.split(".")[0] for path, _ in touched}
    for key, sources in sorted(resource.property_dependencies.items()):
        hit = sorted(sources & replaced)
        if hit and key not in seen:
            touched.append((key, hit[0]))
    return touched
