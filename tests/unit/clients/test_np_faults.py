"""Error-body robustness on every endpoint family (contract C-15) and the rate-limit message."""
from __future__ import annotations

from datetime import datetime

import pytest
import requests

from agp_dash.clients import (BusyError, InvalidResponseError, NeuronpediaConnectionError, NeuronpediaError,
                              NeuronpediaTimeoutError, RateLimitError, ServerError)
from agp_dash.clients.np_transport import CallPolicy, ErrorBody
from tests.fakes.neuronpedia_server import SYNTHETIC_SLUG

FAMILIES = {
    "tokenize": ("/api/graph/tokenize", lambda c: c.tokenize("a b c")),
    "graph_metadata": ("/api/graph/gemma-2-2b", lambda c: c.graph_metadata("gemma-2-2b", SYNTHETIC_SLUG)),
    "activation": ("/api/activation/new", lambda c: c.activation("gemma-2-2b", "1-clt-hp", 5, ["a b"])),
    "activation_source": ("/api/activation/source", lambda c: c.activation_source("gemma-2-2b", "1-clt-hp", ["a"])),
    "feature": ("/api/feature/", lambda c: c.feature("gemma-2-2b", "1-clt-hp", 5)),
    "features": ("/api/features", lambda c: c.features("gemma-2-2b", [("1-clt-hp", 5)])),
    "subgraph_list": ("/api/graph/subgraph/list", lambda c: c.list_subgraphs("gemma-2-2b", SYNTHETIC_SLUG)),
}
EXPECTED = {"500_html": ServerError, "malformed_json": InvalidResponseError, "empty_200": InvalidResponseError,
            "502_html": ServerError, "wrong_shape": InvalidResponseError}


# activation/new accepts the nested swagger shape on purpose (test_np_activations)
CASES = [(family, fault) for family in sorted(FAMILIES) for fault in sorted(EXPECTED)
         if (family, fault) != ("activation", "wrong_shape")]


@pytest.mark.parametrize("family, fault", CASES)
def test_bad_bodies_never_crash_and_never_count_as_success(np_client, fake_np, family, fault):  # C-15
    prefix, call = FAMILIES[family]
    fake_np.add_faults(prefix, *[fault] * 4)
    with pytest.raises(EXPECTED[fault]) as caught:
        call(np_client)
    message = str(caught.value)
    assert message.endswith(".") and "<html" not in message and "Traceback" not in message
    if fault.endswith("html"):
        assert "Internal Server Error" in message or "Bad Gateway" in message


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_reset_connection_is_a_connection_error(make_np_client, fake_np, family):
    prefix, call = FAMILIES[family]
    fake_np.add_faults(prefix, *["reset"] * 4)
    with pytest.raises(NeuronpediaConnectionError, match="connection was dropped"):
        call(make_np_client())


def test_read_timeout_is_a_clear_timeout_and_retried_where_allowed(make_np_client, fake_np):
    client = make_np_client(policies={"features": CallPolicy(read_timeout=0.2, retries_transport=1)})
    fake_np.add_faults("/api/feature/", "timeout", "timeout")
    with pytest.raises(NeuronpediaTimeoutError, match=r"did not answer /api/feature/.* within 0.2 s"):
        client.feature("gemma-2-2b", "1-clt-hp", 5)
    assert fake_np.calls("/api/feature/") == 2


def test_busy_on_tokenize_is_retried_once(np_client, fake_np):
    fake_np.add_faults("/api/graph/tokenize", "500_busy", "500_busy")
    with pytest.raises(BusyError, match="Server busy"):
        np_client.tokenize("a b c")
    assert fake_np.calls("/api/graph/tokenize") == 2


def test_429_message_names_limit_window_and_time(np_client, fake_np):
    np_client.tokenize("a b")
    fake_np.set_remaining("/api/graph/tokenize", 0)
    with pytest.raises(RateLimitError) as caught:
        np_client.tokenize("a b")
    err = caught.value
    assert (err.bucket, err.limit, err.window, err.status) == ("/api/graph/tokenize", 300, "60 m", 429)
    assert "300 requests per 60 m" in str(err) and "per IP address" in str(err)
    assert err.retry_at > datetime.now().astimezone()
    assert f"{err.retry_at:%H:%M}" in str(err)
    assert isinstance(err, NeuronpediaError)


def test_429_on_a_broader_bucket_reports_that_bucket(np_client, fake_np):
    fake_np.set_remaining("/api", 0)
    with pytest.raises(RateLimitError, match=r"for /api is used up \(25000 requests per 60 m"):
        np_client.feature("gemma-2-2b", "1-clt-hp", 5)


def test_error_body_reading_rules():
    def body(status, text, content_type="application/json"):
        response = requests.Response()
        response.status_code, response._content = status, text.encode()
        response.headers["Content-Type"] = content_type
        return ErrorBody.read(response)

    assert body(400, '{"error":"Prompt Too Long","message":"Max 64"}').message == "Prompt Too Long: Max 64"
    assert body(500, '{"message":"only message"}').message == "only message"
    assert body(400, '{"error":"Validation error","details":["a","b"]}').message == "Validation error: a; b"
    assert body(500, '{"error":"Invalid Graph Generated","message":[{"message":"m1"}]}').message == \
        "Invalid Graph Generated: m1"
    assert body(500, "<html><body><h1>Oops</h1></body></html>", "text/html").message == "Oops"
    assert body(502, "").message == "HTTP 502"
    assert body(503, '{"error":"RUNPOD_BUSY","message":"RUNPOD_BUSY"}').is_busy
    assert body(500, '{"error":"x","message":"Server busy"}').is_busy
    assert not body(500, '{"error":"x","message":"other"}').is_busy
