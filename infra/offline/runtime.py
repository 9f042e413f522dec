"""The one mock runtime: runs the real program for a stack under Pulumi's mocks.

Used by the tests, `blueprint plan` and every tool that needs a plan. It feeds the
stack file's config to the program exactly as the language host would, answers
resource registrations and invokes with realistic outputs (fake_outputs.py), and
records every registration (type, name, parent, provider, region, dependencies,
options, inputs) into a StackPlan. A stack that reads another stack's outputs through
a StackReference gets the outputs of that stack's plan from the same process.

plan_stacks reuses a plan whose inputs did not change (plancache.py: this process's memo,
and .cache/plans/ for the CLI); run_alone runs one component under the same mocks.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc, settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from infra.config import ConfigError, list_stacks, load_stack, loader, stack_file_label
from infra.config.loader import to_runtime
from infra.config.pair import peer_stack_name, reads_peer_outputs
from infra.config.parity import check_pair
from infra.config.problems import PROJECT, Problem, error
from infra.config.schema import StackConfig
from infra.offline.fake_outputs import FAKES, FakeContext, generic, invoke_result
from infra.offline.plancache import MEMO, PlanCache, stack_key, tree_digest
from infra.offline.record import PlannedResource, StackPlan

SECRET = "[secret]"
STACK_REFERENCE = "pulumi:pulumi:StackReference"


class PlatformMocks(pulumi_mocks.Mocks):
    """Answers registrations and invokes like AWS would, for one stack's region."""

    def __init__(self, region: str, peer_outputs: dict[str, dict[str, Any]]) -> None:
        self.context = FakeContext(region=region)
        self.peer_outputs = peer_outputs

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if args.typ == STACK_REFERENCE:
            stack = str(args.inputs.get("name", args.name)).rsplit("/", 1)[-1]
            if stack not in self.peer_outputs:
                raise LookupError(f"stack reference to '{stack}': plan that stack first (plan_stacks orders them)")
            return args.name, {
                "name": args.inputs.get("name"),
                "outputs": self.peer_outputs[stack],
                "secretOutputNames": [],
            }
        if not args.custom or args.typ.startswith("pulumi:providers:"):
            return f"{args.name}-id", dict(args.inputs)
        region = args.inputs.get("region") or self.context.region
        context = self.context if region == self.context.region else FakeContext(region=region)
        state = {**args.inputs, **generic(args.typ, args.name, args.inputs, context)}
        fake = FAKES.get(args.typ)
        if fake is not None:
            state.update(fake(args.name, args.inputs, context))
        return state["id"], state

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        return invoke_result(args.token, dict(args.args), self.context), []


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """A MockMonitor that also keeps each registration's options and dependencies."""

    def __init__(self, mocks: PlatformMocks) -> None:
        super().__init__(mocks)
        self.records: list[PlannedResource] = []

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == "pulumi:pulumi:Stack":
            return resource_pb2.RegisterResourceResponse(urn=urn)
        pulumi_mocks._ensure_event_loop()
        inputs = rpc.deserialize_properties(request.object)
        args = pulumi_mocks.MockResourceArgs(
            typ=request.type,
            name=request.name,
            inputs=_unwrap(inputs),
            provider=request.provider,
            resource_id=request.importId,
            custom=request.custom or False,
        )
        new_id, state = self.mocks.new_resource(args)
        id_ = new_id or ""
        self.records.append(self._record(request, urn, inputs, new_id, state))
        obj_proto = _sync_await(rpc.serialize_properties(state, {}))
        self.resources[urn] = pulumi_mocks.MockMonitor.ResourceRegistration(urn, id_, state)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=id_, object=obj_proto)

    def ReadResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        """Reads are recorded too (a StackReference above all): the plan shows what the stack reads from outside.

        Only the read's own inputs are kept, never the state it returned (a peer stack's outputs).
        """
        response = super().ReadResource(request)
        mocks: PlatformMocks = self.mocks  # type: ignore[assignment]
        inputs = _mask(rpc.deserialize_properties(request.properties))
        self.records.append(
            PlannedResource(
                urn=response.urn,
                type=request.type,
                name=request.name,
                custom=True,
                parent=request.parent or None,
                provider=request.provider or None,
                region=str(inputs.get("region") or mocks.context.region),
                dependencies=tuple(request.dependencies),
                inputs=inputs,
                outputs={},
                resource_id=request.id or None,
            )
        )
        return response

    def _record(
        self, request: Any, urn: str, inputs: dict[str, Any], id_: str | None, state: dict[str, Any]
    ) -> PlannedResource:
        mocks: PlatformMocks = self.mocks  # type: ignore[assignment]
        masked = _mask(inputs)
        return PlannedResource(
            urn=urn,
            type=request.type,
            name=request.name,
            custom=bool(request.custom),
            parent=request.parent or None,
            provider=request.provider or None,
            region=str(inputs.get("region") or mocks.context.region),
            dependencies=tuple(request.dependencies),
            property_dependencies={k: tuple(v.urns) for k, v in request.propertyDependencies.items()},
            protect=bool(request.protect),
            ignore_changes=tuple(request.ignoreChanges),
            delete_before_replace=bool(request.deleteBeforeReplace),
            retain_on_delete=bool(request.retainOnDelete),
            replace_on_changes=tuple(request.replaceOnChanges),
            aliases=tuple(a.urn or a.spec.name for a in request.aliases),
            inputs=masked,
            outputs={k: v for k, v in _mask(state).items() if k not in masked},
            resource_id=id_,
            custom_timeouts={
                operation: value
                for operation in ("create", "update", "delete")
                if (value := getattr(request.customTimeouts, operation))
            },
        )


