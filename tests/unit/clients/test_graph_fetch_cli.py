"""`agp graph fetch` and `agp graph generate --backend neuronpedia` against the fake server."""
import json

from agp_dash.cli import main
from tests.fakes.neuronpedia_server import API_KEY


def point_at_fake(monkeypatch, fake_np, home):
    monkeypatch.setenv("NEURONPEDIA_BASE_URL", fake_np.url)
    monkeypatch.setenv("NEURONPEDIA_API_KEY", API_KEY)
    monkeypatch.setenv("AGP_HOME", str(home))


def test_cf01_fetch_by_model_and_slug_saves_workspace_and_output(fake_np, tmp_path, monkeypatch, capsys):
    point_at_fake(monkeypatch, fake_np, tmp_path / "home")
    out = tmp_path / "g.json"
    assert main(["graph", "fetch", "--model-id", "gemma-2-2b", "--slug", "synthetic-opposite", "-o", str(out)]) == 0
    assert "fetched gemma-2-2b/synthetic-opposite" in capsys.readouterr().out
    assert json.loads(out.read_text())["metadata"]["slug"] == "synthetic-opposite"
    saved = list((tmp_path / "home" / "graphs").glob("*.manifest.json"))
    assert len(saved) == 1 and API_KEY not in saved[0].read_text()


def test_cf02_fetch_needs_url_or_model_and_slug(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AGP_HOME", str(tmp_path))
    assert main(["graph", "fetch", "--slug", "x"]) == 2
    assert capsys.readouterr().err.strip() == "agp: error: give either --url, or both --model-id and --slug."


def test_cf03_generate_through_neuronpedia_backend(fake_np, tmp_path, monkeypatch, capsys):
    point_at_fake(monkeypatch, fake_np, tmp_path / "home")
    assert main(["graph", "generate", "--backend", "neuronpedia", "--prompt", "The opposite of small is",
                 "--slug", "opposite-test"]) == 0
    assert "generated graphs/opposite-test.json" in capsys.readouterr().out
    manifest = (tmp_path / "home" / "graphs" / "opposite-test.json.manifest.json").read_text()
    assert '"backend": "neuronpedia"' in manifest and API_KEY not in manifest
