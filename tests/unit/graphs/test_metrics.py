"""Static metrics: seed-v2 parity with the original app's CSVs, agp-default additions."""
import csv
import io
import math

import numpy as np
import pytest

from agp_dash.errors import InputError
from agp_dash.graphs import (AGP_COLUMNS, SEED_COLUMNS, compute_metrics, load_graph, metrics_csv_text,
                             write_metrics_csv)
from agp_dash.graphs.metrics import differenced_influence
from tests.fixture_paths import real_fixture
from tests.unit.graphs import builders as b

PARITY = [
    ("dallas", "graph.json", "expected_static_metrics_seed_v2.csv"),
    ("oakland", "graph.json", "expected_static_metrics_seed_v2.csv"),
    ("neuronpedia", "ui_download_fact_dallas_with_labels.json",
     "ui_download_fact_dallas_expected_static_metrics_seed_v2.csv"),
]


def assert_csv_equal(actual: str, expected: str, rel: float = 1e-9) -> None:
    """Header and strings exact, numbers to ``rel`` (seed spec §2.11)."""
    got = list(csv.reader(io.StringIO(actual)))
    want = list(csv.reader(io.StringIO(expected)))
    assert got[0] == want[0]
    assert len(got) == len(want), f"{len(got) - 1} rows, expected {len(want) - 1}"
    for line, (row, ref) in enumerate(zip(got[1:], want[1:]), start=2):
        for column, a, e in zip(want[0], row, ref):
            if a == e:
                continue
            try:
                close = math.isclose(float(a), float(e), rel_tol=rel, abs_tol=0.0)
            except ValueError:
                close = False
            assert close, f"line {line}, column {column}: {a!r} != {e!r}"


@pytest.mark.fixtures
@pytest.mark.parametrize("folder, graph_name, expected_name", PARITY, ids=[p[0] for p in PARITY])
def test_seed_v2_parity_with_the_original(tmp_path, folder, graph_name, expected_name):
    graph = load_graph(real_fixture(folder, graph_name))
    frame = compute_metrics(graph, mode="seed-v2")
    assert tuple(frame.columns) == SEED_COLUMNS
    expected = real_fixture(folder, expected_name).read_text(encoding="utf-8")
    assert_csv_equal(metrics_csv_text(frame), expected)
    path = write_metrics_csv(frame, tmp_path / "out" / "static.csv")
    data = path.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf") and b"\r\n" not in data
    assert_csv_equal(data.decode("utf-8"), expected)
    assert [p.name for p in path.parent.iterdir()] == ["static.csv"]  # no temp file left behind


@pytest.mark.fixtures
def test_seed_v2_dallas_facts_from_the_spec():
    frame = compute_metrics(load_graph(real_fixture("dallas", "graph.json")), mode="seed-v2")
    assert len(frame) == 321 and (frame["layer"] == 27).sum() == 9          # D6: non-target logits leak
    assert (frame["frac_external_raw"] == 1.0).all()                        # D5
    assert frame["node_influence"].sum() == pytest.approx(0.8002923727035522, rel=1e-12)  # D7
    first = metrics_csv_text(frame).splitlines()[1]
    assert first == "-1,0,2,0,<bos>,,1.0,0.06924483925104141,0.06924483925104141"


@pytest.mark.fixtures
def test_agp_default_on_dallas():
    graph = load_graph(real_fixture("dallas", "graph.json"))
    frame = compute_metrics(graph)
    assert tuple(frame.columns) == SEED_COLUMNS + AGP_COLUMNS
    assert len(frame) == 312 and not (frame["kind"] == "logit").any()      # C6: no logit rows
    assert frame["key"].is_unique
    assert frame["node_influence_graph"].sum() == pytest.approx(1.0)       # logits carry none
    assert frame["influence_rank_graph"].min() == 1
    features = frame[frame["kind"] == "feature"]
    assert features["frac_in_error"].between(0, 1).all() and features["frac_in_embedding"].between(0, 1).all()
    embeddings = frame[frame["kind"] == "embedding"]
    assert embeddings["frac_in_error"].isna().all() and (embeddings["in_degree"] == 0).all()
    assert 0 < frame.attrs["replacement_score"] < 1 and 0 < frame.attrs["completeness_score"] < 1
    # seed columns identical to seed-v2 apart from the dropped logit rows
    seed = compute_metrics(graph, mode="seed-v2")
    seed = seed[seed["layer"] != 27].reset_index(drop=True)
    np.testing.assert_array_equal(seed["id"].to_numpy(), frame["id"].to_numpy())
    np.testing.assert_allclose(seed["node_influence"], frame["node_influence"])


def test_agp_default_values_on_the_hand_graph():
    frame = compute_metrics(load_graph(b.hand_graph())).set_index("key")
    assert list(frame.index) == ["emb:1", "err:0:1", "feat:0:40:1"]  # sorted by (layer, feature)
    assert frame.loc["feat:0:40:1", "logit_influence_graph"] == pytest.approx(0.3)
    assert frame.loc["feat:0:40:1", "node_influence_graph"] == pytest.approx(0.375)
    assert frame.loc["feat:0:40:1", "cum_influence_graph"] == pytest.approx(0.875)
    assert frame.loc["emb:1", "influence_rank_graph"] == 1
    assert frame.loc["feat:0:40:1", "frac_in_embedding"] == 1.0
    assert frame.loc["feat:0:40:1", "frac_in_error"] == 0.0
    assert (frame.loc["feat:0:40:1", "in_degree"], frame.loc["feat:0:40:1", "out_degree"]) == (1, 1)
    assert frame.loc["emb:1", "out_degree"] == 2
    text = metrics_csv_text(compute_metrics(load_graph(b.hand_graph())))
    assert "\n-1,1,7,1, y,,1.0,,,E_7_1,emb:1,embedding,embedding,,0.5,0.4," in text


def test_seed_v2_keeps_non_target_logits_and_self_loop_fraction():
    obj = b.hand_graph()
    obj["nodes"].append(b.logit(2, 98, 1, 0.1))
    obj["links"].append({"source": "0_40_1", "target": "0_40_1", "weight": -2.0})
    frame = compute_metrics(load_graph(obj), mode="seed-v2").set_index("id")
    assert 98 in frame.index and 99 not in frame.index     # target logit dropped, other kept
    assert frame.loc[40, "frac_external_raw"] == pytest.approx(1 - 2 / 4)


def test_differenced_influence_ties_and_missing():
    values = np.array([0.5, np.nan, 0.2, 0.5, 0.9])
    out = differenced_influence(values)
    np.testing.assert_allclose(out, [0.3, np.nan, 0.2, 0.0, 0.4])  # first of a tie gets the step


def test_unknown_mode():
    with pytest.raises(InputError, match="Unknown metrics mode"):
        compute_metrics(load_graph(b.hand_graph()), mode="seed-v1")


def test_csv_quoting_and_booleans(tmp_path):
    import pandas as pd
    frame = pd.DataFrame({"s": ['a,b', 'say "x"', "", None], "f": [1.0, np.nan, 1e-05, 0.1 + 0.2],
                          "i": pd.array([1, None, 3, 4], dtype="Int64"), "b": [True, False, True, False]})
    text = metrics_csv_text(frame)
    assert text == ('s,f,i,b\n"a,b",1.0,1,True\n"say ""x""",,,False\n,1e-05,3,True\n,0.30000000000000004,4,False\n')
