"""The bundled local model from the Graph tab: preselected, examples, unknown words, generation."""
from dash.testing.wait import until

from agp_dash.web.ids import Graph
from tests.integration.browser_helpers import choose_option, click, open_tab

DALLAS = "The capital of the state containing Dallas is"


def test_le01_local_model_is_the_default_and_generates_the_dallas_graph(dash_duo, make_app):
    dash_duo.start_server(make_app())
    open_tab(dash_duo, "Graph")
    dash_duo.wait_for_contains_text(f"#{Graph.BACKEND}", "Local demo model", timeout=10)
    until(lambda: dash_duo.find_element(f"#{Graph.MODEL_ID}").get_attribute("value") == "agp-demo-states", 10)
    assert "Neuronpedia does not know this model" in dash_duo.find_element(f"#{Graph.BACKEND_NOTE}").text
    choose_option(dash_duo, Graph.EXAMPLES, DALLAS)
    until(lambda: dash_duo.find_element(f"#{Graph.PROMPT}").get_attribute("value") == DALLAS, 5)
    click(dash_duo, f"#{Graph.PREVIEW_BTN}")
    dash_duo.wait_for_contains_text(f"#{Graph.PREVIEW}", "Austin", timeout=10)
    click(dash_duo, f"#{Graph.GENERATE_RUN}")
    dash_duo.wait_for_contains_text(f"#{Graph.GENERATE_STATUS}", "Generated and saved graphs/", timeout=30)
    dash_duo.wait_for_contains_text(f"#{Graph.SUMMARY}", "agp-demo-states", timeout=10)
    dash_duo.wait_for_contains_text(f"#{Graph.FILTER_SUMMARY}", "Showing", timeout=10)
    until(lambda: not dash_duo.find_element(f"#{Graph.LABELS_PANEL}").is_displayed(), 5)  # labels are in the graph
    assert dash_duo.get_logs() == []


def test_le02_unknown_words_are_named_with_suggestions(dash_duo, make_app):
    dash_duo.start_server(make_app())
    open_tab(dash_duo, "Graph")
    until(lambda: dash_duo.find_element(f"#{Graph.MODEL_ID}").get_attribute("value") == "agp-demo-states", 10)
    dash_duo.find_element(f"#{Graph.PROMPT}").send_keys("The capital of Dalas is")
    click(dash_duo, f"#{Graph.PREVIEW_BTN}")
    dash_duo.wait_for_contains_text(f"#{Graph.PREVIEW}", "Dalas", timeout=10)
    assert "Dallas" in dash_duo.find_element(f"#{Graph.PREVIEW}").text
    assert dash_duo.get_logs() == []
