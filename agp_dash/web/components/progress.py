"""Run / Cancel / progress bar block for background callbacks, wired the standard way.

A stage lays out ``progress_block(...)`` and registers its job with
``app.callback(..., **background_kwargs(...))``; the job calls
``set_progress((percent, label))``.
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, html


def progress_block(run_id: str, cancel_id: str, progress_id: str, run_label: str,
                   secondary: bool = False) -> html.Div:
    """``secondary``: small outlined buttons, for optional actions beside the main one."""
    size = "sm" if secondary else None
    return html.Div(
        [
            dbc.Button(run_label, id=run_id, color="secondary" if secondary else "primary", outline=secondary,
                       size=size, className="me-2"),
            dbc.Button("Cancel", id=cancel_id, color="secondary", outline=True, disabled=True, size=size),
            dbc.Progress(id=progress_id, value=0, label="", striped=True, animated=True,
                         className="mt-2 agp-progress", style={"height": "1.25rem"}),
        ],
        className="agp-progress-block",
    )


def background_kwargs(run_id: str, cancel_id: str, progress_id: str, interval_ms: int = 500) -> dict:
    """The ``background=True`` arguments matching :func:`progress_block`'s ids."""
    return dict(
        background=True,
        interval=interval_ms,
        progress=[Output(progress_id, "value"), Output(progress_id, "label")],
        progress_default=[0, ""],
        running=[
            (Output(run_id, "disabled"), True, False),
            (Output(cancel_id, "disabled"), False, True),
        ],
        cancel=[Input(cancel_id, "n_clicks")],
    )
