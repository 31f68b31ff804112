"""The app shell without a browser: ids, wiring, offline assets, callbacks as functions."""
import re

import pytest
from dash.development.base_component import Component

from agp_dash.web.ids import Home, Shell, Store, Tab


def walk_ids(component):
    if isinstance(component, Component):
        if getattr(component, "id", None) is not None:
            yield component.id
        children = getattr(component, "children", None)
        for child in children if isinstance(children, (list, tuple)) else [children]:
            yield from walk_ids(child)


@pytest.fixture
def app(make_app):
    return make_app()


def test_sh01_ids_are_unique_in_the_real_layout(app):
    ids = [str(i) for i in walk_ids(app.layout)]
    duplicates = {i for i in ids if ids.count(i) > 1}
    assert not duplicates
    assert {str(Shell.TABS), *map(str, Store)} <= set(ids)


def test_sh02_every_callback_id_exists_in_the_layout(app):
    ids = {str(i) for i in walk_ids(app.layout)}
    deps = app.server.test_client().get("/_dash-dependencies").json
    referenced = set()
    for dep in deps:
        for item in [*dep["inputs"], *dep["state"]]:
            referenced.add(item["id"])
        for output in re.split(r"\.\.+", dep["output"].strip(".")):
            referenced.add(output.rsplit(".", 1)[0])
    assert referenced - ids == set()


def test_sh03_stores_are_top_level(app):
    top_ids = [getattr(child, "id", None) for child in app.layout.children]
    assert all(store in top_ids for store in Store)


def test_sh04_page_loads_nothing_from_outside(app):
    html = app.server.test_client().get("/").data.decode()
    external = re.findall(r'(?:src|href)="(https?://[^"]+)"', html)
    assert external == []
    assert "00-bootstrap-5.3.6.min.css" in html


def test_sh05_tabs_are_home_graph_probe_group(app):
    tabs = next(c for c in app.layout.children[-1].children if getattr(c, "id", None) == Shell.TABS)
    assert [t.label for t in tabs.children] == ["Home", "Graph", "Probe", "Group"]
    assert [t.tab_id for t in tabs.children] == [Tab.HOME, Tab.GRAPH, Tab.PROBE, Tab.GROUP]


def test_sh06_two_apps_in_one_process_both_have_callbacks(make_app):
    first, second = make_app(), make_app()
    for app in (first, second):
        assert len(app.server.test_client().get("/_dash-dependencies").json) >= 5


def test_sh07_open_in_stage_routes_by_kind():
    from agp_dash.web.callbacks.home import STORE_ORDER, open_in_stage

    row = {"id": "selections/s.json", "kind": "selections", "name": "s.json"}
    tab, status, *stores = open_in_stage(1, [row])
    assert tab == Tab.GRAPH and "selections/s.json" in status
    assert stores[STORE_ORDER.index(Store.SELECTION)] == {"artefact_id": "selections/s.json", "name": "s.json"}


def test_sh08_verify_job_reports_progress_and_problems(make_app):
    from agp_dash.web.callbacks.home import verify_artefacts
    from agp_dash.web.services import services

    make_app()
    ws = services().workspace
    ws.save_text("graphs", "a.json", "{}", producer="t")
    art = ws.save_text("graphs", "b.json", "{}", producer="t")
    art.path.write_text("tampered")
    progress = []
    result = verify_artefacts(progress.append, 1)
    assert progress[-1] == (100, "2/2")
    assert "graphs/b.json: modified" in str(result)


def test_sh09_home_lists_workspace_only_when_visible(make_app):
    from agp_dash.web.callbacks.home import list_workspace
    from agp_dash.web.services import services

    make_app()
    services().workspace.save_text("graphs", "a.json", "{}", producer="t")
    assert [r["id"] for r in list_workspace(None, Tab.HOME)] == ["graphs/a.json"]
    assert list_workspace(None, Tab.GRAPH).__class__.__name__ == "NoUpdate"
    assert Home.WORKSPACE_GRID  # ids importable for browser tests
