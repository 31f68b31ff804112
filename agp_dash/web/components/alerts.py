"""How errors reach the user: a dismissable alert with one clear sentence, never a traceback."""
from __future__ import annotations

import logging

import dash_bootstrap_components as dbc
from dash import set_props

from agp_dash.errors import AgpError
from agp_dash.web.ids import Shell

log = logging.getLogger(__name__)


def error_alert(message: str, title: str = "Something went wrong") -> dbc.Alert:
    return dbc.Alert([f"{title}: ", str(message)], color="danger", dismissable=True,
                     className="agp-error")


def info_alert(message: str) -> dbc.Alert:
    return dbc.Alert(message, color="info", className="agp-info")


def unexpected_error_handler(title: str):
    """An ``on_error`` for callbacks: the user reads one sentence; the traceback stays in the server log."""
    def handle(err: Exception) -> dbc.Alert:
        return error_alert(f"unexpected error ({type(err).__name__}); the server log has details.", title)
    return handle


def report_callback_error(err: Exception) -> None:
    """The app-wide ``on_error``: any callback that fails shows one sentence in the page's alert
    area and leaves its outputs as they were; the traceback goes to the server log only."""
    if isinstance(err, AgpError):
        message = str(err)
    else:
        log.exception("callback failed", exc_info=err)
        message = f"unexpected error ({type(err).__name__}); the server log has details."
    set_props(Shell.ALERTS, {"children": error_alert(message)})
