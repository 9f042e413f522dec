"""Rules for the ingest service: task counts per AZ, Fargate CPU/memory pairs."""

from __future__ import annotations

from collections.abc import Iterator

from infra.config.problems import Problem, error
from infra.config.schema import StackConfig

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


def check(config: StackConfig) -> Iterator[Problem]:
    ingest, azs = config.ingest, config.network.az_count
    if ingest.cpu not in FARGATE_MEMORY:
        yield error("ingest.cpu", ingest.cpu, f"Fargate CPU units allowed: {', '.join(map(str, FARGATE_MEMORY))}")
    elif ingest.memory_mib not in FARGATE_MEMORY[ingest.cpu]:
        allowed = FARGATE_MEMORY[ingest.cpu]
        yield error("ingest.memoryMib", ingest.memory_mib, f"with cpu {ingest.cpu} Fargate allows {allowed[0]}..{allowed[-1]} MiB in its steps")
    if config.tier == "prod" and ingest.min_tasks < azs:
        yield error("ingest.minTasks", ingest.min_tasks, f"prod runs at least one task per AZ (allowed: >= {azs})")
    if ingest.max_tasks < ingest.min_tasks:
        yield error("ingest.maxTasks", ingest.max_tasks, f"must be >= ingest.minTasks ({ingest.min_tasks})")
