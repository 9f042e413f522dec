"""`blueprint size`: recommend an MSK cluster for a workload, or evaluate a given cluster.

A thin shell over infra.catalog.sizing (imported when the command runs, so other
sub-commands do not pay for it; nothing here imports pulumi). Exit codes: 0 done,
1 no cluster fits / the cluster does not carry the workload, 2 invalid input.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from infra.cli.exit_codes import ExitCode, epilog

if TYPE_CHECKING:
    from infra.catalog.sizing import Evaluation, Recommendation, Workload

_RECOMMEND_ONLY = ("max_brokers", "no_burstable")
_EVALUATE_ONLY = ("instance_type", "brokers", "volume_throughput_mbps", "volume_gib")
_WORKLOAD_CHECK = ("ingress_mbps", "retention_hours", "volume_gib")
_WORKLOAD_SHAPE = ("peak_factor", "partitions")


def _number(minimum: float, inclusive: bool) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not math.isfinite(value) or value < minimum or (value == minimum and not inclusive):
            bound = f">= {minimum:g}" if inclusive else f"> {minimum:g}"
            raise argparse.ArgumentTypeError(f"must be a number {bound}, got {text!r}")
        return value

    return parse


def _count(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be a whole number >= {minimum}, got {text!r}")
        return value

    return parse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "size",
        help="Recommend an MSK cluster for a workload, or evaluate a given cluster.",
        description=(
            "Size MSK Standard brokers with AWS's sustained-throughput formula (baseline EBS and "
            "network figures, 80% production target, disks sized to the fill target that MSK storage autoscaling keeps). Without --evaluate: "
            "recommend instance type, broker count, volume size and throughput for a workload. "
            "With --evaluate: print the sustained limit and target of a given cluster (add "
            "--ingress-mbps, --retention-hours and --volume-gib to check it against a workload)."
        ),
        epilog=epilog(FAILED="no cluster fits, or the cluster falls short", USAGE="invalid input"),
    )
    workload = parser.add_argument_group("workload")
    workload.add_argument("--ingress-mbps", metavar="N", type=_number(0, False), help="Average ingress, MB/s.")
    workload.add_argument("--retention-hours", metavar="H", type=_number(0, False), help="Log retention, hours.")
    workload.add_argument(
        "--peak-factor", metavar="F", type=_number(1, True), help="Peak / average ingress (>= 1; default 1)."
    )
    workload.add_argument("--partitions", metavar="P", type=_count(1), help="Leader partitions across all topics.")
    workload.add_argument(
        "--replication-factor", metavar="R", type=_count(1), default=3, help="Topic replication factor (default 3)."
    )
    workload.add_argument(
        "--consumer-groups", metavar="G", type=_count(0), default=1, help="Consumer groups reading the tip (default 1)."
    )
    cluster = parser.add_argument_group("cluster")
    cluster.add_argument(
        "--azs", metavar="A", type=_count(1), default=3, help="AZs the cluster spans: 2 or 3 (default 3)."
    )
    cluster.add_argument(
        "--max-brokers", metavar="M", type=_count(1), help="Per-cluster broker quota (default 30; KRaft clusters: 60)."
    )
    cluster.add_argument("--no-burstable", action="store_true", help="Leave kafka.t3.small out (production).")
    cluster.add_argument("--evaluate", action="store_true", help="Evaluate the cluster given below.")
    cluster.add_argument("--instance-type", metavar="T", help="Broker type, e.g. kafka.m7g.xlarge.")
    cluster.add_argument("--brokers", metavar="B", type=_count(1), help="Broker count.")
    cluster.add_argument(
        "--volume-throughput-mbps",
        metavar="V",
        type=_count(1),
        help="Provisioned storage throughput per broker, MiB/s.",
    )
    cluster.add_argument("--volume-gib", metavar="GIB", type=_count(1), help="Volume per broker, GiB.")
    parser.add_argument("--json", action="store_true", help="Print JSON instead of text.")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Dispatch to recommend or evaluate; every expected failure becomes a message."""
    from infra.catalog.sizing import SizingError

    try:
        return _evaluate(args) if args.evaluate else _recommend(args)
    except _UsageError as problem:
        return _fail(str(problem), ExitCode.USAGE)
    except SizingError as problem:
        return _fail(str(problem), _exit_code_of(problem))


class _UsageError(Exception):
    """Options that do not go together."""


def _exit_code_of(problem: Exception) -> int:
    from infra.catalog.sizing import NoClusterFitsError

    return ExitCode.FAILED if isinstance(problem, NoClusterFitsError) else ExitCode.USAGE


def _fail(message: str, code: int) -> int:
    print(f"blueprint size: error: {message}", file=sys.stderr)
    return code


def _given(args: argparse.Namespace, names: tuple[str, ...]) -> list[str]:
    return ["--" + name.replace("_", "-") for name in names if getattr(args, name) not in (None, False)]


