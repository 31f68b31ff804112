"""Graph tab in a real browser: open a real graph, filter, cross-select, details, download."""
import json
import os
import time

from dash.testing.wait import until
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from agp_dash.web.ids import Graph, Shell
from tests.integration.browser_helpers import click, open_tab
from tests.fixture_paths import real_fixture


def upload(dash_duo, path):
    dash_duo.find_element(f"#{Graph.UPLOAD} input[type=file]").send_keys(str(path))


def summary_text(dash_duo) -> str:
    return dash_duo.find_element(f"#{Graph.FILTER_SUMMARY}").text


def start_with_dallas(dash_duo, make_app):
    path = real_fixture("dallas", "graph.json")
    dash_duo.start_server(make_app())
    open_tab(dash_duo, "Graph")
    upload(dash_duo, path)
    dash_duo.wait_for_contains_text(f"#{Graph.SUMMARY}", "gemma-2-2b", timeout=20)
    dash_duo.wait_for_contains_text(f"#{Graph.FILTER_SUMMARY}", "Showing", timeout=20)
    until(lambda: dash_duo.driver.find_elements("css selector", f"#{Graph.TABLE} .ag-row"), 10)
    until(lambda: not dash_duo.redux_state_is_loading, 10)


def test_gr01_upload_shows_graph_summary_scatter_and_table(dash_duo, make_app):
    start_with_dallas(dash_duo, make_app)
    assert "links" in dash_duo.find_element(f"#{Graph.SUMMARY}").text
    until(lambda: len(dash_duo.driver.find_elements("css selector", f"#{Graph.SCATTER} .point")) > 50, 10)
    until(lambda: dash_duo.driver.find_elements("css selector", f"#{Graph.TABLE} .ag-row"), 10)
    assert dash_duo.get_logs() == []


def test_gr02_slider_changes_selection_and_summary(dash_duo, make_app):
    start_with_dallas(dash_duo, make_app)
    before = summary_text(dash_duo)
    # Dash 4's slider has a number box beside the rail: type a new τ there.
    box = dash_duo.find_element(f"#{Graph.THRESHOLD} input")
    click(dash_duo, box)
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys("0.3", Keys.ENTER)
    until(lambda: summary_text(dash_duo) != before, 10)
    assert "cumulative influence ≤ 0.3 (stored) hid" in summary_text(dash_duo)
    assert dash_duo.get_logs() == []


def test_gr03_box_select_filters_table_and_bars(dash_duo, make_app):
    start_with_dallas(dash_duo, make_app)
    until(lambda: dash_duo.driver.find_elements("css selector", f"#{Graph.TABLE} .ag-row"), 10)
    bars_before = dash_duo.find_element(f"#{Graph.LAYER_BAR}").get_attribute("innerHTML")
    paging_before = dash_duo.find_element(f"#{Graph.TABLE} .ag-paging-row-summary-panel").text
    drag = dash_duo.find_element(f"#{Graph.SCATTER} .nsewdrag")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", drag)
    time.sleep(0.3)
    w, h = drag.size["width"], drag.size["height"]
    # Box the right half of the plot (the last prompt positions, where Dallas's features are).
    ActionChains(dash_duo.driver).move_to_element_with_offset(drag, int(w * 0.55), int(h * 0.03)) \
        .click_and_hold().move_by_offset(int(w * 0.43), int(h * 0.94)).release().perform()
    until(lambda: dash_duo.find_element(f"#{Graph.TABLE} .ag-paging-row-summary-panel").text != paging_before, 10)
    until(lambda: dash_duo.find_element(f"#{Graph.LAYER_BAR}").get_attribute("innerHTML") != bars_before, 10)
    assert dash_duo.get_logs() == []


def test_gr04_click_table_row_shows_details_and_highlights(dash_duo, make_app):
    start_with_dallas(dash_duo, make_app)
    until(lambda: dash_duo.driver.find_elements("css selector", f"#{Graph.TABLE} .ag-row .ag-cell"), 10)
    first = dash_duo.driver.find_elements("css selector", f"#{Graph.TABLE} .ag-center-cols-container .ag-row .ag-cell")[0]
    click(dash_duo, first)
    dash_duo.wait_for_contains_text(f"#{Graph.DETAILS}", "Top incoming edges", timeout=10)
    assert "influence share (graph)" in dash_duo.find_element(f"#{Graph.DETAILS}").text
    assert dash_duo.get_logs() == []


def test_gr05_download_selection_json(dash_duo, make_app):
    start_with_dallas(dash_duo, make_app)
    click(dash_duo, dash_duo.find_element(f"#{Graph.DOWNLOAD_SELECTION_BTN}"))
    target = os.path.join(dash_duo.download_path, "capital-state-dallas-selected_features_with_nodes.json")

    def downloaded():
        names = os.listdir(dash_duo.download_path)
        return [n for n in names if n.endswith("selected_features_with_nodes.json")]

    until(downloaded, 10)
    data = json.loads(open(os.path.join(dash_duo.download_path, downloaded()[0])).read())
    assert data["metadata"]["n_features"] == len(data["features"]) > 0
    assert data["node_ids"] == sorted(data["node_ids"])
    assert target  # name follows the graph slug
    assert dash_duo.get_logs() == []


def test_gr06_bad_upload_shows_one_clear_error(dash_duo, make_app, tmp_path):
    bad = tmp_path / "not-a-graph.json"
    bad.write_text('{"hello": 1}')
    dash_duo.start_server(make_app())
    open_tab(dash_duo, "Graph")
    upload(dash_duo, bad)
    dash_duo.wait_for_contains_text(f"#{Graph.ALERTS}", "Could not open not-a-graph.json", timeout=10)
    assert "Traceback" not in dash_duo.find_element(f"#{Graph.ALERTS}").text
    assert dash_duo.get_logs() == []


def test_gr07_screenshot_for_the_readme(dash_duo, make_app):
    """The Graph tab with a real graph; writes docs/ only with AGP_UPDATE_SCREENSHOTS=1."""
    from tests.fixture_paths import REPO_ROOT

    start_with_dallas(dash_duo, make_app)
    dash_duo.driver.set_window_size(1400, 1500)
    dash_duo.driver.execute_script("window.scrollTo(0, document.getElementById(arguments[0]).offsetTop - 10);",
                                   str(Graph.SUMMARY))
    time.sleep(1.0)
    folder = REPO_ROOT / ("docs" if os.environ.get("AGP_UPDATE_SCREENSHOTS") == "1" else ".scratch")
    folder.mkdir(exist_ok=True)
    assert dash_duo.driver.save_screenshot(str(folder / "screenshot-graph.png"))


def test_gr08_a_failing_callback_shows_one_sentence_not_a_traceback(dash_duo, make_app):
    from agp_dash.web.services import services

    start_with_dallas(dash_duo, make_app)
    for artefact in services().workspace.list(["graphs"]):  # the graph vanishes behind the user's back
        artefact.path.unlink()
    box = dash_duo.find_element(f"#{Graph.THRESHOLD} input")
    click(dash_duo, box)
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys("0.5", Keys.ENTER)
    dash_duo.wait_for_contains_text(f"#{Shell.ALERTS}", "no artefact graphs/", timeout=10)
    assert "Traceback" not in dash_duo.find_element(f"#{Shell.ALERTS}").text
    assert dash_duo.get_logs() == []
