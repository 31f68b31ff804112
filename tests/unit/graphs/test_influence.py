"""Graph math against hand-computed values and the spec's §3.15 worked example."""
from fractions import Fraction

import numpy as np
import pytest
from scipy import sparse

from agp_dash.errors import InputError
from agp_dash.graphs import (compute_influence, compute_metrics, find_threshold, load_graph,
                             neuronpedia_subgraph_scores, normalize_matrix, prune_graph)
from tests.unit.graphs import builders as b

# §3.15 exact values, node order f1 f2 e00 e01 e10 e11 t0 t1 L1 L2
EXACT_I = [Fraction(153, 440), Fraction(21, 44), 0, Fraction(17, 110), 0, Fraction(6, 55),
           Fraction(153, 2200), Fraction(1247, 2200), 0, 0]
CUM = [0.806851, 0.605270, 1.0, 0.896443, 1.0, 0.959684, 1.0, 0.328590, 1.0, 1.0]


@pytest.fixture(scope="module")
def worked():
    graph = load_graph(b.worked_example())
    assert list(graph.nodes["key"]) == b.WORKED_KEYS
    return graph


def test_worked_example_influence(worked):
    result = worked.influence
    np.testing.assert_allclose(result.influence, [float(x) for x in EXACT_I], rtol=0, atol=1e-12)
    np.testing.assert_allclose(result.cumulative, CUM, atol=1e-6)
    # ties (the zero-influence nodes) keep node order in the ranking
    assert list(result.rank) == [3, 2, 7, 4, 8, 5, 6, 1, 9, 10]
    np.testing.assert_allclose(result.share.sum(), 1.0)


def test_worked_example_normalised_rows(worked):
    normalized = normalize_matrix(worked.adjacency).toarray()
    i = {k: n for n, k in enumerate(b.WORKED_KEYS)}
    f1, f2, e01, e11, t1, l1, l2 = (i[k] for k in ("feat:0:5:1", "feat:1:7:1", "err:0:1", "err:1:1", "emb:1",
                                                   "logit:10:1", "logit:11:1"))
    np.testing.assert_allclose(normalized[f2, [f1, e01, t1]], [0.5, 1 / 6, 1 / 3])
    np.testing.assert_allclose(normalized[l1, [f1, f2, e11, t1]], [2 / 11, 6 / 11, 2 / 11, 1 / 11])
    np.testing.assert_allclose(normalized[l2, [f2, e01, t1]], [0.5, 0.25, 0.25])
    np.testing.assert_allclose(normalized.sum(axis=1), [1, 1, 0, 0, 0, 0, 0, 0, 1, 1])


def test_worked_example_graph_scores(worked):
    assert worked.scores.replacement == pytest.approx(0.707071, abs=1e-6)
    assert worked.scores.completeness == pytest.approx(0.899567, abs=1e-6)
    metrics = compute_metrics(worked)
    assert metrics.attrs["replacement_score"] == pytest.approx(0.707071, abs=1e-6)


def test_worked_example_neuronpedia_subgraph_score(worked):
    pinned = neuronpedia_subgraph_scores(worked, ["1_7_1"])
    assert pinned.replacement == pytest.approx(0.409091, abs=1e-6)
    assert pinned.completeness == pytest.approx(0.766467, abs=1e-6)
    unpinned = neuronpedia_subgraph_scores(worked)
    assert unpinned == worked.scores


def _kept(graph, mask):
    return sorted(np.asarray(b.WORKED_KEYS)[mask].tolist())


def _edge_scores(graph, result):
    keys = b.WORKED_KEYS
    coo = result.edge_scores.tocoo()
    return {(keys[s], keys[t]): v for t, s, v in zip(coo.row, coo.col, coo.data)}


