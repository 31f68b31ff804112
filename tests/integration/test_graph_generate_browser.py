"""Graph tab: generating through a backend (a deterministic fake one here)."""
from dash.testing.wait import until

from agp_dash.web.ids import Graph
from tests.integration.browser_helpers import choose_option, click, open_tab


def test_gg01_preview_and_generate_opens_the_new_graph(dash_duo, make_app, fake_graph_backend):
    dash_duo.start_server(make_app())
    open_tab(dash_duo, "Graph")
    choose_option(dash_duo, Graph.BACKEND, "Fake backend (tests)")
    until(lambda: dash_duo.find_element(f"#{Graph.MODEL_ID}").get_attribute("value") == "fake-model", 10)
    assert "max feature nodes 1–100" in dash_duo.find_element(f"#{Graph.LIMITS_NOTE}").text
    prompt = dash_duo.find_element(f"#{Graph.PROMPT}")
    prompt.send_keys("The capital of Texas is")
    click(dash_duo, f"#{Graph.PREVIEW_BTN}")
    dash_duo.wait_for_contains_text(f"#{Graph.PREVIEW}", "6 tokens", timeout=10)
    assert "Austin 80.0%" in dash_duo.find_element(f"#{Graph.PREVIEW}").text
    click(dash_duo, f"#{Graph.GENERATE_RUN}")
    until(lambda: not dash_duo.find_element(f"#{Graph.GENERATE_RUN}").is_enabled(), 5)
    dash_duo.wait_for_contains_text(f"#{Graph.GENERATE_STATUS}", "Generated and saved graphs/", timeout=30)
    dash_duo.wait_for_contains_text(f"#{Graph.SUMMARY}", "fake-model", timeout=10)
    dash_duo.wait_for_contains_text(f"#{Graph.FILTER_SUMMARY}", "Showing", timeout=10)
    assert dash_duo.get_logs() == []


def test_gg02_bad_settings_and_backend_errors_are_clear(dash_duo, make_app, fake_graph_backend):
    dash_duo.start_server(make_app())
    open_tab(dash_duo, "Graph")
    choose_option(dash_duo, Graph.BACKEND, "Fake backend (tests)")
    until(lambda: dash_duo.find_element(f"#{Graph.MODEL_ID}").get_attribute("value") == "fake-model", 10)
    dash_duo.find_element(f"#{Graph.PROMPT}").send_keys("this will fail")
    click(dash_duo, f"#{Graph.PREVIEW_BTN}")
    dash_duo.wait_for_contains_text(f"#{Graph.PREVIEW}", "refuses the word 'fail'", timeout=10)
    dash_duo.clear_input(f"#{Graph.PROMPT}")
    dash_duo.find_element(f"#{Graph.PROMPT}").send_keys("fine prompt")
    dash_duo.clear_input(f"#{Graph.MAX_N_LOGITS}")
    dash_duo.find_element(f"#{Graph.MAX_N_LOGITS}").send_keys("99")
    click(dash_duo, f"#{Graph.GENERATE_RUN}")
    dash_duo.wait_for_contains_text(f"#{Graph.GENERATE_STATUS}", "max_n_logits must be an integer between 5 and 15",
                                    timeout=30)
    assert dash_duo.get_logs() == []
