"""``agp serve``: start the web app."""
from __future__ import annotations

from agp_dash.errors import InputError


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("serve", help="start the web app")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8050, help="port (default 8050)")
    parser.add_argument("--debug", action="store_true", help="Dash debug mode (reloader, dev tools)")
    parser.set_defaults(func=run)


def run(args) -> int:
    if not 0 < args.port < 65536:
        raise InputError(f"--port must be between 1 and 65535, not {args.port}")
    from agp_dash.web.app import create_app  # Dash is imported only when serving

    app = create_app()
    print(f"agp is running at http://{args.host}:{args.port}/  (Ctrl+C to stop)", flush=True)
    app.run(host=args.host, port=args.port, debug=args.debug)
    return 0
