"""The ElastiCache engine catalog: versions and their parameter-group families, node types,
IAM authentication's minimum versions and Global Datastore families (infra/data/cache_engines.yaml).

The config rules check a stack against it and the cache component picks its parameter-group
family from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import yaml

from infra.paths import DATA

ENGINES_FILE = DATA / "cache_engines.yaml"
_NODE_TYPE = re.compile(r"^cache\.([a-z0-9]+)\.([a-z0-9]+)$")


@dataclass(frozen=True)
class EngineCatalog:
    """The engine versions, parameter-group families and node types ElastiCache supports."""

    families: dict[str, dict[str, str]]
    """engine -> version -> parameter-group family."""
    iam_min_version: dict[str, str]
    node_families: dict[str, tuple[str, ...]]
    data_tiering_families: frozenset[str]
    global_datastore_families: frozenset[str]

    def family(self, engine: str, version: str) -> str | None:
        return self.families.get(engine, {}).get(version)

    def versions(self, engine: str) -> list[str]:
        return sorted(self.families.get(engine, {}), key=version_key)

    def node_family(self, node_type: str) -> str | None:
        """The family of a valid node type (``cache.r7g.large`` -> ``r7g``), else None."""
        match = _NODE_TYPE.match(node_type)
        if match is None or match.group(2) not in self.node_families.get(match.group(1), ()):
            return None
        return match.group(1)

    def supports_iam(self, engine: str, version: str) -> bool:
        return version_key(version) >= version_key(self.iam_min_version[engine])


@cache
def engine_catalog() -> EngineCatalog:
    data = yaml.safe_load(ENGINES_FILE.read_text())
    engines = data["engines"]
    return EngineCatalog(
        families={engine: {str(v): str(f) for v, f in spec["versions"].items()} for engine, spec in engines.items()},
        iam_min_version={engine: str(spec["iam_auth_min_version"]) for engine, spec in engines.items()},
        node_families={family: tuple(sizes) for family, sizes in data["node_families"].items()},
        data_tiering_families=frozenset(data["data_tiering_families"]),
        global_datastore_families=frozenset(data["global_datastore_families"]),
    )


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


# Global Datastore takes large-or-bigger nodes only (ElastiCache user guide, "Replication across AWS
# Regions using global datastores", prerequisites; checked 2026-11-26).
GLOBAL_DATASTORE_TOO_SMALL = ("nano", "micro", "small", "medium")


def supports_global_datastore(node_type: str, catalog: EngineCatalog | None = None) -> bool:
    """``cache.<family>.<size>`` with a Global Datastore family and a large-or-bigger size."""
    parts = node_type.split(".")
    if len(parts) != 3 or parts[0] != "cache":
        return False
    families = (catalog or engine_catalog()).global_datastore_families
    return parts[1] in families and parts[2] not in GLOBAL_DATASTORE_TOO_SMALL
