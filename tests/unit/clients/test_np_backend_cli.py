"""The "neuronpedia" graph backend and the ``agp np`` commands, against the fake."""
from __future__ import annotations

import json

import pytest

from agp_dash.cli import main
from agp_dash.clients import NeuronpediaBackend
from agp_dash.generation import generate_and_save, load_builtin_backends
from agp_dash.graphs.backends import GenerationLimits, GenerationSettings, TokenPreview, get_backend
from agp_dash.workspace import Workspace
from tests.fakes.neuronpedia_server import API_KEY, SYNTHETIC_SLUG


@pytest.fixture
def np_env(fake_np, tmp_path, monkeypatch):
    """Settings.from_env() pointing at the fake, in a folder without a .env file."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NEURONPEDIA_BASE_URL", fake_np.url)
    monkeypatch.setenv("NEURONPEDIA_API_KEY", API_KEY)
    monkeypatch.setenv("AGP_HOME", str(tmp_path / "home"))
    return tmp_path


def test_backend_is_registered_with_the_interface():
    load_builtin_backends()  # imports agp_dash.clients.neuronpedia_backend
    backend = get_backend("neuronpedia")
    assert isinstance(backend, NeuronpediaBackend)
    assert (backend.name, backend.label, backend.supports_upload) == ("neuronpedia", "Neuronpedia", True)
    assert backend.limits == GenerationLimits() and backend.defaults.source_set == "clt-hp"
    assert backend.example_prompts


def test_backend_tokenize_and_generate(np_env, make_np_client, fake_np):
    backend = NeuronpediaBackend(client_factory=make_np_client)
    preview = backend.tokenize("The opposite of small is")
    assert isinstance(preview, TokenPreview) and preview.n_tokens == 6 and preview.logits[0].token == " A"
    seen = []
    graph = backend.generate("Roses are red", GenerationSettings(slug="agp-backend"),
                             progress=lambda f, m: seen.append((f, m)))
    assert graph["metadata"]["slug"] == "agp-backend" and seen[-1][0] == 1.0


def test_backend_through_the_shared_generation_path(np_env, fake_np):
    workspace = Workspace(np_env / "home").ensure()
    artefact = generate_and_save(workspace, "neuronpedia", "Roses are red", GenerationSettings(slug="agp-shared"))
    assert artefact.manifest["parameters"]["backend"] == "neuronpedia"
    assert API_KEY not in artefact.path.with_name(artefact.name + ".manifest.json").read_text()
    assert (np_env / "home" / "cache" / "neuronpedia").is_dir()


def test_cli_quota(capsys):
    assert main(["np", "quota", "--features", "53", "--prompts", "5"]) == 0
    assert "106 call(s) to /activation/new for 53 feature(s) × 5 prompt(s)" in capsys.readouterr().out
    assert main(["np", "quota", "--features", "400", "--prompts", "10", "--remaining", "100", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["calls"] == 1200 and plan["fits"] is False


def test_cli_bad_input_is_one_line(capsys):
    assert main(["np", "quota", "--features", "-1", "--prompts", "5"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["agp: error: --features and --prompts must be zero or more."]


def test_cli_tokenize(np_env, capsys):
    assert main(["np", "tokenize", "--prompt", "The opposite of small is"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("6 tokens with <bos> (limit 64: ok)") and "' A'" in out


def test_cli_backend_failure_is_one_line(np_env, fake_np, monkeypatch, capsys):
    fake_np.set_remaining("/api/graph/tokenize", 0)
    assert main(["np", "tokenize", "--prompt", "x"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "300 requests per 60 m" in err[0] and API_KEY not in err[0]


def test_cli_labels(np_env, np_client, capsys):
    graph_path = np_env / "graph.json"
    graph_path.write_text(json.dumps(np_client.fetch_graph(model_id="gemma-2-2b", slug=SYNTHETIC_SLUG).graph))
    out = np_env / "labels.json"
    assert main(["np", "labels", str(graph_path), "-o", str(out)]) == 0
    written = json.loads(out.read_text())
    assert written["graph_slug"] == SYNTHETIC_SLUG and written["source_set"] == "clt-hp"
    assert written["labels"] and all(v.startswith("synthetic feature") for v in written["labels"].values())
    assert "node label(s) written" in capsys.readouterr().err
