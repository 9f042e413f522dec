"""`blueprint artifacts`: download the streaming job's pinned jars and wheels into build/ and verify them.

The catalog (infra/data/spark_jars.yaml) pins every file; this module reads it for both the
command and the Pulumi program (which uploads the files to the artifacts bucket), so it
imports nothing heavier than yaml. Each download is checked against the checksum its
publisher puts next to it (Maven Central ``.sha1``, GitHub release ``.sha256``, PyPI's JSON
API digest, which must also equal the wheel's pin) before it replaces anything in build/.
A manifest (build/artifacts.json) records the sha256 of every verified file, so the program
can tell a complete, untouched set from a partial or edited one without the network.

Exit codes (infra.cli.exit_codes): 0 every file verified; 1 a download or verification failed,
the catalog is malformed, or (``status``) a file is missing, unverified or modified; 2 bad input.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from infra.cli.exit_codes import ExitCode, epilog

REPO_ROOT = Path(__file__).resolve().parents[2]
CATALOG_PATH = REPO_ROOT / "infra" / "data" / "spark_jars.yaml"
BUILD_DIR = REPO_ROOT / "build"
MANIFEST = "artifacts.json"
MAVEN_CENTRAL = "https://repo1.maven.org/maven2"
PYPI = "https://pypi.org"
TIMEOUT_SECONDS = 60

_HEX = {"sha1": re.compile(r"^[0-9a-f]{40}$"), "sha256": re.compile(r"^[0-9a-f]{64}$")}
_COORDINATES = re.compile(r"^([A-Za-z0-9_.-]+):([A-Za-z0-9_.-]+):([A-Za-z0-9_.-]+)$")


class CatalogError(ValueError):
    """The catalog file is missing or malformed."""


class FetchError(RuntimeError):
    """A download failed or its content did not match the published checksum."""


Getter = Callable[[str], bytes]
"""Fetches a URL's body; raises FetchError. Injected in tests."""


@dataclass(frozen=True)
class Jar:
    """A jar for spark-submit --jars: from Maven Central (coordinates) or a release URL."""

    file: str
    why: str
    coordinates: str | None = None
    url: str | None = None

    def download_url(self, maven_url: str) -> str:
        if self.coordinates is None:
            assert self.url is not None
            return self.url
        group, artifact, version = self.coordinates.split(":")
        return f"{maven_url.rstrip('/')}/{group.replace('.', '/')}/{artifact}/{version}/{self.file}"

    @property
    def checksum_algorithm(self) -> str:
        """Maven Central publishes .sha1 next to each file; our GitHub release source publishes .sha256."""
        return "sha1" if self.coordinates is not None else "sha256"

    @property
    def local_dir(self) -> str:
        return "jars"


@dataclass(frozen=True)
class Wheel:
    """A pinned pure-Python wheel, verified against its pin and PyPI's digest."""

    name: str
    version: str
    file: str
    sha256: str

    @property
    def local_dir(self) -> str:
        return "wheels"


@dataclass(frozen=True)
class Catalog:
    spark_version: str
    scala_binary: str
    jars: tuple[Jar, ...]
    wheels: tuple[Wheel, ...]

    def local_paths(self, build_dir: Path = BUILD_DIR) -> dict[str, Path]:
        """Every file's path under build/, keyed by its relative name (jars/x.jar, wheels/y.whl)."""
        items: list[Jar | Wheel] = [*self.jars, *self.wheels]
        return {f"{item.local_dir}/{item.file}": build_dir / item.local_dir / item.file for item in items}


def load_catalog(path: Path = CATALOG_PATH) -> Catalog:
    """Parse and check the catalog; raises CatalogError naming the bad entry."""
    try:
        document = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogError(f"{path}: cannot read the artifact catalog: {exc}") from exc
    if not isinstance(document, dict):
        raise CatalogError(f"{path}: expected a mapping")
    jars = tuple(_jar(entry, path) for entry in document.get("jars") or [])
    wheels = tuple(_wheel(entry, path) for entry in document.get("python_wheels") or [])
    names = [j.file for j in jars] + [w.file for w in wheels]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise CatalogError(f"{path}: files listed twice: {', '.join(duplicates)}")
    return Catalog(
        spark_version=str(document.get("spark_version", "")),
        scala_binary=str(document.get("scala_binary", "")),
        jars=jars,
        wheels=wheels,
    )


