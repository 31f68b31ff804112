"""Feature labels for a whole graph from ``POST /features`` (spec §1.7 label rule, §1.8).

Labels are cached per (model, source, index); features Neuronpedia does not know (or does not
let us see) get no label and are asked again next time.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterable

from agp_dash.clients.np_activations import normalize_features
from agp_dash.clients.np_errors import CancelledError
from agp_dash.clients.np_limits import FEATURES_BATCH
from agp_dash.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from agp_dash.clients.neuronpedia import NeuronpediaClient
    from agp_dash.graphs.model import AttributionGraph

#: Explanation types the Neuronpedia graph UI prefers (getOriginalClerpForNode).
PREFERRED_TYPES = ("np_max-act-logits", "np_max-act")
Progress = Callable[[float, str], None]


def label_from_explanations(explanations: Any) -> str:
    """The first explanation of a preferred type, else the first explanation, else ``""``.

    Same rule as Neuronpedia's graph UI: the first *matching* explanation in the server's
    order wins, whichever of the two preferred types it has.
    """
    if not isinstance(explanations, list):
        return ""
    described = [e for e in explanations if isinstance(e, dict) and isinstance(e.get("description"), str)]
    for explanation in described:
        if explanation.get("typeName") in PREFERRED_TYPES:
            return explanation["description"].strip()
    return described[0]["description"].strip() if described else ""


def feature_labels(client: "NeuronpediaClient", features: Iterable[Any], *, model_id: str, source_set: str,
                   progress: Progress | None = None,
                   cancel: Callable[[], bool] | None = None) -> dict[tuple[int, int], str]:
    """``{(layer, index): label}`` for the features Neuronpedia knows; cached ones cost nothing."""
    report = progress or (lambda fraction, message: None)
    feats = normalize_features(features)
    labels: dict[tuple[int, int], str] = {}
    todo = []
    for layer, index in feats:
        hit = client.cache.get(client.cache.feature_key(model_id, f"{layer}-{source_set}", index)) \
            if client.cache is not None else None
        if hit is not None:
            labels[(layer, index)] = hit["label"]
        else:
            todo.append((layer, index))
    for start in range(0, len(todo), FEATURES_BATCH):
        if cancel and cancel():
            raise CancelledError(f"Loading labels was cancelled after {start} of {len(todo)} features; "
                                 "the labels fetched so far are cached.")
        report(start / len(todo), f"Feature labels {start + 1}–{min(len(todo), start + FEATURES_BATCH)} "
                                  f"of {len(todo)}…")
        batch = todo[start:start + FEATURES_BATCH]
        found = client.features(model_id, [(f"{layer}-{source_set}", index) for layer, index in batch])
        for layer, index in batch:
            neuron = found.get((f"{layer}-{source_set}", index))
            if neuron is None:
                continue
            labels[(layer, index)] = label = label_from_explanations(neuron.get("explanations"))
            if client.cache is not None:
                client.cache.set(client.cache.feature_key(model_id, f"{layer}-{source_set}", index),
                                 {"label": label})
    report(1.0, f"{sum(1 for v in labels.values() if v)} of {len(feats)} features have a label.")
    return {f: labels[f] for f in feats if f in labels}


def graph_labels(client: "NeuronpediaClient", graph: "AttributionGraph", *, source_set: str | None = None,
                 progress: Progress | None = None, cancel: Callable[[], bool] | None = None) -> dict[str, str]:
    """``{node key: label}`` for the graph's feature nodes (every position of a feature shares it)."""
    source_set = source_set or graph.source_set
    if not source_set or not graph.model_id:
        raise InputError("The graph does not say which Neuronpedia model and source set its features belong to; "
                         "give the source set (e.g. clt-hp).")
    rows = graph.nodes[graph.nodes["kind"] == "feature"]
    pairs = list(zip(rows["key"].tolist(), rows["layer"].astype(int).tolist(),
                     rows["feature_index"].astype(int).tolist()))
    by_feature = feature_labels(client, [(layer, index) for _, layer, index in pairs if index >= 0],
                                model_id=graph.model_id, source_set=source_set, progress=progress, cancel=cancel)
    return {key: by_feature[(layer, index)] for key, layer, index in pairs
            if by_feature.get((layer, index))}
