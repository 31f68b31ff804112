"""Graph generation, pre-flight, recovery and download against the fake (contract C-01…C-07)."""
from __future__ import annotations

import json

import pytest

from agp_dash.clients import (BusyError, GraphInvalidError, InvalidResponseError, NeuronpediaConnectionError,
                              NeuronpediaTimeoutError, NotFoundError, RateLimitError, RequestRejectedError,
                              SlugTakenError, fetch_graph, parse_graph_url)
from agp_dash.clients.np_transport import CallPolicy
from agp_dash.errors import InputError
from agp_dash.graphs import load_graph
from agp_dash.graphs.backends import GenerationSettings
from agp_dash.graphs.schema import validate_against_schema
from agp_dash.workspace import Workspace
from tests.fakes.neuronpedia_server import SYNTHETIC_PROMPT, SYNTHETIC_SLUG
from tests.fixture_paths import SPEC_DIR

PROMPT = "Roses are red and violets are"
DALLAS = "The capital of state containing Dallas is"


def settings(**changes) -> GenerationSettings:
    return GenerationSettings(**{"slug": "agp-test-graph", **changes})


def test_generate_happy_path_then_metadata_download_and_schema(np_client, fake_np):  # C-01
    progress = []
    result = np_client.generate(PROMPT, settings(), progress=lambda f, m: progress.append((f, m)))
    assert result.slug == "agp-test-graph" and result.model_id == "gemma-2-2b" and result.source_set == "clt-hp"
    assert result.num_nodes == len(result.graph["nodes"]) and result.num_links == len(result.graph["links"])
    assert result.graph["metadata"]["slug"] == "agp-test-graph"
    assert result.graph["metadata"]["prompt"] == "<bos>" + PROMPT
    assert result.graph["metadata"]["info"]["neuronpedia_source_set"] == "clt-hp"
    assert result.ui_url == "https://www.neuronpedia.org/gemma-2-2b/graph?sourceSet=clt-hp&slug=agp-test-graph"
    assert [f for f, _ in progress] == sorted(f for f, _ in progress) and progress[-1][0] == 1.0
    body = json.loads(fake_np.requests_to("/api/graph/generate")[0].raw)
    assert body == {"modelId": "gemma-2-2b", "sourceSetName": "clt-hp", "prompt": PROMPT, "slug": "agp-test-graph",
                    "maxNLogits": 10, "desiredLogitProb": 0.95, "nodeThreshold": 0.8, "edgeThreshold": 0.85,
                    "maxFeatureNodes": 5000}
    row = np_client.graph_metadata("gemma-2-2b", "agp-test-graph")
    assert row["sourceSetName"] == "clt-hp" and row["user"] == {"name": "tester", "id": "user-tester"}
    assert load_graph(result.graph).n_nodes == result.num_nodes
    schema = SPEC_DIR / "neuronpedia-graph-schema.json"
    assert validate_against_schema(result.graph, schema if schema.is_file() else None) == []
    assert fake_np.calls("/api/graph/tokenize") == 1  # the pre-flight ran first


def test_generate_real_dallas_fixture_when_present(np_client, fake_np):
    if DALLAS not in fake_np.real.graph_files:
        pytest.skip("real fixture not available: dallas graph.json (needs ../shared/fixtures)")
    result = np_client.generate(DALLAS, settings(slug="agp-dallas-test"))
    assert result.num_nodes == 322 and result.num_links == 3506
    assert result.graph["metadata"]["generation_settings"]["max_feature_nodes"] == 5000


@pytest.mark.parametrize("field, value, words", [
    ("node_threshold", 0.99, "node_threshold must be a number between 0.5 and 0.95"),
    ("edge_threshold", 0.7, "edge_threshold must be a number between 0.8 and 0.98"),
    ("max_feature_nodes", 2000, "max_feature_nodes must be an integer between 3000 and 10000"),
    ("max_n_logits", 16, "max_n_logits must be an integer between 5 and 15"),
    ("desired_logit_prob", 0.5, "desired_logit_prob must be a number between 0.6 and 0.99"),
    ("slug", "Bad Slug!", "is not valid"),
    ("model_id", "gpt2-small", "model_id must be one of"),
])
def test_generate_prevalidates_and_never_sends_out_of_range(np_client, fake_np, field, value, words):  # C-02
    with pytest.raises(InputError, match=words):
        np_client.generate(PROMPT, settings(**{field: value}))
    assert fake_np.calls("/api/graph") == 0


