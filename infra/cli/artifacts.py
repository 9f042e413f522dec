"""`blueprint artifacts`: download the streaming job's pinned jars and wheels into build/ and verify them.

The catalog and the verification live in infra/catalog/artifacts.py (the config rules and the
Pulumi program read them too); this module is the command.

Exit codes (infra.cli.exit_codes): 0 every file verified; 1 a download or verification failed,
the catalog is malformed, or (``status``) a file is missing, unverified or modified; 2 bad input.
"""

from __future__ import annotations

import argparse
import sys
import urllib.parse
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from infra.catalog.artifacts import (
    MAVEN_CENTRAL,
    PYPI,
    CatalogError,
    fetch_all,
    file_sha256,
    load_catalog,
    read_manifest,
)
from infra.cli.exit_codes import ExitCode, epilog
from infra.paths import BUILD


def _base_url(text: str) -> str:
    parsed = urllib.parse.urlparse(text)
    if parsed.scheme not in ("https", "http") or not parsed.netloc:
        raise argparse.ArgumentTypeError(f"expected an http(s) URL, got {text!r}")
    return text.rstrip("/")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "artifacts",
        help="Fetch and verify the streaming job's pinned jars and wheels (build/).",
        description=(
            "The EMR step never downloads anything: the Pulumi program uploads the jars and wheels "
            "pinned in infra/data/spark_jars.yaml from build/ to the artifacts bucket. 'fetch' fills "
            "build/ from Maven Central, the GitHub release and PyPI, verifying every file against its "
            "published checksum; 'status' checks build/ offline."
        ),
        epilog=epilog(FAILED="a file failed, or is missing, unverified or modified; or the catalog is malformed"),
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    fetch = actions.add_parser("fetch", help="Download missing or changed files and verify them.")
    fetch.add_argument("--dest", type=Path, default=BUILD, help="Build directory (default: build/).")
    fetch.add_argument(
        "--maven-url", type=_base_url, default=MAVEN_CENTRAL, help="Maven repository (a mirror of Central)."
    )
    fetch.add_argument("--pypi-url", type=_base_url, default=PYPI, help="PyPI (or a mirror with the JSON API).")
    fetch.add_argument("--force", action="store_true", help="Download again even when build/ is up to date.")
    fetch.set_defaults(func=_fetch_command)
    status = actions.add_parser("status", help="Check build/ against the catalog and the manifest (offline).")
    status.add_argument("--dest", type=Path, default=BUILD, help="Build directory (default: build/).")
    status.set_defaults(func=_status_command)


def _fetch_command(args: argparse.Namespace) -> int:
    try:
        catalog = load_catalog()
    except CatalogError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitCode.FAILED
    try:
        args.dest.mkdir(parents=True, exist_ok=True)
        outcomes = fetch_all(catalog, args.dest, maven_url=args.maven_url, pypi_url=args.pypi_url, force=args.force)
    except OSError as exc:
        print(f"error: cannot write under --dest {args.dest}: {exc.strerror or exc}", file=sys.stderr)
        return ExitCode.USAGE
    for outcome in outcomes:
        line = f"{outcome.status:>10}  {outcome.name}" + (f"  ({outcome.detail})" if outcome.detail else "")
        print(line, file=sys.stderr if outcome.status == "failed" else sys.stdout)
    failed = [o for o in outcomes if o.status == "failed"]
    if failed:
        print(
            f"error: {len(failed)} of {len(outcomes)} artifact(s) failed; nothing unverified was written",
            file=sys.stderr,
        )
        return ExitCode.FAILED
    print(f"{len(outcomes)} artifact(s) verified in {args.dest}")
    return ExitCode.OK


def _status_command(args: argparse.Namespace) -> int:
    try:
        catalog = load_catalog()
    except CatalogError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitCode.FAILED
    manifest = read_manifest(args.dest)
    states = {name: _state(path, manifest.get(name)) for name, path in catalog.local_paths(args.dest).items()}
    for name, state in states.items():
        print(f"{state:>10}  {name}")
    bad = Counter(state for state in states.values() if state != "ok")
    if bad:
        counts = ", ".join(f"{n} {state}" for state, n in sorted(bad.items()))
        print(
            f"error: {bad.total()} of {len(states)} artifact(s) not usable ({counts}): run `blueprint artifacts fetch`",
            file=sys.stderr,
        )
        return ExitCode.FAILED
    print(f"{len(states)} artifact(s) verified in {args.dest}")
    return ExitCode.OK


def _state(path: Path, verified_sha256: str | None) -> str:
    """'missing' (no file), 'unverified' (no fetch recorded it), 'modified' (changed since) or 'ok'."""
    if not path.is_file():
        return "missing"
    if verified_sha256 is None:
        return "unverified"
    return "ok" if file_sha256(path) == verified_sha256 else "modified"


def main(argv: Sequence[str] | None = None) -> int:
    """Run this command alone, without the other sub-commands' parsers (tests)."""
    parser = argparse.ArgumentParser(prog="blueprint")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code