def _unwrap(value: Any) -> Any:
    if rpc.is_rpc_secret(value):
        return _unwrap(rpc.unwrap_rpc_secret(value))
    if isinstance(value, dict):
        return {k: _unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unwrap(v) for v in value]
    return value


def _mask(value: Any) -> Any:
    """Secrets become a marker so they never reach a printed plan or a snapshot."""
    if rpc.is_rpc_secret(value):
        return SECRET
    if isinstance(value, dict):
        return {k: _mask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v) for v in value]
    return value


class _WarningCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@dataclass
class PlanTimings:
    """Seconds per stack spent planning (imports excluded: they are paid before)."""

    per_stack: dict[str, float] = field(default_factory=dict)


def plan_stack(
    stack: str,
    peer_outputs: dict[str, dict[str, Any]] | None = None,
    loaded: tuple[StackConfig, list[Problem], dict[str, Any]] | None = None,
    build: Callable[[StackConfig], Mapping[str, Any]] | None = None,
) -> StackPlan:
    """Validate the stack's config, then run the real program under mocks and record it.

    ``loaded`` plans another config under the stack's name (what `load_stack` returns, e.g.
    a stack file with some keys changed); by default the stack file is read.
    ``build`` runs instead of the whole program (config -> stack outputs): a test plans the
    foundation and the one tier it checks, at a fraction of the stack's cost.
    Raises ConfigError (before registering anything) when the stack file is invalid.
    """
    from infra.program import build as build_stack

    config, config_warnings, raw = loaded if loaded is not None else load_stack(stack)
    resolved: dict[str, Any] = {}
    build_outputs = build or build_stack

    def program() -> None:
        outputs = dict(build_outputs(config))
        values: dict[str, Any] | None = _sync_await(pulumi.Output.from_input(outputs).future())
        resolved.update(values or {})

    monitor, logged = _run(program, stack, config.region, peer_outputs or {}, to_runtime(raw))
    warnings = [w.format(f"stacks/Pulumi.{stack}.yaml") for w in config_warnings] + logged
    return StackPlan(
        project=PROJECT,
        stack=stack,
        region=config.region,
        config=config.model_dump(mode="json"),
        resources=monitor.records,
        outputs=_mask(resolved),
        warnings=warnings,
    )


def run_alone(program: Callable[[], None], stack: str = "test", region: str = "us-east-1") -> list[PlannedResource]:
    """Run a function that creates resources (one component, say) under the mocks; what it registered.

    Testing a component this way costs its own resources, not a whole stack's.
    """
    monitor, _ = _run(program, stack, region, {}, {})
    return monitor.records


