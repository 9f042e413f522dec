"""`blueprint drill SCENARIO --stack STACK`: run a DR drill; a dry run unless `--execute --confirm STACK`.

    blueprint drill az-outage --stack prod                       # dry run: read-only checks + the plan of calls
                                                                 # (no credentials: a rehearsal from the plan, no reads)
    blueprint drill az-outage --stack prod --outputs prod.json --execute --confirm prod
    blueprint drill region-failover --stack prod --outputs prod.json --peer-outputs prod-dr.json --execute --confirm prod
    blueprint drill failback --stack prod --since 2026-11-26T09:30:00Z --outputs prod.json --peer-outputs prod-dr.json ...
    blueprint drill az-outage --stack prod --outputs prod.json --resume drill-reports/<id>.state.json --confirm prod
    blueprint drill az-outage --stack prod --outputs prod.json --rollback drill-reports/<id>.state.json --confirm prod
    blueprint drill history [--stack prod] [--scenario region-failover]   # past reports against their targets

Outputs come from `pulumi stack output --json -s STACK > FILE`; without --outputs the offline plan's
(mock) outputs are used, which is only good for a dry run's plan. The state file and the Markdown, JSON
and SVG (timeline) reports go to --report-dir (default drill-reports/ at the repository root, which
.gitignore keeps out of commits).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from infra.cli.exit_codes import ExitCode, epilog
from infra.cli.stacks import plan, unknown_stacks
from infra.paths import DRILL_REPORTS

HISTORY = "history"


def register(subparsers: Any) -> None:
    from infra.drills.scenarios import SCENARIOS

    parser = subparsers.add_parser("drill", help="run a disaster-recovery drill (dry run by default)")
    parser.add_argument(
        "scenario",
        choices=[*sorted(SCENARIOS), HISTORY],
        metavar="SCENARIO",
        help=f"one of: {', '.join(sorted(SCENARIOS))}; or `{HISTORY}`: past reports against their targets",
    )
    parser.add_argument(
        "--stack", help="the stack to drill (the primary, for region-failover/failback); history: only this stack"
    )
    parser.add_argument(
        "--scenario", dest="only_scenario", choices=sorted(SCENARIOS), metavar="SCENARIO", help="history: only this one"
    )
    parser.add_argument("--execute", action="store_true", help="make the calls (needs --confirm STACK)")
    parser.add_argument("--confirm", metavar="STACK", help="repeat the stack name to allow changes")
    parser.add_argument("--outputs", type=Path, metavar="FILE", help="`pulumi stack output --json` of STACK")
    parser.add_argument(
        "--peer-outputs", type=Path, metavar="FILE", help="the same for STACK's DR peer (pair scenarios)"
    )
    state = parser.add_mutually_exclusive_group()
    state.add_argument("--resume", type=Path, metavar="STATE", help="continue an interrupted drill from its state file")
    state.add_argument("--rollback", type=Path, metavar="STATE", help="undo what an interrupted drill did")
    parser.add_argument(
        "--report-dir", type=Path, default=DRILL_REPORTS, metavar="DIR", help="state file and reports (and history's)"
    )
    parser.add_argument("--az", help="az-outage: the AZ to lose (default: the first)")
    parser.add_argument("--broker", type=int, help="broker-reboot: broker id (default: the lowest)")
    parser.add_argument("--shard", help="cache-failover: node group id (default: the first)")
    parser.add_argument(
        "--isolated",
        action="store_true",
        help="restore: take the lake's recovery point from the isolated vault (dr.isolatedCopy), the compromised-account path",
    )
    parser.add_argument(
        "--since",
        metavar="ISO8601",
        help="failback (required): when the failover happened (e.g. 2026-11-26T09:30:00Z); the primary's job "
        "reprocesses from then, since what the DR region processed never reached the primary's lake",
    )
    parser.epilog = epilog(
        FAILED="invalid stack config, a dry run found a problem, the drill failed or AWS refused",
        INTERRUPTED="interrupted (resume or roll back from the state file)",
    )
    parser.set_defaults(func=run)


def history(args: argparse.Namespace) -> int:
    """Measured RTO/RPO per scenario across the JSON reports in --report-dir, against their targets."""
    from infra.drills.history import history_lines, load_reports

    found = load_reports(args.report_dir)
    for skipped in found.skipped:
        print(f"skipped {skipped}", file=sys.stderr)
    print("\n".join(history_lines(found.reports, args.only_scenario, args.stack)))
    return ExitCode.OK


class UsageError(ValueError):
    """Bad input: printed, ExitCode.USAGE."""


def run(args: argparse.Namespace) -> int:
    from infra.config import ConfigError

    if args.scenario == HISTORY:
        return history(args)
    if args.stack is None:
        print("drill: --stack is required", file=sys.stderr)
        return ExitCode.USAGE
    if args.only_scenario is not None:
        print("drill: --scenario applies to history only", file=sys.stderr)
        return ExitCode.USAGE
    if unknown_stacks([args.stack]):
        return ExitCode.USAGE
    try:
        return _run(args)
    except UsageError as error:
        print(f"drill: {error}", file=sys.stderr)
        return ExitCode.USAGE
    except ConfigError as error:
        print(str(error), file=sys.stderr)
        return ExitCode.FAILED


def _run(args: argparse.Namespace) -> int:
    from infra.drills.model import MissingOutputError
    from infra.drills.scenarios import SCENARIOS

    scenario = SCENARIOS[args.scenario]
    mutating = args.execute or args.resume is not None or args.rollback is not None
    if mutating and args.confirm != args.stack:
        raise UsageError(
            f"changing AWS needs --confirm {args.stack} (the stack name again); got {args.confirm or 'none'}"
        )
    if mutating and args.outputs is None:
        raise UsageError(
            "a drill that changes AWS needs the deployed outputs: --outputs FILE (pulumi stack output --json)"
        )
    since = _since(args)
    outputs, peer = _outputs(args, scenario.needs_peer)
    reason = scenario.applies(outputs)
    if reason is not None:
        raise UsageError(f"{args.scenario} does not apply to stack {args.stack}: {reason}")
    check_options(args, outputs)
    try:
        return _drill(args, scenario, outputs, peer, since)
    except MissingOutputError as error:
        raise UsageError(f"{error}: deploy the current program, or pass newer --outputs") from None


def check_options(args: argparse.Namespace, outputs: dict[str, Any]) -> None:
    """--broker, --az and --shard against what the stack has (its outputs), before any AWS call."""
    stack = args.stack
    if args.broker is not None:
        count = int((outputs.get("kafkaSizing") or {}).get("brokers") or 0)
        if not 1 <= args.broker <= count:
            raise UsageError(f"--broker {args.broker}: stack {stack}'s MSK cluster has brokers 1..{count}")
    if args.az is not None:
        zones = sorted(outputs.get("fisExperimentTemplateIds") or outputs.get("availabilityZones") or [])
        if args.az not in zones:
            raise UsageError(f"--az {args.az}: stack {stack} has FIS templates for {', '.join(zones) or 'no AZ'}")
    if args.isolated and not outputs.get("isolatedBackupVaultName"):
        raise UsageError(f"--isolated: stack {stack} copies to no isolated vault (dr.isolatedCopy 'none')")
    if args.shard is not None:
        shards = [f"{n:04d}" for n in range(1, int(outputs.get("cacheShards") or 0) + 1)]
        if args.shard not in shards:
            raise UsageError(f"--shard {args.shard}: stack {stack}'s cache has node groups {', '.join(shards)}")


def _since(args: argparse.Namespace) -> str | None:
    """The failover time for failback, as the drill's ISO timestamp; a rollback starts no job, so needs none."""
    from datetime import UTC, datetime

    from infra.drills.clock import iso, parse_iso

    if args.scenario != "failback":
        if args.since is not None:
            raise UsageError("--since applies to failback only")
        return None
    if args.since is None:
        if args.rollback is not None:
            return None
        raise UsageError(
            "failback needs --since ISO8601: when the failover happened (its drill report's T0, or when traffic "
            "moved); the primary's job reprocesses from then"
        )
    try:
        moment = datetime.fromisoformat(args.since.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--since {args.since!r} is not an ISO 8601 time (e.g. 2026-11-26T09:30:00Z)") from None
    if moment.tzinfo is None:
        raise UsageError(f"--since {args.since!r} has no time zone: add Z (UTC) or an offset")
    if moment >= datetime.now(UTC):
        raise UsageError(f"--since {args.since} is not in the past")
    return iso(parse_iso(args.since))


def _outputs(args: argparse.Namespace, needs_peer: bool) -> tuple[dict[str, Any], Any]:
    from infra.cli.runbooks import read_outputs
    from infra.drills.model import Peer

    try:
        outputs = read_outputs(args.outputs, args.stack) if args.outputs else None
    except ValueError as error:
        raise UsageError(str(error)) from None
    peer_name = None
    if needs_peer:
        peer_name = str((outputs or {}).get("drPeerStack") or _peer_from_config(args.stack) or "").rsplit("/", 1)[-1]
        if not peer_name:
            raise UsageError(f"stack {args.stack} has no DR peer (dr.peerStack)")
        if args.outputs is not None and args.peer_outputs is None:
            raise UsageError(f"{args.scenario} needs the outputs of {peer_name} too: --peer-outputs FILE")
    try:
        peer_outputs = read_outputs(args.peer_outputs, peer_name) if args.peer_outputs and peer_name else None
    except ValueError as error:
        raise UsageError(str(error)) from None
    if outputs is None or (peer_name and peer_outputs is None):
        print(
            "note: outputs from the offline plan (mock values): fine for a dry run's plan, not for a real drill",
            file=sys.stderr,
        )
        plans = plan([args.stack] + ([peer_name] if peer_name else []))
        outputs = outputs if outputs is not None else plans[args.stack].outputs
        peer_outputs = peer_outputs if peer_outputs is not None or not peer_name else plans[peer_name].outputs
    peer = Peer(peer_name, str(peer_outputs["region"]), peer_outputs) if peer_name and peer_outputs else None
    return dict(outputs), peer


def _peer_from_config(stack: str) -> str | None:
    from infra.config import read_stack_file
    from infra.config.problems import PROJECT

    dr = read_stack_file(stack).get(f"{PROJECT}:dr") or {}
    return dr.get("peerStack") if isinstance(dr, dict) else None


def build_canaries(scenario_name: str, ctx: Any) -> dict[str, Any]:
    """The canaries the CLI can write by itself: S3 (boto3). Kafka and the cache are reachable only from
    inside the VPC: there the stack's deployed RPO canary (``canary`` output) measures them, and the
    scenarios read its CloudWatch metrics (infra/drills/canary_metrics.py)."""
    from infra.drills.canaries import S3Canary
    from infra.drills.scenarios.restore import scratch_names

    lake = ctx.out("lakeBucket.name")
    s3 = ctx.clients("s3", ctx.region)
    if scenario_name == "region-failover":
        peer = ctx.require_peer()
        return {"s3": S3Canary(s3, lake, ctx.clients("s3", peer.region), ctx.peer_out("lakeBucket.name"))}
    if scenario_name == "failback":
        peer = ctx.require_peer()
        return {"s3": S3Canary(ctx.clients("s3", peer.region), ctx.peer_out("lakeBucket.name"), s3, lake)}
    if scenario_name == "restore":
        return {"s3": S3Canary(s3, lake, s3, scratch_names(ctx)["bucket"])}
    return {}


def _drill(args: argparse.Namespace, scenario: Any, outputs: dict[str, Any], peer: Any, since: str | None) -> int:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from infra.drills.calls import Clients
    from infra.drills.clock import SystemClock, iso
    from infra.drills.guard import StopWatch, TagGuard
    from infra.drills.model import DrillContext
    from infra.drills.rehearsal import has_credentials, offline_clients
    from infra.drills.report import build_report, write_report
    from infra.drills.runner import DrillRunner, new_drill_id
    from infra.drills.state import DrillState, StateError
    from infra.drills.targets import target_for

    clock = SystemClock()
    # Without credentials a dry run rehearses the drill from the plan instead of failing on its first read.
    rehearsal = not (args.execute or args.resume or args.rollback) and not has_credentials()
    if rehearsal:
        clients = offline_clients(clock)
    else:
        session = boto3.session.Session()
        clients = Clients(
            lambda service, region, endpoint_url=None: session.client(
                service, region_name=region, endpoint_url=endpoint_url
            ),
            clock,
        )
    state = None
    if args.resume or args.rollback:
        try:
            state = DrillState.load(args.resume or args.rollback)
        except StateError as error:
            raise UsageError(str(error)) from None
        if (state.scenario, state.stack) != (args.scenario, args.stack):
            raise UsageError(
                f"the state file is for {state.scenario} on {state.stack}, not {args.scenario} on {args.stack}"
            )
    drill_id = state.drill_id if state else new_drill_id(args.scenario, args.stack, iso(clock.now()))
    options = {
        key: value
        for key, value in (
            ("az", args.az),
            ("broker", args.broker),
            ("shard", args.shard),
            ("since", since),
            ("isolated", args.isolated or None),
        )
        if value is not None
    }
    ctx = DrillContext(
        scenario=args.scenario,
        stack=args.stack,
        region=str(outputs["region"]),
        outputs=outputs,
        clients=clients,
        clock=clock,
        drill_id=drill_id,
        execute=args.execute or state is not None,
        peer=peer,
        options=options,
    )
    ctx.canaries = {
        store: c for store, c in build_canaries(args.scenario, ctx).items() if store in scenario.canary_stores
    }
    # A failover watches only the standby's alarms: the primary's are why it runs, and its region may not answer.
    stops = (
        {}
        if args.scenario == "region-failover"
        else {ctx.region: list((outputs.get("drillAlarms") or {}).get("stop") or [])}
    )
    if peer is not None:
        stops[peer.region] = list((peer.outputs.get("drillAlarms") or {}).get("stop") or [])
    state_path = args.report_dir / f"{drill_id}.state.json"
    runner = DrillRunner(
        scenario, ctx, stop_watch=StopWatch(clients, stops), guard=TagGuard(clients), state_path=state_path
    )
    try:
        if not ctx.execute:
            result = runner.rehearse() if rehearsal else runner.dry_run()
            print("\n".join(result.lines))
            for problem in result.problems:
                print(f"PROBLEM: {problem}", file=sys.stderr)
            return ExitCode.OK if result.ok else ExitCode.FAILED
        if args.rollback:
            assert state is not None
            state = runner.rollback(state)
        else:
            state = runner.execute(state)
    except KeyboardInterrupt:
        print(
            f"\ninterrupted; state in {state_path}. Resume: --resume {state_path} --confirm {args.stack}; "
            f"undo: --rollback {state_path} --confirm {args.stack}",
            file=sys.stderr,
        )
        return ExitCode.INTERRUPTED
    except (BotoCoreError, ClientError) as error:
        print(f"drill: AWS refused or is unreachable: {error}", file=sys.stderr)
        return ExitCode.FAILED
    canaries = scenario.canary_stores
    report = build_report(state, target_for(args.scenario, outputs), canaries)
    json_path, markdown_path, svg_path = write_report(report, args.report_dir)
    print(
        f"{report['result']}: drill {state.status}; report {markdown_path} (JSON {json_path}, timeline {svg_path}); "
        f"state {state_path}"
    )
    return ExitCode.OK if report["result"] == "PASS" else ExitCode.FAILED
