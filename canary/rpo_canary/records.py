"""The canary record and what a read-back tells about it: replicated age and sequence gaps.

Each record links to the previous record its writer saw acknowledged (``prev``): a record whose
acknowledged predecessor is missing from a store is a lost write, not a failed one (a failed
write is never linked to, so an outage of the writer alone shows as WriteSuccess 0, never as a
gap). Sequences come from the clock (``epoch seconds // interval``), so a stateless function
numbers its records without keeping a counter.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

NAMESPACE = "StreamingPlatform/Canary"
STORES = ("Kafka", "Cache", "S3")


@dataclass(frozen=True)
class Record:
    source: str
    """Region that wrote the record."""
    sequence: int
    written_at: float
    """Epoch seconds (UTC) of the write."""
    prev: int | None = None
    """Sequence of the previous acknowledged record of the same writer and store, if known."""

    def encode(self) -> bytes:
        body = {"source": self.source, "sequence": self.sequence, "writtenAt": self.written_at, "prev": self.prev}
        return json.dumps(body, sort_keys=True).encode()

    @staticmethod
    def decode(raw: bytes | str) -> Record | None:
        """The record in ``raw``, or None for anything that is not a canary record."""
        try:
            body = json.loads(raw)
            return Record(str(body["source"]), int(body["sequence"]), float(body["writtenAt"]), body.get("prev"))
        except (ValueError, TypeError, KeyError):
            return None


def sequence_at(epoch_seconds: float, interval_seconds: float) -> int:
    """The sequence of a record written at ``epoch_seconds``: one per interval, increasing forever."""
    return int(epoch_seconds // interval_seconds)


@dataclass(frozen=True)
class Observation:
    records: int
    """Records of the source found in the window read."""
    age_seconds: float | None
    """Seconds since the newest record of the source was written; None when none is visible."""
    gaps: int
    """Acknowledged records missing: links from a visible record to a predecessor not visible."""
    newest: int | None


def observe(records: Iterable[Record], source: str, now: float) -> Observation:
    """What one read-back of a store shows about the records ``source`` wrote."""
    own = [r for r in records if r.source == source]
    if not own:
        return Observation(0, None, 0, None)
    seen = {r.sequence for r in own}
    oldest = min(seen)
    # A link below the oldest record read points outside the window: unknown, not lost.
    gaps = {r.prev for r in own if r.prev is not None and r.prev >= oldest and r.prev not in seen}
    newest = max(own, key=lambda r: r.sequence)
    return Observation(len(seen), max(0.0, now - newest.written_at), len(gaps), newest.sequence)


def newest(records: Sequence[Record], source: str) -> Record | None:
    own = [r for r in records if r.source == source]
    return max(own, key=lambda r: r.sequence) if own else None
