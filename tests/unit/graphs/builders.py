"""Small hand-made graphs for the graph tests (no fixture files needed)."""
from __future__ import annotations

import copy

_QPARAMS = {"pinnedIds": [], "supernodes": [], "linkType": "both", "clickedId": "", "sg_pos": ""}


def node(node_id, layer, ctx, feature_type, feature=None, **extra) -> dict:
    record = {"node_id": node_id, "feature": feature, "layer": str(layer), "ctx_idx": ctx,
              "feature_type": feature_type, "token_prob": 0.0, "is_target_logit": False,
              "run_idx": 0, "reverse_ctx_idx": 0, "jsNodeId": f"{node_id}-0", "clerp": "",
              "influence": None, "activation": None}
    record.update(extra)
    return record


def feat(layer, index, ctx, **extra):
    from agp_dash.graphs.encoding import cantor_encode
    return node(f"{layer}_{index}_{ctx}", layer, ctx, "cross layer transcoder", cantor_encode(layer, index),
                activation=1.0, **extra)


def err(layer, ctx, **extra):
    return node(f"0_{layer}_{ctx}", layer, ctx, "mlp reconstruction error", -1, **extra)


def emb(token_id, ctx, **extra):
    return node(f"E_{token_id}_{ctx}", "E", ctx, "embedding", ctx, **extra)


def logit(layer, vocab, ctx, p, target=False, **extra):
    return node(f"{layer}_{vocab}_{ctx}", layer, ctx, "logit", vocab, token_prob=p, is_target_logit=target,
                clerp=f'Output "t{vocab}" (p={p:.3f})', **extra)


def graph(nodes, links, tokens, *, slug="test-graph", scan="gemma-2-2b", schema_version=1, **metadata) -> dict:
    meta = {"slug": slug, "scan": scan, "transcoder_list": [], "prompt_tokens": tokens,
            "prompt": "".join(tokens), "node_threshold": 0.8}
    if schema_version is not None:
        meta["schema_version"] = schema_version
    meta.update(metadata)
    return {"metadata": meta, "qParams": dict(_QPARAMS), "nodes": nodes,
            "links": [{"source": s, "target": t, "weight": w} for s, t, w in links]}


def worked_example() -> dict:
    """The ten-node toy graph of spec §3.15 (n_layers 2, logits at layer 3)."""
    nodes = [
        feat(0, 5, 1), feat(1, 7, 1),                      # f1, f2
        err(0, 0), err(0, 1), err(1, 0), err(1, 1),        # e00, e01, e10, e11
        emb(2, 0), emb(100, 1),                            # t0, t1
        logit(3, 10, 1, 0.6, target=True), logit(3, 11, 1, 0.3),  # L1, L2
    ]
    f1, f2, e01, e11, t0, t1, l1, l2 = "0_5_1", "1_7_1", "0_0_1", "0_1_1", "E_2_0", "E_100_1", "3_10_1", "3_11_1"
    links = [
        (t1, f1, 2.0), (t0, f1, 0.5),
        (f1, f2, 1.5), (e01, f2, -0.5), (t1, f2, 1.0),
        (f2, l1, 3.0), (f1, l1, -1.0), (e11, l1, 1.0), (t1, l1, 0.5),
        (f2, l2, -2.0), (e01, l2, 1.0), (t1, l2, 1.0),
    ]
    return graph(nodes, links, ["<bos>", " x"], slug="worked-example")


WORKED_KEYS = ["feat:0:5:1", "feat:1:7:1", "err:0:0", "err:0:1", "err:1:0", "err:1:1",
               "emb:0", "emb:1", "logit:10:1", "logit:11:1"]


def hand_graph() -> dict:
    """t0 -> f (2), t0 -> L (-1), f -> L (3), e -> L (1); p(L) = 0.5.

    Â[L] = {t0: 1/5, f: 3/5, e: 1/5}, Â[f] = {t0: 1}
    wÂ  = {t0: 0.1, f: 0.3, e: 0.1};  wÂ² = {t0: 0.3}
    I   = {t0: 0.4, f: 0.3, e: 0.1, L: 0}, ΣI = 0.8
    R   = 0.4 / (0.4 + 0.1) = 0.8
    C   = (0.4 + 0.3 + 0.1 + (1 − 1/5)·0.5) / 1.3 = 1.2 / 1.3
    """
    nodes = [feat(0, 40, 1), err(0, 1), emb(7, 1), logit(2, 99, 1, 0.5, target=True)]
    links = [("E_7_1", "0_40_1", 2.0), ("E_7_1", "2_99_1", -1.0), ("0_40_1", "2_99_1", 3.0),
             ("0_0_1", "2_99_1", 1.0)]
    return graph(nodes, links, ["<bos>", " y"], slug="hand-graph")


def collision_graph() -> dict:
    """Layer-0 feature #2 at ctx 1 and the layer-2 error at ctx 1 share node_id "0_2_1" (§2.7(1))."""
    nodes = [
        feat(0, 2, 1),            # F0: "0_2_1"
        feat(1, 50, 1),           # F1
        feat(3, 60, 1),           # F3
        err(2, 1),                # E2: "0_2_1" as well
        emb(2, 0), emb(9, 1), emb(8, 2),
        logit(5, 77, 2, 0.7, target=True),
    ]
    links = [
        ("E_9_1", "0_2_1", 1.0),    # into X: the feature's
        ("0_2_1", "1_50_1", 2.0),   # to layer 1 <= 2: the feature's
        ("0_2_1", "3_60_1", 3.0),   # duplicated pair: first -> feature
        ("0_2_1", "3_60_1", 4.0),   #                 second -> error
        ("1_50_1", "3_60_1", 0.5),
        ("0_2_1", "5_77_2", 5.0),   # single, target above layer 2: ambiguous -> error
        ("3_60_1", "5_77_2", 1.0),
    ]
    return graph(nodes, links, ["<bos>", " a", " b"], slug="collision")


def clone(obj: dict) -> dict:
    return copy.deepcopy(obj)
