"""The streaming job's EMR step restarted with a NEW checkpoint from a timestamp rewind (pure).

A job never resumes a checkpoint from another region or from before a reprocessing
(Kafka offsets differ between the clusters a Replicator links, "MSK Replicator" in the
Amazon MSK developer guide, https://docs.aws.amazon.com/msk/latest/developerguide/msk-replicator.html,
checked 2026-12-02): it starts generation N+1 under the same checkpoint
root, reading Kafka from a timestamp; sinks deduplicate on event id, so the rewind may
overlap what was already processed. The base step is the stack's ``emrJobStep`` output
(jobs/streaming_job/config.py defines the arguments).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

# Reprocess a little before the fault: replication lag and producer clock skew can put
# events written just before T0 at earlier timestamps.
REWIND_MARGIN = timedelta(minutes=5)


def rewind_point(t0: datetime, replication_lag_seconds: float = 0.0, margin: timedelta = REWIND_MARGIN) -> datetime:
    return t0 - timedelta(seconds=max(replication_lag_seconds, 0.0)) - margin


def _value(args: Sequence[str], flag: str) -> str | None:
    return args[args.index(flag) + 1] if flag in args else None


def generation_of(step: Mapping[str, Any]) -> int:
    value = _value(list(step["args"]), "--generation")
    if value is None:
        raise ValueError("the job step has no --generation argument")
    return int(value)


def epoch_ms(moment: datetime) -> str:
    """The job's --starting-timestamp format: epoch milliseconds."""
    return str(int(moment.timestamp() * 1000))


def rewound_args(args: Sequence[str], starting: str, generation: int) -> list[str]:
    """The step's arguments with --starting-timestamp and --generation replaced (and the Spark app name to match)."""
    out: list[str] = []
    skip = False
    for index, arg in enumerate(args):
        if skip:
            skip = False
            continue
        if arg in ("--starting-offsets", "--starting-timestamp"):
            out += ["--starting-timestamp", starting]
            skip = True
        elif arg == "--generation":
            out += ["--generation", str(generation)]
            skip = True
        elif arg == "--name" and index + 1 < len(args):
            out += ["--name", f"{args[index + 1].rsplit('-g', 1)[0]}-g{generation}"]
            skip = True
        else:
            out.append(arg)
    if "--starting-timestamp" not in out:
        raise ValueError("the job step has neither --starting-offsets nor --starting-timestamp")
    return out


def rewound_step(step: Mapping[str, Any], starting: str, generation: int, name_suffix: str) -> dict[str, Any]:
    """An ``emr add_job_flow_steps`` step: the job at ``generation`` from ``starting`` (epoch ms or ISO-8601)."""
    return {
        "Name": f"streaming-job generation {generation} {name_suffix}",
        "ActionOnFailure": step.get("actionOnFailure", "CONTINUE"),
        "HadoopJarStep": {"Jar": step["jar"], "Args": rewound_args(list(step["args"]), starting, generation)},
    }
