"""Schema conformance: real fixtures and agp-emitted graphs against the Neuronpedia schema."""
import copy
import json

import pytest

from agp_dash.graphs import schema_errors, synthetic_graph, validate_against_schema
from tests.fixture_paths import real_fixture, spec_file
from tests.unit.graphs import builders as b

jsonschema = pytest.importorskip("jsonschema")

REAL_GRAPHS = [("dallas", "graph.json"), ("oakland", "graph.json"),
               ("neuronpedia", "ui_download_fact_dallas_with_labels.json")]


@pytest.fixture(scope="module")
def schema():
    return json.loads(spec_file("neuronpedia-graph-schema.json").read_text())


@pytest.mark.fixtures
@pytest.mark.parametrize("parts", REAL_GRAPHS, ids=[p[0] for p in REAL_GRAPHS])
def test_real_graphs_conform(schema, parts):
    obj = json.loads(real_fixture(*parts).read_text())
    assert validate_against_schema(obj, schema) == []
    assert schema_errors(obj) == []


@pytest.mark.parametrize("obj", [synthetic_graph(), b.worked_example(), b.collision_graph(), b.hand_graph()],
                         ids=["synthetic", "worked", "collision", "hand"])
def test_graphs_we_emit_conform(schema, obj):
    assert validate_against_schema(obj, schema) == []
    assert schema_errors(obj) == []


def _mutations():
    def drop(path):
        def apply(obj):
            target = obj
            for key in path[:-1]:
                target = target[key]
            del target[path[-1]]
        return apply

    def set_(path, value):
        def apply(obj):
            target = obj
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = value
        return apply

    return {
        "no qParams": drop(["qParams"]),
        "no metadata.slug": drop(["metadata", "slug"]),
        "prompt_tokens not strings": set_(["metadata", "prompt_tokens"], [1]),
        "node without clerp": drop(["nodes", 0, "clerp"]),
        "node without jsNodeId": drop(["nodes", 1, "jsNodeId"]),
        "feature as string": set_(["nodes", 0, "feature"], "7"),
        "layer as float": set_(["nodes", 0, "layer"], 1.5),
        "ctx_idx as string": set_(["nodes", 0, "ctx_idx"], "1"),
        "influence as string": set_(["nodes", 0, "influence"], "high"),
        "link weight as string": set_(["links", 0, "weight"], "1"),
        "link without source": drop(["links", 0, "source"]),
        "links not a list": set_(["links"], {}),
        "node_threshold as string": set_(["metadata", "node_threshold"], "0.8"),
        "pinnedIds not a list": set_(["qParams", "pinnedIds"], "x"),
    }


@pytest.mark.parametrize("name", sorted(_mutations()))
def test_project_check_agrees_with_jsonschema(schema, name):
    obj = copy.deepcopy(b.hand_graph())
    _mutations()[name](obj)
    upstream = validate_against_schema(obj, schema)
    ours = schema_errors(obj)
    assert upstream and ours
    assert {e.split(":")[0] for e in ours} == {e.split(":")[0] for e in upstream}


def test_without_a_schema_file_the_project_check_is_used():
    obj = b.hand_graph()
    del obj["qParams"]
    assert validate_against_schema(obj) == ["/: must have required property 'qParams'"]
