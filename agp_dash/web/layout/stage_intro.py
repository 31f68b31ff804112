"""The intro card every stage shows: what it does, what it needs, what it produces."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html


def stage_intro(title: str, does: str, needs: list[str], produces: list[str],
                status: str | None = None) -> dbc.Card:
    body = [
        html.H4(title, className="card-title"),
        html.P(does, className="lead"),
        dbc.Row([
            dbc.Col([html.H6("What it needs"), html.Ul([html.Li(item) for item in needs])], md=6),
            dbc.Col([html.H6("What it produces"), html.Ul([html.Li(item) for item in produces])], md=6),
        ]),
    ]
    if status:
        body.append(dbc.Badge(status, color="warning", className="text-dark"))
    return dbc.Card(dbc.CardBody(body), className="mb-3 agp-stage-intro")
