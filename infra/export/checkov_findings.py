"""Checkov's findings on the exported stacks, judged against the reviewed exceptions.

Every finding is either fixed in the components or listed in security/checkov-exceptions.yaml
with the check, the resource address (a glob) and a design reason. CI fails on a finding
no exception covers, and on a stale exception (a listed check, resource and stack that
produced no finding), so the file never outlives the code it excuses.

Usage: python -m infra.export.checkov_findings [--exceptions FILE] REPORT.json
(REPORT is checkov's ``-o json`` over files named ``<stack>.tfplan.json``.)
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import yaml

from infra.config import list_stacks

EXCEPTIONS_FILE = Path(__file__).resolve().parents[2] / "security" / "checkov-exceptions.yaml"
CHECK_ID = re.compile(r"CKV2?_[A-Z0-9]+_\d+")


@dataclass(frozen=True)
class Finding:
    stack: str
    check: str
    resource: str
    """Terraform address in the export, e.g. ``aws_s3_bucket.storage-logs``."""


@dataclass(frozen=True)
class Accepted:
    """One reviewed exception: a check on resources matching `resources`, in `stacks`."""

    check: str
    resources: tuple[str, ...]
    stacks: tuple[str, ...]
    reason: str

    def covers(self, finding: Finding) -> bool:
        return (
            finding.check == self.check
            and finding.stack in self.stacks
            and any(fnmatchcase(finding.resource, pattern) for pattern in self.resources)
        )


class ExceptionsError(ValueError):
    """The exceptions file is malformed (each problem named)."""


def load_exceptions(path: Path, stacks: Iterable[str]) -> list[Accepted]:
    known = list(stacks)
    entries = (yaml.safe_load(path.read_text()) or {}).get("exceptions") or []
    accepted, problems = [], []
    for index, entry in enumerate(entries):
        where = f"{path.name}: exceptions[{index}]"
        check, reason = str(entry.get("check", "")), str(entry.get("reason", "")).strip()
        resources = entry.get("resources") or []
        entry_stacks = entry.get("stacks") or known
        if not CHECK_ID.fullmatch(check):
            problems.append(f"{where}: check '{check}' is not a checkov check id")
        if not resources or not all(isinstance(r, str) and "." in r for r in resources):
            problems.append(f"{where}: resources must list Terraform addresses (type.name, globs allowed)")
        if len(reason) < 20:
            problems.append(f"{where}: reason must state the design reason")
        unknown = sorted(set(entry_stacks) - set(known))
        if unknown:
            problems.append(f"{where}: unknown stack(s) {', '.join(unknown)}")
        accepted.append(Accepted(check, tuple(resources), tuple(entry_stacks), reason))
    if problems:
        raise ExceptionsError("\n".join(problems))
    return accepted


def findings_from_report(report: dict[str, Any] | list[dict[str, Any]]) -> list[Finding]:
    """The failed checks of a checkov JSON report; the stack is the name of the scanned file."""
    reports = report if isinstance(report, list) else [report]
    findings = []
    for part in reports:
        for failed in part.get("results", {}).get("failed_checks", []):
            stack = Path(failed["file_path"]).name.removesuffix(".tfplan.json")
            findings.append(Finding(stack, failed["check_id"], failed["resource"]))
    return sorted(set(findings), key=lambda f: (f.stack, f.check, f.resource))


def judge(findings: list[Finding], accepted: list[Accepted], scanned: Iterable[str]) -> tuple[list[Finding], list[str]]:
    """(findings no exception covers, exceptions that matched nothing in a scanned stack they list)."""
    unlisted = [f for f in findings if not any(a.covers(f) for a in accepted)]
    stale = []
    for exception in accepted:
        for stack in (s for s in exception.stacks if s in set(scanned)):
            for pattern in exception.resources:
                probe = Accepted(exception.check, (pattern,), (stack,), exception.reason)
                if not any(probe.covers(f) for f in findings):
                    stale.append(f"{exception.check} {pattern} in {stack}")
    return unlisted, stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="checkov_findings", description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path, help="checkov -o json output over <stack>.tfplan.json files")
    parser.add_argument("--exceptions", type=Path, default=EXCEPTIONS_FILE)
    args = parser.parse_args(argv)
    stacks = list_stacks()
    try:
        accepted = load_exceptions(args.exceptions, stacks)
    except ExceptionsError as exc:
        print(exc, file=sys.stderr)
        return 1
    findings = findings_from_report(json.loads(args.report.read_text()))
    unlisted, stale = judge(findings, accepted, stacks)
    for finding in unlisted:
        print(f"unlisted finding: {finding.stack}: {finding.check} {finding.resource}")
    for entry in stale:
        print(f"stale exception (no such finding): {entry}")
    print(f"checkov: {len(findings)} finding(s), {len(unlisted)} unlisted, {len(stale)} stale exception(s)")
    return 1 if unlisted or stale else 0


if __name__ == "__main__":
    sys.exit(main())
