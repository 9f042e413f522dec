"""Plans cached by content: a stack is planned again only when something its plan depends on changed.

A plan's key hashes what the program reads: its sources and data (infra/), the templates
and the streaming job it packages (templates/, jobs/), the project file, the lock file (the
SDK and provider versions), the stack file, the DR peer's stack file (a standby plans
against its peer's outputs, a primary's failover pieces against the standby's) and today's
date (config rules check support end dates). Two layers share the key: a process-wide memo
(the test session plans every stack once, and the CLI code the tests run finds them there)
and JSON files under .cache/plans/ (a second `blueprint plan` on an unchanged tree).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path

import yaml

from infra.config.problems import PROJECT
from infra.offline.record import StackPlan, plan_from_document, plan_to_document
from infra.paths import ROOT

CACHE_DIR = ROOT / ".cache" / "plans"
SOURCE_DIRS = ("infra", "templates", "jobs")
SOURCE_FILES = ("Pulumi.yaml", "uv.lock")
SKIPPED_PARTS = frozenset({"__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"})

MAX_ENTRIES = 64
MEMO: dict[str, StackPlan] = {}
"""Plans of this process by key (filled by every plan_stacks call)."""


def tree_digest(root: Path = ROOT) -> str:
    """One hash of every program source and data file under ``root`` (paths and contents)."""
    digest = hashlib.sha256()
    paths = [root / name for name in SOURCE_FILES]
    for directory in SOURCE_DIRS:
        paths += sorted(
            p
            for p in (root / directory).rglob("*")
            if p.is_file() and not SKIPPED_PARTS & set(p.parts) and p.suffix != ".pyc"
        )
    for path in paths:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() if path.is_file() else b"<missing>")
        digest.update(b"\0")
    return digest.hexdigest()


def stack_key(tree: str, stacks_dir: Path, stack: str) -> str:
    """The cache key of one stack's plan: the tree digest, its stack file and its DR peer's."""
    own = _read(stacks_dir / f"Pulumi.{stack}.yaml")
    peer = _peer_name(own)
    parts = [tree, dt.datetime.now(dt.UTC).date().isoformat(), stack, own]
    if peer is not None:
        parts += [peer, _read(stacks_dir / f"Pulumi.{peer}.yaml")]
    return hashlib.sha256(b"\0".join(parts_.encode() for parts_ in parts)).hexdigest()


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.is_file() else "<missing>"


def _peer_name(stack_file: str) -> str | None:
    """The DR peer a stack file names (dr.peerStack), if any; an unreadable file names none."""
    try:
        document = yaml.load(stack_file, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return None
    config = document.get("config") if isinstance(document, dict) else None
    dr = config.get(f"{PROJECT}:dr") if isinstance(config, dict) else None
    peer = dr.get("peerStack") if isinstance(dr, dict) else None
    return str(peer).rsplit("/", 1)[-1] if peer else None


class PlanCache:
    """Plans as JSON files named by key; a file that cannot be read is a miss, never an error."""

    def __init__(self, directory: Path | None = None, max_entries: int = MAX_ENTRIES) -> None:
        self.directory = directory or Path(os.environ.get("BLUEPRINT_PLAN_CACHE", CACHE_DIR))
        self.max_entries = max_entries

    def path(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    def get(self, key: str, root: Path = ROOT) -> StackPlan | None:
        try:
            return plan_from_document(json.loads(self.path(key).read_text(encoding="utf-8")), root)
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, plan: StackPlan, root: Path = ROOT) -> None:
        """Written atomically (another process may be reading); a full or read-only disk just skips it."""
        path = self.path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temp = path.with_suffix(f".{os.getpid()}.tmp")
            temp.write_text(json.dumps(plan_to_document(plan, root)), encoding="utf-8")
            temp.replace(path)
            self._prune()
        except OSError:
            return

    def _prune(self) -> None:
        """Every edit makes new keys: keep the newest plans only (each is several hundred kB)."""
        entries = sorted(self.directory.glob("*.json"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for stale in entries[self.max_entries :]:
            stale.unlink(missing_ok=True)
