"""How the pack picks its tier from the environment Pulumi starts it with."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pytest
from hypothesis import given
from hypothesis import strategies as st
from streaming_policies import resolve_tier
from streaming_policies.tier import TIER_OVERRIDE_ENV, tier_from_stack_name


def environment(stack: str = "", config: Mapping[str, object] | None = None, override: str = "") -> dict[str, str]:
    env = {"PULUMI_PROJECT": "streaming-platform", "PULUMI_STACK": stack}
    if config is not None:
        env["PULUMI_CONFIG"] = json.dumps(config)
    if override:
        env[TIER_OVERRIDE_ENV] = override
    return env


def test_project_tier_config_is_used() -> None:
    resolution = resolve_tier(environment("sandbox-eu", {"streaming-platform:tier": "staging"}))
    assert (resolution.tier, resolution.source, resolution.stack) == (
        "staging",
        "streaming-platform:tier",
        "sandbox-eu",
    )


def test_default_tags_environment_wins_over_project_config() -> None:
    config = {
        "aws:defaultTags": json.dumps({"tags": {"environment": "prod"}}),
        "streaming-platform:tier": "dev",
    }
    assert resolve_tier(environment("x", config)).tier == "prod"


def test_explicit_override_wins() -> None:
    env = environment("prod", {"streaming-platform:tier": "prod"}, override="dev")
    assert resolve_tier(env).tier == "dev"


def test_bad_override_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown tier 'qa'"):
        resolve_tier(environment("prod", override="qa"))


def test_invalid_config_values_fall_through_to_the_stack_name() -> None:
    config = {"aws:defaultTags": "{not json", "streaming-platform:tier": "production"}
    resolution = resolve_tier(environment("org/streaming-platform/prod-dr", config))
    assert (resolution.tier, resolution.source) == ("prod", "stack name 'org/streaming-platform/prod-dr'")


def test_unrecognised_stack_fails_closed_to_prod() -> None:
    resolution = resolve_tier(environment("analytics-eu"))
    assert resolution.tier == "prod" and "fail closed" in resolution.source
    assert resolve_tier({}).tier == "prod"


@pytest.mark.parametrize(
    ("stack", "tier"),
    [("dev", "dev"), ("staging", "staging"), ("prod", "prod"), ("prod-dr", "prod"), ("acme/sp/stg-eu", "staging")],
)
def test_stack_names_of_the_platform(stack: str, tier: str) -> None:
    assert tier_from_stack_name(stack) == tier


@given(st.lists(st.sampled_from(["dev", "staging", "prod", "eu", "dr", "west"]), min_size=1, max_size=4))
def test_a_name_with_several_tier_words_takes_the_strictest(words: list[str]) -> None:
    expected = next((tier for tier in ("prod", "staging", "dev") if tier in words), None)
    assert tier_from_stack_name("-".join(words)) == expected
