"""Records and what a read-back says about them: age of the newest record, lost acknowledged records."""

from __future__ import annotations

from rpo_canary.records import Record, observe, sequence_at


def test_a_record_survives_encoding_and_foreign_payloads_are_ignored() -> None:
    record = Record("us-east-1", 42, 1000.5, 41)
    assert Record.decode(record.encode()) == record
    assert Record.decode(b"not json") is None
    assert Record.decode(b'{"other": 1}') is None


def test_sequences_follow_the_clock_one_per_interval() -> None:
    assert sequence_at(100.0, 10) == 10
    assert sequence_at(109.9, 10) == 10
    assert sequence_at(110.0, 10) == 11


def test_a_full_chain_has_no_gap_and_its_age_is_the_newest_write() -> None:
    records = [Record("r1", s, s * 10.0, s - 1) for s in range(1, 6)]
    seen = observe(records, "r1", now=57.0)
    assert (seen.records, seen.gaps, seen.newest, seen.age_seconds) == (5, 0, 5, 7.0)


def test_a_missing_acknowledged_predecessor_is_a_gap() -> None:
    records = [Record("r1", s, s * 10.0, s - 1) for s in (1, 2, 4, 5)]
    assert observe(records, "r1", now=50.0).gaps == 1


def test_a_failed_write_is_no_gap_because_nothing_links_to_it() -> None:
    # Sequence 3 was never acknowledged: 4 links to 2.
    records = [Record("r1", 1, 10.0, None), Record("r1", 2, 20.0, 1), Record("r1", 4, 40.0, 2)]
    assert observe(records, "r1", now=40.0).gaps == 0


def test_links_out_of_the_window_and_other_regions_do_not_count() -> None:
    records = [Record("r1", 7, 70.0, 3), Record("r1", 8, 80.0, 7), Record("r2", 9, 90.0, 5)]
    seen = observe(records, "r1", now=80.0)
    assert (seen.records, seen.gaps) == (2, 0)
    assert observe([], "r1", now=1.0).age_seconds is None