def test_server_validation_error_surfaces_details_and_path(np_client, fake_np):  # C-02
    body = {"modelId": "gemma-2-2b", "sourceSetName": "clt-hp", "prompt": PROMPT, "nodeThreshold": 0.99}
    with pytest.raises(RequestRejectedError) as caught:
        np_client._post("generate", "/graph/generate", body)
    assert caught.value.status == 400 and caught.value.path == "nodeThreshold"
    assert caught.value.details == "Must be at most 0.95."
    assert "Validation error: Must be at most 0.95." in str(caught.value)


def test_generate_blocks_prompts_over_64_tokens_locally(np_client, fake_np):  # C-03
    long_prompt = " ".join(["word"] * 64)  # 64 words + <bos> = 65 tokens
    with pytest.raises(InputError, match="65 tokens long .* at most 64"):
        np_client.generate(long_prompt, settings())
    assert fake_np.calls("/api/graph/generate") == 0


def test_generate_server_side_token_cap_is_surfaced(np_client, fake_np):  # C-03
    with pytest.raises(RequestRejectedError, match="Prompt Too Long: Max tokens supported is 64, your prompt was 65"):
        np_client.generate(" ".join(["word"] * 64), settings(), preflight=False)


def test_tokenize_preflight_returns_count_and_predicted_logits(np_client, fake_np):
    result = np_client.tokenize(SYNTHETIC_PROMPT)
    assert result.tokens == ["<bos>", "The", " opposite", " of", " small", " is"]
    assert result.n_tokens == 6 and not result.too_long and result.max_tokens == 64
    assert [lg.token for lg in result.logits] == [" A", " B", " C", " D", " E"]
    assert result.preview().n_tokens == 6
    assert "x-api-key" not in fake_np.requests_to("/api/graph/tokenize")[0].headers  # auth: none


def test_tokenize_failure_does_not_block_generation(np_client, fake_np):
    fake_np.add_faults("/api/graph/tokenize", "500_html", "500_html")
    assert np_client.generate(PROMPT, settings()).num_nodes > 0


@pytest.mark.parametrize("fault", ["503_gpus", "503_runpod", "500_busy"])
def test_generate_busy_retries_then_succeeds(np_client, fake_np, fault):  # C-04
    fake_np.add_faults("/api/graph/generate", fault, fault)
    result = np_client.generate(PROMPT, settings())
    assert result.num_nodes > 0
    assert fake_np.calls("/api/graph/generate") == 3
    assert len(np_client.sleeps) == 2 and all(s > 0 for s in np_client.sleeps)


def test_generate_busy_gives_up_after_two_retries(np_client, fake_np):  # C-04
    fake_np.add_faults("/api/graph/generate", "503_gpus", "503_gpus", "503_gpus")
    with pytest.raises(BusyError, match="busy .* after 3 tries; try again in a minute"):
        np_client.generate(PROMPT, settings())
    assert fake_np.calls("/api/graph/generate") == 3


def test_generate_timeout_recovers_by_polling_the_slug(make_np_client, fake_np):  # C-05
    client = make_np_client(policies={"generate": CallPolicy(read_timeout=0.2, retries_busy=2)})
    fake_np.add_faults("/api/graph/generate", "timeout")
    result = client.generate(PROMPT, settings())
    assert result.recovered and result.num_nodes > 0
    assert fake_np.calls("/api/graph/generate") == 1  # never resubmitted
    assert fake_np.calls("/api/graph/gemma-2-2b/agp-test-graph") >= 1


def test_generate_hang_without_graph_fails_after_polling(make_np_client, fake_np):  # C-05
    client = make_np_client(policies={"generate": CallPolicy(read_timeout=0.2)}, recovery_window_s=0.5)
    fake_np.add_faults("/api/graph/generate", "hang_no_create")
    with pytest.raises(NeuronpediaTimeoutError, match="did not produce graph 'agp-test-graph'"):
        client.generate(PROMPT, settings())
    assert fake_np.calls("/api/graph/generate") == 1


