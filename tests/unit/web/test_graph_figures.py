"""Pure figure builders of the Graph tab: small DataFrames in, figures out."""
import numpy as np
import pandas as pd
import pytest

from agp_dash.web.figures import graph_figures as figs


@pytest.fixture
def nodes():
    return pd.DataFrame({
        "key": ["emb:0", "emb:1", "f:0:1:1", "f:0:2:1", "err:0:1", "logit:5:1"],
        "node_id": ["E_1_0", "E_2_1", "0_1_1", "0_2_1", "0_0_1", "2_5_1"],
        "kind": ["embedding", "embedding", "feature", "feature", "error", "logit"],
        "layer": [-1, -1, 0, 0, 0, 2],
        "ctx_idx": [0, 1, 1, 1, 1, 1],
        "token": ["<bos>", " Dallas", " Dallas", " Dallas", " Dallas", " Dallas"],
        "label": ["", "", "Texas", "", "", "Austin"],
        "share": [0.1, 0.2, 0.4, np.nan, 0.3, 0.0],
    })


def test_gf01_one_trace_per_kind_with_keys_in_customdata(nodes):
    fig = figs.scatter_figure(nodes, ["<bos>", " Dallas"], 2, "share", uirevision="g1")
    assert [t.name for t in fig.data] == ["Embedding", "Feature", "Error (MLP reconstruction)", "Logit"]
    assert list(fig.data[1].customdata) == ["f:0:1:1", "f:0:2:1"]
    assert fig.layout.uirevision == "g1"
    assert fig.data[0].type == "scatter"  # small graphs: SVG; large: WebGL


def test_gf02_large_graphs_use_webgl(nodes):
    big = pd.concat([nodes] * (figs.WEBGL_THRESHOLD // len(nodes) + 1), ignore_index=True)
    big["key"] = [f"k{i}" for i in range(len(big))]
    fig = figs.scatter_figure(big, ["<bos>", " Dallas"], 2, "share", uirevision="g")
    assert {t.type for t in fig.data} == {"scattergl"}


def test_gf03_nodes_sharing_a_cell_are_spread_within_it(nodes):
    x = figs.jittered_x(nodes)
    in_cell = x[(nodes["layer"] == 0).to_numpy()]
    assert len(set(in_cell)) == 3 and np.all(np.abs(in_cell - 1) < 0.5)
    assert x[0] == 0.0  # alone in its cell: no offset


def test_gf04_marker_size_grows_with_influence_and_handles_missing(nodes):
    sizes = figs.marker_sizes(nodes["share"])
    assert sizes[2] == 22.0 and sizes[3] == 5.0 and sizes[0] < sizes[1] < sizes[2]
    assert np.all(figs.marker_sizes(pd.Series([0.0, np.nan])) == 5.0)


def test_gf05_selection_patch_values_follow_trace_order(nodes):
    values = figs.scatter_selection_patch_values(nodes, {"f:0:2:1", "logit:5:1"})
    assert values == [[], [1], [], [0]]
    assert figs.scatter_selection_patch_values(nodes, None) == [None] * 4


def test_gf06_coverage_curve_is_cumulative_share(nodes):
    fig = figs.coverage_figure(nodes["share"], kept=2, threshold=0.8)
    y = np.asarray(fig.data[0].y)
    assert y[-1] == pytest.approx(1.0) and np.all(np.diff(y) >= 0)
    assert "2 nodes kept" in fig.layout.title.text


def test_gf07_bars_and_strength_sum_influence(nodes):
    bars = figs.layer_bar_figure(nodes.fillna(0), "share", 2)
    feature_bar = next(t for t in bars.data if t.name == "Feature")
    assert list(feature_bar.x) == [0] and feature_bar.y[0] == pytest.approx(0.4)
    strength = figs.strength_figure(nodes, "share")
    assert dict(zip(strength.data[0].x, strength.data[0].y))["Error (MLP reconstruction)"] == pytest.approx(0.3)


def test_gf08_slider_marks_are_sparse_but_keep_both_ends():
    from agp_dash.web.graph_view import sparse_marks

    marks = sparse_marks(range(-1, 27), str)
    assert len(marks) <= 13 and -1 in marks and 26 in marks
    assert sparse_marks([0, 1, 2], lambda v: f"t{v}") == {0: "t0", 1: "t1", 2: "t2"}
