"""The embedded local engine: a tiny GPT with per-layer TopK transcoders, trained by this
project on a synthetic world, with exact attribution in NumPy (spec local-engine.md).

Runtime is numpy (+ scipy through the shared graph library) only; torch is never imported
here (training lives in ``agp_dash.training``).

    from agp_dash.engine import load_engine, generate_graph
    engine = load_engine()                       # shipped data/agp-demo-states
    graph = engine.graph("The capital of state containing Dallas is")
    dump = engine.probe(["entity: A city in Texas, USA is Dallas"], [(0, 12)])
"""
from agp_dash.engine.artifacts import DEFAULT_MODEL_ID, default_data_dir, load_artifacts
from agp_dash.engine.attribution import Attribution, attribute
from agp_dash.engine.engine import DEFAULTS, Engine, generate_graph, load_engine
from agp_dash.engine.graph_json import graph_json, write_graph_files
from agp_dash.engine.interventions import MODES, Intervention, InterventionResult
from agp_dash.engine.tokenizer import Encoded, PromptTooLongError, Tokenizer, UnknownWordsError

__all__ = [
    "DEFAULT_MODEL_ID", "DEFAULTS", "MODES", "Attribution", "Encoded", "Engine", "Intervention",
    "InterventionResult", "PromptTooLongError", "Tokenizer", "UnknownWordsError", "attribute",
    "default_data_dir", "generate_graph", "graph_json", "load_artifacts", "load_engine", "write_graph_files",
]
