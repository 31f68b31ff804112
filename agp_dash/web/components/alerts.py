"""How errors reach the user: a dismissable alert with one clear sentence, never a traceback."""
from __future__ import annotations

import dash_bootstrap_components as dbc


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
