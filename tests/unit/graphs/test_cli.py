"""``agp graph info|metrics|select`` through agp_dash.cli.main."""
import json

import pytest

from agp_dash.cli import main
from agp_dash.graphs import synthetic_graph
from tests.fixture_paths import real_fixture
from tests.unit.graphs import builders as b


@pytest.fixture
def graph_file(tmp_path):
    path = tmp_path / "graph.json"
    path.write_text(json.dumps(synthetic_graph(n_tokens=6, n_layers=4, n_features=40, seed=1)))
    return path


def test_info(graph_file, capsys):
    assert main(["graph", "info", str(graph_file)]) == 0
    out = capsys.readouterr().out
    assert "model:       gemma-2-2b (source set clt-hp)" in out
    assert "nodes:       " in out and "feature" in out and "scores:      replacement" in out
    assert main(["graph", "info", str(graph_file), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["nodes_by_kind"]["logit"] == 3 and summary["n_links"] > 0


@pytest.mark.fixtures
def test_info_on_dallas(capsys):
    assert main(["graph", "info", str(real_fixture("dallas", "graph.json"))]) == 0
    out = capsys.readouterr().out
    assert "nodes:       322 (feature 228, error 76, embedding 8, logit 10)" in out
    assert "links:       3506" in out and 'target:      27_22605_7 (p=0.332) Output " Austin"' in out


@pytest.mark.fixtures
def test_metrics_seed_v2_matches_the_original(tmp_path, capsys):
    out = tmp_path / "metrics.csv"
    graph = real_fixture("dallas", "graph.json")
    assert main(["graph", "metrics", str(graph), "-o", str(out), "--mode", "seed-v2"]) == 0
    assert "wrote 321 rows (seed-v2)" in capsys.readouterr().out
    expected = real_fixture("dallas", "expected_static_metrics_seed_v2.csv").read_text()
    from tests.unit.graphs.test_metrics import assert_csv_equal
    assert_csv_equal(out.read_text(), expected)


def test_metrics_to_stdout(graph_file, capsys):
    assert main(["graph", "metrics", str(graph_file)]) == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert header.startswith("layer,feature,id,ctx_idx,token,") and header.endswith("in_degree,out_degree")


def test_select_writes_json_and_csv(graph_file, tmp_path, capsys):
    out, table = tmp_path / "sel.json", tmp_path / "sel.csv"
    code = main(["graph", "select", str(graph_file), "--max-cumulative", "0.9", "--layers", "0-2",
                 "--top-n", "5", "-o", str(out), "--csv", str(table)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "selected" in printed and "error nodes excluded hid" in printed
    data = json.loads(out.read_text())
    assert data["metadata"]["n_nodes"] == len(data["node_ids"]) <= 5
    assert data["metadata"]["selection"]["layers"] == [0, 1, 2]
    assert table.read_text().startswith("node_id,key,kind")


@pytest.mark.fixtures
def test_select_seed_v2_reproduces_dallas(tmp_path):
    out = tmp_path / "sel.json"
    graph = real_fixture("dallas", "graph.json")
    assert main(["graph", "select", str(graph), "--mode", "seed-v2", "--max-cumulative", "0.58", "-o", str(out)]) == 0
    expected = json.loads(real_fixture("dallas", "selected_features_with_nodes.json").read_text())
    data = json.loads(out.read_text())
    assert data["node_ids"] == expected["node_ids"] and data["features"] == expected["features"]


@pytest.mark.parametrize("argv, message", [
    (["graph", "info", "{missing}"], "Graph file not found"),
    (["graph", "metrics", "{bad}"], "not valid JSON"),
    (["graph", "metrics", "{empty}"], "empty"),
    (["graph", "info", "{unknown_link}"], "which is not a node of the graph"),
    (["graph", "info", "{good}", "--max-mb", "0.0001"], "larger than the limit"),
    (["graph", "select", "{good}", "--layers", "3-1", "-o", "{out}"], "--layers must be"),
    (["graph", "select", "{good}", "--max-cumulative", "2", "-o", "{out}"], "between 0 and 1"),
    (["graph", "select", "{good}", "--kinds", "neuron", "-o", "{out}"], "Unknown node kind"),
    (["graph", "select", "{good}", "--mode", "seed-v2", "--top-n", "3", "-o", "{out}"], "seed-v2 selection only"),
])
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, argv, message):
    files = {"missing": tmp_path / "missing.json", "bad": tmp_path / "bad.json", "empty": tmp_path / "empty.json",
             "unknown_link": tmp_path / "unknown.json", "good": tmp_path / "good.json", "out": tmp_path / "o.json"}
    files["bad"].write_text("{nope")
    files["empty"].write_text("")
    broken = b.hand_graph()
    broken["links"][0]["source"] = "ghost"
    files["unknown_link"].write_text(json.dumps(broken))
    files["good"].write_text(json.dumps(b.hand_graph()))
    code = main([part.format(**{k: str(v) for k, v in files.items()}) for part in argv])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and err.startswith("agp: error: ") and err.count("\n") == 1
    assert not files["out"].exists()


def test_graph_without_subcommand_prints_help(capsys):
    assert main(["graph"]) == 2
    assert "info" in capsys.readouterr().out
