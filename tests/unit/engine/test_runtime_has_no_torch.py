"""The runtime never imports torch (spec §1 goal 2): a fresh interpreter in which importing
torch fails still loads the engine, builds a graph, probes, intervenes and registers the backend."""
from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.fixture_paths import REPO_ROOT


def test_engine_runs_with_torch_blocked():
    code = textwrap.dedent("""
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name == "torch" or name.startswith("torch."):
                    raise ImportError("torch is blocked in this test")
        sys.meta_path.insert(0, Block())
        from agp_dash.engine import Intervention, load_engine
        import agp_dash.engine.backend
        from agp_dash.graphs.backends import get_backend
        from agp_dash.cli import main
        engine = load_engine()
        graph = engine.graph("The capital of state containing Dallas is")
        engine.probe(["entity: A city in Texas, USA is Dallas"], [(0, 1)])
        engine.intervene("The capital of Texas is", [Intervention(0, 1, value=0.0)])
        get_backend("local").tokenize("The capital of Texas is")
        assert main(["engine", "predict", "--prompt", "The capital of Texas is"]) == 0
        assert not [m for m in sys.modules if m == "torch" or m.startswith("torch.")]
        assert not [m for m in sys.modules if m.startswith("agp_dash.training")]
        print("ok", len(graph["nodes"]))
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1].startswith("ok ")
