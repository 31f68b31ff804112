"""``agp graph …``: placeholder until the Graph stage lands."""
from __future__ import annotations


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("graph", help="attribution graphs: info, metrics, select, generate")
    parser.set_defaults(func=lambda args: parser.print_help() or 2)