def test_connection_reset_is_not_resubmitted(make_np_client, fake_np):
    client = make_np_client(recovery_window_s=0.3)
    fake_np.add_faults("/api/graph/generate", "reset")
    with pytest.raises(NeuronpediaTimeoutError, match="connection was dropped"):  # the graph never appears
        client.generate(PROMPT, settings())
    assert fake_np.calls("/api/graph/generate") == 1


def test_slug_exists_with_same_prompt_is_ours(np_client, fake_np):  # C-06
    first = np_client.generate(PROMPT, settings())
    again = np_client.generate(PROMPT, settings())
    assert again.recovered and again.num_nodes == first.num_nodes


def test_slug_exists_with_other_prompt_is_an_error(np_client, fake_np):  # C-06
    np_client.generate(PROMPT, settings())
    with pytest.raises(SlugTakenError, match="already used"):
        np_client.generate("Something else entirely", settings())


def test_generate_429_no_retry_and_remaining_header_parsed(np_client, fake_np):  # C-07
    np_client.generate(PROMPT, settings())
    assert np_client.limit_remaining["/api/graph/generate"] == 29
    fake_np.set_remaining("/api/graph/generate", 0)
    with pytest.raises(RateLimitError) as caught:
        np_client.generate(PROMPT, settings(slug="agp-second"))
    err = caught.value
    assert fake_np.calls("/api/graph/generate") == 2 and err.limit == 30 and err.window == "60 m"
    assert "30 requests per 60 m" in str(err) and "try again after" in str(err)
    assert err.bucket == "/api/graph/generate" and np_client.sleeps == []


def test_generate_without_slug_makes_a_c18_slug(np_client, fake_np):
    result = np_client.generate("Q: What is 2+2?", GenerationSettings())
    assert result.slug.startswith("q-what-is-2-2-") and result.slug == result.slug.lower()


@pytest.mark.parametrize("fault, error", [
    ("invalid_graph", GraphInvalidError), ("s3_403", NotFoundError), ("s3_404", NotFoundError)])
def test_generate_download_failures(np_client, fake_np, fault, error):
    if fault.startswith("s3"):
        fake_np.add_faults("/s3", fault)
    else:
        fake_np.add_faults("/api/graph/generate", fault)
    with pytest.raises(error):
        np_client.generate(PROMPT, settings())


def test_invalid_graph_500_message_list_is_handled(np_client, fake_np):
    fake_np.add_faults("/api/graph/generate", "invalid_graph_500")
    with pytest.raises(Exception, match="Invalid Graph Generated: must have required property 'links'"):
        np_client.generate(PROMPT, settings())


@pytest.mark.parametrize("fault", ["malformed_json", "empty_200", "wrong_shape"])
def test_generate_bad_success_bodies_are_never_success(np_client, fake_np, fault):
    fake_np.add_faults("/api/graph/generate", fault)
    with pytest.raises(InvalidResponseError):
        np_client.generate(PROMPT, settings())


def test_download_slow_s3_times_out_then_retries(make_np_client, fake_np):
    client = make_np_client(policies={"download": CallPolicy(read_timeout=0.2, retries_transport=2)})
    fake_np.add_faults("/s3", "s3_slow")
    result = client.fetch_graph(model_id="gemma-2-2b", slug=SYNTHETIC_SLUG)
    assert result.num_nodes > 0


def test_download_respects_the_size_cap(make_np_client, fake_np):
    client = make_np_client(max_graph_bytes=1000)
    with pytest.raises(GraphInvalidError, match="limit"):
        client.fetch_graph(model_id="gemma-2-2b", slug=SYNTHETIC_SLUG)


def test_collision_graph_downloads_and_loads_with_warnings(np_client, fake_np):
    fake_np.add_faults("/api/graph/generate", "collision_graph")
    graph = np_client.generate(PROMPT, settings()).graph
    loaded = load_graph(graph)
    assert sum(loaded.nodes["node_id"] == "0_2_1") == 2 and loaded.warnings


def test_fetch_by_model_and_slug_reads_gzip_and_source_set(np_client, fake_np):
    result = np_client.fetch_graph(model_id="gemma-2-2b", slug=SYNTHETIC_SLUG)
    assert result.source_set == "clt-hp" and result.graph["metadata"]["prompt"] == "<bos>" + SYNTHETIC_PROMPT
    s3 = fake_np.requests_to("/s3/")
    assert [r.method for r in s3] == ["HEAD", "GET"]


