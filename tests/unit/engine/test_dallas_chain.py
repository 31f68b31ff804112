"""Interpretability smoke tests on the flagship prompt (spec §9, §10.1), found by property
(labels and edges), never by feature index: emb(Dallas) → a "Texas" feature → "say Austin"
features → Austin, and ablating the say-Austin features lowers P(Austin)."""
from __future__ import annotations

import numpy as np

from agp_dash.engine import Intervention
from agp_dash.graphs import load_graph

from .conftest import DALLAS


def _top_logits(engine, layer, feature, n=3) -> list[str]:
    return [tok for tok, _ in engine.feature_info(int(layer), int(feature))["top_logits"][:n]]


def _features_promoting(engine, attr, token):
    return [i for i in range(attr.n_features)
            if token in _top_logits(engine, attr.feature_layer[i], attr.feature_index[i])]


def test_a_texas_feature_at_the_last_position_is_among_the_most_influential(engine, dallas_graph):
    graph = load_graph(dallas_graph)
    nodes = graph.nodes
    feats = nodes[(nodes["kind"] == "feature") & (nodes["ctx_idx"] == len(graph.prompt_tokens) - 1)]
    top10 = feats.sort_values("influence").head(10)
    assert any(_top_logits(engine, r.layer, r.feature_index, 1) == ["Texas"] for r in top10.itertuples())


def test_chain_from_dallas_through_texas_to_austin(engine, dallas64, dallas_graph):
    attr = dallas64
    n_F = attr.n_features
    austin = engine.vocab.index("Austin")
    assert attr.logit_ids[0] == austin and attr.logit_probs[0] > 0.9
    austin_row = n_F
    emb_dallas = attr.embedding_column(list(attr.encoded.words).index("Dallas"))
    texas = [t for t in _features_promoting(engine, attr, "Texas") if attr.adjacency[t, emb_dallas] > 0.5]
    say_austin = [s for s in _features_promoting(engine, attr, "Austin") if attr.adjacency[austin_row, s] > 0]
    chains = [(t, s) for t in texas for s in say_austin
              if attr.feature_layer[s] > attr.feature_layer[t] and attr.adjacency[s, t] > 0]
    assert chains, "no emb(Dallas) → Texas → say-Austin → Austin chain"
    # the same chain is in the emitted graph JSON, as links between labelled nodes
    links = {(l["source"], l["target"]) for l in dallas_graph["links"]}
    T = attr.n_positions
    t, s = chains[0]
    t_id = f"{attr.feature_layer[t]}_{attr.feature_index[t]}_{attr.feature_pos[t]}"
    s_id = f"{attr.feature_layer[s]}_{attr.feature_index[s]}_{attr.feature_pos[s]}"
    dallas_id = f"E_{engine.vocab.index('Dallas')}_{list(attr.encoded.words).index('Dallas')}"
    austin_id = f"5_{austin}_{T - 1}"
    assert {(dallas_id, t_id), (t_id, s_id), (s_id, austin_id)} <= links
    clerps = {n["node_id"]: n["clerp"] for n in dallas_graph["nodes"]}
    assert "→" in clerps[t_id] and "→" in clerps[s_id]


def test_ablating_the_say_austin_features_lowers_p_austin(engine, dallas64):
    attr = dallas64
    say = _features_promoting(engine, attr, "Austin")
    last = [s for s in say if attr.feature_pos[s] == attr.n_positions - 1]
    assert last
    ablate = [Intervention(int(attr.feature_layer[s]), int(attr.feature_index[s]), value=0.0,
                           positions=(int(attr.feature_pos[s]),)) for s in last]
    for mode in ("open", "frozen", "constrained"):
        result = engine.intervene(DALLAS, ablate, mode=mode, watch=["Austin"])
        change = next(c for c in result.changes() if c["token"] == "Austin")
        assert change["new"] < change["clean"] - 0.01, (mode, change)
        assert np.isclose(change["clean"], attr.logit_probs[0], atol=1e-5)


def test_swapping_texas_for_california_moves_probability_to_sacramento(engine):
    """Spec §6.2 demo: ablate the Texas/Austin group on the Dallas prompt and inject the
    California/Sacramento group (values from the Oakland prompt) at the last position."""
    oakland = DALLAS.replace("Dallas", "Oakland")
    dallas, cal = engine.attribute(DALLAS), engine.attribute(oakland)
    last = dallas.n_positions - 1

    def group(attr, tokens):
        return [i for i in range(attr.n_features) if attr.feature_pos[i] == last
                and set(tokens) & set(_top_logits(engine, attr.feature_layer[i], attr.feature_index[i]))]

    ivs = [Intervention(int(dallas.feature_layer[i]), int(dallas.feature_index[i]), value=0.0, positions=(last,))
           for i in group(dallas, ["Texas", "Austin"])]
    ivs += [Intervention(int(cal.feature_layer[i]), int(cal.feature_index[i]), value=float(cal.activation[i]),
                         positions=(last,)) for i in group(cal, ["California", "Sacramento"])]
    result = engine.intervene(DALLAS, ivs, mode="open", watch=["Sacramento", "Austin"])
    change = {c["token"]: c for c in result.changes()}
    assert change["Sacramento"]["new"] > change["Sacramento"]["clean"] + 0.1
    assert change["Austin"]["new"] < change["Austin"]["clean"] - 0.3
