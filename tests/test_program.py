"""The program's wiring: tiers hand back their outputs, and the program merges them without overwriting."""

from __future__ import annotations

import pytest

from infra.offline.record import StackPlan
from infra.program import merge_outputs


def test_merge_outputs_refuses_a_key_two_tiers_publish() -> None:
    assert merge_outputs([{"a": 1}, {"b": 2}]) == {"a": 1, "b": 2}
    with pytest.raises(ValueError, match="published twice: a, c"):
        merge_outputs([{"a": 1, "c": 3}, {"b": 2}, {"c": 4, "a": 5}])


def test_alarm_counts_count_every_alarm_of_the_plan_dr_included(stack_plan: StackPlan) -> None:
    """Alarms are created once, from every tier's specs: the counts are final when the output is built."""
    alarms = stack_plan.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    counts = stack_plan.outputs["alarmCounts"]
    assert sum(counts.values()) == len(alarms)
    dr_names = set(stack_plan.outputs.get("drAlarmNames") or [])
    assert counts.get("dr", 0) == len(dr_names) == len([a for a in alarms if a.inputs["name"] in dr_names])
