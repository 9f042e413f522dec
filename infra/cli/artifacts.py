"""`blueprint artifacts`: download the streaming job's pinned jars and wheels into build/ and verify them.

The catalog and the verification live in infra/catalog/artifacts.py (the config rules and the
Pulumi program read them too); this module is the command.

Exit codes: 0 every file verified; 1 a download or verification failed (or, for ``status``,
a file is missing or modified); 2 invalid input.
"""

from __future__ import annotations

import argparse
import sys
import urllib.parse
from collections.abc import Sequence
from pathlib import Path

from infra.catalog.artifacts import MAVEN_CENTRAL, PYPI, CatalogError, fetch_all, load_catalog, missing_or_modified
from infra.paths import BUILD

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2


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
        epilog="Exit codes: 0 all files verified; 1 a file failed or is missing/modified; 2 invalid input.",
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
        return EXIT_INVALID
    try:
        args.dest.mkdir(parents=True, exist_ok=True)
        outcomes = fetch_all(catalog, args.dest, maven_url=args.maven_url, pypi_url=args.pypi_url, force=args.force)
    except OSError as exc:
        print(f"error: cannot write under --dest {args.dest}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_INVALID
    for outcome in outcomes:
        line = f"{outcome.status:>10}  {outcome.name}" + (f"  ({outcome.detail})" if outcome.detail else "")
        print(line, file=sys.stderr if outcome.status == "failed" else sys.stdout)
    failed = [o for o in outcomes if o.status == "failed"]
    if failed:
        print(
            f"error: {len(failed)} of {len(outcomes)} artifact(s) failed; nothing unverified was written",
            file=sys.stderr,
        )
        return EXIT_FAILED
    print(f"{len(outcomes)} artifact(s) verified in {args.dest}")
    return EXIT_OK


def _status_command(args: argparse.Namespace) -> int:
    try:
        catalog = load_catalog()
    except CatalogError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    bad = set(missing_or_modified(catalog, args.dest))
    for name in catalog.local_paths(args.dest):
        print(f"{'NOT OK' if name in bad else 'ok':>6}  {name}")
    if bad:
        print(f"error: {len(bad)} artifact(s) missing or modified: run `blueprint artifacts fetch`", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run this command alone, without the other sub-commands' parsers (tests)."""
    parser = argparse.ArgumentParser(prog="blueprint")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code