def _jar(entry: Any, path: Path) -> Jar:
    if not isinstance(entry, dict) or ("maven" in entry) == ("url" in entry):
        raise CatalogError(
            f"{path}: each jar needs exactly one of 'maven' (group:artifact:version) or 'url': {entry!r}"
        )
    why = str(entry.get("why", ""))
    if "maven" in entry:
        match = _COORDINATES.match(str(entry["maven"]))
        if match is None:
            raise CatalogError(f"{path}: {entry['maven']!r} is not group:artifact:version")
        _, artifact, version = match.groups()
        return Jar(file=f"{artifact}-{version}.jar", why=why, coordinates=str(entry["maven"]))
    url = str(entry["url"])
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme != "https" or not parsed.path.endswith(".jar"):
        raise CatalogError(f"{path}: jar url must be https://.../<name>.jar, got {url!r}")
    return Jar(file=parsed.path.rsplit("/", 1)[-1], why=why, url=url)


def _wheel(entry: Any, path: Path) -> Wheel:
    fields = ("name", "version", "file", "sha256")
    if not isinstance(entry, dict) or any(key not in entry for key in fields):
        raise CatalogError(f"{path}: each wheel needs {', '.join(fields)}: {entry!r}")
    wheel = Wheel(**{key: str(entry[key]) for key in fields})
    if not wheel.file.endswith("-none-any.whl"):
        raise CatalogError(f"{path}: {wheel.file} is not a pure-Python wheel (…-none-any.whl)")
    if not _HEX["sha256"].match(wheel.sha256):
        raise CatalogError(f"{path}: {wheel.file}: sha256 must be 64 lowercase hex digits")
    return wheel


