import subprocess
import sys

import pytest

from agp_dash import __version__
from agp_dash.cli import build_parser, main


def test_cli01_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"agp {__version__}"


def test_cli02_no_command_prints_help_and_fails(capsys):
    assert main([]) == 2
    assert "serve" in capsys.readouterr().out


def test_cli03_bad_port_is_one_clear_line(capsys):
    assert main(["serve", "--port", "70000"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["agp: error: --port must be between 1 and 65535, not 70000"]


def test_cli04_every_stage_registers_its_commands():
    subcommands = build_parser()._subparsers._group_actions[0].choices
    assert {"serve", "graph"} <= set(subcommands)


def test_cli05_console_script_runs_as_module():
    out = subprocess.run([sys.executable, "-m", "agp_dash.cli", "--version"],
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"agp {__version__}"