@pytest.mark.parametrize("url", [
    "https://www.neuronpedia.org/gemma-2-2b/graph?sourceSet=clt-hp&slug=synthetic-opposite&pinnedIds=1_2_3",
    "https://neuronpedia.org/gemma-2-2b/graph?slug=synthetic-opposite&subgraph=cm123",
    "https://www.neuronpedia.org/api/graph/gemma-2-2b/synthetic-opposite",
])
def test_fetch_by_pasted_url(np_client, fake_np, url):
    assert np_client.fetch_graph(url).slug == SYNTHETIC_SLUG


def test_fetch_by_direct_json_url(np_client, fake_np):
    row = fake_np.graphs[("gemma-2-2b", SYNTHETIC_SLUG)]
    result = np_client.fetch_graph(row["url"])
    assert result.slug == SYNTHETIC_SLUG and fake_np.calls("/api/graph") == 0


def test_fetch_unknown_slug_is_a_clear_not_found(np_client, fake_np):
    with pytest.raises(NotFoundError, match="no graph 'nope' for model 'gemma-2-2b'"):
        np_client.fetch_graph(model_id="gemma-2-2b", slug="nope")


@pytest.mark.parametrize("bad", ["not a url", "https://www.neuronpedia.org/gemma-2-2b/graph",
                                 "https://example.org/some/page"])
def test_parse_graph_url_rejects_non_graph_links(bad):
    with pytest.raises(InputError):
        parse_graph_url(bad)


def test_parse_graph_url_forms():
    ref = parse_graph_url("https://www.neuronpedia.org/gemma-2-2b/graph?sourceSet=clt-hp&slug=a.b-c&subgraph=cm1")
    assert (ref.model_id, ref.slug, ref.source_set, ref.subgraph_id) == ("gemma-2-2b", "a.b-c", "clt-hp", "cm1")
    ref = parse_graph_url("https://neuronpedia-attrib.s3.us-east-1.amazonaws.com/user-graphs/anonymous/x-1.json")
    assert ref.json_url and ref.slug is None


def test_unreachable_server_is_a_clear_connection_error(make_np_client):
    client = make_np_client(base_url="http://127.0.0.1:9/api",
                            policies={"tokenize": CallPolicy(read_timeout=1.0)})
    with pytest.raises(NeuronpediaConnectionError, match="Could not reach Neuronpedia .*connection refused"):
        client.tokenize(PROMPT)


def test_plain_functions_for_the_graph_cli(np_client, fake_np, tmp_path):
    from agp_dash.clients import NeuronpediaBackend
    from agp_dash.generation import generate_and_save

    workspace = Workspace(tmp_path / "home")
    artefact = generate_and_save(workspace, NeuronpediaBackend(client_factory=lambda: np_client), PROMPT, settings())
    assert json.loads(artefact.path.read_text())["metadata"]["slug"] == "agp-test-graph"
    assert artefact.name == "agp-test-graph.json"
    manifest = artefact.manifest
    assert manifest["producer"] == "agp graph generate" and manifest["parameters"]["backend"] == "neuronpedia"
    assert manifest["parameters"]["slug"] == "agp-test-graph" and manifest["summary"]["source_set"] == "clt-hp"
    assert manifest["summary"]["prompt"] == PROMPT
    fetched = fetch_graph(model_id="gemma-2-2b", slug="agp-test-graph", client=np_client, workspace=workspace)
    assert fetched["metadata"]["slug"] == "agp-test-graph"
    assert workspace.get("graphs", "agp-test-graph-2.json").manifest["producer"] == "neuronpedia.fetch"


def test_big_graph_is_streamed_with_progress(np_client, fake_np):
    fake_np.config.big_graph_features_per_layer = 8
    fake_np.add_faults("/api/graph/generate", "big_graph")
    seen = []
    result = np_client.generate(PROMPT, settings(), progress=lambda f, m: seen.append((f, m)))
    assert result.num_nodes > 100
    downloading = [f for f, m in seen if m.startswith("Downloading the graph:")]
    assert downloading and 0.8 <= min(downloading) <= max(downloading) <= 0.98
