"""`blueprint client-config STACK`: write a stack's Kafka client settings under out/<stack>/.

Brokers come from `pulumi stack output --json` saved to a file (--outputs), or, without it,
from the offline plan (placeholder broker addresses, good for review only). Exit codes
(infra.cli.exit_codes): 0 written, 1 invalid stack config, 2 invalid input (unknown stack,
unreadable or incomplete outputs, unwritable --out).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from infra.cli.exit_codes import ExitCode, epilog
from infra.cli.stacks import add_cache_option, plan, unknown_stacks

DEFAULT_OUT = Path("out")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "client-config",
        help="Render a stack's Kafka client.properties and Spark reader options from its outputs.",
        description=(
            "Render Kafka client settings (IAM auth over TLS) and Spark Structured Streaming reader "
            "options for STACK from its outputs. Pass --outputs with the file `pulumi stack output "
            "--json` wrote for real broker addresses; without it the offline plan is used and the "
            "brokers are placeholders."
        ),
        epilog=epilog(
            FAILED="invalid stack config", USAGE="invalid input (unknown stack, unreadable or incomplete outputs)"
        ),
    )
    parser.add_argument("stack", help="Stack name, e.g. prod.")
    parser.add_argument("--outputs", type=Path, metavar="FILE", help="JSON from `pulumi stack output --json`.")
    parser.add_argument("--out", type=Path, metavar="DIR", help="Output directory (default: out/<stack>/).")
    add_cache_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from infra.clientconfig import OutputsError, load_outputs_file, render, settings_from_outputs, write
    from infra.config import ConfigError

    if unknown_stacks([args.stack]):
        return ExitCode.USAGE
    try:
        if args.outputs is not None:
            outputs = load_outputs_file(args.outputs)
            source = f"stack outputs file {args.outputs}"
        else:
            outputs = plan([args.stack], use_cache=not args.no_cache)[args.stack].outputs
            source = "the offline plan (placeholder brokers)"
            print(
                "blueprint client-config: note: brokers come from the offline plan and are placeholders; "
                "pass --outputs FILE from `pulumi stack output --json` for a deployed stack",
                file=sys.stderr,
            )
        settings = settings_from_outputs(outputs, source)
        if settings.stack != args.stack:
            raise OutputsError(f"the outputs belong to stack '{settings.stack}', not '{args.stack}'")
        out_dir = args.out if args.out is not None else DEFAULT_OUT / args.stack
        written = write(render(settings), out_dir)
    except ConfigError as problem:
        return _fail(str(problem), ExitCode.FAILED)
    except OutputsError as problem:
        return _fail(str(problem), ExitCode.USAGE)
    except OSError as problem:
        return _fail(f"cannot write the files: {problem}", ExitCode.USAGE)
    for path in written:
        print(path)
    return ExitCode.OK


def _fail(message: str, code: ExitCode) -> int:
    print(f"blueprint client-config: error: {message}", file=sys.stderr)
    return code
