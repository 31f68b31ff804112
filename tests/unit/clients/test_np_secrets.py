"""The API key never leaves the API requests (contract C-16): not in logs, errors, files, S3 requests."""
from __future__ import annotations

import logging

import pytest

from agp_dash.clients import (AuthError, NeuronpediaClient, RateLimitError, probe_features, subgraph_payload)
from agp_dash.clients.neuronpedia_backend import NeuronpediaBackend
from agp_dash.generation import generate_and_save
from agp_dash.settings import Secret, Settings
from agp_dash.workspace import Workspace
from tests.fakes.neuronpedia_server import API_KEY, SYNTHETIC_SLUG


def test_key_goes_only_to_api_requests_never_to_s3(np_client, fake_np):
    np_client.fetch_graph(model_id="gemma-2-2b", slug=SYNTHETIC_SLUG)
    api = fake_np.requests_to("/api/graph/gemma-2-2b")
    s3 = fake_np.requests_to("/s3/")
    assert api and all(r.headers.get("x-api-key") == API_KEY for r in api)
    assert s3 and all("x-api-key" not in r.headers for r in s3)
    assert "x-api-key" not in {k.lower() for k in np_client.transport.session.headers}


def test_key_never_in_logs_errors_files_or_dumps(make_np_client, fake_np, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)  # urllib3 and our logger at their most talkative
    client = make_np_client()
    workspace = Workspace(tmp_path / "home")
    texts = []
    generate_and_save(workspace, NeuronpediaBackend(client_factory=lambda: client), "Roses are red",
                      NeuronpediaBackend.defaults)
    texts.append(repr(probe_features(client, [(1, 5)], ["a b"], model_id="gemma-2-2b", source_set="clt-hp")))
    client.save_subgraph(subgraph_payload("gemma-2-2b", SYNTHETIC_SLUG, pinned_ids=[], supernodes=[]))
    fake_np.set_remaining("/api/graph/generate", 0)
    with pytest.raises(RateLimitError) as limited:
        client.generate("Roses are blue")
    with pytest.raises(AuthError) as rejected:
        make_np_client(api_key="np-wrong-" + API_KEY).list_subgraphs("gemma-2-2b", SYNTHETIC_SLUG)
    for err in (limited.value, rejected.value):
        texts += [str(err), repr(err), repr(err.body), err.server_message]
    texts += [p.read_text(encoding="utf-8") for p in workspace.root.rglob("*") if p.is_file()]
    texts += [caplog.text, repr(client), repr(client.transport.__dict__.get("rates"))]
    assert "/api/graph/generate" in caplog.text  # the requests were logged…
    assert not any(API_KEY in text for text in texts)  # …without the key


def test_secret_objects_and_settings_are_accepted(fake_np, tmp_path):
    settings = Settings(home=tmp_path, neuronpedia_base_url=fake_np.url, neuronpedia_api_key=Secret(API_KEY))
    client = NeuronpediaClient.from_settings(settings)
    assert client.check_api_key() and API_KEY not in repr(client)
    assert client.cache is not None and client.cache.directory == tmp_path / "cache" / "neuronpedia"
    assert NeuronpediaClient(fake_np.url, Secret(API_KEY)).check_api_key()


def test_scrub_removes_the_key_from_any_text(np_client):
    assert np_client.transport.scrub(f"echo {API_KEY} back") == "echo *** back"


def test_invalid_key_on_optional_endpoints_runs_anonymously(make_np_client, fake_np):  # C-16
    client = make_np_client(api_key="np-invalid-key")
    result = client.generate("Anonymous prompt here")
    assert result.graph["metadata"]["info"]["creator_name"] == "Anonymous (CT)"
    assert client.graph_metadata("gemma-2-2b", result.slug)["user"] is None
