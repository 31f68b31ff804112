"""The Graph tab against a fake Neuronpedia on 127.0.0.1: preview, generate, fetch, labels, faults."""
import pytest
from dash.testing.wait import until

from agp_dash.clients.np_transport import Backoff
from agp_dash.settings import Secret
from agp_dash.web import neuronpedia_access
from agp_dash.web.ids import Graph, Home
from tests.fakes.neuronpedia_server import API_KEY
from tests.integration.browser_helpers import choose_option, click, open_tab


@pytest.fixture
def np_app(make_app, fake_np, monkeypatch):
    monkeypatch.setitem(neuronpedia_access.CLIENT_OPTIONS, "backoff",
                        Backoff(busy_delay_s=0.2, base_delay_s=0.1, max_delay_s=0.5))
    return make_app(neuronpedia_base_url=fake_np.url, neuronpedia_api_key=Secret(API_KEY))


def choose_neuronpedia(dash_duo):
    open_tab(dash_duo, "Graph")
    choose_option(dash_duo, Graph.BACKEND, "Neuronpedia")
    until(lambda: dash_duo.find_element(f"#{Graph.MODEL_ID}").get_attribute("value") == "gemma-2-2b", 10)


def test_np01_preview_generate_and_render(dash_duo, np_app, fake_np):
    dash_duo.start_server(np_app)
    choose_neuronpedia(dash_duo)
    dash_duo.find_element(f"#{Graph.PROMPT}").send_keys("The opposite of small is")
    click(dash_duo, f"#{Graph.PREVIEW_BTN}")
    dash_duo.wait_for_contains_text(f"#{Graph.PREVIEW}", "tokens:", timeout=10)
    assert "Predicted next tokens" in dash_duo.find_element(f"#{Graph.PREVIEW}").text
    click(dash_duo, f"#{Graph.GENERATE_RUN}")
    dash_duo.wait_for_contains_text(f"#{Graph.GENERATE_STATUS}", "Generated and saved graphs/", timeout=30)
    dash_duo.wait_for_contains_text(f"#{Graph.SUMMARY}", "gemma-2-2b", timeout=10)
    dash_duo.wait_for_contains_text(f"#{Graph.FILTER_SUMMARY}", "Showing", timeout=10)
    assert fake_np.calls("/api/graph/generate")
    assert dash_duo.get_logs() == []


def test_np02_rate_limit_429_says_when_to_retry(dash_duo, np_app, fake_np):
    fake_np.add_faults("/api/graph/generate", "429")
    dash_duo.start_server(np_app)
    choose_neuronpedia(dash_duo)
    dash_duo.find_element(f"#{Graph.PROMPT}").send_keys("The opposite of small is")
    click(dash_duo, f"#{Graph.GENERATE_RUN}")
    dash_duo.wait_for_contains_text(f"#{Graph.GENERATE_STATUS}", "Generation failed", timeout=30)
    text = dash_duo.find_element(f"#{Graph.GENERATE_STATUS}").text
    assert "rate limit for /api/graph/generate is used up" in text and "try again after" in text
    assert fake_np.calls("/api/graph/generate") == 1  # no hammering
    assert API_KEY not in dash_duo.driver.page_source
    assert dash_duo.get_logs() == []


def test_np03_busy_503_retries_then_explains(dash_duo, np_app, fake_np):
    fake_np.add_faults("/api/graph/generate", "503_gpus", "503_gpus", "503_gpus")
    dash_duo.start_server(np_app)
    choose_neuronpedia(dash_duo)
    dash_duo.find_element(f"#{Graph.PROMPT}").send_keys("The opposite of small is")
    click(dash_duo, f"#{Graph.GENERATE_RUN}")
    dash_duo.wait_for_contains_text(f"#{Graph.GENERATE_STATUS}", "Generation failed", timeout=30)
    assert "busy" in dash_duo.find_element(f"#{Graph.GENERATE_STATUS}").text.lower()
    assert fake_np.calls("/api/graph/generate") == 3  # the first try and two bounded retries
    assert dash_duo.get_logs() == []


def test_np04_fetch_by_slug_then_labels(dash_duo, np_app, fake_np):
    dash_duo.start_server(np_app)
    open_tab(dash_duo, "Graph")
    dash_duo.find_element(f"#{Graph.NP_SOURCE}").send_keys("gemma-2-2b/synthetic-opposite")
    click(dash_duo, f"#{Graph.NP_FETCH_RUN}")
    dash_duo.wait_for_contains_text(f"#{Graph.GENERATE_STATUS}", "Fetched and saved graphs/", timeout=30)
    dash_duo.wait_for_contains_text(f"#{Graph.FILTER_SUMMARY}", "Showing", timeout=10)
    click(dash_duo, f"#{Graph.LABELS_RUN}")
    dash_duo.wait_for_contains_text(f"#{Graph.LABELS_STATUS}", "nodes labelled", timeout=30)
    dash_duo.wait_for_contains_text(f"#{Graph.SUMMARY}", "synthetic-opposite", timeout=10)
    assert dash_duo.get_logs() == []


def test_np05_key_typed_in_the_ui_stays_on_the_server(dash_duo, make_app, fake_np):
    app = make_app(neuronpedia_base_url=fake_np.url)
    dash_duo.start_server(app)
    dash_duo.wait_for_contains_text(f"#{Home.NP_KEY_STATUS}", "not set", timeout=10)
    dash_duo.find_element(f"#{Home.NP_KEY_INPUT}").send_keys(API_KEY)
    click(dash_duo, f"#{Home.NP_KEY_SAVE}")
    dash_duo.wait_for_contains_text(f"#{Home.NP_KEY_STATUS}", "entered in this session", timeout=10)
    assert dash_duo.find_element(f"#{Home.NP_KEY_INPUT}").get_attribute("value") == ""
    stored = dash_duo.driver.execute_script("return JSON.stringify(window.sessionStorage) + JSON.stringify(window.localStorage);")
    assert API_KEY not in stored and API_KEY not in dash_duo.driver.page_source
    click(dash_duo, f"#{Home.NP_KEY_FORGET}")
    dash_duo.wait_for_contains_text(f"#{Home.NP_KEY_STATUS}", "not set", timeout=10)
    assert dash_duo.get_logs() == []
