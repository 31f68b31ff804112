"""The fake Neuronpedia itself follows the contract (spec §4), so client tests mean something."""
from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys

import requests

from tests.fakes.neuronpedia_server import API_KEY, SYNTHETIC_SLUG, _auto_slug
from tests.fakes.np_tokenizer import tokenize
from tests.fixture_paths import REPO_ROOT


def post(fake, path, body, **headers):
    return requests.post(fake.url + path, json=body, headers=headers)


def test_tokenizer_and_auto_slug():
    assert tokenize("entity: A city in Texas, USA is Dallas") == [
        "<bos>", "entity", ":", " A", " city", " in", " Texas", ",", " USA", " is", " Dallas"]
    assert tokenize("<bos>Hi") == ["<bos>", "Hi"]
    assert _auto_slug("Fact: the capital of the state containing Dallas is", 1756519483440) == \
        "factthecapitalof-1756519483440"
    assert _auto_slug("<start_of_turn>user\nHello system<end_of_turn>", 5) == "hello-5"


def test_rate_limit_buckets_header_and_exact_429(fake_np):
    first = post(fake_np, "/graph/tokenize", {"modelId": "gemma-2-2b", "sourceSetName": "clt-hp", "prompt": "a"})
    assert first.headers["x-limit-remaining"] == "299"
    assert first.headers["Access-Control-Allow-Origin"] == "*"
    assert requests.get(fake_np.url + f"/graph/gemma-2-2b/{SYNTHETIC_SLUG}").headers["x-limit-remaining"] == "24998"
    fake_np.set_remaining("/api/graph/generate", 0)
    limited = post(fake_np, "/graph/generate", {"modelId": "gemma-2-2b", "prompt": "a"})
    assert limited.status_code == 429
    assert limited.json() == {
        "endpoint": "/api/graph/generate", "limitPerWindow": 30, "requestWindow": "60 m", "remainingRequests": 0,
        "error": "Rate limit exceeded for this endpoint. The limit for this endpoint (/api/graph/generate) is 30 "
                 "requests per 60 m. Contact johnny@neuronpedia.org to increase your rate limit."}
    assert "x-limit-remaining" not in limited.headers and "Access-Control-Allow-Origin" not in limited.headers
    fake_np.config.higher_tier_keys.add(API_KEY)  # the higher tier has its own limit (320)
    assert post(fake_np, "/graph/generate", {}, **{"x-api-key": API_KEY}).status_code == 400


def test_generate_validation_first_error_and_bodies(fake_np):
    base = {"modelId": "gemma-2-2b", "sourceSetName": "clt-hp", "prompt": "hello there"}
    bad = post(fake_np, "/graph/generate", {**base, "maxNLogits": "abc", "nodeThreshold": 2})
    assert bad.json()["path"] == "maxNLogits" and "must be a `number` type" in bad.json()["details"]
    assert post(fake_np, "/graph/generate", {**base, "edgeThreshold": "0.5"}).json() == {
        "error": "Validation error", "details": "Must be at least 0.65.", "path": "edgeThreshold"}
    missing = post(fake_np, "/graph/generate", {"modelId": "gemma-2-2b", "prompt": "x"}).json()
    assert missing["error"] == "Source Set Missing"
    unknown = post(fake_np, "/graph/generate", {**base, "sourceSetName": "nope"})
    assert unknown.status_code == 500 and unknown.json()["message"] == "SourceSet not found"
    assert "Invalid scan or slug" in post(fake_np, "/graph/generate", {**base, "slug": "a b"}).json()["error"]
    raw = requests.post(fake_np.url + "/graph/generate", data="{oops", headers={"Content-Type": "application/json"})
    assert raw.status_code == 500 and raw.json()["message"] == "Invalid JSON body"
    ok = post(fake_np, "/graph/generate", base).json()
    assert ok["message"] == "Graph saved to database" and "graph?slug=hellothere-" in ok["url"]


def test_s3_objects_head_gzip_and_missing(fake_np):
    url = fake_np.graphs[("gemma-2-2b", SYNTHETIC_SLUG)]["url"]
    head = requests.head(url)
    assert head.status_code == 200 and int(head.headers["Content-Length"]) > 0
    raw = requests.get(url, stream=True).raw.read()
    assert json.loads(gzip.decompress(raw))["metadata"]["slug"] == SYNTHETIC_SLUG
    missing = requests.get(fake_np.root_url + "/s3/neuronpedia-attrib/user-graphs/x/none.json")
    assert missing.status_code == 403 and b"AccessDenied" in missing.content


def test_activation_new_upstream_quirks(fake_np):
    feature = {"modelId": "gemma-2-2b", "source": "1-clt-hp"}
    assert post(fake_np, "/activation/new", {"feature": {**feature, "index": 0}, "customText": "a"}).status_code == 500
    five = post(fake_np, "/activation/new", {"feature": {**feature, "index": "3"}, "customText": ["a"] * 5})
    assert five.status_code == 500 and five.json()["error"].startswith("Something went wrong")
    fake_np.config.error_style = "legacy"
    legacy = post(fake_np, "/activation/new", {"feature": {**feature, "index": "3"}})
    assert legacy.status_code == 500 and legacy.headers["Content-Type"] == "text/plain"
    neuron = post(fake_np, "/activation/new", {"neuron": {"modelId": "gemma-2-2b", "layer": "1-clt-hp",
                                                          "index": "3"}, "customText": "a b"}).json()
    assert neuron["index"] == "3" and neuron["layer"] == "1-clt-hp" and "dfaValues" not in neuron


def test_subgraph_list_malformed_is_the_save_message(fake_np):
    reply = requests.post(fake_np.url + "/graph/subgraph/list", data="{", headers={"x-api-key": API_KEY})
    assert reply.status_code == 500 and reply.json() == {"error": "Failed to save subgraph"}
    assert post(fake_np, "/graph/subgraph/list", {}).status_code == 401


def test_admin_endpoints_script_faults_over_http(fake_np):
    control = fake_np.root_url + "/__fake__/"
    assert requests.post(control + "faults", json={"endpoint": "/api/graph/tokenize",
                                                   "faults": ["503_gpus"]}).json() == {"ok": True}
    assert post(fake_np, "/graph/tokenize", {}).status_code == 503
    assert requests.post(control + "faults", json={"endpoint": "/x", "faults": ["nope"]}).status_code == 400
    assert requests.post(control + "remaining", json={"bucket": "/api/graph/tokenize", "remaining": 0}).ok
    assert post(fake_np, "/graph/tokenize", {}).status_code == 429
    assert requests.post(control + "reset").ok and fake_np.calls("/api/") == 0
    assert requests.get(control + "subgraphs").json() == []


def test_standalone_start(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "tests.fakes.neuronpedia_server", "--port", "0"],
                               cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        assert "NEURONPEDIA_BASE_URL=http://127.0.0.1:" in line
        base = line.split("NEURONPEDIA_BASE_URL=")[1].split()[0]
        assert requests.get(f"{base}/graph/gemma-2-2b/{SYNTHETIC_SLUG}", timeout=5).json()["slug"] == SYNTHETIC_SLUG
    finally:
        process.terminate()
        process.wait(timeout=10)
