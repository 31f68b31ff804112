"""What the fake Neuronpedia knows: models, graphs, activations and feature details.

Real fixtures (``../shared/fixtures/real``) are used when present: the Dallas and Oakland
graphs answer generate requests for their prompts, their activation dumps answer activation
requests for their probe texts, and the labelled UI download gives feature labels. Without
them everything is synthetic and deterministic (hash-based), so tests never depend on them.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from tests.fakes.np_tokenizer import BOS, token_id, tokenize
from tests.fixture_paths import REAL_FIXTURES

#: model id -> {source set: number of features per source}
MODELS: dict[str, dict[str, int]] = {
    "gemma-2-2b": {"clt-hp": 98_304, "gemmascope-transcoder-16k": 16_384},
    "gemma-3-4b-it": {"gemmascope-2-transcoder-16k": 16_384},
    "qwen3-4b": {"transcoder-hp": 163_840},
    "qwen3-1.7b": {"transcoder-hp": 163_840},
}
GENERATION_MODELS = ("gemma-2-2b", "gemma-3-4b-it", "qwen3-4b", "qwen3-1.7b")
TOKEN_CAPS = {"qwen3-1.7b": 10}
N_LAYERS = 26

NOT_AVAILABLE = ("The model, source, or feature you specified is not available. Check available public "
                 "models/sources (including which ones have inference enabled) at "
                 "https://www.neuronpedia.org/available-resources")
GENERIC_ERROR = "Something went wrong on our end. The error has been reported."

#: Features with hand-made explanations (spec F-35) and one with 50 examples (F-39).
SPECIAL_EXPLANATIONS: dict[tuple[str, int], list[tuple[str, str]]] = {
    # the graph-UI type is not first: the label must still be "say Austin"
    ("20-clt-hp", 44686): [("oai_token-act-pair", "Texas places"), ("np_max-act-logits", "say Austin")],
    # only other types: the first one wins
    ("6-clt-hp", 12928): [("oai_token-act-pair", "capital cities"), ("oai_attention-head", "second")],
    # no explanations at all
    ("1-clt-hp", 57794): [],
    # np_max-act before np_max-act-logits: the first preferred one wins (UI rule)
    ("16-clt-hp", 89970): [("oai_token-act-pair", "x"), ("np_max-act", "state names"),
                           ("np_max-act-logits", "say a state")],
}
MANY_EXAMPLES = ("0-clt-hp", 18753)


def stable_fraction(*parts: object) -> float:
    digest = hashlib.blake2b("|".join(map(str, parts)).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2 ** 64


def synthetic_value(source: str, index: int, token: str, position: int) -> float:
    """Deterministic pseudo-activation in [0, 10) with about 70 % zeros (spec F-27)."""
    x = stable_fraction(source, index, token, position)
    return 0.0 if x < 0.7 else round((x - 0.7) / 0.3 * 10.0, 4)


@dataclass
class RealFixtures:
    graph_files: dict[str, Path] = field(default_factory=dict)          # prompt (no <bos>) -> graph.json
    activations: dict[tuple[str, int, str], list[float]] = field(default_factory=dict)
    labels: dict[tuple[int, int], str] = field(default_factory=dict)   # (layer, index) -> clerp

    @classmethod
    def load(cls, root: Path = REAL_FIXTURES) -> "RealFixtures":
        found = cls()
        for name in ("dallas", "oakland"):
            graph = root / name / "graph.json"
            if graph.is_file():
                meta = json.loads(graph.read_text(encoding="utf-8"))["metadata"]
                found.graph_files[meta["prompt"].removeprefix(BOS)] = graph
            dump = root / name / "activations_dump.json"
            if dump.is_file():
                found._add_dump(json.loads(dump.read_text(encoding="utf-8")))
        labelled = root / "neuronpedia" / "ui_download_fact_dallas_with_labels.json"
        if labelled.is_file():
            for node in json.loads(labelled.read_text(encoding="utf-8"))["nodes"]:
                parts = node["node_id"].split("_")
                if node.get("feature_type") == "cross layer transcoder" and node.get("clerp") and len(parts) == 3:
                    found.labels.setdefault((int(parts[0]), int(parts[1])), node["clerp"])
        return found

    def _add_dump(self, dump: dict) -> None:
        for result in dump["results"]:
            if tokenize(result["prompt"]) != result["tokens"]:
                continue  # our tokenizer would not align with these values
            for act in result["activations"]:
                self.activations[(act["source"], int(act["index"]), result["prompt"])] = list(act["values"])


def activation_values(source: str, index: int, text: str, tokens: list[str], real: RealFixtures) -> list[float]:
    fixed = real.activations.get((source, index, text))
    if fixed is not None and len(fixed) == len(tokens):
        return list(fixed)
    return [0.0 if t == BOS else synthetic_value(source, index, t, i) for i, t in enumerate(tokens)]


# ----------------------------------------------------------------------- logits
def synthetic_logits(max_n_logits: int, desired_prob: float) -> list[dict]:
    """Tokens " A", " B", … with p = 1/2, 1/4, …, kept as in spec §3.9."""
    out, total = [], 0.0
    for i in range(max_n_logits):
        if total >= desired_prob:
            break
        p = 0.5 ** (i + 1)
        token = " " + chr(ord("A") + i)
        out.append({"token": token, "token_id": token_id(token), "probability": p})
        total += p
    return out


def graph_logits(graph: dict) -> list[dict]:
    """The logit targets of a real graph (the fake may read its clerps)."""
    out = []
    for node in graph["nodes"]:
        if node["feature_type"] == "logit":
            clerp = node.get("clerp", "")
            token = clerp[len('Output "'):clerp.rfind('" (p=')] if clerp.startswith('Output "') else ""
            out.append({"token": token, "token_id": int(node["feature"]), "probability": node["token_prob"]})
    return out


# ------------------------------------------------------------------------ graphs
def cantor(layer: int, index: int) -> int:
    s = layer + index
    return s * (s + 1) // 2 + index


def synthetic_graph(prompt: str, *, slug: str, model_id: str, source_set: str, logits: list[dict],
                    features_per_layer: int = 1) -> dict:
    """A small valid schema-v1 graph built on the prompt's fake tokens (spec §2.4–2.6 order)."""
    tokens = tokenize(prompt)
    last = len(tokens) - 1
    layers = (0, 6, 13, 20)
    feats = []  # (layer, ctx, index)
    for layer in layers:
        for ctx in range(1, len(tokens)):
            for k in range(features_per_layer):
                feats.append((layer, ctx, 100 + int(stable_fraction(tokens[ctx], layer, k) * 90_000)))
    feats = sorted(set(feats))
    nodes, ids = [], {}

    def add(node_id: str, feature: int, layer: str, ctx: int, kind: str, **extra) -> None:
        ids.setdefault(node_id, len(nodes))
        nodes.append({"node_id": node_id, "feature": feature, "layer": layer, "ctx_idx": ctx, "feature_type": kind,
                      "token_prob": 0.0, "is_target_logit": False, "run_idx": 0, "reverse_ctx_idx": 0,
                      "jsNodeId": extra.pop("js"), "clerp": "", "influence": None, "activation": None, **extra})

    for layer, ctx, index in feats:
        add(f"{layer}_{index}_{ctx}", cantor(layer, index), str(layer), ctx, "cross layer transcoder",
            js=f"{layer}_{index}-0", activation=round(1.0 + stable_fraction(index, ctx) * 5, 4))
    for layer in (0, 13):
        for ctx in range(1, len(tokens)):
            add(f"0_{layer}_{ctx}", -1, str(layer), ctx, "mlp reconstruction error", js=f"{layer}_{ctx}-0")
    for ctx, token in enumerate(tokens):
        tid = token_id(token)
        add(f"E_{tid}_{ctx}", ctx, "E", ctx, "embedding", js=f"E_{tid}-{ctx}")
    for i, logit in enumerate(logits):
        add(f"{N_LAYERS + 1}_{logit['token_id']}_{last}", logit["token_id"], str(N_LAYERS + 1), last, "logit",
            js=f"L_{logit['token_id']}-{last}", token_prob=logit["probability"], is_target_logit=i == 0,
            clerp=f'Output "{logit["token"]}" (p={logit["probability"]:.3f})')
    ranked = [n for n in nodes if n["feature_type"] not in ("logit",)]
    for rank, node in enumerate(ranked):
        node["influence"] = round(0.05 + 0.7 * rank / max(1, len(ranked)), 6)

    by_layer_ctx: dict[tuple[int, int], list[str]] = {}
    for layer, ctx, index in feats:
        by_layer_ctx.setdefault((layer, ctx), []).append(f"{layer}_{index}_{ctx}")
    links = []
    for ctx, token in enumerate(tokens):
        if ctx == 0:
            continue
        emb = f"E_{token_id(token)}_{ctx}"
        chain = [by_layer_ctx[(layer, ctx)] for layer in layers]
        links += [(emb, t, 1.0) for t in chain[0]]
        for lower, upper in zip(chain, chain[1:]):
            links += [(s, t, 0.5) for s in lower for t in upper]
        links += [(f"0_0_{ctx}", t, 0.2) for t in chain[1]] + [(f"0_13_{ctx}", t, 0.1) for t in chain[3]]
        links += [(s, f"{N_LAYERS + 1}_{lg['token_id']}_{last}", 0.3) for s in chain[3] for lg in logits]
    links.sort(key=lambda link: (ids[link[1]], ids[link[0]]))
    metadata = {"slug": slug, "scan": model_id, "transcoder_list": [], "prompt_tokens": tokens,
                "prompt": BOS + prompt.removeprefix(BOS), "node_threshold": 0.8, "schema_version": 1,
                "info": {"creator_name": "fake", "creator_url": "https://neuronpedia.org",
                         "source_urls": [f"https://neuronpedia.org/{model_id}/{source_set}"],
                         "generator": {"name": "fake neuronpedia", "version": "1", "url": "http://127.0.0.1"},
                         "create_time_ms": 0}}
    return {"metadata": metadata, "qParams": {"pinnedIds": [], "supernodes": [], "linkType": "both",
                                              "clickedId": "", "sg_pos": ""},
            "nodes": nodes, "links": [{"source": s, "target": t, "weight": w} for s, t, w in links]}


