"""What the deployed RPO canary (canary/rpo_canary, infra/components/canary.py) measured during a drill.

The canary publishes, per store (``Kafka``, ``Cache``, ``S3``), every few seconds:
``WriteSuccess`` (active region), ``ReplicatedAgeSeconds`` and ``SequenceGaps``, namespace
``StreamingPlatform/Canary``, dimensions ``Stack`` and ``Store``. A drill reads them with
GetMetricData over its own window:

- detection: the first minute at or after the fault in which a write failed (``WriteSuccess``
  Minimum below 1) or an acknowledged record went missing (``SequenceGaps`` above 0);
- RPO per store: lost records times the write interval (each lost record stands for one interval of
  acknowledged writes), and, where the store is read through replication, the newest record's age
  less one write interval (the writer had nothing newer to copy for up to one interval).

A stack without the ``canary`` output has no canary: nothing is read and the stores stay unmeasured.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from infra.components import canary
from infra.drills.clock import iso
from infra.drills.model import DrillContext

STORES = {store.lower(): store for store in canary.STORES}
"""Drill spelling (kafka, cache, s3) -> the Store dimension the function publishes."""
QUERIES = (
    ("ws", "WriteSuccess", "Minimum"),
    ("gaps", "SequenceGaps", "Maximum"),
    ("age", "ReplicatedAgeSeconds", "Maximum"),
)
PERIOD = 60


def canary_of(outputs: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The ``canary`` output of a stack (function, metric dimension, interval), or None without one."""
    canary = outputs.get("canary")
    return canary if isinstance(canary, Mapping) else None


def metric_queries(stack: str, stores: Sequence[str]) -> list[dict[str, Any]]:
    """GetMetricData queries: three per store, ids ``<query>_<store>``."""
    return [
        {
            "Id": f"{query}_{store}",
            "MetricStat": {
                "Metric": {
                    "Namespace": canary.NAMESPACE,
                    "MetricName": metric,
                    "Dimensions": [{"Name": "Stack", "Value": stack}, {"Name": "Store", "Value": STORES[store]}],
                },
                "Period": PERIOD,
                "Stat": stat,
            },
            "ReturnData": True,
        }
        for store in stores
        for query, metric, stat in QUERIES
    ]


def read_canary(
    ctx: DrillContext,
    region: str,
    outputs: Mapping[str, Any],
    stores: Sequence[str],
    start: datetime,
    end: datetime,
    *,
    replicated: bool,
) -> dict[str, Any]:
    """Per store: what the canary of the stack with ``outputs`` saw between ``start`` and ``end``, and its RPO."""
    canary = canary_of(outputs)
    if canary is None:
        return {}
    interval = float(canary["intervalSeconds"])
    series: dict[str, list[tuple[datetime, float]]] = {}
    kwargs: dict[str, Any] = {
        "MetricDataQueries": metric_queries(str(canary["metricStack"]), stores),
        "StartTime": start,
        "EndTime": end,
        "ScanBy": "TimestampAscending",
    }
    while True:
        page = ctx.clients("cloudwatch", region).get_metric_data(**kwargs)
        for result in page["MetricDataResults"]:
            series.setdefault(result["Id"], []).extend(zip(result["Timestamps"], result["Values"], strict=True))
        if not page.get("NextToken"):
            break
        kwargs["NextToken"] = page["NextToken"]
    readings = {}
    for store in stores:
        points = {query: sorted(series.get(f"{query}_{store}", [])) for query, _, _ in QUERIES}
        if not any(points.values()):
            continue
        failed = [at for at, value in points["ws"] if value < 1]
        gapped = [at for at, value in points["gaps"] if value > 0]
        gaps = max((value for _, value in points["gaps"]), default=0.0)
        age = max((value for _, value in points["age"]), default=None)
        rpo = gaps * interval
        if replicated and age is not None:
            rpo = max(rpo, age - interval)
        first = min([*failed, *gapped], default=None)
        readings[store] = {
            "rpoSeconds": max(0.0, rpo),
            "lostRecords": gaps,
            "maxReplicatedAgeSeconds": age,
            "failedWriteMinutes": len(failed),
            "firstProblemAt": iso(first) if first else None,
            "datapoints": sum(len(p) for p in points.values()),
        }
    return readings


def canary_problem(ctx: DrillContext, store: str, since: datetime) -> str | None:
    """Detection by the canary: a failed write or a lost record of ``store`` since ``since``, or None."""
    reading = read_canary(
        ctx, ctx.region, ctx.outputs, [store], since - timedelta(seconds=PERIOD), ctx.clock.now(), replicated=False
    )
    first = (reading.get(store) or {}).get("firstProblemAt")
    return f"canary: {STORES[store]} writes failing or records lost from {first}" if first else None