def _recommend(args: argparse.Namespace) -> int:
    from infra.catalog import sizing

    if stray := _given(args, _EVALUATE_ONLY):
        raise _UsageError(f"{', '.join(stray)}: only with --evaluate")
    missing = [
        f"--{name.replace('_', '-')}" for name in ("ingress_mbps", "retention_hours") if getattr(args, name) is None
    ]
    if missing:
        raise _UsageError(f"recommending a cluster needs {' and '.join(missing)}")
    workload = _workload(args)
    candidates = sizing.NON_BURSTABLE_INSTANCE_TYPES if args.no_burstable else None
    recommendation = sizing.recommend(
        workload,
        args.azs,
        instance_types=candidates,
        max_brokers=args.max_brokers or sizing.DEFAULT_MAX_BROKERS,
    )
    if args.json:
        print(json.dumps(recommendation.to_dict(), indent=2))
    else:
        print(_recommendation_text(recommendation))
    return ExitCode.OK


def _evaluate(args: argparse.Namespace) -> int:
    from infra.catalog import sizing

    if stray := _given(args, _RECOMMEND_ONLY):
        raise _UsageError(f"{', '.join(stray)}: only without --evaluate (when recommending)")
    missing = [f"--{name.replace('_', '-')}" for name in ("instance_type", "brokers") if getattr(args, name) is None]
    if missing:
        raise _UsageError(f"--evaluate needs {' and '.join(missing)}")
    check_given = _given(args, _WORKLOAD_CHECK)
    check_workload = bool(set(check_given) - {"--volume-gib"})
    if check_workload and len(check_given) < len(_WORKLOAD_CHECK):
        raise _UsageError(
            "checking a cluster against a workload needs --ingress-mbps, --retention-hours and --volume-gib together"
        )
    if not check_workload and (shape := _given(args, _WORKLOAD_SHAPE)):
        raise _UsageError(
            f"{', '.join(shape)}: only when checking against a workload "
            "(with --ingress-mbps, --retention-hours and --volume-gib)"
        )
    problems: list[str] | None = None
    if check_workload:
        problems = sizing.check_cluster(
            _workload(args),
            args.instance_type,
            args.brokers,
            args.volume_gib,
            args.azs,
            args.volume_throughput_mbps,
        )
    else:
        sizing.check_placement(args.azs, args.brokers)
    evaluation = sizing.evaluate(
        args.instance_type,
        args.brokers,
        args.replication_factor,
        args.consumer_groups,
        args.volume_throughput_mbps,
    )
    if args.json:
        document: dict[str, Any] = {
            **evaluation.to_dict(),
            "volume_gib": args.volume_gib,
            "volume_throughput_mbps": args.volume_throughput_mbps,
            "azs": args.azs,
            "problems": problems,
        }
        print(json.dumps(document, indent=2))
    else:
        print(_evaluation_text(evaluation, problems))
    return ExitCode.FAILED if problems else ExitCode.OK


def _workload(args: argparse.Namespace) -> Workload:
    from infra.catalog.sizing import Workload

    return Workload(
        ingress_mbps=args.ingress_mbps,
        retention_hours=args.retention_hours,
        peak_factor=1.0 if args.peak_factor is None else args.peak_factor,
        replication_factor=args.replication_factor,
        consumer_groups=args.consumer_groups,
        partitions=args.partitions,
    )


def _throughput_text(volume_throughput_mbps: int | None) -> str:
    if volume_throughput_mbps is None:
        return "MSK's default storage throughput"
    return f"{volume_throughput_mbps} MiB/s provisioned storage throughput"


def _recommendation_text(recommendation: Recommendation) -> str:
    evaluation = recommendation.evaluation
    lines = [
        f"Recommended: {recommendation.brokers} x {recommendation.instance_type} in "
        f"{recommendation.az_count} AZs, {recommendation.volume_gib} GiB per broker, "
        f"{_throughput_text(recommendation.volume_throughput_mbps)}",
        f"Sustained limit {evaluation.sustained_limit_mbps:.1f} MB/s "
        f"(limiting term: {evaluation.limiting_term}); "
        f"production target {evaluation.target_mbps:.1f} MB/s; "
        f"peak ingress {recommendation.workload.peak_ingress_mbps:.1f} MB/s",
        "Why:",
        *(f"  - {reason}" for reason in recommendation.reasons),
    ]
    return "\n".join(lines)


def _evaluation_text(evaluation: Evaluation, problems: list[str] | None) -> str:
    from infra.catalog.sizing import PRODUCTION_TARGET, TERM_LABELS

    storage = "provisioned" if evaluation.provisioned_throughput else "MSK default"
    lines = [
        f"{evaluation.brokers} x {evaluation.instance_type}, r={evaluation.replication_factor}, "
        f"{evaluation.consumer_groups} consumer group(s) at the tip, storage throughput "
        f"{evaluation.storage_throughput_mbps:g} MiB/s per broker ({storage})",
        "Equation 1 terms (cluster MB/s):",
        *(
            f"  {TERM_LABELS[name]:<28} {value:>10.1f}"
            if math.isfinite(value)
            else f"  {TERM_LABELS[name]:<28} {'unbounded':>10}"
            for name, value in evaluation.terms.items()
        ),
        f"Sustained limit {evaluation.sustained_limit_mbps:.1f} MB/s (limiting term: {evaluation.limiting_term})",
        f"Production target ({PRODUCTION_TARGET:.0%}) {evaluation.target_mbps:.1f} MB/s",
    ]
    if problems is not None:
        lines.append("Workload check: " + ("fits" if not problems else "does NOT fit"))
        lines.extend(f"  - {problem}" for problem in problems)
    return "\n".join(lines)
