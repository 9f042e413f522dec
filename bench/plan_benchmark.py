"""Benchmark of the offline plan: per-stack resource count and plan time, imports apart.

Run: `make bench` (or `.venv/bin/python bench/plan_benchmark.py`). Prints figures; it
asserts nothing, because timings on shared 2-core machines are noisy. Target: the plan's
own work (wall time minus imports) under 10 ms per resource.

Method: a child process plans every stack once and reports which pulumi / pulumi_aws
modules that loaded. This process then imports exactly those modules (timed apart: that
is the import cost) and plans every stack in one process (the plan's own work).
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import time
import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)

DISCOVER = """
import json, sys, warnings
warnings.filterwarnings("ignore")
from infra.offline.runtime import plan_stacks
plan_stacks()
print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('pulumi', 'pulumi_aws'))))
"""


def main() -> int:
    modules = json.loads(
        subprocess.run([sys.executable, "-c", DISCOVER], check=True, capture_output=True, text=True).stdout
    )
    started = time.perf_counter()
    for name in modules:
        importlib.import_module(name)
    imports = time.perf_counter() - started
    aws_modules = [m for m in modules if m.startswith("pulumi_aws.") and m.count(".") == 1]
    print(
        f"imports: {imports:.2f} s for {len(modules)} pulumi/pulumi_aws modules ({len(aws_modules)} pulumi_aws service modules)"
    )

    import_program = time.perf_counter()
    from infra.offline.runtime import PlanTimings, plan_stacks

    program_import = time.perf_counter() - import_program
    timings = PlanTimings()
    wall = time.perf_counter()
    plans = plan_stacks(timings=timings)
    wall = time.perf_counter() - wall
    print(f"program modules import: {program_import * 1000:.0f} ms")
    print(f"{'stack':10s} {'resources':>9s} {'plan s':>8s} {'ms/resource':>12s}")
    total_resources = 0
    for stack, plan in plans.items():
        count = len(plan.resources)
        total_resources += count
        seconds = timings.per_stack[stack]
        print(f"{stack:10s} {count:9d} {seconds:8.3f} {seconds / count * 1000:12.2f}")
    print(
        f"{'all':10s} {total_resources:9d} {wall:8.3f} {wall / total_resources * 1000:12.2f}  (target < 10 ms/resource)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
