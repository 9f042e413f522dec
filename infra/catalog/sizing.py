"""MSK (Standard brokers) sizing: sustained throughput, broker count, volume size and throughput.

The throughput model is Equation 1 of the AWS Big Data Blog post "Best practices for
right-sizing your Apache Kafka clusters to optimize performance and cost" (checked
2026-11-26), with r = replication factor and cg = consumer groups reading the tip of the log:

    limit = min(storage * brokers / r, ebs_network * brokers / r,
                ec2_network * brokers / (cg + r - 1))

using BASELINE per-broker figures from ``infra/data/msk_brokers.yaml`` (each with its
source). A production cluster may use 80% of that limit. Throughput is in MB/s (10^6 B/s);
MSK's storage throughput (MiB/s) is used as MB/s unchanged, which is conservative.

"Cheaper" has one meaning here, :func:`cluster_rank`: fewer total broker vCPUs, then less
total memory, then the family AWS says has the better price-performance (m7g over m5), then
fewer brokers. MSK bills per broker-hour and a broker's price follows its size, so total
vCPUs is the price order that needs no price table. The recommendation is the lowest-ranked
cluster that fits; a heavier workload only ever removes clusters from the fitting set, so
it never gets a lower-ranked recommendation (monotonicity, tested in tests/test_sizing.py).

This module is pure: no pulumi, no AWS calls. The stack config calls :func:`check_cluster`
for explicit broker settings and :func:`recommend` for ``sizing: workload``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from infra.paths import DATA

_DATA = yaml.safe_load((DATA / "msk_brokers.yaml").read_text(encoding="utf-8"))
_LIMITS: Mapping[str, Any] = _DATA["cluster_limits"]

PRODUCTION_TARGET: float = float(_LIMITS["production_target"])
DEFAULT_FILL_TARGET: float = float(_LIMITS["storage_fill_target"])
"""Planned disk use at full retention when none is given: the storage autoscaling target MSK recommends."""
MIN_VOLUME_GIB: int = int(_LIMITS["min_volume_gib"])
MAX_VOLUME_GIB: int = int(_LIMITS["max_volume_gib"])
MIN_VOLUME_GIB_WITH_PROVISIONED_THROUGHPUT: int = int(_LIMITS["min_volume_gib_with_provisioned_throughput"])
MIN_PROVISIONED_THROUGHPUT_MBPS: int = int(_LIMITS["min_provisioned_throughput_mibps"])
DEFAULT_MAX_BROKERS: int = int(_LIMITS["max_brokers_per_cluster_zookeeper"])
"""Default quota for ZooKeeper-based clusters (KRaft: 60); adjustable, hence a parameter."""
AZ_COUNTS: tuple[int, ...] = tuple(int(n) for n in _LIMITS["az_counts"])

TERM_LABELS: Mapping[str, str] = {
    "storage": "storage (volume throughput)",
    "ebs_network": "EC2-to-EBS network",
    "ec2_network": "EC2 network egress",
}
"""Equation 1's terms, in the order that also breaks ties for the limiting term."""

# MSK broker sizes page: M7g brokers give better price-performance than comparable M5.
_FAMILY_PREFERENCE: Mapping[str, int] = {"t3": 0, "m7g": 1, "m5": 2}
_BYTES_PER_MB = 1_000_000
_BYTES_PER_GIB = 2**30
_TOLERANCE = 1e-9
"""Relative slack for float comparisons, so a value rounded up to fit is not rejected."""


class SizingError(ValueError):
    """Input MSK would reject, or that the model cannot size; the message says which."""


class NoClusterFitsError(SizingError):
    """No supported broker type carries the workload within the broker-count limit."""


