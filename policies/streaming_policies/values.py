"""Read engine property values the same way in the offline plan and under `pulumi preview`.

Both sources hand the rules camelCase property trees, but they differ in two details the
rules must not care about:

* Secrets. The engine encodes a secret as ``{SECRET_SIG_KEY: SECRET_SIG, "value": v}``;
  the offline plan record replaces it with `PLAN_SECRET_MARKER`; pulumi-policy strips the
  wrapper before a policy sees the value. Every accessor here reveals the plain value,
  and `is_secret` recognises both visible forms where secrecy itself is checked.
* Unknowns. During a preview, values computed by other resources (an ARN, an id) arrive
  as the engine's sentinel strings. A rule cannot judge such a value; the policy runs
  again at `pulumi up` with the real value, so accessors treat unknowns as "not a
  violation" (present, true, large enough).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

# Engine sentinels for values not known during a preview, as sent by the Pulumi engine
# (sdk/go/common/resource/plugin/rpc.go) and listed in pulumi_policy/proxy.py 1.21.0.
UNKNOWN_SENTINELS = frozenset(
    {
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",  # boolean
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",  # number
        "04da6b54-80e4-46f7-96ec-b56ff0331ba9",  # string
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",  # array
        "030794c1-ac77-496b-92df-f27374a8bd58",  # asset
        "e48ece36-62e2-4504-bad9-02848725956a",  # archive
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",  # object
    }
)

# Signature of a secret value in the engine's property encoding (pulumi.runtime.rpc).
SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
# What the offline plan record (infra/offline/runtime.py, ``SECRET``) keeps of a secret input.
PLAN_SECRET_MARKER = "[secret]"


def is_unknown(value: Any) -> bool:
    return isinstance(value, str) and value in UNKNOWN_SENTINELS


def is_secret(value: Any) -> bool:
    return value == PLAN_SECRET_MARKER or (isinstance(value, Mapping) and value.get(SECRET_SIG_KEY) == SECRET_SIG)


def reveal(value: Any) -> Any:
    """The plain value behind an engine secret wrapper (the plan's marker stays as it is)."""
    while isinstance(value, Mapping) and is_secret(value):
        value = value.get("value")
    return value


def dig(props: Mapping[str, Any], path: str) -> Any:
    """Value at a dotted camelCase path; None when absent, the sentinel when unknown."""
    current: Any = props
    for part in path.split("."):
        current = reveal(current)
        if is_unknown(current):
            return current
        if not isinstance(current, Mapping):
            return None
        current = current.get(part)
    return reveal(current)


def is_set(value: Any) -> bool:
    """Present and non-empty; an unknown value counts as set (it is computed elsewhere)."""
    value = reveal(value)
    return value is not None and value != "" and value != [] and value != {}


def is_true(value: Any) -> bool:
    value = reveal(value)
    return value is True or is_unknown(value)


def is_not_true(value: Any) -> bool:
    """False or absent; unknown passes (it is checked again when known)."""
    value = reveal(value)
    return value is not True


def number(value: Any) -> float | None:
    """Numbers arrive as floats (engine) or ints (hand-built props); numeric strings too."""
    value = reveal(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def at_least(value: Any, minimum: float) -> bool:
    """value >= minimum; an unknown value passes, an absent or non-numeric one fails."""
    if is_unknown(reveal(value)):
        return True
    found = number(value)
    return found is not None and found >= minimum


def as_list(value: Any) -> list[Any]:
    """Elements of a list property (revealed); empty for absent or unknown lists."""
    value = reveal(value)
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        return []
    return [reveal(item) for item in value]


def as_str_list(value: Any) -> list[str]:
    """A property that AWS accepts as one string or a list of strings (IAM, CIDRs)."""
    value = reveal(value)
    if isinstance(value, str):
        return [value]
    return [item for item in as_list(value) if isinstance(item, str)]


class InvalidJsonError(ValueError):
    """A property that must hold a JSON document does not."""


def json_document(value: Any) -> Any:
    """A JSON-valued property as Python data: parsed from a string or taken as given.

    Returns the unknown sentinel untouched; raises InvalidJsonError for malformed text.
    """
    value = reveal(value)
    if isinstance(value, str) and not is_unknown(value):
        try:
            return json.loads(value)
        except json.JSONDecodeError as error:
            raise InvalidJsonError(str(error)) from error
    return value


def tags_of(value: Any) -> dict[str, Any] | None:
    """A tags map as a dict (also from a JSON string); None when unknown during a preview."""
    value = reveal(value)
    if is_unknown(value):
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return {}
    if isinstance(value, Mapping):
        return {str(key): reveal(item) for key, item in value.items()}
    return {}


def provider_default_tags(provider_props: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Tags from an aws provider's ``defaultTags`` (a JSON string in the engine).

    Returns None when the provider's tags are unknown during a preview.
    """
    if not provider_props:
        return {}
    default_tags = dig(provider_props, "defaultTags")
    if is_unknown(default_tags):
        return None
    if isinstance(default_tags, str):
        try:
            default_tags = json.loads(default_tags)
        except json.JSONDecodeError:
            return {}
    if not isinstance(default_tags, Mapping):
        return {}
    return tags_of(default_tags.get("tags"))


_TOKEN_SPLIT = re.compile(r"[^a-z0-9]+")


def name_tokens(*names: Any) -> set[str]:
    """Lower-case words of resource names: ``edge-alb-sg`` -> {edge, alb, sg}."""
    tokens: set[str] = set()
    for name in names:
        if isinstance(name, str) and not is_unknown(name):
            tokens.update(token for token in _TOKEN_SPLIT.split(name.lower()) if token)
    return tokens


def arn_region(arn: Any) -> str | None:
    """Region field of an ARN (``arn:partition:service:region:account:resource``)."""
    arn = reveal(arn)
    if not isinstance(arn, str) or not arn.startswith("arn:") or is_unknown(arn):
        return None
    parts = arn.split(":")
    if len(parts) < 6:
        return None
    return parts[3] or None


def plain(value: Any) -> Any:
    """Deep copy of a property tree with pulumi-policy's read proxies removed.

    pulumi-policy wraps props in proxies that raise on unknown values; the proxies expose
    their raw contents under the key ``"__target"``. Rules work on plain data instead and
    treat unknowns explicitly (see module docstring).
    """
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, Mapping) or (isinstance(value, Sequence) and not isinstance(value, str)):
        proxy: Any = value
        return plain(proxy["__target"])
    return value
