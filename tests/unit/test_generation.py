"""Generating through a backend: one path for the UI and `agp graph generate`."""
import json

import pytest

from agp_dash.cli import main
from agp_dash.errors import BackendError, InputError
from agp_dash.generation import generate_and_save
from agp_dash.graphs.backends import GenerationSettings
from agp_dash.workspace import Workspace
from tests.graph_backend_fake import FakeBackend


def test_gen01_saves_graph_with_manifest_and_progress(tmp_path, fake_graph_backend):
    ws = Workspace(tmp_path).ensure()
    seen = []
    art = generate_and_save(ws, "fake", "The capital of Texas is", fake_graph_backend.defaults,
                            progress=lambda f, m: seen.append((f, m)))
    assert art.kind == "graphs" and art.name.startswith("the-capital-of-texas-is-")
    params = art.manifest["parameters"]
    assert params["backend"] == "fake" and params["prompt"] == "The capital of Texas is"
    assert params["max_feature_nodes"] == 30 and params["slug"] == art.name[:-5]
    assert art.manifest["summary"]["model_id"] == "fake-model"
    assert seen[0] == (0.0, "step 1 of 3")
    assert json.loads(art.path.read_text())["metadata"]["scan"] == "fake-model"


def test_gen02_settings_outside_backend_limits_are_refused_before_generating(tmp_path, fake_graph_backend):
    with pytest.raises(InputError, match="max_n_logits must be an integer between 5 and 15"):
        generate_and_save(Workspace(tmp_path), "fake", "ok", GenerationSettings(max_feature_nodes=10, max_n_logits=99))
    assert not (tmp_path / "graphs").exists() or not list((tmp_path / "graphs").iterdir())


def test_gen03_empty_prompt_and_unknown_backend(tmp_path, fake_graph_backend):
    with pytest.raises(InputError, match="The prompt is empty"):
        generate_and_save(Workspace(tmp_path), "fake", "  ", fake_graph_backend.defaults)
    with pytest.raises(InputError, match="Unknown graph backend 'nope'"):
        generate_and_save(Workspace(tmp_path), "nope", "x", fake_graph_backend.defaults)


def test_gen04_backend_returning_garbage_is_a_clear_error(tmp_path, fake_graph_backend, monkeypatch):
    monkeypatch.setattr(FakeBackend, "generate", lambda self, p, s, progress=None: {"nodes": "oops"})
    with pytest.raises(BackendError, match="Fake backend \\(tests\\) backend returned an unusable graph"):
        generate_and_save(Workspace(tmp_path), "fake", "ok", fake_graph_backend.defaults)


def test_gen05_cli_generate_writes_workspace_and_output(tmp_path, fake_graph_backend, monkeypatch, capsys):
    monkeypatch.setenv("AGP_HOME", str(tmp_path / "home"))
    out = tmp_path / "g.json"
    assert main(["graph", "generate", "--backend", "fake", "--prompt", "Dallas is in", "--max-n-logits", "6",
                 "--slug", "my-graph", "-o", str(out)]) == 0
    printed = capsys.readouterr()
    assert "generated graphs/my-graph.json" in printed.out and "step 1 of 3" in printed.err
    assert json.loads(out.read_text())["metadata"]["slug"] == "my-graph"
    manifest = json.loads((tmp_path / "home" / "graphs" / "my-graph.json.manifest.json").read_text())
    assert manifest["parameters"]["max_n_logits"] == 6


def test_gen06_cli_bad_setting_is_one_line(tmp_path, fake_graph_backend, monkeypatch, capsys):
    monkeypatch.setenv("AGP_HOME", str(tmp_path))
    assert main(["graph", "generate", "--backend", "fake", "--prompt", "x", "--node-threshold", "2"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "agp: error: node_threshold must be a number between 0.1 and 1.0 (got 2.0)."]
