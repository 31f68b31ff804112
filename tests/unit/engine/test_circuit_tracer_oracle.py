"""Optional cross-check against circuit-tracer (spec §5.12): same model, same edges to 1e-5.

Skipped unless circuit-tracer 0.5 and transformer-lens 3.2.1 are installed (a separate dev
environment; never a runtime dependency).
"""
from __future__ import annotations

import importlib.metadata as md
import os

import numpy as np
import pytest


def _versions_ok() -> str | None:
    try:
        ct, tl = md.version("circuit-tracer"), md.version("transformer-lens")
    except md.PackageNotFoundError:
        return "circuit-tracer 0.5 and transformer-lens 3.2.1 are not installed"
    if not ct.startswith("0.5") or tl != "3.2.1":
        return f"needs circuit-tracer 0.5 and transformer-lens 3.2.1, found {ct} and {tl}"
    return None


pytestmark = pytest.mark.skipif(_versions_ok() is not None, reason=_versions_ok() or "")


def _build(engine):
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

    cfg, w, k = engine.cfg, engine.weights(np.float32), engine.k
    tl_cfg = HookedTransformerConfig(n_layers=cfg.n_layers, d_model=cfg.d_model, n_ctx=cfg.n_ctx,
                                     d_head=cfg.d_head, n_heads=cfg.n_heads, d_mlp=cfg.d_mlp,
                                     d_vocab=cfg.d_vocab, act_fn="gelu_new", normalization_type="LN",
                                     positional_embedding_type="standard", default_prepend_bos=False,
                                     device="cpu", dtype=torch.float32)

    class ReluTopK(torch.nn.Module):
        def forward(self, x):
            values, index = torch.relu(x).topk(k, dim=-1)
            return torch.zeros_like(x).scatter(-1, index, values)

    transcoders = []
    for layer in range(cfg.n_layers):
        tc = SingleLayerTranscoder(cfg.d_model, engine.n_features, ReluTopK(), layer)
        state = {"W_enc": torch.tensor(w.tc(layer, "W_enc").T.copy()), "b_enc": torch.tensor(w.tc(layer, "b_enc")),
                 "W_dec": torch.tensor(w.tc(layer, "W_dec")), "b_dec": torch.tensor(w.tc(layer, "b_dec"))}
        tc.load_state_dict(state)
        transcoders.append(tc)
    tset = TranscoderSet(transcoders, feature_input_hook="mlp.hook_in", feature_output_hook="mlp.hook_out",
                         scan="agp-demo-states")
    model = ReplacementModel.from_config(tl_cfg, tset)
    H, dh = cfg.n_heads, cfg.d_head
    ours = {"embed.W_E": w["embed.W_E"], "pos_embed.W_pos": w["embed.W_pos"],
            "ln_final.w": w["ln_final.w"], "ln_final.b": w["ln_final.b"],
            "unembed.W_U": w["unembed.W_U"], "unembed.b_U": w["unembed.b_U"]}
    for layer in range(cfg.n_layers):
        b = f"blocks.{layer}."
        for n in ("Q", "K", "V"):
            ours[b + f"attn.W_{n}"] = w.block(layer, f"attn.W_{n}").reshape(cfg.d_model, H, dh).transpose(1, 0, 2)
            ours[b + f"attn.b_{n}"] = w.block(layer, f"attn.b_{n}").reshape(H, dh)
        ours[b + "attn.W_O"] = w.block(layer, "attn.W_O").reshape(H, dh, cfg.d_model)
        ours[b + "attn.b_O"] = w.block(layer, "attn.b_O")
        for ln in ("ln1", "ln2"):
            ours[b + f"{ln}.w"], ours[b + f"{ln}.b"] = w.block(layer, f"{ln}.w"), w.block(layer, f"{ln}.b")
        for n in ("W_in", "b_in", "W_out", "b_out"):
            ours[b + f"mlp.{n}"] = w.block(layer, f"mlp.{n}")
    state = model.state_dict()
    mapped = {}
    for name in state:
        if name.startswith("transcoders."):
            mapped[name] = state[name]
            continue
        match = [key for key in ours if name.endswith(key) or name.replace(".mlp.mlp.", ".mlp.").endswith(key)]
        if match:
            mapped[name] = torch.tensor(np.ascontiguousarray(ours[max(match, key=len)]))
        else:
            mapped[name] = state[name]  # buffers (masks, IGNORE)
    model.load_state_dict(mapped, strict=True)
    vocab = {tok: i for i, tok in enumerate(engine.vocab)}
    hf = HFTokenizer(WordLevel(vocab, unk_token="<unk>"))
    hf.pre_tokenizer = WhitespaceSplit()
    model.tokenizer = PreTrainedTokenizerFast(tokenizer_object=hf, bos_token="<bos>", pad_token="<pad>",
                                              unk_token="<unk>")
    return model


def test_edges_match_circuit_tracer(engine):
    import torch
    from circuit_tracer import attribute as ct_attribute

    model = _build(engine)
    prompt = "The capital of state containing Dallas is"
    attr = engine.attribute(prompt, dtype=np.float32, keep_parts=True, max_n_logits=5, desired_logit_prob=1.0)
    ids = torch.tensor(attr.encoded.ids)
    graph = ct_attribute(ids, model, attribution_targets=torch.tensor(attr.logit_ids), batch_size=256)
    ct_feats = graph.active_features.numpy()
    assert sorted(map(tuple, ct_feats.tolist())) == sorted(zip(attr.feature_layer.tolist(), attr.feature_pos.tolist(),
                                                            attr.feature_index.tolist()))
    n_F, T, L = attr.n_features, attr.n_positions, attr.n_layers
    adj = graph.adjacency_matrix.numpy()
    rows = list(range(n_F)) + list(range(adj.shape[0] - attr.n_logits, adj.shape[0]))
    ours = attr.adjacency
    np.testing.assert_allclose(adj[np.ix_(rows, range(n_F))], ours[:, :n_F], atol=1e-5)
    err_cols = [n_F + l * T + p for l in range(L) for p in range(1, T)]   # BOS errors are zero there
    np.testing.assert_allclose(adj[np.ix_(rows, err_cols)], ours[:, err_cols], atol=1e-5)
    emb = adj[np.ix_(rows, range(n_F + L * T, n_F + L * T + T))]
    np.testing.assert_allclose(emb, attr.embedding_token_part, atol=1e-5)
