"""Stage tabs: show which artefact each stage has open."""
from __future__ import annotations

from dash import Input, Output, html

from agp_dash.web.ids import Graph, Group, Probe, Store


def describe_opened(data, what: str):
    if not data:
        return html.P(f"No {what} open yet.", className="text-muted")
    return html.P(["Open: ", html.Code(data.get("artefact_id", "?"))])


def show_graph(graph, selection):
    return [describe_opened(graph, "graph"), describe_opened(selection, "selection")]


def show_probe(probe):
    return describe_opened(probe, "probe run")


def show_group(grouping):
    return describe_opened(grouping, "grouping")


def register(app) -> None:
    app.callback(Output(Graph.OPENED, "children"),
                 Input(Store.GRAPH, "data"), Input(Store.SELECTION, "data"))(show_graph)
    app.callback(Output(Probe.OPENED, "children"), Input(Store.PROBE, "data"))(show_probe)
    app.callback(Output(Group.OPENED, "children"), Input(Store.GROUPING, "data"))(show_group)
