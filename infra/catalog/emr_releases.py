"""The documented EMR releases and what each ships (infra/data/emr_releases.yaml): the config rules
match the job's pinned jars against the release a stack runs."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import yaml

from infra.paths import DATA

RELEASES_FILE = DATA / "emr_releases.yaml"


@dataclass(frozen=True)
class EmrRelease:
    label: str
    spark: str
    hadoop: str
    scala: str
    python: tuple[str, ...]

    @property
    def upstream_spark(self) -> str:
        """Apache Spark version under EMR's build: ``3.5.6-amzn-2`` -> ``3.5.6``."""
        return self.spark.split("-", 1)[0]

    @property
    def scala_binary(self) -> str:
        """``2.12.18`` -> ``2.12``, the suffix of Scala artifacts (``_2.12``)."""
        return ".".join(self.scala.split(".")[:2])


@cache
def emr_releases() -> dict[str, EmrRelease]:
    """The documented releases of infra/data/emr_releases.yaml, newest first as listed."""
    data = yaml.safe_load(RELEASES_FILE.read_text())
    return {
        label: EmrRelease(
            label=label,
            spark=str(spec["spark"]),
            hadoop=str(spec["hadoop"]),
            scala=str(spec["scala"]),
            python=tuple(str(v) for v in spec["python"]),
        )
        for label, spec in data["releases"].items()
    }
