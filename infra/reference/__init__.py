"""Generated references committed under docs/: every config key and every stack output."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from infra.offline.record import StackPlan
from infra.paths import DOCS
from infra.reference import config_reference, outputs_reference

CONFIG_REFERENCE = DOCS / "config-reference.md"
OUTPUTS_REFERENCE = DOCS / "outputs-reference.md"


def render_all(plans: Mapping[str, StackPlan]) -> dict[Path, str]:
    """Each reference file and its current text (the plans of every stack feed the outputs one)."""
    return {
        CONFIG_REFERENCE: config_reference.render_markdown(),
        OUTPUTS_REFERENCE: outputs_reference.render_markdown(plans),
    }
