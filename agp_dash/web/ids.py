"""Component ids, defined once: layouts, callbacks and browser tests all import these.

Kebab-case strings with a stage prefix. Each stage owns one ``StrEnum``.
"""
from enum import StrEnum


class Shell(StrEnum):
    NAVBAR = "shell-navbar"
    TABS = "shell-tabs"
    ALERTS = "shell-alerts"
    SESSION = "shell-session"  # a random id per browser tab; server-side state (typed keys) hangs off it


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
    NP_BASE_URL = "home-np-base-url"
    NP_KEY_STATUS = "home-np-key-status"
    NP_KEY_INPUT = "home-np-key-input"
    NP_KEY_SAVE = "home-np-key-save-btn"
    NP_KEY_FORGET = "home-np-key-forget-btn"
    NP_CLEAR_CACHE = "home-np-clear-cache-btn"
    NP_STATUS = "home-np-status"


class Graph(StrEnum):
    OPENED = "graph-opened"
    ALERTS = "graph-alerts"
    SOURCE_PANEL = "graph-source-panel"
    # open
    UPLOAD = "graph-upload"
    WORKSPACE_SELECT = "graph-workspace-select"
    NP_SOURCE = "graph-np-source"
    NP_FETCH_RUN = "graph-np-fetch-run-btn"
    NP_FETCH_CANCEL = "graph-np-fetch-cancel-btn"
    NP_FETCH_PROGRESS = "graph-np-fetch-progress"
    LABELS_PANEL = "graph-labels-panel"
    LABELS_RUN = "graph-labels-run-btn"
    LABELS_CANCEL = "graph-labels-cancel-btn"
    LABELS_PROGRESS = "graph-labels-progress"
    LABELS_STATUS = "graph-labels-status"
    # generate
    BACKEND = "graph-backend"
    BACKEND_NOTE = "graph-backend-note"
    EXAMPLES = "graph-examples"
    PROMPT = "graph-prompt"
    MODEL_ID = "graph-model-id"
    SOURCE_SET = "graph-source-set"
    MAX_FEATURE_NODES = "graph-max-feature-nodes"
    NODE_THRESHOLD = "graph-node-threshold"
    EDGE_THRESHOLD = "graph-edge-threshold"
    MAX_N_LOGITS = "graph-max-n-logits"
    DESIRED_LOGIT_PROB = "graph-desired-logit-prob"
    SLUG = "graph-slug"
    LIMITS_NOTE = "graph-limits-note"
    PREVIEW_BTN = "graph-preview-btn"
    PREVIEW = "graph-preview"
    GENERATE_RUN = "graph-generate-run-btn"
    GENERATE_CANCEL = "graph-generate-cancel-btn"
    GENERATE_PROGRESS = "graph-generate-progress"
    GENERATE_STATUS = "graph-generate-status"
    # explore
    VIEW = "graph-view"
    SUMMARY = "graph-summary"
    THRESHOLD = "graph-threshold"
    KINDS = "graph-kinds"
    LAYERS = "graph-layers"
    POSITIONS = "graph-positions"
    TOP_N = "graph-top-n"
    FILTER_SUMMARY = "graph-filter-summary"
    SCATTER = "graph-scatter"
    LAYER_BAR = "graph-layer-bar"
    COVERAGE = "graph-coverage"
    STRENGTH = "graph-strength"
    TABLE = "graph-table"
    DETAILS = "graph-details"
    # export
    METRICS_MODE = "graph-metrics-mode"
    DOWNLOAD_METRICS_BTN = "graph-download-metrics-btn"
    DOWNLOAD_SELECTION_BTN = "graph-download-selection-btn"
    DOWNLOAD_SELECTION_CSV_BTN = "graph-download-selection-csv-btn"
    SAVE_SELECTION_BTN = "graph-save-selection-btn"
    SAVE_STATUS = "graph-save-status"
    DOWNLOAD = "graph-download"


class Probe(StrEnum):
    OPENED = "probe-opened"


class Group(StrEnum):
    OPENED = "group-opened"
