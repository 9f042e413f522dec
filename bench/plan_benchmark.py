"""Benchmark of the offline plan: per-stack resource count and plan time, imports apart.

Run: `make bench` (or `.venv/bin/python bench/plan_benchmark.py`). Prints figures; it
asserts nothing, because timings on shared 2-core machines are noisy. Target: the plan's
own work (wall time minus imports) under 10 ms per resource.

Method: every stack is planned twice in one process. The first (cold) pass pays for
importing the pulumi and pulumi_aws modules the program touches (pulumi_aws loads its
service packages lazily, on first use); the second (warm) pass is the plan's own work.
Import cost = cold - warm. The module count comes from sys.modules after the cold pass.
"""

from __future__ import annotations

import sys
import time
import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)


def _pulumi_modules() -> int:
    return sum(1 for name in sys.modules if name.split(".")[0] in ("pulumi", "pulumi_aws"))


def main() -> int:
    started = time.perf_counter()
    import pulumi  # noqa: F401
    import pulumi_aws  # noqa: F401

    base_import = time.perf_counter() - started
    from infra.offline.runtime import PlanTimings, plan_stacks

    program_import = time.perf_counter() - started - base_import
    cold, warm = PlanTimings(), PlanTimings()
    plan_stacks(timings=cold)
    modules = _pulumi_modules()
    plans = plan_stacks(timings=warm)
    lazy_imports = sum(cold.per_stack.values()) - sum(warm.per_stack.values())
    print(f"import pulumi + pulumi_aws: {base_import:.2f} s; program modules: {program_import:.2f} s")
    print(
        f"lazy pulumi_aws service imports during the first plans: {lazy_imports:.2f} s ({modules} pulumi/pulumi_aws modules loaded)"
    )
    print("resources: every registered resource (AWS resources, stack references, components, providers),")
    print("the count `blueprint plan` prints and its --json lists")
    print(f"{'stack':10s} {'resources':>9s} {'cold s':>8s} {'warm s':>8s} {'ms/resource (warm)':>19s}")
    total_resources = 0
    for stack, plan in plans.items():
        count = len(plan.resources)
        total_resources += count
        seconds = warm.per_stack[stack]
        print(f"{stack:10s} {count:9d} {cold.per_stack[stack]:8.3f} {seconds:8.3f} {seconds / count * 1000:19.2f}")
    total = sum(warm.per_stack.values())
    print(
        f"{'all':10s} {total_resources:9d} {sum(cold.per_stack.values()):8.3f} {total:8.3f} {total / total_resources * 1000:19.2f}  (target < 10 ms/resource)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
