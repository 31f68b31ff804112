"""Browser tests of the app shell (dash.testing, headless Debian Chromium)."""
import os

from dash.testing.wait import until

from agp_dash.web.ids import Home, Shell, Tab
from tests.fixture_paths import REPO_ROOT
from tests.integration.browser_helpers import click, open_tab

TAB_TEXT = {Tab.HOME: "Workspace", Tab.GRAPH: "1 · Graph", Tab.PROBE: "2 · Probe", Tab.GROUP: "3 · Group"}


def test_br01_loads_and_switches_through_all_tabs(dash_duo, make_app):
    dash_duo.start_server(make_app())
    dash_duo.wait_for_contains_text(f"#{Shell.NAVBAR}", "Attribution Graph Probing")
    for label, tab in (("Graph", Tab.GRAPH), ("Probe", Tab.PROBE), ("Group", Tab.GROUP), ("Home", Tab.HOME)):
        open_tab(dash_duo, label)
        dash_duo.wait_for_contains_text(".tab-content > .tab-pane.active", TAB_TEXT[tab])
    assert dash_duo.get_logs() == []


def test_br02_bootstrap_is_served_locally_and_applied(dash_duo, make_app):
    dash_duo.start_server(make_app())
    navbar = dash_duo.find_element(f"#{Shell.NAVBAR}")
    # Bootstrap's .bg-dark colour proves the vendored stylesheet loaded (no CDN here).
    until(lambda: navbar.value_of_css_property("background-color") == "rgba(33, 37, 41, 1)", 5)
    assert dash_duo.get_logs() == []


def test_br03_workspace_table_opens_artefact_in_its_stage(dash_duo, make_app):
    app = make_app()
    from agp_dash.web.services import services

    services().workspace.save_text("graphs", "dallas.json", "{}", producer="agp graph fetch",
                                   summary={"prompt": "Dallas is in", "model_id": "gemma-2-2b"})
    dash_duo.start_server(app)
    dash_duo.wait_for_contains_text(f"#{Home.WORKSPACE_GRID}", "dallas.json")
    assert "Dallas is in · gemma-2-2b" in dash_duo.find_element(f"#{Home.WORKSPACE_GRID}").text
    dash_duo.find_element(f"#{Home.WORKSPACE_GRID} .ag-row .ag-cell").click()
    until(lambda: dash_duo.find_element(f"#{Home.OPEN_BTN}").is_enabled(), 5)
    click(dash_duo, f"#{Home.OPEN_BTN}")
    dash_duo.wait_for_contains_text(".tab-content > .tab-pane.active", "graphs/dallas.json")
    assert dash_duo.get_logs() == []


def test_br04_background_verify_shows_progress_and_result(dash_duo, make_app):
    app = make_app()
    from agp_dash.web.services import services

    for i in range(3):
        services().workspace.save_text("graphs", f"g{i}.json", "{}", producer="t")
    dash_duo.start_server(app)
    click(dash_duo, f"#{Home.VERIFY_RUN}")
    dash_duo.wait_for_contains_text(f"#{Home.VERIFY_RESULT}", "All 3 artefacts match their manifests", timeout=20)
    until(lambda: dash_duo.find_element(f"#{Home.VERIFY_RUN}").is_enabled(), 5)
    assert not dash_duo.find_element(f"#{Home.VERIFY_CANCEL}").is_enabled()
    assert dash_duo.get_logs() == []


def test_br05_screenshot_for_the_readme(dash_duo, make_app):
    """Takes the README's screenshot; writes docs/ only with AGP_UPDATE_SCREENSHOTS=1."""
    app = make_app()
    from agp_dash.web.services import services

    services().workspace.save_text("graphs", "capital-state-dallas.json", "{}", producer="agp graph generate",
                                   parameters={"backend": "local", "node_threshold": 0.8},
                                   summary={"prompt": "The capital of the state containing Dallas is",
                                            "model_id": "agp-demo-states"})
    dash_duo.start_server(app)
    dash_duo.wait_for_contains_text(f"#{Home.WORKSPACE_GRID}", "capital-state-dallas.json")
    target_dir = REPO_ROOT / "docs" if os.environ.get("AGP_UPDATE_SCREENSHOTS") == "1" else None
    path = (target_dir or REPO_ROOT / ".scratch") / "screenshot-home.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    assert dash_duo.driver.save_screenshot(str(path))
    assert path.stat().st_size > 10_000
