"""The `blueprint` command: the project's own tools (plan, size, diff, runbooks, drill, ...).

Each sub-command lives in its own module exposing ``register(subparsers)``, which adds
its parser and sets ``func`` to a callable taking the parsed arguments and returning
the exit code from the one table in ``exit_codes``. Modules are listed in ``COMMANDS`` and
imported lazily so that ``blueprint size`` does not pay for importing pulumi_aws.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from infra.cli.exit_codes import ExitCode, table

COMMANDS: tuple[str, ...] = (
    "plan",
    "size",
    "diff",
    "snapshot",
    "diagram",
    "prices",
    "artifacts",
    "client_config",
    "runbooks",
    "drill",
    "docs",
    "export",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="blueprint",
        description="Streaming-platform blueprint tools: offline plan, sizing, review, runbooks, DR drills.",
        epilog=table(),
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in COMMANDS:
        importlib.import_module(f"infra.cli.{module_name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from infra.config import clock

    try:
        clock.today()
    except ValueError as exc:  # a mistyped BLUEPRINT_TODAY: say so before any command reads it
        print(f"blueprint: error: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    try:
        code = int(args.func(args))
        sys.stdout.flush()
    except BrokenPipeError:
        # `blueprint plan prod | head`: the reader has what it wanted. Point stdout at /dev/null so the
        # interpreter's final flush does not fail again, and stop without a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return ExitCode.PIPE_CLOSED
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    return code


if __name__ == "__main__":
    sys.exit(main())
