"""The shipped files of the local model and their manifest (spec local-engine §8).

``data/<model>/`` holds float16 ``model.npz`` and ``transcoders.npz``, ``vocab.json``,
``feature_labels.json``, ``world.json`` and ``manifest.json`` (format version, configs,
training record, sha256 of every file, reference outputs). Loading checks the format,
hashes and shapes and never unpickles (``allow_pickle=False``); any problem is one clear
:class:`BackendError` sentence.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from agp_dash.errors import BackendError
from agp_dash.engine.model import ModelConfig, Weights

FORMAT_VERSION = 1
DEFAULT_MODEL_ID = "agp-demo-states"
MODEL_FILE, TRANSCODER_FILE = "model.npz", "transcoders.npz"
VOCAB_FILE, LABELS_FILE, WORLD_FILE, MANIFEST_FILE = (
    "vocab.json", "feature_labels.json", "world.json", "manifest.json")
HASHED_FILES = (MODEL_FILE, TRANSCODER_FILE, VOCAB_FILE, LABELS_FILE, WORLD_FILE)


def default_data_dir() -> Path:
    """``$AGP_ENGINE_DATA`` if set, else ``data/agp-demo-states`` of this checkout."""
    env = os.environ.get("AGP_ENGINE_DATA")
    if env:
        return Path(env).expanduser()
    return Path(__file__).resolve().parents[2] / "data" / DEFAULT_MODEL_ID


def array_shapes(cfg: ModelConfig, n_features: int) -> dict[str, tuple[int, ...]]:
    """Every array's name and shape (row-vector orientation, §8.3)."""
    D, V = cfg.d_model, cfg.d_vocab
    shapes: dict[str, tuple[int, ...]] = {"embed.W_E": (V, D), "embed.W_pos": (cfg.n_ctx, D)}
    for layer in range(cfg.n_layers):
        b = f"blocks.{layer}."
        for ln in ("ln1", "ln2"):
            shapes[b + ln + ".w"] = shapes[b + ln + ".b"] = (D,)
        for n in ("Q", "K", "V", "O"):
            shapes[b + f"attn.W_{n}"], shapes[b + f"attn.b_{n}"] = (D, D), (D,)
        shapes[b + "mlp.W_in"], shapes[b + "mlp.b_in"] = (D, cfg.d_mlp), (cfg.d_mlp,)
        shapes[b + "mlp.W_out"], shapes[b + "mlp.b_out"] = (cfg.d_mlp, D), (D,)
    shapes["ln_final.w"] = shapes["ln_final.b"] = (D,)
    shapes["unembed.W_U"], shapes["unembed.b_U"] = (D, V), (V,)
    return shapes


def transcoder_shapes(cfg: ModelConfig, n_features: int) -> dict[str, tuple[int, ...]]:
    shapes = {}
    for layer in range(cfg.n_layers):
        t = f"transcoders.{layer}."
        shapes[t + "W_enc"], shapes[t + "b_enc"] = (cfg.d_model, n_features), (n_features,)
        shapes[t + "W_dec"], shapes[t + "b_dec"] = (n_features, cfg.d_model), (cfg.d_model,)
    return shapes


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """float16 ``.npz`` bytes (plain savez: compression saves only ~8 %, §8.1)."""
    buffer = io.BytesIO()
    np.savez(buffer, **{k: np.asarray(v, dtype=np.float16) for k, v in arrays.items()})
    return buffer.getvalue()


@dataclass(frozen=True)
class Artifacts:
    """Everything read from one data directory (arrays still float16)."""
    path: Path
    manifest: dict
    cfg: ModelConfig
    n_features: int
    k: int
    arrays16: dict[str, np.ndarray]
    vocab: list[str]
    labels: dict
    world: dict

    @property
    def model_id(self) -> str:
        return self.manifest["model_id"]

    @property
    def transcoder_set(self) -> str:
        return self.manifest["transcoders"]["name"]

    def weights(self, dtype=np.float32) -> Weights:
        return Weights(self.cfg, self.k, {k: v.astype(dtype) for k, v in self.arrays16.items()})


def _fail(path: Path, reason: str) -> BackendError:
    return BackendError(f"The local model in {path} cannot be loaded: {reason}; "
                        "restore the shipped data/ folder or run 'agp engine train'.")


def _read_json(path: Path, name: str):
    try:
        return json.loads((path / name).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _fail(path, f"{name} is missing") from None
    except (OSError, ValueError) as err:
        raise _fail(path, f"{name} is not valid JSON ({err})") from None


def _read_npz(path: Path, name: str, expected: dict[str, tuple[int, ...]]) -> dict[str, np.ndarray]:
    try:
        with np.load(path / name, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except FileNotFoundError:
        raise _fail(path, f"{name} is missing") from None
    except (OSError, ValueError) as err:
        raise _fail(path, f"{name} is unreadable ({err})") from None
    missing = sorted(set(expected) - set(arrays))
    if missing:
        raise _fail(path, f"{name} lacks {len(missing)} arrays, e.g. {missing[0]}")
    for key, shape in expected.items():
        if tuple(arrays[key].shape) != tuple(shape):
            raise _fail(path, f"array {key} in {name} has shape {arrays[key].shape}, expected {shape}")
    return {k: arrays[k] for k in expected}


def load_artifacts(path: str | os.PathLike | None = None, *, check_hashes: bool = True) -> Artifacts:
    path = Path(path) if path is not None else default_data_dir()
    if not path.is_dir():
        raise _fail(path, "the folder does not exist")
    manifest = _read_json(path, MANIFEST_FILE)
    if manifest.get("format_version") != FORMAT_VERSION:
        raise _fail(path, f"manifest format_version is {manifest.get('format_version')!r}, "
                          f"this agp reads {FORMAT_VERSION}")
    if check_hashes:
        for name in HASHED_FILES:
            expected = manifest.get("files", {}).get(name, {}).get("sha256")
            if not (path / name).is_file():
                raise _fail(path, f"{name} is missing")
            if expected != sha256_file(path / name):
                raise _fail(path, f"{name} does not match its sha256 in the manifest (corrupt or edited)")
    cfg = ModelConfig.from_dict(manifest["model"])
    tc = manifest["transcoders"]
    n_features, k = int(tc["n_features"]), int(tc["k"])
    arrays = _read_npz(path, MODEL_FILE, array_shapes(cfg, n_features))
    arrays.update(_read_npz(path, TRANSCODER_FILE, transcoder_shapes(cfg, n_features)))
    vocab = _read_json(path, VOCAB_FILE)
    if len(vocab) != cfg.d_vocab:
        raise _fail(path, f"vocab.json has {len(vocab)} tokens, the model {cfg.d_vocab}")
    labels = _read_json(path, LABELS_FILE)
    layers = labels.get("layers") if isinstance(labels, dict) else None
    if not (isinstance(layers, list) and len(layers) == cfg.n_layers
            and all(len(rows) == n_features for rows in layers) and "columns" in labels):
        raise _fail(path, f"{LABELS_FILE} does not hold {cfg.n_layers} layers of {n_features} feature rows")
    return Artifacts(path=path, manifest=manifest, cfg=cfg, n_features=n_features, k=k, arrays16=arrays,
                     vocab=vocab, labels=labels, world=_read_json(path, WORLD_FILE))
