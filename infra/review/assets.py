"""Pulumi assets and archives as plain data, the same on both sides of a review.

Both sides of a review go through this module: the base revision's plan comes back from its
planning process as a plan document (record.py) whose file assets were moved onto this
checkout, then both are described here. Files are named by their path under
the repository root and their content hash; files under ``build/`` are generated or
fetched and already named by content (a job package's hash, a pinned artifact's version),
so only their path is kept and a snapshot does not depend on whether artifacts were fetched.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pulumi

GENERATED_DIR = "build"


def describe(value: Any, root: Path) -> dict[str, Any]:
    """An asset or archive as a JSON-ready dict; TypeError for anything else (never an object repr)."""
    if isinstance(value, pulumi.StringAsset):
        return {"stringAsset": {"sha256": _digest(value.text.encode()), "bytes": len(value.text.encode())}}
    if isinstance(value, pulumi.FileAsset | pulumi.FileArchive):
        kind = "fileAsset" if isinstance(value, pulumi.FileAsset) else "fileArchive"
        return {kind: _file(Path(str(value.path)), root)}
    if isinstance(value, pulumi.AssetArchive):
        return {"assetArchive": {name: describe(item, root) for name, item in sorted(value.assets.items())}}
    if isinstance(value, pulumi.RemoteAsset | pulumi.RemoteArchive):
        return {"remote": value.uri}
    raise TypeError(f"not plain data: {type(value).__qualname__}")


def _file(path: Path, root: Path) -> dict[str, Any]:
    absolute = path if path.is_absolute() else root / path
    relative = absolute.relative_to(root).as_posix() if absolute.is_relative_to(root) else str(path)
    if relative.startswith(f"{GENERATED_DIR}/") or not absolute.exists():
        return {"path": relative}
    return {"path": relative, "sha256": _digest(_content(absolute))}


def _content(path: Path) -> bytes:
    """A file's bytes; for a directory, its files' names and digests in order."""
    if path.is_file():
        return path.read_bytes()
    files = sorted(p for p in path.rglob("*") if p.is_file())
    return "\n".join(f"{p.relative_to(path).as_posix()} {_digest(p.read_bytes())}" for p in files).encode()


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]