def add_collision(graph: dict) -> dict:
    """Give the graph a layer-0 feature and a layer-2 error both called ``0_2_1``, with a duplicated
    link pair (spec §2.7(1))."""
    target = next(n["node_id"] for n in graph["nodes"] if n["feature_type"] == "cross layer transcoder"
                  and int(n["layer"]) >= 6)
    emb = next(n["node_id"] for n in graph["nodes"] if n["feature_type"] == "embedding" and n["ctx_idx"] == 1)
    graph["nodes"].insert(0, {"node_id": "0_2_1", "feature": cantor(0, 2), "layer": "0", "ctx_idx": 1,
                              "feature_type": "cross layer transcoder", "jsNodeId": "0_2-0", "clerp": "",
                              "influence": 0.3, "activation": 1.0})
    graph["nodes"].append({"node_id": "0_2_1", "feature": -1, "layer": "2", "ctx_idx": 1,
                           "feature_type": "mlp reconstruction error", "jsNodeId": "2_1-0", "clerp": "",
                           "influence": 0.4, "activation": None})
    graph["links"] += [{"source": emb, "target": "0_2_1", "weight": 0.7},
                       {"source": "0_2_1", "target": target, "weight": 0.25},
                       {"source": "0_2_1", "target": target, "weight": -0.15}]
    return graph


