"""The app shell: navbar, stage tabs, and the top-level stores (which outlive tab switches)."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from agp_dash import __version__
from agp_dash.web.ids import Shell, Store, Tab
from agp_dash.web.layout.home import home_layout
from agp_dash.web.layout.graph import graph_layout
from agp_dash.web.layout.stages import group_layout, probe_layout


def navbar() -> dbc.Navbar:
    return dbc.Navbar(
        dbc.Container([
            dbc.NavbarBrand(["agp", html.Span(" · Attribution Graph Probing", className="agp-brand-sub")]),
            dbc.Badge(f"v{__version__}", color="light", text_color="dark", className="ms-auto"),
        ], fluid=True),
        id=Shell.NAVBAR, color="dark", dark=True, className="mb-3",
    )


def stores() -> list[dcc.Store]:
    return [dcc.Store(id=store, storage_type="session") for store in (*Store, Shell.SESSION)]


def shell_layout(workspace_root: str, neuronpedia_base_url: str = "") -> html.Div:
    return html.Div([
        *stores(),
        navbar(),
        dbc.Container([
            html.Div(id=Shell.ALERTS),
            dbc.Tabs([
                dbc.Tab(home_layout(workspace_root, neuronpedia_base_url), label="Home", tab_id=Tab.HOME),
                dbc.Tab(graph_layout(), label="Graph", tab_id=Tab.GRAPH),
                dbc.Tab(probe_layout(), label="Probe", tab_id=Tab.PROBE),
                dbc.Tab(group_layout(), label="Group", tab_id=Tab.GROUP),
            ], id=Shell.TABS, active_tab=Tab.HOME, className="mb-3"),
        ], fluid=True),
    ])
