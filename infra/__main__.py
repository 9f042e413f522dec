"""Pulumi entry point (`main: infra/`): validate the stack's config, then build the stack.

A bad stack file stops here with one message per problem and no resource registered.
"""

import sys

import pulumi

from infra.config import ConfigError, parse
from infra.config.loader import from_runtime
from infra.program import build


def main() -> None:
    try:
        config, warnings = parse(from_runtime(), pulumi.get_stack())
    except ConfigError as exc:
        pulumi.log.error(str(exc))
        sys.exit(1)
    for warning in warnings:
        pulumi.log.warn(warning.format(f"stacks/Pulumi.{pulumi.get_stack()}.yaml"))
    for name, value in build(config).items():
        pulumi.export(name, value)


main()
