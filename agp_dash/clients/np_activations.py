"""Feature activations on probe prompts through Neuronpedia, returned as an activation dump.

One ``/activation/new`` call covers one feature and up to 4 texts, so F features × P prompts
cost F × ⌈P/4⌉ calls (the original made F × P, defect C14). When ``/activation/source`` is
offered and needs fewer calls (one per layer and text batch), it is used instead. Every
value is cached on disk by (model, source, index, text), so nothing is fetched twice and an
interrupted run resumes where it stopped.

The result is the activation-dump format of seed-method §2.5 (values per token, <bos>
included), so the later stages do not care which backend produced it.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

from agp_dash.clients.np_errors import (CancelledError, InvalidResponseError, NotFoundError, OverQuotaError,
                                        RemoteUnavailableError)
from agp_dash.clients.np_limits import TEXTS_PER_CALL, ProbePlan, calls_for, plan_probe_calls
from agp_dash.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from agp_dash.clients.neuronpedia import NeuronpediaClient
    from agp_dash.graphs.model import AttributionGraph

log = logging.getLogger("agp_dash.clients.neuronpedia")

BACKEND_NAME = "neuronpedia-api"  # recorded with every dump (spec §1.12 rule 3)
Progress = Callable[[float, str], None]


# --------------------------------------------------------------------- responses
@dataclass(frozen=True)
class ActivationRecord:
    """One feature on one text: aligned token strings and values."""
    tokens: list[str]
    values: list[float]


@dataclass(frozen=True)
class SourceRecord:
    """``/activation/source`` for one text: feature index -> [(token position, value)]."""
    tokens: list[str]
    active: dict[int, list[tuple[int, float]]]


def parse_activation_items(data: Any, expected: int, *, endpoint: str) -> list[ActivationRecord]:
    """The flat shape of spec §1.4.2 (a dict for one text, a list for an array), or the nested
    swagger shape ``{tokens, activations: {values}}`` for robustness."""
    items = data if isinstance(data, list) else [data]
    if len(items) != expected:
        raise _invalid(endpoint, f"{len(items)} result(s) for {expected} text(s)")
    records = []
    for item in items:
        if not isinstance(item, dict):
            raise _invalid(endpoint, "a result is not an object")
        values = item.get("values")
        if values is None and isinstance(item.get("activations"), dict):
            values = item["activations"].get("values")
        tokens = item.get("tokens")
        if not (isinstance(tokens, list) and all(isinstance(t, str) for t in tokens)
                and isinstance(values, list) and all(_is_number(v) for v in values)):
            raise _invalid(endpoint, "no tokens/values lists")
        if len(tokens) != len(values):
            raise _invalid(endpoint, f"{len(tokens)} tokens but {len(values)} values")
        records.append(ActivationRecord(tokens=list(tokens), values=[float(v) for v in values]))
    return records


def parse_source_results(data: Any, expected: int, *, endpoint: str) -> list[SourceRecord]:
    """``{"results": […]}`` or the wrapped ``{"data": {"results": […]}}`` (spec §1.5)."""
    if isinstance(data, dict) and isinstance(data.get("data"), dict):
        data = data["data"]
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, list) or len(results) != expected:
        raise _invalid(endpoint, f"expected {expected} result(s)")
    records = []
    for item in results:
        tokens = item.get("tokens") if isinstance(item, dict) else None
        active = item.get("activeFeatures") if isinstance(item, dict) else None
        if not (isinstance(tokens, list) and isinstance(active, dict)):
            raise _invalid(endpoint, "a result has no tokens/activeFeatures")
        parsed: dict[int, list[tuple[int, float]]] = {}
        try:
            for index, pairs in active.items():
                parsed[int(index)] = [(int(pos), float(value)) for pos, value in pairs]
        except (TypeError, ValueError):
            raise _invalid(endpoint, "activeFeatures is not {index: [[position, value], …]}") from None
        records.append(SourceRecord(tokens=[str(t) for t in tokens], active=parsed))
    return records


def _invalid(endpoint: str, why: str) -> InvalidResponseError:
    return InvalidResponseError(f"Neuronpedia sent an invalid response for {endpoint} ({why}); try again later.",
                                endpoint=endpoint)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


# ------------------------------------------------------------------------- inputs
@dataclass(frozen=True)
class Probe:
    probe_id: str
    text: str


def normalize_probes(probes: Iterable[Any]) -> list[Probe]:
    """Probe texts as ``str``, ``(id, text)``, ``{"id"|"probe_id", "text"|"prompt"}`` or :class:`Probe`."""
    out: list[Probe] = []
    for i, item in enumerate(probes):
        if isinstance(item, Probe):
            probe = item
        elif isinstance(item, str):
            probe = Probe(f"probe_{i}", item)
        elif isinstance(item, (tuple, list)) and len(item) == 2:
            probe = Probe(str(item[0]), item[1])
        elif isinstance(item, dict):
            probe = Probe(str(item.get("probe_id", item.get("id", f"probe_{i}"))),
                          item.get("text", item.get("prompt")))
        else:
            raise InputError(f"Probe {i} must be a text or an {{id, text}} object.")
        if not isinstance(probe.text, str) or not probe.text.strip():
            raise InputError(f"Probe {probe.probe_id!r} has no text.")
        out.append(probe)
    ids = [p.probe_id for p in out]
    if len(set(ids)) != len(ids):
        raise InputError("Probe ids must be unique; two probes share an id.")
    return out


def normalize_features(features: Iterable[Any]) -> list[tuple[int, int]]:
    """``(layer, index)`` pairs from tuples, ``"L_I"`` keys or ``{layer, index}``; deduplicated."""
    out: list[tuple[int, int]] = []
    for item in features:
        try:
            if isinstance(item, str):
                layer, index = item.split("_")[:2]
            elif isinstance(item, dict):
                layer, index = item["layer"], item["index"]
            else:
                layer, index = item
            pair = (int(layer), int(index))
        except (ValueError, TypeError, KeyError):
            raise InputError(f"{item!r} is not a feature: use (layer, index) or 'layer_index'.") from None
        if pair[0] < 0 or pair[1] < 0:
            raise InputError(f"{item!r} is not a feature: layer and index must be non-negative.")
        out.append(pair)
    return list(dict.fromkeys(out))


def features_from_graph(graph: "AttributionGraph", keys: Iterable[str] | None = None) -> list[tuple[int, int]]:
    """The graph's transcoder features (optionally only the nodes ``keys``), each once, in graph order."""
    nodes = graph.nodes
    rows = nodes[nodes["kind"] == "feature"]
    if keys is not None:
        rows = rows[rows["key"].isin(set(keys))]
    pairs = zip(rows["layer"].astype(int).tolist(), rows["feature_index"].astype(int).tolist())
    return list(dict.fromkeys(p for p in pairs if p[1] >= 0))


