"""The loaded local engine: a read-only object over the shipped artefacts (spec local-engine §7).

No global mutable state besides a per-folder cache of loaded engines, so it is safe to use
from threads and background-job processes. float32 weights are ready at load; float64 ones
(tests, exactness checks) are made on first use.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np

from agp_dash.errors import InputError
from agp_dash.graphs.slugs import make_slug
from agp_dash.engine.artifacts import Artifacts, default_data_dir, load_artifacts
from agp_dash.engine.attribution import Attribution, attribute, check_settings, select_logits
from agp_dash.engine.evaluate import evaluate_facts
from agp_dash.engine.graph_json import graph_json
from agp_dash.engine.interventions import Intervention, InterventionResult, run_intervention
from agp_dash.engine.model import Weights, forward, softmax
from agp_dash.engine.probe import activation_dump
from agp_dash.engine.tokenizer import Encoded, Tokenizer

DEFAULTS = {"node_threshold": 0.8, "edge_threshold": 0.98, "max_n_logits": 10,
            "desired_logit_prob": 0.95, "max_feature_nodes": None}
_DTYPES = {"float32": np.float32, "float64": np.float64}


class Engine:
    def __init__(self, artifacts: Artifacts):
        self.artifacts = artifacts
        self.cfg = artifacts.cfg
        self.vocab = artifacts.vocab
        self.labels = artifacts.labels
        self.world = artifacts.world
        self.manifest = artifacts.manifest
        self.tokenizer = Tokenizer(artifacts.vocab, artifacts.cfg.n_ctx)
        self._weights = {np.dtype(np.float32): artifacts.weights(np.float32)}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ basics
    @property
    def model_id(self) -> str:
        return self.artifacts.model_id

    @property
    def transcoder_set(self) -> str:
        return self.artifacts.transcoder_set

    @property
    def n_features(self) -> int:
        return self.artifacts.n_features

    @property
    def k(self) -> int:
        return self.artifacts.k

    @property
    def example_prompts(self) -> list[str]:
        return [p["prompt"] for p in self.world.get("example_prompts", [])]

    def weights(self, dtype=np.float32) -> Weights:
        key = np.dtype(_DTYPES.get(dtype, dtype) if isinstance(dtype, str) else dtype)
        if key not in self._weights:
            with self._lock:
                if key not in self._weights:
                    self._weights[key] = self.artifacts.weights(key.type)
        return self._weights[key]

    def tokenize(self, text: str) -> Encoded:
        return self.tokenizer.encode(text)

    def token_id(self, token) -> int:
        if isinstance(token, (int, np.integer)) and 0 <= int(token) < len(self.vocab):
            return int(token)
        text = str(token).strip()
        if text in self.tokenizer.index and self.tokenizer.index[text] >= 3:
            return self.tokenizer.index[text]
        hint = self.tokenizer.suggestions(text)
        raise InputError(f"{token!r} is not a token of the local model"
                         + (f" (did you mean {' or '.join(map(repr, hint))}?)." if hint else "."))

    def predict(self, text: str, k: int = 5) -> list[dict]:
        """Top-k next tokens with probabilities (shown next to every graph)."""
        enc = self.tokenize(text)
        probs = softmax(forward(self.weights(), [enc.ids], light=True).logits[0, -1].astype(np.float64))
        order = np.argsort(-probs, kind="stable")[:k]
        return [{"token": self.vocab[i], "id": int(i), "prob": float(probs[i])} for i in order]

    def logit_targets(self, text: str, *, max_n_logits: int = 10, desired_logit_prob: float = 0.95) -> list[dict]:
        """The logits a graph would be attributed from (circuit-tracer's rule, §5.8)."""
        check_settings(max_n_logits, desired_logit_prob)
        enc = self.tokenize(text)
        logits = forward(self.weights(), [enc.ids], light=True).logits[0, -1]
        ids, probs = select_logits(logits, max_n_logits, desired_logit_prob)
        return [{"token": self.vocab[i], "id": int(i), "prob": float(p)} for i, p in zip(ids, probs)]

    # ------------------------------------------------------------------ graphs
    def attribute(self, text: str, *, max_n_logits: int = 10, desired_logit_prob: float = 0.95,
                  targets=None, dtype=np.float32, keep_parts: bool = False) -> Attribution:
        check_settings(max_n_logits, desired_logit_prob)
        enc = self.tokenize(text)
        target_ids = [self.token_id(t) for t in targets] if targets else None
        return attribute(self.weights(dtype), enc, max_n_logits=max_n_logits,
                         desired_logit_prob=desired_logit_prob, targets=target_ids, keep_parts=keep_parts)

    def graph(self, prompt: str, *, slug: str | None = None, node_threshold: float = 0.8,
              edge_threshold: float = 0.98, max_n_logits: int = 10, desired_logit_prob: float = 0.95,
              max_feature_nodes: int | None = None, targets=None, dtype="float32", **extra) -> dict:
        """Attribute ``prompt`` and return pruned graph JSON (Neuronpedia / circuit-tracer format)."""
        if extra:
            raise InputError(f"Unknown graph setting {sorted(extra)[0]!r} for the local engine.")
        check_settings(max_n_logits, desired_logit_prob, node_threshold, edge_threshold, max_feature_nodes)
        attr = self.attribute(prompt, max_n_logits=max_n_logits, desired_logit_prob=desired_logit_prob,
                              targets=targets, dtype=dtype)
        slug = slug or make_slug(attr.encoded.text)
        settings = {"max_n_logits": max_n_logits, "desired_logit_prob": desired_logit_prob, "k": self.k,
                    "targets": [self.vocab[i] for i in attr.logit_ids] if targets else None}
        return graph_json(attr, model_id=self.model_id, transcoder_set=self.transcoder_set, vocab=self.vocab,
                          clerp_of=self.feature_label, slug=slug, node_threshold=node_threshold,
                          edge_threshold=edge_threshold, max_feature_nodes=max_feature_nodes,
                          settings={k: v for k, v in settings.items() if v is not None})

    # ------------------------------------------------------------ probes, edits
    def probe(self, prompts, features, *, batch_size: int = 64) -> dict:
        """Activation dump (seed-method §2.5) of ``features`` on ``prompts``."""
        return activation_dump(self.weights(), self.tokenizer, prompts, features, model_id=self.model_id,
                               source_set=self.transcoder_set, batch_size=batch_size)

    def intervene(self, text: str, interventions: list[Intervention], *, mode: str = "frozen",
                  top_k: int = 5, watch=None, dtype=np.float32) -> InterventionResult:
        enc = self.tokenize(text)
        watch_ids = [self.token_id(t) for t in watch] if watch else None
        return run_intervention(self.weights(dtype), enc, list(interventions), mode=mode, vocab=self.vocab,
                                top_k=top_k, watch=watch_ids)

    def feature_info(self, layer: int, feature: int) -> dict:
        """The feature's entry of feature_labels.json as a dict (label, density, max_act, dead,
        top_tokens, top_contexts, top_logits, bottom_logits)."""
        if not 0 <= layer < self.cfg.n_layers or not 0 <= feature < self.n_features:
            raise InputError(f"Feature {layer}_{feature} does not exist: the local model has layers "
                             f"0–{self.cfg.n_layers - 1} with features 0–{self.n_features - 1}.")
        row = self.labels["layers"][layer][feature]
        return {"layer": layer, "feature": feature, **dict(zip(self.labels["columns"], row))}

    def feature_label(self, layer: int, feature: int) -> str:
        """The short automatic label (the graph's ``clerp``)."""
        return self.labels["layers"][layer][feature][0]

    # ------------------------------------------------------------------ reports
    def evaluate(self) -> dict:
        """Greedy accuracy on every fact of world.json (held-out two-hop reported apart)."""
        return evaluate_facts(self.weights(), self.tokenizer, self.world.get("facts", []))

    def info(self) -> dict:
        m = self.manifest
        training = m.get("training", {})
        return {
            "model_id": self.model_id, "path": str(self.artifacts.path), "model": m["model"],
            "transcoders": {k: m["transcoders"][k] for k in ("name", "n_features", "k", "activation")},
            "vocabulary": len(self.vocab),
            "facts": {"trained": sum(not f["held_out"] for f in self.world.get("facts", [])),
                      "held_out": sum(bool(f["held_out"]) for f in self.world.get("facts", []))},
            "world": {"states": len(self.world.get("states", [])), "athletes": len(self.world.get("athletes", [])),
                      "antonyms_en": len(self.world.get("antonyms_en", [])),
                      "antonyms_fr": len(self.world.get("antonyms_fr", [])),
                      "body_parts": len(self.world.get("body_parts", []))},
            "training": {k: training.get(k) for k in ("corpus_version", "fve_train", "fve_fresh", "alive",
                                                     "total_seconds")},
            "files": {name: entry["bytes"] for name, entry in m.get("files", {}).items()},
        }


_ENGINES: dict[Path, Engine] = {}
_ENGINES_LOCK = threading.Lock()


def load_engine(data_dir: str | os.PathLike | None = None) -> Engine:
    """The engine of ``data_dir`` (default: the shipped model), loaded once per process."""
    key = Path(data_dir if data_dir is not None else default_data_dir()).resolve()
    with _ENGINES_LOCK:
        engine = _ENGINES.get(key)
        if engine is None:
            engine = _ENGINES[key] = Engine(load_artifacts(key))
    return engine


def generate_graph(prompt: str, *, data_dir: str | os.PathLike | None = None, **settings) -> dict:
    """Graph JSON for ``prompt`` from the local engine (``agp graph generate --backend local``).

    Settings: ``slug``, ``node_threshold`` (0.8), ``edge_threshold`` (0.98), ``max_n_logits``
    (10), ``desired_logit_prob`` (0.95), ``max_feature_nodes`` (None = all), ``targets``
    (token strings), ``dtype`` ("float32")."""
    return load_engine(data_dir).graph(prompt, **settings)
