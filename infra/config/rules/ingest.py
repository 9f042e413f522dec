"""Rules for the ingest service: task counts per AZ, Fargate CPU/memory pairs, ports, paths, image, topic."""

from __future__ import annotations

import re
from collections.abc import Iterator

from infra.config.problems import Problem, error
from infra.config.schema import StackConfig
from infra.paths import TEMPLATES

# Valid Fargate task sizes: CPU units -> allowed memory MiB (Amazon ECS developer guide,
# "Task CPU and memory", checked 2026-11-26).
FARGATE_MEMORY: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
    8192: tuple(range(16384, 61441, 4096)),
    16384: tuple(range(32768, 122881, 8192)),
}
# A reference is pinned by digest, or by a tag that is not a moving one.
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
_MOVING_TAGS = {"latest", "edge", "main", "master", "nightly", "latest-cloud"}


def image_pin_problem(image: str) -> str | None:
    """Why an image reference would deploy different code over time; None when it is pinned."""
    if _DIGEST.search(image):
        return None
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return "has no tag: ECS would pull ':latest' (pin a version tag or an @sha256: digest)"
    tag = last.rsplit(":", 1)[1]
    if tag in _MOVING_TAGS:
        return f"tag '{tag}' moves between releases (pin a version tag or an @sha256: digest)"
    return None


def check(config: StackConfig) -> Iterator[Problem]:
    ingest, azs = config.ingest, config.network.az_count
    if ingest.cpu not in FARGATE_MEMORY:
        yield error("ingest.cpu", ingest.cpu, f"Fargate CPU units allowed: {', '.join(map(str, FARGATE_MEMORY))}")
    elif ingest.memory_mib not in FARGATE_MEMORY[ingest.cpu]:
        allowed = FARGATE_MEMORY[ingest.cpu]
        yield error(
            "ingest.memoryMib",
            ingest.memory_mib,
            f"with cpu {ingest.cpu} Fargate allows {allowed[0]}..{allowed[-1]} MiB in its steps",
        )
    if config.tier == "prod" and ingest.min_tasks < azs:
        yield error("ingest.minTasks", ingest.min_tasks, f"prod runs at least one task per AZ (allowed: >= {azs})")
    if ingest.max_tasks < ingest.min_tasks:
        yield error("ingest.maxTasks", ingest.max_tasks, f"must be >= ingest.minTasks ({ingest.min_tasks})")
    if ingest.admin_port == ingest.container_port:
        yield error(
            "ingest.adminPort",
            ingest.admin_port,
            "must differ from ingest.containerPort: clients must never reach /metrics or /ready",
        )
    pin = image_pin_problem(ingest.image)
    if pin:
        yield error("ingest.image", ingest.image, pin)
    if not (TEMPLATES / ingest.config_template).is_file():
        yield error("ingest.configTemplate", ingest.config_template, f"no such template under {TEMPLATES.name}/")
    if ingest.topic not in config.workload.topics:
        yield error(
            "ingest.topic", ingest.topic, f"must be one of workload.topics ({', '.join(config.workload.topics)})"
        )
    for key, path in (("ingest.ingestPath", ingest.ingest_path), ("ingest.healthCheckPath", ingest.health_check_path)):
        if not path.startswith("/") or (len(path) > 1 and path.endswith("/")):
            yield error(key, path, "must start with '/' and not end with '/' (a trailing slash matches every sub-path)")
