"""Optional cross-check against circuit-tracer (spec local-engine §5.11–5.12): the same model
built in circuit-tracer 0.5 / TransformerLens 3.2.1 without any download gives the same
active features, the same forward pass and the same edges, to 1e-5 in float32.

Skipped unless circuit-tracer 0.5 and transformer-lens 3.2.1 are installed (a separate dev
environment with a CPU torch; never a runtime dependency):

    python3 -m venv /tmp/ctvenv
    /tmp/ctvenv/bin/pip install torch==2.13.0            # the CPU build
    echo torch==2.13.0 > /tmp/ct-constraints.txt
    /tmp/ctvenv/bin/pip install -c /tmp/ct-constraints.txt circuit-tracer==0.5.0 transformer-lens==3.2.1
    /tmp/ctvenv/bin/pip install -c /tmp/ct-constraints.txt -e '.[test]'
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 /tmp/ctvenv/bin/python -m pytest \\
        tests/unit/engine/test_circuit_tracer_oracle.py -q -rs -s

Mapping of conventions (§5.11): circuit-tracer zeroes the BOS error vectors (ours keep them),
and its embedding node is the token embedding only (ours add the positional embedding, whose
part we also return separately), so BOS error columns are left out and the embedding columns
are compared with our token-only part. Everything else is compared index by index.

``build_replacement_model`` and ``run_circuit_tracer`` are also used by
``benchmarks/bench_engine.py`` for the timing comparison.
"""
from __future__ import annotations

import contextlib
import importlib.metadata as md
import os

import numpy as np
import pytest

# 6 to 15 tokens including <bos>
PROMPTS = [
    "The capital of Texas is",
    "The capital of state containing Dallas is",
    'The opposite of "small" is "',
    "Fact: the capital of the state containing Oakland is",
    'The muscle that contracts when you inhale deeply is "the',
    "entity : The state containing Dallas is Texas . The capital of Texas is",
]
# float32: the spec's tolerance (§5.12). float64: both sides compute every step in float64.
TOLERANCE = {np.dtype(np.float32): 1e-5, np.dtype(np.float64): 1e-9}


def _versions_ok() -> str | None:
    try:
        ct, tl = md.version("circuit-tracer"), md.version("transformer-lens")
    except md.PackageNotFoundError:
        return "circuit-tracer 0.5 and transformer-lens 3.2.1 are not installed (optional dev oracle, spec §5.12)"
    if not ct.startswith("0.5") or tl != "3.2.1":
        return f"needs circuit-tracer 0.5 and transformer-lens 3.2.1, found {ct} and {tl}"
    return None


SKIP_REASON = _versions_ok()
pytestmark = [pytest.mark.skipif(SKIP_REASON is not None, reason=SKIP_REASON or ""),
              # circuit-tracer's own backward hooks; harmless
              pytest.mark.filterwarnings("ignore:Full backward hook is firing:UserWarning")]


def _torch_dtype(dtype):
    import torch
    return {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}[np.dtype(dtype)]


