"""Generated references: under docs/ every config key, every stack output, the replacement table; the README's targets table."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from infra.offline.record import StackPlan
from infra.paths import DOCS, ROOT
from infra.reference import config_reference, dr_targets_table, outputs_reference, replacement_table

CONFIG_REFERENCE = DOCS / "config-reference.md"
OUTPUTS_REFERENCE = DOCS / "outputs-reference.md"
REPLACEMENT_TABLE = DOCS / "replacement-table.md"
README = ROOT / "README.md"


def render_all(plans: Mapping[str, StackPlan]) -> dict[Path, str]:
    """Each generated file and its current text (the plans of every stack feed all but the config reference)."""
    return {
        CONFIG_REFERENCE: config_reference.render_markdown(),
        OUTPUTS_REFERENCE: outputs_reference.render_markdown(plans),
        REPLACEMENT_TABLE: replacement_table.render_markdown(plans),
        README: dr_targets_table.splice(README.read_text(), dr_targets_table.render_table(plans)),
    }
