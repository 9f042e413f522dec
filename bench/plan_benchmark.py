"""Benchmark of the offline plan: each command cold and warm, and prod's cold plan against the bare engine.

Run: `make bench` (or `.venv/bin/python bench/plan_benchmark.py`). Prints figures; it
asserts nothing, because timings on shared 2-core machines are noisy. Targets: a warm
command (the plan cache holds its plans) under 2 s; the program's cold plan of prod at most
1.2x what the bare engine takes.

Method:
- Commands: each `blueprint` command runs twice as its own process against an empty plan
  cache (BLUEPRINT_PLAN_CACHE in a temporary directory): cold plans, warm reads the cache.
- Program vs bare engine: a fresh process plans prod (no cache) and lists the modules it
  imported; another fresh process imports exactly those modules and registers the same
  resources (their pulumi_aws classes, names, parents and inputs) under plain mocks that
  echo the inputs. The difference is what the program adds: config validation, its own
  logic and Output plumbing, realistic fake outputs and the recording.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

warnings.filterwarnings("ignore", category=DeprecationWarning)

REPO = Path(__file__).resolve().parents[1]
BLUEPRINT = [sys.executable, "-c", "import sys; from infra.cli import main; sys.exit(main(sys.argv[1:]))"]
COMMANDS = (
    ("plan", ["plan", "prod"]),
    ("diagram", ["diagram", "prod"]),
    ("runbooks", ["runbooks", "prod", "--out", "{tmp}/runbooks"]),
    ("client-config", ["client-config", "prod", "--out", "{tmp}/client"]),
    ("diff", ["diff"]),
)


def _timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def commands() -> None:
    print(f"{'command':14s} {'cold s':>8s} {'warm s':>8s}   (own process each; warm = plan cache filled)")
    for label, argv in COMMANDS:
        with tempfile.TemporaryDirectory(prefix="blueprint-bench-") as tmp:
            env = {**os.environ, "BLUEPRINT_PLAN_CACHE": f"{tmp}/cache"}
            command = BLUEPRINT + [a.format(tmp=tmp) for a in argv]
            cold, warm = _timed(command, env), _timed(command, env)
        print(f"{label:14s} {cold:8.2f} {warm:8.2f}{'' if warm < 2 else '   (target < 2 s)'}")


def _child(mode: str, stack: str, scratch: str) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, __file__, mode, stack, scratch], cwd=REPO, check=True, capture_output=True, text=True
    )
    figures: dict[str, Any] = json.loads(result.stdout.splitlines()[-1])
    return figures


def program_vs_bare(stack: str = "prod", runs: int = 3) -> None:
    """Best of `runs` fresh processes each, alternating, so that load from other processes weighs on both alike."""
    programs, bares = [], []
    with tempfile.TemporaryDirectory(prefix="blueprint-bench-") as scratch:
        for _ in range(runs):
            programs.append(_child("--program", stack, scratch))
            bares.append(_child("--bare", stack, scratch))
    program = min(p["seconds"] for p in programs)
    bare = min(b["seconds"] for b in bares)
    print(
        f"cold plan of {stack} ({programs[0]['resources']} registrations, {programs[0]['modules']} modules imported), "
        f"best of {runs}: program {program:.2f} s, bare engine {bare:.2f} s, ratio {program / bare:.2f}x (target <= 1.2x)"
    )


def run_program(stack: str, scratch: Path) -> dict[str, Any]:
    """The program's cold plan of `stack` in this fresh process; leaves the plan and module list for --bare."""
    started = time.perf_counter()
    from infra.offline.record import plan_to_document
    from infra.offline.runtime import plan_stacks

    plan = plan_stacks([stack])[stack]
    seconds = time.perf_counter() - started
    (scratch / "plan.json").write_text(json.dumps(plan_to_document(plan)))
    (scratch / "modules.json").write_text(json.dumps(sorted(sys.modules)))
    return {"seconds": seconds, "resources": len(plan.resources), "modules": len(sys.modules)}


def run_bare(stack: str, scratch: Path) -> dict[str, Any]:
    """The same modules imported and the same resources registered, under mocks that only echo inputs."""
    import importlib

    document = json.loads((scratch / "plan.json").read_text())
    modules = json.loads((scratch / "modules.json").read_text())
    started = time.perf_counter()
    for name in modules:
        if name != "__main__" and name not in sys.modules:
            try:
                importlib.import_module(name)
            except ImportError:
                continue
    import pulumi
    from pulumi.runtime import mocks, settings
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    from infra.offline.record import plan_from_document

    imports = time.perf_counter() - started
    plan = plan_from_document(document)  # reading the record is no engine work: not timed
    started = time.perf_counter()

    class Echo(mocks.Mocks):
        def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
            return f"{args.name}-id", dict(args.inputs)

        def call(self, args: mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
            return {}, []

    def program() -> None:
        created: dict[str, pulumi.Resource] = {}
        for resource in plan.resources:
            if resource.type in ("pulumi:pulumi:StackReference",):
                continue
            opts = pulumi.ResourceOptions(parent=created.get(resource.parent or ""))
            if resource.custom:
                created[resource.urn] = _typed(resource.type, resource.name, resource.inputs, opts)
            else:
                created[resource.urn] = pulumi.ComponentResource(resource.type, resource.name, None, opts)

    settings.ROOT.set(None)
    mocks.set_mocks(Echo(), project=plan.project, stack=stack, preview=False)
    _sync_await(run_pulumi_func(program))
    return {"seconds": imports + time.perf_counter() - started}


def _typed(type_token: str, name: str, inputs: dict[str, Any], opts: Any) -> Any:
    """The resource as its pulumi_aws class would register it (its declared outputs and all); generic otherwise."""
    import importlib

    import pulumi
    from pulumi import _types

    package, module_path, class_name = type_token.split(":")
    if package == "pulumi" and module_path == "providers":
        package, module_path, class_name = class_name, "index", "Provider"
    try:
        module = importlib.import_module(f"pulumi_{package}.{module_path.split('/')[0]}".replace(".index", ""))
        cls = getattr(module, class_name)
        args_type = getattr(module, f"{class_name}Args")
    except (ImportError, AttributeError):
        return pulumi.CustomResource(type_token, name, inputs, opts)
    to_python = {engine: py for py, engine in _types.input_type_py_to_pulumi_names(args_type).items()}
    kwargs = {
        to_python.get(key) or re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower(): value for key, value in inputs.items()
    }
    return cls(name, opts=opts, **kwargs)


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] in ("--program", "--bare"):
        run = run_program if sys.argv[1] == "--program" else run_bare
        print(json.dumps(run(sys.argv[2], Path(sys.argv[3]))))
        return 0
    commands()
    program_vs_bare()
    return 0


if __name__ == "__main__":
    sys.exit(main())