@dataclass(frozen=True)
class BrokerSpec:
    """Baseline figures of one MSK broker size (see infra/data/msk_brokers.yaml)."""

    instance_type: str
    vcpu: int
    memory_gib: float
    ebs_baseline_mbps: float
    network_baseline_mbps: float
    default_storage_throughput_mbps: float
    provisioned_throughput_max_mbps: float | None
    """None when the size cannot provision storage throughput."""
    partitions_recommended: int
    partitions_max_for_updates: int
    burstable: bool

    @property
    def family(self) -> str:
        return self.instance_type.split(".")[1]

    @property
    def max_provisionable_mbps(self) -> int | None:
        """Largest whole MiB/s the API accepts (``volume_throughput`` is an integer)."""
        if self.provisioned_throughput_max_mbps is None:
            return None
        return math.floor(self.provisioned_throughput_max_mbps)


def _load_specs() -> dict[str, BrokerSpec]:
    specs = {}
    for name, row in _DATA["brokers"].items():
        maximum = row["provisioned_throughput_max_mibps"]
        specs[name] = BrokerSpec(
            instance_type=name,
            vcpu=int(row["vcpu"]),
            memory_gib=float(row["memory_gib"]),
            ebs_baseline_mbps=float(row["ebs_baseline_mbps"]),
            network_baseline_mbps=float(row["network_baseline_mbps"]),
            default_storage_throughput_mbps=float(row["default_storage_throughput_mibps"]),
            provisioned_throughput_max_mbps=None if maximum is None else float(maximum),
            partitions_recommended=int(row["partitions_recommended"]),
            partitions_max_for_updates=int(row["partitions_max_for_updates"]),
            burstable=bool(row["burstable"]),
        )
    return specs


BROKER_SPECS: Mapping[str, BrokerSpec] = _load_specs()
SUPPORTED_INSTANCE_TYPES: frozenset[str] = frozenset(BROKER_SPECS)
NON_BURSTABLE_INSTANCE_TYPES: frozenset[str] = frozenset(
    name for name, spec in BROKER_SPECS.items() if not spec.burstable
)
"""Candidates for production: AWS suggests T3 brokers for development and tests only."""


def broker_spec(instance_type: str) -> BrokerSpec:
    """The figures of a broker size; a clear error for an unknown one."""
    try:
        return BROKER_SPECS[instance_type]
    except KeyError:
        known = ", ".join(sorted(SUPPORTED_INSTANCE_TYPES, key=_size_order))
        raise SizingError(f"unknown MSK broker type {instance_type!r}; supported: {known}") from None


def _size_order(instance_type: str) -> tuple[int, int, str]:
    spec = BROKER_SPECS[instance_type]
    return (_FAMILY_PREFERENCE[spec.family], spec.vcpu, instance_type)


def cluster_rank(instance_type: str, brokers: int) -> tuple[int, float, int, int]:
    """The cost order of clusters (lower = cheaper); see the module docstring."""
    spec = broker_spec(instance_type)
    return (
        spec.vcpu * brokers,
        spec.memory_gib * brokers,
        _FAMILY_PREFERENCE[spec.family],
        brokers,
    )


@dataclass(frozen=True, kw_only=True)
class Workload:
    """A declared streaming workload.

    ``ingress_mbps`` is the average producer rate; ``peak_factor`` scales it to the peak the
    cluster must carry. Retention accumulates the average, so storage uses ``ingress_mbps``.
    ``partitions`` counts leader partitions across all topics (None: not declared).
    ``fill_target`` is the share of a broker volume full retention may fill: volumes are sized to
    it, and it is the storage autoscaling target, so the scaler keeps the disks the plan priced.
    """

    ingress_mbps: float
    retention_hours: float
    peak_factor: float = 1.0
    replication_factor: int = 3
    consumer_groups: int = 1
    partitions: int | None = None
    fill_target: float = DEFAULT_FILL_TARGET

    def __post_init__(self) -> None:
        _require_number(self.ingress_mbps, "ingress_mbps", minimum=0.0, inclusive=False)
        _require_number(self.retention_hours, "retention_hours", minimum=0.0, inclusive=False)
        _require_number(self.peak_factor, "peak_factor", minimum=1.0, inclusive=True)
        _require_count(self.replication_factor, "replication_factor", minimum=1)
        _require_count(self.consumer_groups, "consumer_groups", minimum=0)
        if self.partitions is not None:
            _require_count(self.partitions, "partitions", minimum=1)
        _require_number(self.fill_target, "fill_target", minimum=0.0, inclusive=False)
        if self.fill_target > 1:
            raise SizingError(f"fill_target is a share of the volume (<= 1), got {self.fill_target:g}")

    @property
    def peak_ingress_mbps(self) -> float:
        return self.ingress_mbps * self.peak_factor


