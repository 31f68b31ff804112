"""The app factory: ``create_app(settings)`` builds a fully wired Dash app.

No global ``@callback``: every callback is registered on the app object, so two apps in one
process (tests) each get their own.
"""
from __future__ import annotations

from pathlib import Path

import dash

from agp_dash import __version__
from agp_dash.settings import Settings
from agp_dash.web.background import make_manager
from agp_dash.web.callbacks import register_callbacks
from agp_dash.web.components.alerts import report_callback_error
from agp_dash.web.layout.shell import shell_layout
from agp_dash.web.services import configure

ASSETS_DIR = Path(__file__).resolve().parents[2] / "assets"


def create_app(settings: Settings | None = None) -> dash.Dash:
    settings = settings or Settings.from_env()
    services = configure(settings)
    manager = make_manager(settings, services.workspace)
    app = dash.Dash(
        __name__,
        title="agp · Attribution Graph Probing",
        update_title=None,
        assets_folder=str(ASSETS_DIR),
        background_callback_manager=manager,
        on_error=report_callback_error,
        # Everything (Bootstrap included, vendored in assets/) is served from this process.
        serve_locally=True,
        external_stylesheets=[],
    )
    if settings.secret_key:
        # Signs background-job handles: must be the same on every web process and worker.
        app.server.secret_key = settings.secret_key.get()
    app.server.config["AGP_VERSION"] = __version__
    app.layout = shell_layout(str(services.workspace.root), settings.neuronpedia_base_url)
    register_callbacks(app)
    app.agp_background_manager = manager
    return app