def baseline_probe(graph: "AttributionGraph") -> Probe:
    """The graph's own prompt without its literal leading <bos> (C14)."""
    prompt = graph.prompt
    return Probe("baseline", prompt[len("<bos>"):] if prompt.startswith("<bos>") else prompt)


# ------------------------------------------------------------------------ probing
class _Collected:
    """Values per (feature, probe) and the reference tokens of each probe."""

    def __init__(self, n_probes: int):
        self.tokens: list[list[str] | None] = [None] * n_probes
        self.values: dict[tuple[int, int], list[list[float] | None]] = {}

    def put(self, feature: tuple[int, int], probe: int, tokens: list[str], values: list[float]) -> None:
        reference = self.tokens[probe]
        if reference is None:
            self.tokens[probe] = reference = list(tokens)
        self.values.setdefault(feature, [None] * len(self.tokens))[probe] = _align(tokens, values, reference)

    def has(self, feature: tuple[int, int], probe: int) -> bool:
        row = self.values.get(feature)
        return row is not None and row[probe] is not None


def _align(tokens: list[str], values: list[float], reference: list[str]) -> list[float]:
    """Values on the reference tokens; a response without the <bos> position gets a 0 there."""
    if tokens == reference:
        return list(values)
    if tokens == reference[1:]:
        return [0.0] + list(values)
    raise InvalidResponseError("Neuronpedia returned different tokens for the same probe text in two calls; "
                               "the results cannot be aligned.", endpoint="/api/activation/new")