def _run(
    program: Callable[[], None],
    stack: str,
    region: str,
    peer_outputs: dict[str, dict[str, Any]],
    runtime_config: dict[str, str],
) -> tuple[RecordingMonitor, list[str]]:
    """One fresh mock run (new root stack, config, monitor); the monitor and the warnings logged."""
    mocks = PlatformMocks(region, peer_outputs)
    monitor = RecordingMonitor(mocks)
    collector = _WarningCollector()
    logger = logging.getLogger(f"blueprint.plan.{stack}")
    logger.propagate = False
    logger.handlers = [collector]
    settings.ROOT.set(None)
    set_all_config(runtime_config)
    pulumi_mocks.set_mocks(mocks, project=PROJECT, stack=stack, preview=False, monitor=monitor, logger=logger)
    settings.SETTINGS.rpc_manager.clear()
    _sync_await(run_pulumi_func(program))
    return monitor, collector.messages


def plan_stacks(
    stacks: Iterable[str] | None = None,
    timings: PlanTimings | None = None,
    cache: PlanCache | None = None,
    reuse: bool = True,
    stage: Callable[[str], AbstractContextManager[object]] | None = None,
) -> dict[str, StackPlan]:
    """Plan several stacks in one process; a stack's peers are planned first and feed its StackReference.

    A plan whose content key (plancache.py) this process or ``cache`` already holds is reused,
    unless ``reuse`` is False; fresh plans are kept in both for the next call. ``stage(stack)``
    wraps each stack's lookup or planning (the CLI's progress line); peers pulled in count too.
    """
    wanted = list(stacks) if stacks is not None else list_stacks()
    order = _with_peers_first(wanted)
    _check_pairs(order)
    tree = tree_digest()
    plans: dict[str, StackPlan] = {}
    for stack in order:
        started = time.perf_counter()
        key = stack_key(tree, loader.STACKS, stack)
        with stage(stack) if stage is not None else nullcontext():
            plan = (MEMO.get(key) or (cache.get(key) if cache else None)) if reuse else None
            if plan is None:
                plan = plan_stack(stack, {name: plan.outputs for name, plan in plans.items()})
                if cache is not None:
                    cache.put(key, plan)
        MEMO[key] = plans[stack] = plan
        if timings is not None:
            timings.per_stack[stack] = time.perf_counter() - started
    return {stack: plans[stack] for stack in wanted}


def _check_pairs(stacks: list[str]) -> None:
    """Refuse a standby planned with its primary when the two disagree on what derivation cannot
    cover (``infra/config/parity.check_pair``); a standby always pulls its primary into the plan."""
    for stack in stacks:
        standby = load_stack(stack)[0]
        primary_stack = peer_stack_name(standby) if standby.dr.role == "secondary" else None
        if primary_stack is None:
            continue
        primary = load_stack(primary_stack)[0]
        problems = check_pair(primary, stack_file_label(primary_stack), standby, stack_file_label(stack))
        if problems:
            raise ConfigError(stack_file_label(stack), problems)


def _with_peers_first(stacks: list[str]) -> list[str]:
    """A stack that reads its peer's outputs (a standby; a primary failing back) is planned after the peer.

    A pair in which each side reads the other (the primary flipped for failback while the standby
    reads the primary) cannot be planned offline from the stack files alone: that is reported as a
    problem of the flipped stack's file, never as a traceback.
    """
    order: list[str] = []

    def visit(stack: str, path: tuple[str, ...]) -> None:
        if stack in order:
            return
        config = load_stack(stack)[0]
        peer = peer_stack_name(config) if reads_peer_outputs(config) else None
        if peer is not None and peer in path:
            flipped = stack if config.dr.role == "primary" else peer
            raise ConfigError(
                stack_file_label(flipped),
                [
                    error(
                        "dr.activeRegion",
                        load_stack(flipped)[0].dr.active_region,
                        f"the offline plan cannot resolve this pair: {flipped} fails back and reads "
                        f"{peer if flipped == stack else stack}'s outputs, which read {flipped}'s; "
                        "use `pulumi preview` against the deployed stacks (AWS resolves it from real state)",
                    )
                ],
            )
        if peer is not None:
            visit(peer, (*path, stack))
        order.append(stack)

    for stack in stacks:
        visit(stack, ())
    return order


__all__ = ["ConfigError", "PlanTimings", "plan_stack", "plan_stacks", "run_alone"]
