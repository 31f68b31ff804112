"""Component ids, defined once: layouts, callbacks and browser tests all import these.

Kebab-case strings with a stage prefix. Each stage owns one ``StrEnum``.
"""
from enum import StrEnum


class Shell(StrEnum):
    NAVBAR = "shell-navbar"
    TABS = "shell-tabs"
    ALERTS = "shell-alerts"


class Tab(StrEnum):
    """``tab_id`` values of the stage tabs (also the targets of 'open in stage' links)."""
    HOME = "tab-home"
    GRAPH = "tab-graph"
    PROBE = "tab-probe"
    GROUP = "tab-group"


class Store(StrEnum):
    """One small store per stage result: artefact ids and small metadata only."""
    GRAPH = "store-graph"
    SELECTION = "store-selection"
    PROBE = "store-probe"
    GROUPING = "store-grouping"


class Home(StrEnum):
    WORKSPACE_GRID = "home-workspace-grid"
    WORKSPACE_PATH = "home-workspace-path"
    REFRESH_BTN = "home-refresh-btn"
    OPEN_BTN = "home-open-btn"
    OPEN_STATUS = "home-open-status"
    VERIFY_RUN = "home-verify-run-btn"
    VERIFY_CANCEL = "home-verify-cancel-btn"
    VERIFY_PROGRESS = "home-verify-progress"
    VERIFY_RESULT = "home-verify-result"


class Graph(StrEnum):
    OPENED = "graph-opened"


class Probe(StrEnum):
    OPENED = "probe-opened"


class Group(StrEnum):
    OPENED = "group-opened"