def build_replacement_model(engine, dtype=np.float32):
    """Our model and transcoders as a circuit-tracer ``ReplacementModel`` (TransformerLens
    backend), with no hub access: §5.12 steps 1–6."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    from circuit_tracer import ReplacementModel
    from circuit_tracer.transcoder import SingleLayerTranscoder, TranscoderSet
    from tokenizers import Tokenizer as HFTokenizer
    from tokenizers.models import WordLevel
    from tokenizers.pre_tokenizers import WhitespaceSplit
    from transformer_lens import HookedTransformerConfig
    from transformers import PreTrainedTokenizerFast

    cfg, w, k = engine.cfg, engine.weights(dtype), engine.k
    tdtype, cpu = _torch_dtype(dtype), torch.device("cpu")
    assert cfg.act_fn == "gelu_new", cfg.act_fn  # tanh GELU (§3.2); "gelu" would be erf
    tl_cfg = HookedTransformerConfig(n_layers=cfg.n_layers, d_model=cfg.d_model, n_ctx=cfg.n_ctx,
                                     d_head=cfg.d_head, n_heads=cfg.n_heads, d_mlp=cfg.d_mlp,
                                     d_vocab=cfg.d_vocab, act_fn=cfg.act_fn, eps=cfg.ln_eps,
                                     normalization_type="LN", positional_embedding_type="standard",
                                     default_prepend_bos=False, device="cpu", dtype=tdtype)

    class ReluTopK(torch.nn.Module):
        """Ours (§4.2): ReLU, then the k largest (circuit-tracer's own TopK skips the ReLU)."""

        def forward(self, x):
            values, index = torch.relu(x).topk(k, dim=-1)
            return torch.zeros_like(x).scatter(-1, index, values)

    # dtype must be given: SingleLayerTranscoder defaults to bfloat16.
    transcoders = {layer: SingleLayerTranscoder(cfg.d_model, engine.n_features, ReluTopK(), layer,
                                                device=cpu, dtype=tdtype)
                   for layer in range(cfg.n_layers)}
    tset = TranscoderSet(transcoders, feature_input_hook="mlp.hook_in", feature_output_hook="mlp.hook_out",
                         scan=engine.model_id)
    model = ReplacementModel.from_config(tl_cfg, tset)

    # Our arrays under TransformerLens names (heads first for Q, K, V and O).
    H, dh, D = cfg.n_heads, cfg.d_head, cfg.d_model
    ours = {"embed.W_E": w["embed.W_E"], "pos_embed.W_pos": w["embed.W_pos"],
            "ln_final.w": w["ln_final.w"], "ln_final.b": w["ln_final.b"],
            "unembed.W_U": w["unembed.W_U"], "unembed.b_U": w["unembed.b_U"]}
    for layer in range(cfg.n_layers):
        b = f"blocks.{layer}."
        for n in ("Q", "K", "V"):
            ours[b + f"attn.W_{n}"] = w.block(layer, f"attn.W_{n}").reshape(D, H, dh).transpose(1, 0, 2)
            ours[b + f"attn.b_{n}"] = w.block(layer, f"attn.b_{n}").reshape(H, dh)
        ours[b + "attn.W_O"] = w.block(layer, "attn.W_O").reshape(H, dh, D)
        ours[b + "attn.b_O"] = w.block(layer, "attn.b_O")
        for name in ("ln1.w", "ln1.b", "ln2.w", "ln2.b", "mlp.W_in", "mlp.b_in", "mlp.W_out", "mlp.b_out"):
            ours[b + name] = w.block(layer, name)
        t = f"transcoders.transcoders.{layer}."
        ours[t + "W_enc"] = w.tc(layer, "W_enc").T          # circuit-tracer stores the encoder F×D
        for name in ("W_dec", "b_enc", "b_dec"):
            ours[t + name] = w.tc(layer, name)

    # circuit-tracer wraps each MLP (``mlp.old_mlp``) and the unembedding (``unembed.old_unembed``).
    # Every parameter must come from our arrays, by exact name; buffers (mask, IGNORE) stay.
    buffers = dict(model.named_buffers(remove_duplicate=False))  # masks are shared
    state, unused = {}, set(ours)
    for name, current in model.state_dict().items():
        if name in buffers:
            state[name] = current
            continue
        plain = name.replace("mlp.old_mlp.", "mlp.").replace("unembed.old_unembed.", "unembed.")
        assert plain in ours, f"no array of ours for circuit-tracer parameter {name}"
        array = torch.tensor(np.ascontiguousarray(ours[plain]), dtype=tdtype)
        assert array.shape == current.shape, (name, array.shape, current.shape)
        state[name] = array
        unused.discard(plain)
    assert not unused, f"arrays of ours not loaded: {sorted(unused)}"
    model.load_state_dict(state, strict=True)

    # A word-level tokenizer over our vocabulary (attribution runs on ids; circuit-tracer still
    # reads the special ids and decodes). Assigned directly: TransformerLens's set_tokenizer
    # would reload it from the hub.
    hf = HFTokenizer(WordLevel({tok: i for i, tok in enumerate(engine.vocab)}, unk_token="<unk>"))
    hf.pre_tokenizer = WhitespaceSplit()
    model.tokenizer = PreTrainedTokenizerFast(tokenizer_object=hf, bos_token="<bos>", pad_token="<pad>",
                                              unk_token="<unk>")
    return model


@contextlib.contextmanager
def _default_dtype(dtype):
    """circuit-tracer 0.5 allocates its edge matrix with torch's default dtype (float32)."""
    import torch
    previous = torch.get_default_dtype()
    torch.set_default_dtype(_torch_dtype(dtype))
    try:
        yield
    finally:
        torch.set_default_dtype(previous)


def run_circuit_tracer(model, ids, logit_ids, dtype=np.float32, batch_size: int = 256):
    """circuit-tracer's graph on token ids (BOS included) for the given logit targets."""
    import torch
    from circuit_tracer import attribute as ct_attribute
    with _default_dtype(dtype):
        return ct_attribute(torch.tensor(list(ids)), model, attribution_targets=torch.tensor(list(logit_ids)),
                            batch_size=batch_size)


def edge_differences(attr, graph) -> dict:
    """Max |ours − circuit-tracer| per block of edges, after the §5.11 mapping."""
    n_F, T, L, n_L = attr.n_features, attr.n_positions, attr.n_layers, attr.n_logits
    adj = graph.adjacency_matrix.numpy().astype(np.float64)
    assert adj.shape == (n_F + (L + 1) * T + n_L,) * 2
    rows = np.r_[np.arange(n_F), adj.shape[0] - n_L + np.arange(n_L)]   # features, then logits
    theirs = adj[rows]
    ours = attr.adjacency.astype(np.float64)
    err = n_F + np.array([l * T + p for l in range(L) for p in range(1, T)])   # BOS errors left out
    bos_err = n_F + np.arange(L) * T
    emb = n_F + L * T + np.arange(T)
    feat_rows, logit_rows = np.arange(n_F), n_F + np.arange(n_L)

    def worst(r, theirs_cols, ours_block):
        return float(np.abs(theirs[np.ix_(r, theirs_cols)] - ours_block).max(initial=0.0))

    return {
        "feature->feature": worst(feat_rows, np.arange(n_F), ours[np.ix_(feat_rows, np.arange(n_F))]),
        "feature->logit": worst(logit_rows, np.arange(n_F), ours[np.ix_(logit_rows, np.arange(n_F))]),
        "error (no BOS)": worst(np.arange(n_F + n_L), err, ours[:, err]),
        "embedding (token part)": worst(np.arange(n_F + n_L), emb, attr.embedding_token_part.astype(np.float64)),
        "their BOS error columns": float(np.abs(theirs[:, bos_err]).max(initial=0.0)),  # zero by convention
        "their rows of pure sources": float(np.abs(adj[n_F:adj.shape[0] - n_L]).max(initial=0.0)),
        "n_edges": int((n_F + n_L) * (n_F + len(err) + T)),
    }


_MODELS: dict = {}


@pytest.fixture(scope="module", autouse=True)
def _drop_models():
    """Free the models before interpreter exit, where ``ReplacementModel.__del__`` would raise
    a harmless TypeError (spec §5.12)."""
    yield
    _MODELS.clear()
    import gc
    gc.collect()


def _model(engine, dtype):
    key = np.dtype(dtype)
    if key not in _MODELS:
        _MODELS[key] = build_replacement_model(engine, dtype)
    return _MODELS[key]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_forward_pass_matches_transformer_lens(engine, dtype):
    import torch
    model = _model(engine, dtype)
    tol = TOLERANCE[np.dtype(dtype)]
    for prompt in PROMPTS:
        attr = engine.attribute(prompt, dtype=dtype, max_n_logits=1)
        with torch.no_grad():
            logits = model(torch.tensor([attr.encoded.ids])).numpy()
        ours = attr.cache.logits
        assert np.abs(logits - ours).max() <= tol * max(1.0, float(np.abs(ours).max()) / 10.0), prompt


def test_logit_selection_matches_circuit_tracer(engine):
    """§5.8: the default rule (top 10 up to cumulative probability 0.95) picks the same ids."""
    import torch
    from circuit_tracer.attribution.targets import AttributionTargets
    model = _model(engine, np.float64)
    for prompt in PROMPTS:
        attr = engine.attribute(prompt, dtype=np.float64)
        with torch.no_grad():
            logits = model(torch.tensor([attr.encoded.ids]))[0, -1]
        targets = AttributionTargets(None, logits, model.unembed_proj, model.tokenizer)
        assert [t.vocab_idx for t in targets.logit_targets] == attr.logit_ids.tolist(), prompt
        np.testing.assert_allclose(targets.logit_probabilities.numpy(), attr.logit_probs, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("prompt", PROMPTS)
def test_edges_match_circuit_tracer(engine, prompt, dtype):
    model = _model(engine, dtype)
    tol = TOLERANCE[np.dtype(dtype)]
    attr = engine.attribute(prompt, dtype=dtype, keep_parts=True, max_n_logits=5, desired_logit_prob=1.0)
    graph = run_circuit_tracer(model, attr.encoded.ids, attr.logit_ids, dtype)

    # same nodes, in the same order (§5.2), with the same activations
    ct_feats = graph.active_features.numpy()
    np.testing.assert_array_equal(ct_feats, np.stack([attr.feature_layer, attr.feature_pos, attr.feature_index], 1))
    np.testing.assert_allclose(graph.activation_values.numpy(), attr.activation, rtol=0, atol=tol)
    assert [t.vocab_idx for t in graph.logit_targets] == attr.logit_ids.tolist()
    np.testing.assert_allclose(graph.logit_probabilities.numpy(), attr.logit_probs, rtol=0, atol=tol)

    diffs = edge_differences(attr, graph)
    print(f"\n{np.dtype(dtype).name} T={attr.n_positions} features={attr.n_features} "
          f"logits={attr.n_logits} edges={diffs['n_edges']}: "
          + ", ".join(f"{k} {v:.1e}" for k, v in diffs.items() if k != "n_edges"))
    for block, value in diffs.items():
        if block != "n_edges":
            assert value <= tol, f"{block}: max |difference| {value:.2e} > {tol:.0e}"