def _require_number(value: float, name: str, *, minimum: float, inclusive: bool) -> None:
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise SizingError(f"{name} must be a finite number, got {value!r}")
    if value < minimum or (value == minimum and not inclusive):
        bound = f">= {minimum:g}" if inclusive else f"> {minimum:g}"
        raise SizingError(f"{name} must be {bound}, got {value:g}")


def _require_count(value: int, name: str, *, minimum: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise SizingError(f"{name} must be a whole number >= {minimum}, got {value!r}")


@dataclass(frozen=True)
class Evaluation:
    """Equation 1 applied to one cluster."""

    instance_type: str
    brokers: int
    replication_factor: int
    consumer_groups: int
    storage_throughput_mbps: float
    """Per-broker volume throughput used by the storage term (default or provisioned)."""
    provisioned_throughput: bool
    terms: Mapping[str, float]
    """Cluster throughput each term allows, MB/s (inf: a term with no egress copies)."""
    limiting_term: str
    sustained_limit_mbps: float
    target_mbps: float
    """The production target: PRODUCTION_TARGET x sustained limit."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "instance_type": self.instance_type,
            "brokers": self.brokers,
            "replication_factor": self.replication_factor,
            "consumer_groups": self.consumer_groups,
            "storage_throughput_mbps": self.storage_throughput_mbps,
            "provisioned_throughput": self.provisioned_throughput,
            "terms": {name: _json_number(value) for name, value in self.terms.items()},
            "limiting_term": self.limiting_term,
            "sustained_limit_mbps": self.sustained_limit_mbps,
            "target_mbps": self.target_mbps,
        }

    def describe(self) -> str:
        """One line: the three terms, the limit and which term sets it, the target."""
        terms = " | ".join(f"{TERM_LABELS[name]} {_format_mbps(value)}" for name, value in self.terms.items())
        return (
            f"{self.brokers} x {self.instance_type}: {terms} -> sustained limit "
            f"{self.sustained_limit_mbps:.1f} MB/s, set by the {TERM_LABELS[self.limiting_term]} "
            f"term; {PRODUCTION_TARGET:.0%} target {self.target_mbps:.1f} MB/s"
        )


def _json_number(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _format_mbps(value: float) -> str:
    return f"{value:.1f}" if math.isfinite(value) else "unbounded"


def evaluate(
    instance_type: str,
    brokers: int,
    replication_factor: int,
    consumer_groups: int,
    volume_throughput_mbps: float | None = None,
) -> Evaluation:
    """Sustained throughput limit and production target of a given cluster.

    ``volume_throughput_mbps`` is provisioned storage throughput per broker (MiB/s, as MSK
    takes it); None means MSK's default. Raises SizingError for a cluster MSK would reject or
    one with fewer brokers than replicas.
    """
    spec = broker_spec(instance_type)
    _require_count(brokers, "brokers", minimum=1)
    _require_count(replication_factor, "replication_factor", minimum=1)
    _require_count(consumer_groups, "consumer_groups", minimum=0)
    if brokers < replication_factor:
        raise SizingError(
            f"{brokers} brokers cannot hold {replication_factor} replicas of a partition: "
            f"brokers must be >= the replication factor"
        )
    storage_mbps = _storage_throughput(spec, volume_throughput_mbps)
    egress_copies = consumer_groups + replication_factor - 1
    terms = {
        "storage": storage_mbps * brokers / replication_factor,
        "ebs_network": spec.ebs_baseline_mbps * brokers / replication_factor,
        "ec2_network": (spec.network_baseline_mbps * brokers / egress_copies if egress_copies else math.inf),
    }
    limiting_term = min(terms, key=terms.__getitem__)
    limit = terms[limiting_term]
    return Evaluation(
        instance_type=instance_type,
        brokers=brokers,
        replication_factor=replication_factor,
        consumer_groups=consumer_groups,
        storage_throughput_mbps=storage_mbps,
        provisioned_throughput=volume_throughput_mbps is not None,
        terms=terms,
        limiting_term=limiting_term,
        sustained_limit_mbps=limit,
        target_mbps=limit * PRODUCTION_TARGET,
    )


def _storage_throughput(spec: BrokerSpec, volume_throughput_mbps: float | None) -> float:
    if volume_throughput_mbps is None:
        return spec.default_storage_throughput_mbps
    _require_number(volume_throughput_mbps, "volume_throughput_mbps", minimum=0.0, inclusive=False)
    if spec.provisioned_throughput_max_mbps is None:
        raise SizingError(
            f"{spec.instance_type} cannot provision storage throughput; MSK allows it on "
            f"kafka.m5.4xlarge / kafka.m7g.2xlarge and larger"
        )
    if not (MIN_PROVISIONED_THROUGHPUT_MBPS <= volume_throughput_mbps <= spec.provisioned_throughput_max_mbps):
        raise SizingError(
            f"provisioned storage throughput on {spec.instance_type} must be "
            f"{MIN_PROVISIONED_THROUGHPUT_MBPS}..{spec.provisioned_throughput_max_mbps:g} MiB/s, "
            f"got {volume_throughput_mbps:g}"
        )
    return float(volume_throughput_mbps)


def retained_gib_per_broker(workload: Workload, brokers: int) -> float:
    """Data each broker keeps for the retention period: ingress x retention x r / brokers."""
    stored_bytes = workload.ingress_mbps * _BYTES_PER_MB * workload.retention_hours * 3600 * workload.replication_factor
    return stored_bytes / brokers / _BYTES_PER_GIB


def volume_for(workload: Workload, brokers: int) -> int:
    """Smallest whole-GiB volume that keeps retention under the fill target (may exceed MSK's max)."""
    needed = retained_gib_per_broker(workload, brokers) / workload.fill_target
    return max(MIN_VOLUME_GIB, math.ceil(needed))


def replicas_per_broker(workload: Workload, brokers: int) -> int | None:
    """Partition replicas on the busiest broker when spread evenly (None: not declared)."""
    if workload.partitions is None:
        return None
    return math.ceil(workload.partitions * workload.replication_factor / brokers)


def check_placement(az_count: int, brokers: int | None = None) -> None:
    """Raise SizingError unless MSK accepts the AZ count (and brokers spread evenly over it)."""
    if az_count not in AZ_COUNTS:
        raise SizingError(f"an MSK cluster spans {' or '.join(map(str, AZ_COUNTS))} Availability Zones, got {az_count}")
    if brokers is not None and brokers % az_count:
        raise SizingError(
            f"{brokers} brokers cannot be spread evenly over {az_count} AZs: "
            f"the broker count must be a multiple of the AZ count"
        )


def _validate_volume(volume_gib: int, provisioned: bool) -> None:
    _require_count(volume_gib, "volume_gib", minimum=MIN_VOLUME_GIB)
    if volume_gib > MAX_VOLUME_GIB:
        raise SizingError(f"an MSK broker volume is at most {MAX_VOLUME_GIB} GiB, got {volume_gib}")
    if provisioned and volume_gib < MIN_VOLUME_GIB_WITH_PROVISIONED_THROUGHPUT:
        raise SizingError(
            f"provisioned storage throughput needs a volume of at least "
            f"{MIN_VOLUME_GIB_WITH_PROVISIONED_THROUGHPUT} GiB, got {volume_gib}"
        )


def _shortfalls(workload: Workload, spec: BrokerSpec, evaluation: Evaluation, volume_gib: int) -> dict[str, str]:
    """Why a cluster cannot carry a workload: failed check (throughput, storage, partitions) -> sentence."""
    problems = {}
    brokers = evaluation.brokers
    peak = workload.peak_ingress_mbps
    if evaluation.target_mbps * (1 + _TOLERANCE) < peak:
        problems["throughput"] = (
            f"throughput: {brokers} x {spec.instance_type} sustains "
            f"{evaluation.sustained_limit_mbps:.1f} MB/s (set by the "
            f"{TERM_LABELS[evaluation.limiting_term]} term); its {PRODUCTION_TARGET:.0%} target "
            f"{evaluation.target_mbps:.1f} MB/s is below the peak ingress {peak:.1f} MB/s"
        )
    retained = retained_gib_per_broker(workload, brokers)
    if retained > volume_gib * workload.fill_target * (1 + _TOLERANCE):
        problems["storage"] = (
            f"storage: {workload.retention_hours:g} h of retention at r={workload.replication_factor} "
            f"puts {retained:.1f} GiB on each of {brokers} brokers, above "
            f"{workload.fill_target:.0%} of a {volume_gib} GiB volume"
        )
    replicas = replicas_per_broker(workload, brokers)
    if replicas is not None and replicas > spec.partitions_recommended:
        beyond_updates = (
            f", and above the {spec.partitions_max_for_updates} at which MSK can still apply updates"
            if replicas > spec.partitions_max_for_updates
            else f" (MSK can still apply updates up to {spec.partitions_max_for_updates})"
        )
        problems["partitions"] = (
            f"partitions: {workload.partitions} partitions x r={workload.replication_factor} "
            f"put {replicas} replicas on each of {brokers} brokers, above MSK's recommended "
            f"{spec.partitions_recommended} for {spec.instance_type}{beyond_updates}"
        )
    return problems


def check_cluster(
    workload: Workload,
    instance_type: str,
    brokers: int,
    volume_gib: int,
    az_count: int,
    volume_throughput_mbps: int | None = None,
) -> list[str]:
    """Why an explicitly configured cluster cannot carry the workload; [] when it fits.

    The same checks :func:`recommend` applies (peak within the 80% target, retention within
    the fill target, replicas per broker within MSK's recommendation), so a recommendation
    always passes. Settings MSK itself would reject (unknown type, brokers not a multiple of
    the AZ count or below the replication factor, volume or throughput out of range) raise
    SizingError instead: they are errors in every tier.
    """
    spec = broker_spec(instance_type)
    check_placement(az_count, brokers)
    _validate_volume(volume_gib, provisioned=volume_throughput_mbps is not None)
    evaluation = evaluate(
        instance_type,
        brokers,
        workload.replication_factor,
        workload.consumer_groups,
        volume_throughput_mbps,
    )
    return list(_shortfalls(workload, spec, evaluation, volume_gib).values())


@dataclass(frozen=True)
class _Attempt:
    """One candidate cluster sized for a workload, with what (if anything) it lacks."""

    spec: BrokerSpec
    volume_gib: int
    volume_throughput_mbps: int | None
    evaluation: Evaluation
    shortfalls: dict[str, str]

    @property
    def brokers(self) -> int:
        return self.evaluation.brokers

    @property
    def fits(self) -> bool:
        return not self.shortfalls


def _attempt(workload: Workload, spec: BrokerSpec, brokers: int) -> _Attempt:
    """Size volume and throughput for a fixed broker type and count, then check the fit.

    Provisioned storage throughput is requested only when the storage term is what keeps
    the default cluster below the peak and the broker size supports it; then the smallest
    whole MiB/s that lifts the storage term's target to the peak (at least MSK's 250).
    """
    r, groups = workload.replication_factor, workload.consumer_groups
    volume = volume_for(workload, brokers)
    evaluation = evaluate(spec.instance_type, brokers, r, groups)
    provisioned: int | None = None
    peak = workload.peak_ingress_mbps
    maximum = spec.max_provisionable_mbps
    if (
        evaluation.target_mbps * (1 + _TOLERANCE) < peak
        and evaluation.limiting_term == "storage"
        and maximum is not None
    ):
        needed = math.ceil(peak * r / (PRODUCTION_TARGET * brokers))
        provisioned = min(max(needed, MIN_PROVISIONED_THROUGHPUT_MBPS), maximum)
        volume = max(volume, MIN_VOLUME_GIB_WITH_PROVISIONED_THROUGHPUT)
        evaluation = evaluate(spec.instance_type, brokers, r, groups, provisioned)
    shortfalls = _shortfalls(workload, spec, evaluation, min(volume, MAX_VOLUME_GIB))
    return _Attempt(spec, volume, provisioned, evaluation, shortfalls)


@dataclass(frozen=True)
class Recommendation:
    """The cheapest cluster (by :func:`cluster_rank`) that carries a workload, and why."""

    instance_type: str
    brokers: int
    volume_gib: int
    volume_throughput_mbps: int | None
    """Provisioned storage throughput per broker, MiB/s; None keeps MSK's default."""
    evaluation: Evaluation
    reasons: list[str]
    workload: Workload
    az_count: int

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.evaluation.to_dict(),
            "volume_gib": self.volume_gib,
            "volume_throughput_mbps": self.volume_throughput_mbps,
            "azs": self.az_count,
            "peak_ingress_mbps": self.workload.peak_ingress_mbps,
            "replicas_per_broker": replicas_per_broker(self.workload, self.brokers),
            "reasons": list(self.reasons),
        }


def broker_counts(az_count: int, replication_factor: int, max_brokers: int) -> range:
    """Valid broker counts in rising order: multiples of the AZ count, at least r."""
    smallest = az_count * math.ceil(max(replication_factor, az_count) / az_count)
    return range(smallest, max_brokers + 1, az_count)


def recommend(
    workload: Workload,
    az_count: int,
    *,
    instance_types: Iterable[str] | None = None,
    max_brokers: int = DEFAULT_MAX_BROKERS,
) -> Recommendation:
    """The cheapest cluster that carries the workload, with the reasoning behind it.

    For each broker type the smallest valid broker count that fits is found (every check
    only gets easier with more brokers); among those, the lowest :func:`cluster_rank` wins.
    ``instance_types`` restricts the candidates (e.g. no burstable brokers in production);
    ``max_brokers`` is the per-cluster broker quota. Raises NoClusterFitsError when nothing fits.
    """
    check_placement(az_count)
    _require_count(max_brokers, "max_brokers", minimum=1)
    names = SUPPORTED_INSTANCE_TYPES if instance_types is None else frozenset(instance_types)
    candidates = sorted((broker_spec(name) for name in names), key=lambda spec: _size_order(spec.instance_type))
    if not candidates:
        raise SizingError("instance_types must name at least one broker type")
    counts = broker_counts(az_count, workload.replication_factor, max_brokers)
    if not counts:
        raise NoClusterFitsError(
            f"max_brokers={max_brokers} leaves no broker count that is a multiple of "
            f"{az_count} AZs and >= r={workload.replication_factor}"
        )
    fitting: list[tuple[_Attempt, _Attempt | None]] = []
    best_misses: list[_Attempt] = []
    for spec in candidates:
        previous: _Attempt | None = None
        for brokers in counts:
            attempt = _attempt(workload, spec, brokers)
            if attempt.fits:
                fitting.append((attempt, previous))
                break
            previous = attempt
        else:
            if previous is not None:
                best_misses.append(previous)
    if not fitting:
        closest = max(best_misses, key=lambda miss: miss.evaluation.target_mbps)
        raise NoClusterFitsError(
            f"no supported MSK Standard cluster of at most {counts[-1]} brokers in {az_count} AZs "
            f"carries this workload; the closest, {closest.brokers} x "
            f"{closest.spec.instance_type}, falls short on: {'; '.join(closest.shortfalls.values())}. "
            f"Raise the broker quota (max_brokers), shorten retention or use tiered storage"
        )
    fitting.sort(key=lambda pair: cluster_rank(pair[0].spec.instance_type, pair[0].brokers))
    chosen, previous = fitting[0]
    runner_up = fitting[1][0] if len(fitting) > 1 else None
    return Recommendation(
        instance_type=chosen.spec.instance_type,
        brokers=chosen.brokers,
        volume_gib=chosen.volume_gib,
        volume_throughput_mbps=chosen.volume_throughput_mbps,
        evaluation=chosen.evaluation,
        reasons=_reasons(workload, az_count, chosen, previous, runner_up),
        workload=workload,
        az_count=az_count,
    )


def _reasons(
    workload: Workload,
    az_count: int,
    chosen: _Attempt,
    previous: _Attempt | None,
    runner_up: _Attempt | None,
) -> list[str]:
    spec, evaluation, brokers = chosen.spec, chosen.evaluation, chosen.brokers
    r = workload.replication_factor
    peak = workload.peak_ingress_mbps
    reasons = [
        f"Peak ingress {peak:.1f} MB/s ({workload.ingress_mbps:g} MB/s x peak factor "
        f"{workload.peak_factor:g}) must fit within {PRODUCTION_TARGET:.0%} of the sustained "
        f"limit, so the cluster needs a limit of at least {peak / PRODUCTION_TARGET:.1f} MB/s.",
        f"Equation 1 with r={r} and {workload.consumer_groups} consumer group(s) at the tip: {evaluation.describe()}.",
    ]
    if previous is None:
        reasons.append(
            f"{brokers} brokers is the smallest valid count: a multiple of {az_count} AZs and at least r={r}."
        )
    else:
        reasons.append(
            f"{previous.brokers} brokers would fall short on "
            f"{'; '.join(previous.shortfalls.values())}; {brokers} is the next multiple of {az_count} AZs."
        )
        if set(previous.shortfalls) == {"storage"}:
            reasons.append(
                "Retention, not throughput, sets the broker count; MSK tiered storage would "
                "decouple the two (not modelled here)."
            )
    retained = retained_gib_per_broker(workload, brokers)
    reasons.append(
        f"Storage: {workload.ingress_mbps:g} MB/s x {workload.retention_hours:g} h x r={r} / "
        f"{brokers} brokers = {retained:.1f} GiB per broker; at the {workload.fill_target:.0%} "
        f"fill target that needs {chosen.volume_gib} GiB per broker "
        f"(MSK allows {MIN_VOLUME_GIB}..{MAX_VOLUME_GIB})."
    )
    if chosen.volume_throughput_mbps is not None:
        reasons.append(
            f"At MSK's default {spec.default_storage_throughput_mbps:g} MiB/s per broker the "
            f"storage term limits, so provision {chosen.volume_throughput_mbps} MiB/s "
            f"({spec.instance_type} allows up to {spec.provisioned_throughput_max_mbps:g})."
        )
    else:
        reasons.append(
            f"MSK's default storage throughput ({spec.default_storage_throughput_mbps:g} MiB/s "
            f"per broker) suffices: no provisioned throughput."
        )
    replicas = replicas_per_broker(workload, brokers)
    if replicas is not None:
        reasons.append(
            f"Partitions: {workload.partitions} x r={r} / {brokers} brokers = {replicas} "
            f"replicas per broker (MSK recommends at most {spec.partitions_recommended} for "
            f"{spec.instance_type})."
        )
    choice = (
        f"Cheapest fitting cluster by total broker capacity: {spec.vcpu * brokers} vCPU, "
        f"{spec.memory_gib * brokers:g} GiB"
    )
    if runner_up is not None:
        choice += (
            f"; next cheapest: {runner_up.brokers} x {runner_up.spec.instance_type} "
            f"({runner_up.spec.vcpu * runner_up.brokers} vCPU)"
        )
    reasons.append(choice + ".")
    if spec.burstable:
        reasons.append(
            f"{spec.instance_type} runs on CPU credits; AWS suggests T3 brokers for development "
            f"and proof-of-concept work, not production."
        )
    return reasons