def test_worked_example_pruning_case_a(worked):
    kinds = worked.nodes["kind"].to_numpy()
    result = prune_graph(worked.adjacency, worked.logit_weights(), kinds, node_threshold=0.8, edge_threshold=0.98)
    assert result.node_score_threshold == pytest.approx(153 / 440)
    assert _kept(worked, result.node_mask) == sorted(["feat:0:5:1", "feat:1:7:1", "emb:0", "emb:1",
                                                      "logit:10:1", "logit:11:1"])
    scores = _edge_scores(worked, result)
    expected = {("emb:0", "feat:0:5:1"): 0.098667, ("emb:1", "feat:0:5:1"): 0.394667,
                ("feat:0:5:1", "feat:1:7:1"): 0.36, ("emb:1", "feat:1:7:1"): 0.24,
                ("feat:0:5:1", "logit:10:1"): 0.133333, ("feat:1:7:1", "logit:10:1"): 0.4,
                ("emb:1", "logit:10:1"): 0.066667, ("feat:1:7:1", "logit:11:1"): 0.2,
                ("emb:1", "logit:11:1"): 0.1}
    assert set(scores) == set(expected)
    for edge, value in expected.items():
        assert scores[edge] == pytest.approx(value, abs=1e-6)
    assert result.edge_mask.nnz == 9
    np.testing.assert_allclose(result.cumulative, CUM, atol=1e-6)


def test_worked_example_pruning_case_b(worked):
    kinds = worked.nodes["kind"].to_numpy()
    result = prune_graph(worked.adjacency, worked.logit_weights(), kinds, node_threshold=0.6, edge_threshold=0.9)
    assert result.node_score_threshold == pytest.approx(21 / 44)
    assert _kept(worked, result.node_mask) == sorted(["feat:1:7:1", "emb:0", "emb:1", "logit:10:1", "logit:11:1"])
    scores = _edge_scores(worked, result)
    for edge, value in {("emb:1", "feat:1:7:1"): 0.714286, ("feat:1:7:1", "logit:10:1"): 0.514286,
                        ("feat:1:7:1", "logit:11:1"): 0.2, ("emb:1", "logit:11:1"): 0.1,
                        ("emb:1", "logit:10:1"): 0.085714}.items():
        assert scores[edge] == pytest.approx(value, abs=1e-6)
    keys = b.WORKED_KEYS
    kept = {(keys[s], keys[t]) for t, s in zip(*result.edge_mask.nonzero())}
    assert kept == {("emb:1", "feat:1:7:1"), ("feat:1:7:1", "logit:10:1"), ("feat:1:7:1", "logit:11:1"),
                    ("emb:1", "logit:11:1")}  # t1 -> L1 dropped


def test_hand_computed_graph():
    graph = load_graph(b.hand_graph())
    # order: f, e, t0, L
    np.testing.assert_allclose(graph.influence.influence, [0.3, 0.1, 0.4, 0.0], atol=1e-15)
    np.testing.assert_allclose(graph.influence.share, [0.375, 0.125, 0.5, 0.0], atol=1e-15)
    np.testing.assert_allclose(graph.influence.cumulative, [0.875, 1.0, 0.5, 1.0], atol=1e-15)
    assert list(graph.influence.rank) == [2, 3, 1, 4]
    assert graph.scores.replacement == pytest.approx(0.8, abs=1e-12)
    assert graph.scores.completeness == pytest.approx(1.2 / 1.3, abs=1e-12)


def test_find_threshold_matches_the_spec():
    scores = np.array([0.1, 0.4, 0.2, 0.3])
    assert find_threshold(scores, 0.4) == 0.4   # first prefix reaching 40 %
    assert find_threshold(scores, 0.41) == 0.3
    assert find_threshold(scores, 1.0) == 0.1
    assert find_threshold(scores, 1.5) == 0.1   # index capped
    assert find_threshold(np.array([]), 0.5) == 0.0


def test_cycle_raises_a_clear_error():
    A = sparse.csr_matrix(np.array([[0, 1.0, 0], [1.0, 0, 0], [1.0, 1.0, 0]]))
    with pytest.raises(InputError, match="cycle"):
        compute_influence(A, np.array([0, 0, 1.0]))


def test_empty_and_zero_influence_graph():
    result = compute_influence(sparse.csr_matrix((3, 3)), np.zeros(3))
    assert result.iterations == 0 and not result.influence.any()
    assert np.isnan(result.cumulative).all() and np.isnan(result.share).all()