def http_get(url: str) -> bytes:
    """GET a URL over urllib; any HTTP or network failure becomes a FetchError naming the URL."""
    request = urllib.request.Request(url, headers={"User-Agent": "streaming-platform-blueprint/artifacts"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            body: bytes = response.read()
            return body
    except urllib.error.HTTPError as exc:
        raise FetchError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError(f"{url}: {reason}") from None


def published_checksum(text: str, algorithm: str, url: str) -> str:
    """The digest in a .sha1/.sha256 file: its first token ("<hex>" or "<hex>  <file name>")."""
    token = text.strip().split()[0].lower() if text.strip() else ""
    if not _HEX[algorithm].match(token):
        raise FetchError(f"{url}: not a {algorithm} checksum file")
    return token


def pypi_digest(document: bytes, wheel: Wheel, url: str) -> tuple[str, str]:
    """(download URL, sha256) of the wheel's file in PyPI's JSON API answer for its version."""
    try:
        files = json.loads(document)["urls"]
    except (ValueError, KeyError, TypeError):
        raise FetchError(f"{url}: not a PyPI JSON API answer") from None
    for entry in files:
        if entry.get("filename") == wheel.file:
            return str(entry["url"]), str(entry["digests"]["sha256"])
    raise FetchError(f"{url}: PyPI lists no file {wheel.file} for {wheel.name} {wheel.version}")


@dataclass(frozen=True)
class Outcome:
    name: str
    """Relative name under build/ (jars/x.jar)."""
    status: str
    """'downloaded', 'up to date' or 'failed'."""
    detail: str = ""
    sha256: str | None = None


def fetch_all(
    catalog: Catalog,
    build_dir: Path = BUILD_DIR,
    *,
    get: Getter = http_get,
    maven_url: str = MAVEN_CENTRAL,
    pypi_url: str = PYPI,
    force: bool = False,
) -> list[Outcome]:
    """Fetch every artifact not already verified; record the verified ones in the manifest."""
    manifest = read_manifest(build_dir)
    outcomes = []
    for jar in catalog.jars:
        outcomes.append(_fetch_jar(jar, build_dir, get, maven_url, manifest, force))
    for wheel in catalog.wheels:
        outcomes.append(_fetch_wheel(wheel, build_dir, get, pypi_url, manifest, force))
    verified = {o.name: o.sha256 for o in outcomes if o.sha256 is not None}
    kept = {name: digest for name, digest in manifest.items() if name not in {o.name for o in outcomes}}
    write_manifest(build_dir, {**kept, **verified})
    return outcomes


def _fetch_jar(
    jar: Jar, build_dir: Path, get: Getter, maven_url: str, manifest: dict[str, str], force: bool
) -> Outcome:
    name = f"{jar.local_dir}/{jar.file}"
    target = build_dir / name
    if not force and _matches_manifest(target, manifest.get(name)):
        return Outcome(name, "up to date", sha256=manifest[name])
    url = jar.download_url(maven_url)
    algorithm = jar.checksum_algorithm
    try:
        expected = published_checksum(
            get(f"{url}.{algorithm}").decode("utf-8", "replace"), algorithm, f"{url}.{algorithm}"
        )
        body = get(url)
        actual = hashlib.new(algorithm, body).hexdigest()
        if actual != expected:
            raise FetchError(f"{url}: {algorithm} {actual} does not match the published {expected}")
    except FetchError as exc:
        return Outcome(name, "failed", str(exc))
    _write_atomically(target, body)
    return Outcome(name, "downloaded", f"{algorithm} {expected} verified", hashlib.sha256(body).hexdigest())


def _fetch_wheel(
    wheel: Wheel, build_dir: Path, get: Getter, pypi_url: str, manifest: dict[str, str], force: bool
) -> Outcome:
    name = f"{wheel.local_dir}/{wheel.file}"
    target = build_dir / name
    if not force and _matches_manifest(target, wheel.sha256) and manifest.get(name) == wheel.sha256:
        return Outcome(name, "up to date", sha256=wheel.sha256)
    index_url = f"{pypi_url.rstrip('/')}/pypi/{urllib.parse.quote(wheel.name)}/{urllib.parse.quote(wheel.version)}/json"
    try:
        url, published = pypi_digest(get(index_url), wheel, index_url)
        if published != wheel.sha256:
            raise FetchError(f"{index_url}: PyPI's sha256 {published} differs from the pinned {wheel.sha256}")
        body = get(url)
        actual = hashlib.sha256(body).hexdigest()
        if actual != wheel.sha256:
            raise FetchError(f"{url}: sha256 {actual} does not match the pinned {wheel.sha256}")
    except FetchError as exc:
        return Outcome(name, "failed", str(exc))
    _write_atomically(target, body)
    return Outcome(name, "downloaded", "sha256 verified (pin and PyPI)", actual)


def _write_atomically(target: Path, body: bytes) -> None:
    """A reader never sees a half-written file: write a temp file beside it, then rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(body)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _matches_manifest(path: Path, expected: str | None) -> bool:
    return expected is not None and path.is_file() and file_sha256(path) == expected


def read_manifest(build_dir: Path = BUILD_DIR) -> dict[str, str]:
    """name -> sha256 of every file a fetch verified; {} when there is none (or it is unreadable)."""
    try:
        document = json.loads((build_dir / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}
    files = document.get("files") if isinstance(document, dict) else None
    return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}


def write_manifest(build_dir: Path, files: dict[str, str]) -> None:
    body = json.dumps({"files": dict(sorted(files.items()))}, indent=2) + "\n"
    _write_atomically(build_dir / MANIFEST, body.encode())


def missing_or_modified(catalog: Catalog, build_dir: Path = BUILD_DIR) -> list[str]:
    """Relative names of catalog files that are absent, unverified or changed since the fetch."""
    manifest = read_manifest(build_dir)
    return [
        name for name, path in catalog.local_paths(build_dir).items() if not _matches_manifest(path, manifest.get(name))
    ]


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
    fetch.add_argument("--dest", type=Path, default=BUILD_DIR, help="Build directory (default: build/).")
    fetch.add_argument(
        "--maven-url", type=_base_url, default=MAVEN_CENTRAL, help="Maven repository (a mirror of Central)."
    )
    fetch.add_argument("--pypi-url", type=_base_url, default=PYPI, help="PyPI (or a mirror with the JSON API).")
    fetch.add_argument("--force", action="store_true", help="Download again even when build/ is up to date.")
    fetch.set_defaults(func=_fetch_command)
    status = actions.add_parser("status", help="Check build/ against the catalog and the manifest (offline).")
    status.add_argument("--dest", type=Path, default=BUILD_DIR, help="Build directory (default: build/).")
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