# ---------------------------------------------------------------------- features
def neuron(model_id: str, source: str, index: int, real: RealFixtures, *, full: bool) -> dict:
    """A Neuron row (spec §1.7 when ``full``, the §1.8 batch shape otherwise)."""
    layer = int(source.split("-", 1)[0])
    explanations = SPECIAL_EXPLANATIONS.get((source, index))
    if explanations is None:
        label = real.labels.get((layer, index)) or f"synthetic feature {source}/{index}"
        explanations = [("np_max-act-logits", label)]
    rows = []
    for i, (type_name, description) in enumerate(explanations):
        row = {"description": description, "explanationModelName": "fake-model", "typeName": type_name}
        if full:
            row.update({"id": f"ex-{source}-{index}-{i}", "scores": [], "triggeredByUser": None})
        rows.append(row)
    n_examples = 50 if (source, index) == MANY_EXAMPLES else 3
    examples = []
    for i in range(n_examples):
        tokens = tokenize(f"example {i} for feature {index}")
        values = [0.0] + [round(10.0 - i * 0.1 - j * 0.01, 3) for j in range(len(tokens) - 1)]
        examples.append({"id": f"act-{source}-{index}-{i}", "tokens": tokens, "values": values,
                         "maxValue": max(values), "minValue": min(values),
                         "maxValueTokenIndex": values.index(max(values)), "dataIndex": None, "dataSource": "fake",
                         "creatorId": "", "createdAt": "2025-01-01T00:00:00.000Z"})
    return {"modelId": model_id, "layer": source, "index": str(index), "sourceSetName": source.split("-", 1)[1],
            "explanations": rows, "activations": examples, "pos_str": [" Austin", " Texas"], "pos_values": [1.2, 0.8],
            "neg_str": [" the"], "neg_values": [-0.5],
            "frac_nonzero": round(stable_fraction("density", index) / 100, 6),
            "maxActApprox": 10.0, "correlated_features_indices": [], "correlated_features_pearson": [],
            "correlated_features_l1": []}