def probe_features(client: "NeuronpediaClient", features: Iterable[Any], probes: Iterable[Any], *,
                   model_id: str, source_set: str, graph_slug: str | None = None, method: str = "auto",
                   progress: Progress | None = None, cancel: Callable[[], bool] | None = None,
                   over_quota_ok: bool = False) -> dict:
    """Activations of ``features`` on ``probes`` as an activation dump (seed-method §2.5).

    ``method``: ``"new"`` (``/activation/new``), ``"source"`` (``/activation/source``) or
    ``"auto"`` (source when the server offers it and it needs fewer calls). ``progress(fraction,
    message)`` is called after every call; ``cancel()`` returning True stops between calls with
    :class:`CancelledError` (fetched values stay cached). A run that cannot finish within the
    hourly quota raises :class:`OverQuotaError` (with the plan) before any call, unless
    ``over_quota_ok`` says the user agreed.
    """
    if method not in ("auto", "new", "source"):
        raise InputError(f"method must be auto, new or source (got {method!r}).")
    feats = normalize_features(features)
    plist = normalize_probes(probes)
    if not feats or not plist:
        raise InputError("Give at least one feature and one probe prompt.")
    run = _ProbeRun(client, feats, plist, model_id, source_set, progress, cancel)
    run.load_cached()
    plan = _plan(client, run)
    if not plan.fits and not over_quota_ok:
        raise OverQuotaError(plan)
    if method != "new" and (method == "source" or run.source_calls() < run.new_calls()):
        try:
            run.fetch_by_source()
        except (NotFoundError, RemoteUnavailableError) as err:
            if method == "source":
                raise
            log.info("activation/source unavailable (%s); using activation/new", err)
    try:
        run.fetch_by_feature()
    except RemoteUnavailableError as err:
        raise RemoteUnavailableError(
            f"Neuronpedia cannot compute activations for source set {source_set!r} of {model_id} "
            f"({err.server_message or err}); use the local engine for probing instead.",
            status=err.status, endpoint=err.endpoint, server_message=err.server_message) from None
    return run.dump(graph_slug)


def plan_probe_run(client: "NeuronpediaClient", features: Iterable[Any], probes: Iterable[Any], *,
                   model_id: str, source_set: str) -> ProbePlan:
    """:func:`plan_probe_calls` for a concrete run: cached values cost nothing, and the last
    ``x-limit-remaining`` seen for ``/activation/new`` is used when known."""
    run = _ProbeRun(client, normalize_features(features), normalize_probes(probes), model_id, source_set, None, None)
    run.load_cached()
    return _plan(client, run)


def _plan(client: "NeuronpediaClient", run: "_ProbeRun") -> ProbePlan:
    n_features, n_prompts = len(run.feats), len(run.probes)
    return plan_probe_calls(n_features, n_prompts, cached_calls=calls_for(n_features, n_prompts) - run.new_calls(),
                            remaining=client.limit_remaining.get("/api/activation/new"),
                            n_sources=len({layer for layer, _ in run.feats}))


