import json
import os

import pytest

from agp_dash import __version__
from agp_dash.atomic import atomic_write_bytes, atomic_write_json
from agp_dash.errors import InputError
from agp_dash.workspace import KINDS, Workspace, artefact_rows, human_size, sha256_file


def test_ws01_ensure_creates_every_kind_folder(tmp_path):
    ws = Workspace(tmp_path / "home").ensure()
    assert sorted(p.name for p in ws.root.iterdir()) == sorted([*KINDS, "cache"])


def test_ws02_save_writes_artefact_and_manifest(tmp_path):
    ws = Workspace(tmp_path).ensure()
    source = tmp_path / "input.json"
    source.write_text('{"a": 1}')
    art = ws.save_json("graphs", "g.json", {"nodes": []}, producer="agp graph fetch",
                       parameters={"slug": "x"}, inputs=[source], summary={"prompt": "p", "model_id": "m"})
    assert json.loads(art.path.read_text()) == {"nodes": []}
    manifest = art.manifest
    assert manifest["producer"] == "agp graph fetch"
    assert manifest["parameters"] == {"slug": "x"}
    assert manifest["app_version"] == __version__
    assert manifest["sha256"] == sha256_file(art.path)
    assert manifest["inputs"] == [{"name": "input.json", "sha256": sha256_file(source), "size": 8}]
    assert manifest["created_at"].endswith("+00:00")
    assert art.artefact_id == "graphs/g.json"
    assert ws.verify(art) == "ok"


def test_ws03_listing_skips_manifests_and_temp_files_and_is_newest_first(tmp_path):
    ws = Workspace(tmp_path).ensure()
    ws.save_text("graphs", "old.json", "{}", producer="t")
    os.utime(ws.path("graphs", "old.json"), (1, 1))
    ws.save_text("selections", "new.json", "{}", producer="t")
    (ws.root / "graphs" / ".g.json.123.tmp").write_text("half")
    (ws.root / "probes" / "by-hand.json").write_text("[]")
    ids = [a.artefact_id for a in ws.list()]
    assert ids[-1] == "graphs/old.json"
    assert set(ids) == {"graphs/old.json", "selections/new.json", "probes/by-hand.json"}
    by_hand = ws.get("probes", "by-hand.json")
    assert by_hand.manifest is None and "no manifest" in by_hand.provenance
    assert ws.verify(by_hand) == "no manifest"


def test_ws04_verify_detects_modification(tmp_path):
    ws = Workspace(tmp_path).ensure()
    art = ws.save_text("graphs", "g.json", "{}", producer="t")
    art.path.write_text('{"changed": true}')
    assert ws.verify(ws.get("graphs", "g.json")) == "modified"


@pytest.mark.parametrize("kind,name,message", [
    ("bogus", "a.json", "unknown artefact kind"),
    ("graphs", "../escape.json", "invalid artefact name"),
    ("graphs", "a/b.json", "invalid artefact name"),
    ("graphs", "x.json.manifest.json", "invalid artefact name"),
    ("graphs", "", "invalid artefact name"),
])
def test_ws05_bad_kind_or_name_is_a_clear_error(tmp_path, kind, name, message):
    with pytest.raises(InputError, match=message):
        Workspace(tmp_path).path(kind, name)


def test_ws06_unique_name_and_resolve(tmp_path):
    ws = Workspace(tmp_path).ensure()
    assert ws.unique_name("graphs", "The capital / of Texas?", ".json") == "The-capital-of-Texas.json"
    ws.save_text("graphs", "a.json", "{}", producer="t")
    assert ws.unique_name("graphs", "a", ".json") == "a-2.json"
    assert ws.resolve("graphs/a.json").name == "a.json"
    with pytest.raises(InputError, match="no artefact graphs/missing.json"):
        ws.resolve("graphs/missing.json")


def test_ws07_rows_for_display(tmp_path):
    ws = Workspace(tmp_path).ensure()
    ws.save_text("graphs", "g.json", "x" * 2048, producer="agp graph generate",
                 parameters={"backend": "local"}, summary={"prompt": "Dallas", "model_id": "agp-demo"})
    [row] = artefact_rows(ws.list())
    assert row["id"] == "graphs/g.json"
    assert row["about"] == "Dallas · agp-demo"
    assert row["size"] == "2.0 KB"
    assert row["provenance"] == "agp graph generate (backend=local)"
    assert human_size(10) == "10 B" and human_size(5 * 1024 ** 2) == "5.0 MB"


def test_at01_atomic_write_replaces_whole_file(tmp_path):
    target = tmp_path / "sub" / "f.json"
    atomic_write_json(target, {"a": 1})
    assert json.loads(target.read_text()) == {"a": 1}
    assert [p.name for p in target.parent.iterdir()] == ["f.json"]


def test_at02_failed_write_keeps_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "f.txt"
    atomic_write_bytes(target, b"old")

    def boom(*_args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]


def test_at03_json_with_nan_is_refused_before_writing(tmp_path):
    target = tmp_path / "f.json"
    with pytest.raises(ValueError):
        atomic_write_json(target, {"x": float("nan")})
    assert not target.exists()
