"""What Amazon MSK offers a Standard-broker cluster: Kafka versions and their support windows
(infra/data/msk_versions.yaml) and the AZ counts it places brokers in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

import yaml

from infra.catalog import sizing
from infra.paths import DATA

# An MSK cluster puts its brokers in two or three client subnets in distinct AZs
# ("AWS::MSK::Cluster BrokerNodeGroupInfo", ClientSubnets, AWS CloudFormation template
# reference, checked 2026-11-26).
MSK_AZ_COUNTS = sizing.AZ_COUNTS

_VERSIONS_DATA = yaml.safe_load((DATA / "msk_versions.yaml").read_text(encoding="utf-8"))
VERSIONS_CHECKED: str = str(_VERSIONS_DATA["checked"])


@dataclass(frozen=True)
class KafkaVersion:
    """One MSK Kafka version string and its support window (infra/data/msk_versions.yaml)."""

    version: str
    msk_release: date | None
    end_of_support: date | None
    metadata_mode: Literal["zookeeper", "kraft"]
    standard_brokers: bool
    recommended: bool

    def ended(self, today: date) -> bool:
        return self.end_of_support is not None and self.end_of_support <= today


MSK_VERSIONS: Mapping[str, KafkaVersion] = {
    name: KafkaVersion(
        version=name,
        msk_release=row["msk_release"],
        end_of_support=row["end_of_support"],
        metadata_mode=row["metadata_mode"],
        standard_brokers=bool(row["standard_brokers"]),
        recommended=bool(row["recommended"]),
    )
    for name, row in _VERSIONS_DATA["versions"].items()
}


def supported_versions(today: date) -> list[str]:
    """Versions a new Standard-broker cluster may use on ``today``."""
    return [v.version for v in MSK_VERSIONS.values() if v.standard_brokers and not v.ended(today)]


def version_problem(version: str, today: date) -> str | None:
    """Why MSK would refuse (or soon auto-upgrade) a cluster on ``version``; None when it is fine."""
    recommended = [v.version for v in MSK_VERSIONS.values() if v.recommended]
    allowed = f"{', '.join(supported_versions(today))} (AWS recommends {' / '.join(recommended)})"
    info = MSK_VERSIONS.get(version)
    if info is None:
        return f"not a Kafka version MSK offers (checked {VERSIONS_CHECKED}); allowed: {allowed}"
    if not info.standard_brokers:
        return f"MSK runs {version} on Express brokers only; this blueprint uses Standard brokers (allowed: {allowed})"
    if info.ended(today):
        return f"MSK ended support for {version} on {info.end_of_support}; allowed: {allowed}"
    return None
