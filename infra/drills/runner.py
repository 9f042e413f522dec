"""Runs a scenario: a dry run that only reads, or an execution that stops and rolls back on a stop condition.

Dry run (the default): every step's read-only preparation and tag check run against AWS,
and the mutating calls an execution would send are printed; the watched clients refuse any
mutating call, so a dry run cannot change anything. Execution: before each step and at
every verification poll the stop-condition alarms are read; an alarm in ALARM, a refused
target, a failed or timed-out step stops the drill and the steps already done are rolled
back in reverse order. The state file is written before and after each step's calls, so
a drill interrupted midway (Ctrl-C, lost laptop) can be resumed or rolled back from it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from infra.drills.calls import Call, MutationRefusedError, json_safe
from infra.drills.clock import iso, parse_iso, seconds_between
from infra.drills.guard import StopConditionError, StopWatch, TagGuard, TargetRefusedError
from infra.drills.model import (
    DrillContext,
    Facts,
    MissingOutputError,
    PreconditionError,
    Record,
    Scenario,
    Step,
    StepFailedError,
    UnreadFacts,
)
from infra.drills.rehearsal import ReadSkippedError
from infra.drills.state import DrillState, DrillStatus, StepState

# What stops a drill and rolls it back (anything else is a bug and propagates).
DRILL_ERRORS = (
    StepFailedError,
    PreconditionError,
    MissingOutputError,
    ClientError,
    BotoCoreError,
    MutationRefusedError,
)


def new_drill_id(scenario: str, stack: str, at: str) -> str:
    """``az-outage-prod-20261126T093000Z-1a2b``: sortable, unique, safe in S3 keys and resource names."""
    stamp = at.replace("-", "").replace(":", "").split(".")[0] + "Z"
    return f"{scenario}-{stack}-{stamp}-{secrets.token_hex(2)}"


@dataclass
class DryRunResult:
    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class DrillRunner:
    def __init__(
        self,
        scenario: Scenario,
        ctx: DrillContext,
        *,
        stop_watch: StopWatch,
        guard: TagGuard,
        state_path: Path | None = None,
        echo: Callable[[str], None] = print,
    ) -> None:
        self.scenario, self.ctx = scenario, ctx
        self.stop_watch, self.guard = stop_watch, guard
        self.state_path, self.echo = state_path, echo
        self._steps: list[Step] | None = None

    @property
    def steps(self) -> list[Step]:
        if self._steps is None:
            self._steps = list(self.scenario.steps(self.ctx))
        return self._steps

    def _now(self) -> str:
        return iso(self.ctx.clock.now())

    # --- dry run ------------------------------------------------------------------------------

    def dry_run(self) -> DryRunResult:
        """Read-only preflight of every step and the plan of the calls an execution would make."""
        result = DryRunResult()
        self.ctx.clients.allow_mutations = False
        result.lines.append(f"DRY RUN {self.scenario.name} on {self.ctx.stack}: {self.scenario.summary}")
        missing = self.stop_watch.missing()
        result.problems += [f"stop-condition alarm not found: {name}" for name in missing]
        stops = ", ".join(name for names in self.stop_watch.alarms.values() for name in names) or "none"
        result.lines.append(f"stop conditions: {stops}")
        firing = self.stop_watch.firing()
        if firing:
            result.problems.append(f"stop-condition alarms in ALARM now: {', '.join(firing)}")
        for number, step in enumerate(self.steps, 1):
            result.lines.append(
                f"{number:2d}. [{step.phase}] {step.name}: {step.summary} (expect ~{step.expected_seconds:.0f} s)"
            )
            try:
                facts = step.prepare(self.ctx)
                self.guard.check(step.targets(self.ctx, facts))
                calls = list(step.calls(self.ctx, facts))
                # Later steps of the plan may read what this one found (never what it would have sent).
                self.ctx.records[step.name] = {"facts": facts, "calls": [c.render() for c in calls], "results": {}}
            except TargetRefusedError as refused:
                result.problems += refused.problems
                result.lines.append(f"      REFUSED: {refused}")
                break
            except DRILL_ERRORS as error:
                result.problems.append(f"{step.name}: {error}")
                result.lines.append(f"      CANNOT PREPARE: {error}")
                break
            result.lines += [f"      would call {call.render()}" for call in calls]
            if step.verify is not None:
                result.lines.append(f"      then poll every {step.poll_seconds:g} s, up to {step.timeout_seconds:g} s")
        mutating = self.ctx.clients.mutating_calls()
        result.lines.append(f"mutating calls made: {len(mutating)}")
        return result

    def rehearse(self) -> DryRunResult:
        """The dry run without AWS credentials: every step from the plan, the reads it would make marked skipped.

        The runner's clients must be offline ones (infra/drills/rehearsal.py): each step's preparation runs
        until its first read, which is reported; what the reads would have found stays Unread in the calls.
        """
        result = DryRunResult()
        lines = result.lines
        lines.append(f"REHEARSAL {self.scenario.name} on {self.ctx.stack}: {self.scenario.summary}")
        lines.append("no AWS credentials: nothing is read or sent; <...: read at run time> marks what a read fills in")
        for region, names in self.stop_watch.alarms.items():
            lines.append(f"stop conditions in {region} (read before each step and at every poll): {', '.join(names)}")
        if not self.stop_watch.alarms:
            lines.append("stop conditions: none")
        for number, step in enumerate(self.steps, 1):
            lines.append(
                f"{number:2d}. [{step.phase}] {step.name}: {step.summary} (expect ~{step.expected_seconds:.0f} s)"
            )
            facts: Facts
            try:
                facts = step.prepare(self.ctx)
            except ReadSkippedError as skipped:
                lines.append(f"      read SKIPPED: {skipped.call.render()} (and the reads after it)")
                facts = UnreadFacts(step.name)
            except (PreconditionError, MissingOutputError) as error:
                result.problems.append(f"{step.name}: {error}")
                lines.append(f"      CANNOT PREPARE: {error}")
                break
            except (ValueError, TypeError, LookupError, AttributeError) as error:
                lines.append(
                    f"      reads: depend on an earlier step's skipped reads ({type(error).__name__}: {error})"
                )
                facts = UnreadFacts(step.name)
            targets = _planned(partial(step.targets, self.ctx, facts), lines, "tag check")
            lines += [f"      tag check SKIPPED: {t.arn} [{t.region}] must be tagged stack={t.stack}" for t in targets]
            calls = _planned(partial(step.calls, self.ctx, facts), lines, "calls")
            self.ctx.records[step.name] = {"facts": facts, "calls": [c.render() for c in calls], "results": {}}
            lines += [f"      would call {call.render()}" for call in calls]
            if step.verify is not None:
                check = (step.verify.__doc__ or step.summary).strip().splitlines()[0]
                lines.append(
                    f"      check: {check} (poll every {step.poll_seconds:g} s, up to {step.timeout_seconds:g} s)"
                )
            record = {"calls": [c.render() for c in calls], "results": {}}
            undo = _planned(partial(step.rollback, self.ctx, record), lines, "rollback")
            lines += [f"      rollback would call {call.render()}" for call in undo]
        lines.append("mutating calls made: 0 (rehearsal)")
        return result

    # --- execution ----------------------------------------------------------------------------

    def new_state(self) -> DrillState:
        peer = self.ctx.peer.stack if self.ctx.peer else None
        state = DrillState(
            drill_id=self.ctx.drill_id,
            scenario=self.scenario.name,
            stack=self.ctx.stack,
            region=self.ctx.region,
            peer_stack=peer,
            started_at=self._now(),
            steps=[StepState(s.name, s.phase) for s in self.steps],
        )
        return state

    def execute(self, state: DrillState | None = None) -> DrillState:
        """Run every step not done yet; on a stop condition, refusal or failure roll back and say why."""
        resumed = state is not None
        state = state if state is not None else self.new_state()
        self.ctx.records = {s.name: s.record for s in state.steps if s.record is not None}
        state.status = "running"
        self._note(
            state, "resume" if resumed else "start", f"{'resumed' if resumed else 'started'} drill {state.drill_id}"
        )
        try:
            self.ctx.clients.allow_mutations = False
            if not resumed:
                missing = self.stop_watch.missing()
                if missing:
                    raise PreconditionError(f"stop-condition alarms not found: {', '.join(missing)}")
            for step in self.steps:
                step_state = state.step(step.name)
                if step_state.status != "done":
                    self._run_step(step, step_state, state)
            state.status = "completed"
            self._note(state, "end", "drill completed")
        except StopConditionError as stop:
            self._stop(state, "stopped", str(stop))
        except TargetRefusedError as refused:
            self._stop(state, "refused", str(refused))
        except DRILL_ERRORS as error:
            self._stop(state, "failed", f"{type(error).__name__}: {error}")
        finally:
            self.ctx.clients.allow_mutations = False
            self._save(state)
        return state

    def _stop(self, state: DrillState, status: DrillStatus, reason: str) -> None:
        state.status = status
        state.stop_reason = reason
        self._note(state, "stop", reason)
        self.rollback(state)

    def _run_step(self, step: Step, step_state: StepState, state: DrillState) -> None:
        self.stop_watch.check()
        if step_state.status == "running" and step_state.record is not None:
            record = step_state.record
            self._note(state, "resume", f"{step.name}: its calls were sent before the interruption; verifying only")
        else:
            record = self._act(step, step_state, state)
        if step.verify is not None:
            self._verify(step, step_state, record, state)
        step_state.status = "done"
        step_state.finished_at = self._now()
        taken = seconds_between(step_state.started_at or step_state.finished_at, step_state.finished_at)
        if taken > step.expected_seconds:
            self._note(
                state,
                "deviation",
                f"{step.name} took {taken:.0f} s; the runbook expects about {step.expected_seconds:.0f} s",
            )
        self._note(
            state, "step", f"{step.name} done ({taken:.0f} s){': ' + step_state.detail if step_state.detail else ''}"
        )
        self._save(state)

    def _act(self, step: Step, step_state: StepState, state: DrillState) -> Record:
        facts = json_safe(step.prepare(self.ctx))
        self.guard.check(step.targets(self.ctx, facts))
        calls = list(step.calls(self.ctx, facts))
        step_state.status, step_state.started_at = "running", self._now()
        record: Record = {"facts": facts, "calls": [call.render() for call in calls], "results": {}}
        step_state.record = record
        self._save(state)
        self.ctx.clients.allow_mutations = True
        try:
            if step.run is not None:
                record.update(step.run(self.ctx, facts, calls))
            else:
                for call in calls:
                    record["results"][call.key or call.method] = self.ctx.clients.execute(call)
                    self._save(state)
        except DRILL_ERRORS:
            step_state.status = "failed"
            raise
        finally:
            self.ctx.clients.allow_mutations = False
        self.ctx.records[step.name] = record
        self._save(state)
        return record

    def _verify(self, step: Step, step_state: StepState, record: Record, state: DrillState) -> None:
        assert step.verify is not None
        deadline = parse_iso(step_state.started_at or self._now()) + timedelta(seconds=step.timeout_seconds)
        while True:
            verdict = step.verify(self.ctx, record)
            step_state.polls += 1
            step_state.detail = verdict.detail
            if verdict.failed:
                step_state.status = "failed"
                raise StepFailedError(f"{step.name}: {verdict.detail}")
            if verdict.done:
                return
            if self.ctx.clock.now() >= deadline:
                if step.on_timeout == "continue":
                    self._note(
                        state, "deviation", f"{step.name} not done after {step.timeout_seconds:g} s: {verdict.detail}"
                    )
                    return
                step_state.status = "failed"
                raise StepFailedError(f"{step.name}: not done after {step.timeout_seconds:g} s ({verdict.detail})")
            self.stop_watch.check()
            self._save(state)
            self.ctx.clock.sleep(step.poll_seconds)

    # --- rollback -------------------------------------------------------------------------------

    def rollback(self, state: DrillState) -> DrillState:
        """Undo, newest first, every step that acted; a failed undo is recorded and the others still run."""
        self.ctx.records = {s.name: s.record for s in state.steps if s.record is not None}
        problems = 0
        undone = 0
        for step in reversed(self.steps):
            step_state = state.step(step.name)
            if step_state.status not in ("done", "running", "failed") or step_state.record is None:
                continue
            try:
                self.ctx.clients.allow_mutations = False
                calls: Sequence[Call] = step.rollback(self.ctx, step_state.record)
                if not calls:
                    continue
                self.ctx.clients.allow_mutations = True
                for call in calls:
                    self.ctx.clients.execute(call)
                    self._note(state, "rollback", f"{step.name}: {call.render()}")
                step_state.status = "rolled-back"
                undone += 1
            except DRILL_ERRORS as error:
                step_state.status = "rollback-failed"
                problems += 1
                self._note(state, "rollback-failed", f"{step.name}: {type(error).__name__}: {error}")
            finally:
                self.ctx.clients.allow_mutations = False
            self._save(state)
        state.rollback = "incomplete" if problems else "complete" if undone else "nothing-to-undo"
        self._note(state, "rollback", f"rollback {state.rollback}")
        self._save(state)
        return state

    # --- bookkeeping --------------------------------------------------------------------------

    def _note(self, state: DrillState, kind: str, message: str) -> None:
        at = self._now()
        state.note(at, kind, message)
        self.echo(f"{at} {kind:16s} {message}")

    def _save(self, state: DrillState) -> None:
        if self.state_path is not None:
            state.save(self.state_path)


T = TypeVar("T")


def _planned(plan: Callable[[], Sequence[T]], lines: list[str], what: str) -> list[T]:
    """A step's planned targets, calls or rollback; when they hinge on a skipped read, say so instead."""
    try:
        return list(plan())
    except ReadSkippedError as skipped:
        lines.append(f"      {what}: after a read SKIPPED: {skipped.call.render()}")
        return []
    except (ValueError, TypeError, LookupError, AttributeError) as error:
        lines.append(f"      {what}: depend on the skipped reads ({type(error).__name__}: {error})")
        return []
