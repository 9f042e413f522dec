"""Disaster-recovery drills as code: scenarios, a runner with dry run, guards and rollback, state and report.

`blueprint drill SCENARIO --stack STACK` (infra/cli/drill.py) builds a DrillContext from
the stack's outputs and runs a scenario from infra/drills/scenarios through the
DrillRunner. Design notes in runbooks/README.md.
"""