class _ProbeRun:
    def __init__(self, client, feats, probes, model_id, source_set, progress, cancel):
        self.client, self.feats, self.probes = client, feats, probes
        self.model_id, self.source_set = model_id, source_set
        self.report = progress or (lambda fraction, message: None)
        self.cancel = cancel or (lambda: False)
        self.got = _Collected(len(probes))
        self.done = 0
        self.total = 0

    def source(self, layer: int) -> str:
        return f"{layer}-{self.source_set}"

    def missing(self, feat: tuple[int, int]) -> list[int]:
        return [p for p in range(len(self.probes)) if not self.got.has(feat, p)]

    def new_calls(self) -> int:
        return sum(math.ceil(len(self.missing(f)) / TEXTS_PER_CALL) for f in self.feats)

    def _layer_missing(self) -> dict[int, list[int]]:
        by_layer: dict[int, set[int]] = {}
        for feat in self.feats:
            by_layer.setdefault(feat[0], set()).update(self.missing(feat))
        return {layer: sorted(ps) for layer, ps in by_layer.items() if ps}

    def source_calls(self) -> int:
        return sum(math.ceil(len(ps) / TEXTS_PER_CALL) for ps in self._layer_missing().values())

    # -- cache
    def _key(self, feat: tuple[int, int], probe: int) -> tuple:
        return self.client.cache.activation_key(self.model_id, self.source(feat[0]), feat[1],
                                                self.probes[probe].text, False)

    def load_cached(self) -> None:
        if self.client.cache is None:
            return
        for feat in self.feats:
            for p in range(len(self.probes)):
                hit = self.client.cache.get(self._key(feat, p))
                if hit is not None:
                    self.got.put(feat, p, hit["tokens"], hit["values"])

    def _store(self, feat: tuple[int, int], probe: int, tokens: list[str], values: list[float]) -> None:
        self.got.put(feat, probe, tokens, values)
        if self.client.cache is not None:
            self.client.cache.set(self._key(feat, probe), {"tokens": list(tokens), "values": list(values)})

    def _step(self, message: str) -> None:
        if self.cancel():
            raise CancelledError(f"Probing was cancelled after {self.done} of {self.total} Neuronpedia calls; "
                                 "the activations fetched so far are cached.")
        self.report(self.done / self.total if self.total else 1.0, message)

    # -- fetching
    def fetch_by_source(self) -> None:
        plan = self._layer_missing()
        self.total = self.done + sum(math.ceil(len(ps) / TEXTS_PER_CALL) for ps in plan.values())
        for layer, probe_ids in plan.items():
            wanted = [f for f in self.feats if f[0] == layer]
            for chunk in _chunks(probe_ids, TEXTS_PER_CALL):
                self._step(f"Layer {layer}: activations on {len(chunk)} prompt(s)")
                records = self.client.activation_source(self.model_id, self.source(layer),
                                                        [self.probes[p].text for p in chunk])
                self.done += 1
                for p, record in zip(chunk, records):
                    for feat in wanted:
                        values = [0.0] * len(record.tokens)
                        for pos, value in record.active.get(feat[1], ()):
                            if 0 <= pos < len(values):
                                values[pos] = value
                        self._store(feat, p, record.tokens, values)

    def fetch_by_feature(self) -> None:
        self.total = self.done + self.new_calls()
        for feat in self.feats:
            for chunk in _chunks(self.missing(feat), TEXTS_PER_CALL):
                self._step(f"Feature {feat[0]}/{feat[1]}: {len(chunk)} prompt(s)")
                records = self.client.activation(self.model_id, self.source(feat[0]), feat[1],
                                                 [self.probes[p].text for p in chunk])
                self.done += 1
                for p, record in zip(chunk, records):
                    self._store(feat, p, record.tokens, record.values)
        self.report(1.0, f"Activations ready ({self.done} call(s) made).")

    # -- output
    def dump(self, graph_slug: str | None) -> dict:
        results = []
        for p, probe in enumerate(self.probes):
            activations = []
            for feat in self.feats:
                values = self.got.values[feat][p]
                peak = max(range(len(values)), key=values.__getitem__) if values else 0
                activations.append({"source": self.source(feat[0]), "index": feat[1], "values": values,
                                    "sum_values": float(sum(values)),
                                    "max_value": float(values[peak]) if values else 0.0,
                                    "max_value_index": peak})
            results.append({"probe_id": probe.probe_id, "prompt": probe.text, "tokens": self.got.tokens[p],
                            "activations": activations})
        dump = {"model": self.model_id, "source_set": self.source_set, "device": BACKEND_NAME,
                "backend": BACKEND_NAME, "n_prompts": len(self.probes), "n_features_requested": len(self.feats),
                "results": results}
        if graph_slug:
            dump["graph_slug"] = graph_slug
        return dump


def _chunks(items: Sequence[int], size: int) -> list[list[int]]:
    return [list(items[i:i + size]) for i in range(0, len(items), size)]
