"""Shipped files: manifest, hashes, shapes, clear load errors, reference logits (spec §8, §9)."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from agp_dash.engine import artifacts as A
from agp_dash.engine.model import forward
from agp_dash.errors import BackendError


def test_manifest_describes_the_shipped_files(engine):
    m = engine.manifest
    assert m["format_version"] == A.FORMAT_VERSION and m["model_id"] == "agp-demo-states"
    assert m["model"]["n_layers"] == 4 and m["model"]["d_model"] == 128 and m["model"]["n_ctx"] >= 32
    assert m["model"]["act_fn"] == "gelu_new"
    assert m["transcoders"]["n_features"] == 512 and m["transcoders"]["k"] == 8
    assert set(m["files"]) == set(A.HASHED_FILES)
    total = sum(f["bytes"] for f in m["files"].values())
    assert total < 5_000_000, "data/ must stay a few MB"
    assert m["files"][A.LABELS_FILE]["bytes"] < 700_000
    assert m["training"]["held_out_cities"] and m["training"]["accuracy"]["trained"]["accuracy"] == 1.0


def test_arrays_are_float16_and_loaded_without_pickle(engine):
    with np.load(engine.artifacts.path / A.MODEL_FILE, allow_pickle=False) as npz:
        assert {npz[k].dtype for k in npz.files} == {np.dtype(np.float16)}
    assert engine.weights().dtype == np.float32 and engine.weights(np.float64).dtype == np.float64


@pytest.fixture
def copy_of_data(engine, tmp_path):
    target = tmp_path / "model"
    shutil.copytree(engine.artifacts.path, target)
    return target


def test_a_corrupt_file_is_one_clear_error(copy_of_data):
    path = copy_of_data / A.TRANSCODER_FILE
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(BackendError, match="transcoders.npz does not match its sha256"):
        A.load_artifacts(copy_of_data)


def test_a_missing_file_is_one_clear_error(copy_of_data):
    (copy_of_data / A.VOCAB_FILE).unlink()
    with pytest.raises(BackendError, match="vocab.json is missing"):
        A.load_artifacts(copy_of_data)
    with pytest.raises(BackendError, match="does not exist"):
        A.load_artifacts(copy_of_data / "nowhere")


def test_reference_logits_match(engine):
    for ref in engine.manifest["reference"]:
        ids = engine.tokenize(ref["prompt"]).ids
        assert list(ids) == ref["ids"]
        for dtype, tol in ((np.float64, 1e-9), (np.float32, 1e-4)):
            logits = forward(engine.weights(dtype), [ids], light=True).logits[0, -1]
            got = [logits[engine.vocab.index(tok)] for tok, _ in ref["top"]]
            np.testing.assert_allclose(got, [v for _, v in ref["top"]], atol=tol, rtol=0)


def test_feature_info_and_labels(engine):
    info = engine.feature_info(0, 0)
    assert set(info) >= {"label", "density", "max_act", "dead", "top_tokens", "top_contexts", "top_logits"}
    alive = sum(not row[3] for layer in engine.labels["layers"] for row in layer)
    assert alive >= 0.7 * 4 * 512
