"""The Graph tab's view model on a small synthetic graph (no browser)."""
import json

from agp_dash.graphs import load_graph
from agp_dash.graphs.synthetic import synthetic_graph
from agp_dash.web import graph_view
from agp_dash.workspace import Workspace

ALL_KINDS = ["feature", "error", "embedding", "logit"]


def saved_graph(tmp_path):
    ws = Workspace(tmp_path).ensure()
    raw = synthetic_graph(slug="tiny")
    art = ws.save_json("graphs", "tiny.json", raw, producer="test")
    return ws, art, load_graph(art.path)


def test_gv01_filters_map_to_selection_and_summary(tmp_path):
    _ws, _art, graph = saved_graph(tmp_path)
    everything = graph_view.filtered(graph, 1.0, ALL_KINDS, None, None, None)
    assert everything.n_selected == graph.n_nodes
    no_errors = graph_view.filtered(graph, 1.0, ["feature", "embedding", "logit"], None, None, 3)
    hidden = dict(no_errors.hidden_by)
    assert hidden["kinds"] == graph.kind_counts()["error"] and hidden["top_n"] > 0
    text = str(graph_view.filter_summary(no_errors))
    assert f"hid {graph.kind_counts()['error']} nodes" in text and "top 3 hid" in text


def test_gv02_table_rows_follow_a_scatter_pick_and_carry_no_nan(tmp_path):
    _ws, _art, graph = saved_graph(tmp_path)
    view = graph_view.filtered(graph, 1.0, ALL_KINDS, None, None, None)
    picked = set(graph.nodes["key"].iloc[:5])
    rows = graph_view.table_frame(graph, view, graph_view.picked_keys(
        {"points": [{"customdata": k} for k in picked]}))
    assert set(rows["key"]) == picked
    json.dumps(rows.to_dict("records"), allow_nan=False)  # JSON-safe for AG Grid
    assert graph_view.picked_keys({"points": []}) is None


def test_gv03_saved_selection_records_parameters_and_graph_hash(tmp_path):
    ws, art, graph = saved_graph(tmp_path)
    view = graph_view.filtered(graph, 0.9, ALL_KINDS, None, None, 5)
    saved = graph_view.save_selection(ws, graph, art.artefact_id, view)
    assert saved.kind == "selections" and saved.name == "tiny-selection.json"
    assert saved.manifest["parameters"]["top_n"] == 5
    assert saved.manifest["inputs"] == [{"name": "graphs/tiny.json", "sha256": art.manifest["sha256"]}]
    body = json.loads(saved.path.read_text())
    assert body["metadata"]["graph_slug"] == "tiny" and body["node_ids"] == sorted(body["node_ids"])
