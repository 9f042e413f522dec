"""The shipped list of taggable AWS types matches the pulumi-aws SDK the program uses."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from streaming_policies.taggable import TAGGABLE_TYPES, main, render, scan_sdk


def sdk_dir() -> Path:
    spec = importlib.util.find_spec("pulumi_aws")  # locates the package without importing it
    assert spec is not None and spec.origin is not None
    return Path(spec.origin).parent


def test_shipped_list_matches_the_installed_sdk() -> None:
    scanned = scan_sdk(sdk_dir())
    assert scanned == TAGGABLE_TYPES, (
        "taggable_types.txt is stale: regenerate with "
        "`python -m streaming_policies.taggable .venv/lib/python3.11/site-packages/pulumi_aws`"
    )


def test_platform_types_are_classified_by_their_tags_input() -> None:
    for taggable in ("aws:msk/cluster:Cluster", "aws:s3/bucket:Bucket", "aws:kms/key:Key", "aws:lb/listener:Listener"):
        assert taggable in TAGGABLE_TYPES
    for untaggable in (
        "aws:iam/rolePolicy:RolePolicy",
        "aws:s3/bucketVersioning:BucketVersioning",
        "aws:autoscaling/group:Group",  # tags are blocks there; provider default tags do not apply
    ):
        assert untaggable not in TAGGABLE_TYPES


def test_render_states_its_source_and_sorts() -> None:
    text = render({"aws:b/b:B", "aws:a/a:A"}, "pulumi-aws 7.51.1 SDK source")
    lines = text.splitlines()
    assert lines[0].startswith("# ") and "pulumi-aws 7.51.1" in lines[0]
    assert lines[2:] == ["aws:a/a:A", "aws:b/b:B"]


def test_regenerate_command_rejects_a_bad_path(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["/nonexistent"]) == 2
    assert main([]) == 2
    assert capsys.readouterr().err.count("usage: python -m streaming_policies.taggable") == 2


def test_installed_sdk_version_is_the_one_the_list_names() -> None:
    version = json.loads((sdk_dir() / "pulumi-plugin.json").read_text())["version"]
    header = (Path(__file__).resolve().parents[2] / "policies/streaming_policies/taggable_types.txt").read_text()
    assert f"pulumi-aws {version} SDK source" in header.splitlines()[0]
