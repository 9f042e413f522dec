"""Typed stack configuration: schema, per-tier defaults, loading and validation."""

from infra.config.loader import list_stacks, load_stack, parse, read_stack_file, stack_file_label
from infra.config.problems import ConfigError, Problem
from infra.config.schema import StackConfig

__all__ = [
    "ConfigError",
    "Problem",
    "StackConfig",
    "list_stacks",
    "load_stack",
    "parse",
    "read_stack_file",
    "stack_file_label",
]
