"""Generated references committed under docs/: every config key, every stack output, the replacement table."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from infra.offline.record import StackPlan
from infra.paths import DOCS
from infra.reference import config_reference, outputs_reference, replacement_table

CONFIG_REFERENCE = DOCS / "config-reference.md"
OUTPUTS_REFERENCE = DOCS / "outputs-reference.md"
REPLACEMENT_TABLE = DOCS / "replacement-table.md"


def render_all(plans: Mapping[str, StackPlan]) -> dict[Path, str]:
    """Each reference file and its current text (the plans of every stack feed the outputs and replacement ones)."""
    return {
        CONFIG_REFERENCE: config_reference.render_markdown(),
        OUTPUTS_REFERENCE: outputs_reference.render_markdown(plans),
        REPLACEMENT_TABLE: replacement_table.render_markdown(plans),
    }
