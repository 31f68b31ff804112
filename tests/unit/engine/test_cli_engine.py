"""``agp engine`` commands (info and intervene are also covered in their own test files)."""
from __future__ import annotations

from agp_dash.cli import build_parser, main


def test_engine_is_a_registered_command():
    choices = build_parser()._subparsers._group_actions[0].choices
    assert "engine" in choices


def test_predict(capsys):
    assert main(["engine", "predict", "--prompt", "The capital of state containing Dallas is", "-k", "2"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and lines[0].split()[1] == "Austin"


def test_bad_prompt_is_one_line(capsys):
    assert main(["engine", "predict", "--prompt", "The capital of Gotham is"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("agp: error: The local model does not know the word 'Gotham'")


def test_missing_model_folder_is_one_line(tmp_path, capsys):
    assert main(["engine", "--data", str(tmp_path / "none"), "info"]) == 2
    assert "cannot be loaded: the folder does not exist" in capsys.readouterr().err
