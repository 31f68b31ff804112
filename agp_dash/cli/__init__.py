"""The ``agp`` command line: every stage of the UI, scriptable.

Each stage owns one module in this package exposing ``add_parser(subparsers)``; the
parser it adds sets ``func`` to a handler ``(args) -> int``. Handlers raise
:class:`agp_dash.errors.AgpError` for bad input; ``main`` turns that into one line on
stderr and exit status 2, never a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from agp_dash import __version__
from agp_dash.errors import AgpError

# Stage modules, in the order their commands appear in ``agp --help``.
COMMAND_MODULES = ("serve", "graph", "np", "engine")


def command_group(subparsers, name: str, help: str, description: str):
    """A stage's ``agp NAME …`` parser, which prints its help when given no subcommand.

    Returns ``(parser, commands)``: the group's own parser (for group-wide options) and the
    subparsers its subcommands are added to.
    """
    parser = subparsers.add_parser(name, help=help, description=description)
    parser.set_defaults(func=lambda args: parser.print_help() or 2)
    return parser, parser.add_subparsers(dest=f"{name}_command", metavar="SUBCOMMAND")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="agp",
        description="Attribution Graph Probing: graphs -> probes -> named circuits.",
    )
    parser.add_argument("--version", action="version", version=f"agp {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"agp_dash.cli.{name}").add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except AgpError as err:
        print(f"agp: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("agp: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
