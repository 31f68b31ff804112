"""``agp graph …``: inspect a graph, write its static metrics, select nodes.

    agp graph info GRAPH.json [--json]
    agp graph metrics GRAPH.json [-o METRICS.csv] [--mode agp-default|seed-v2]
    agp graph generate --prompt "…" [--backend local|neuronpedia] [settings] [-o GRAPH.json]
    agp graph fetch (--url URL | --model-id M --slug S) [-o GRAPH.json]
    agp graph select GRAPH.json --max-cumulative 0.8 [--include-errors] [--layers 0-5,10]
                     [--positions …] [--kinds feature,embedding] [--top-n N] [--basis stored|graph]
                     [--mode agp-default|seed-v2] -o SELECTED.json [--csv SELECTED.csv]
"""
from __future__ import annotations

import argparse
import json
import re
import sys

from agp_dash.cli import command_group
from agp_dash.errors import InputError

_MODES = ("agp-default", "seed-v2")
_RANGE = re.compile(r"^(\d+)(?:-(\d+))?$")


def add_parser(subparsers) -> None:
    _parser, commands = command_group(
        subparsers, "graph", help="attribution graphs: info, metrics, select, generate, fetch",
        description="Inspect attribution graphs, compute metrics, select nodes, generate or fetch graphs.")

    info = commands.add_parser("info", help="model, prompt, tokens, node/link counts and scores of a graph")
    _graph_argument(info)
    info.add_argument("--json", action="store_true", help="print the summary as JSON")
    info.set_defaults(func=run_info)

    metrics = commands.add_parser("metrics", help="write the static metrics CSV")
    _graph_argument(metrics)
    metrics.add_argument("-o", "--output", help="CSV file to write (default: standard output)")
    metrics.add_argument("--mode", choices=_MODES, default="agp-default",
                         help="seed-v2 reproduces the original app's CSV exactly (default: agp-default)")
    metrics.set_defaults(func=run_metrics)

    select = commands.add_parser("select", help="select nodes and write the Selected Features JSON")
    _graph_argument(select)
    select.add_argument("--max-cumulative", type=float, default=None, metavar="TAU",
                        help="keep nodes whose cumulative influence is <= TAU (Neuronpedia's pruning slider)")
    select.add_argument("--include-errors", action="store_true", help="keep error nodes (hidden by default)")
    select.add_argument("--layers", help="layers to keep, e.g. 0-5,10")
    select.add_argument("--positions", help="token positions to keep, e.g. 3-7")
    select.add_argument("--kinds", help="node kinds to keep, e.g. feature,embedding,logit")
    select.add_argument("--top-n", type=int, default=None, help="keep the N most influential feature/error nodes")
    select.add_argument("--basis", choices=("stored", "graph"), default="stored",
                        help="influence used: stored JSON values or recomputed on the graph (default: stored)")
    select.add_argument("--mode", choices=_MODES, default="agp-default",
                        help="seed-v2 reproduces the original app's Stage-1 export")
    select.add_argument("-o", "--output", required=True, help="Selected Features JSON to write")
    select.add_argument("--csv", help="also write the selected nodes as CSV")
    select.set_defaults(func=run_select)


    generate = commands.add_parser("generate", help="generate a graph for a prompt through a backend",
                                   description="Generate an attribution graph and keep it in the workspace "
                                               "(AGP_HOME/graphs) with its manifest.")
    generate.add_argument("--backend", default="local", help="graph backend (default: local)")
    generate.add_argument("--prompt", required=True, help="the prompt to attribute")
    for flag, kind, text in _GENERATION_FLAGS:
        generate.add_argument(flag, type=kind, default=None, help=f"{text} (default: the backend's)")
    generate.add_argument("--slug", default=None, help="graph slug (default: from the prompt and the time)")
    generate.add_argument("-o", "--output", help="also write the graph JSON here")
    generate.set_defaults(func=run_generate)

    fetch = commands.add_parser("fetch", help="download an existing Neuronpedia graph by URL or model id + slug",
                                description="Download a Neuronpedia graph into the workspace (AGP_HOME/graphs).")
    fetch.add_argument("--url", help="a Neuronpedia graph link (UI page, /api/graph/… or the .json)")
    fetch.add_argument("--model-id", help="model id, with --slug")
    fetch.add_argument("--slug", help="graph slug, with --model-id")
    fetch.add_argument("-o", "--output", help="also write the graph JSON here")
    fetch.set_defaults(func=run_fetch)


_GENERATION_FLAGS = (
    ("--model-id", str, "model id"),
    ("--source-set", str, "transcoder source set"),
    ("--max-feature-nodes", int, "most feature nodes to attribute"),
    ("--node-threshold", float, "node pruning threshold"),
    ("--edge-threshold", float, "edge pruning threshold"),
    ("--max-n-logits", int, "most logit targets"),
    ("--desired-logit-prob", float, "logit targets up to this cumulative probability"),
)


def _graph_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("graph", metavar="GRAPH.json", help="graph JSON file (Neuronpedia / circuit-tracer)")
    parser.add_argument("--max-mb", type=float, default=None, help="refuse graphs larger than this (default 200)")


def _load(args):
    from agp_dash.graphs import load_graph
    max_bytes = None if args.max_mb is None else int(args.max_mb * 1_000_000)
    return load_graph(args.graph, max_bytes=max_bytes)


def parse_int_ranges(text: str | None, name: str) -> list[int] | None:
    """``"0-5,10"`` -> ``[0, 1, 2, 3, 4, 5, 10]``; InputError on anything else."""
    if text is None:
        return None
    values: set[int] = set()
    for part in text.split(","):
        match = _RANGE.match(part.strip())
        if not match or (match.group(2) and int(match.group(2)) < int(match.group(1))):
            raise InputError(f"--{name} must be non-negative integers or ranges like 0-5,10 (got {text!r}).")
        low = int(match.group(1))
        values.update(range(low, int(match.group(2) or low) + 1))
    return sorted(values)


# ------------------------------------------------------------------------- info
def graph_summary(graph) -> dict:
    """What ``agp graph info`` prints, as a dict."""
    kinds = graph.nodes["kind"].to_numpy()
    source_kinds = kinds[graph.link_source]
    link_counts = {k: int((source_kinds == k).sum()) for k in ("feature", "error", "embedding") if (source_kinds == k).any()}
    target = graph.target_logit_key
    target_row = graph.node(target) if target else None
    scores = graph.scores
    return {
        "slug": graph.slug, "model_id": graph.model_id, "source_set": graph.source_set,
        "prompt": graph.prompt, "prompt_tokens": graph.prompt_tokens,
        "n_nodes": graph.n_nodes, "nodes_by_kind": graph.kind_counts(),
        "n_links": graph.n_links, "links_by_source_kind": link_counts,
        "n_layers": graph.n_layers, "node_threshold": graph.node_threshold,
        "target_logit": None if target_row is None else {
            "node_id": target_row["node_id"], "label": target_row["label"],
            "token_prob": float(target_row["token_prob"])},
        "replacement_score": scores.replacement, "completeness_score": scores.completeness,
        "stored_replacement_score": graph.metadata.get("replacement_score"),
        "stored_completeness_score": graph.metadata.get("completeness_score"),
        "neuronpedia_url": graph.neuronpedia_graph_url(),
        "warnings": list(graph.warnings),
    }


def run_info(args) -> int:
    summary = graph_summary(_load(args))
    if args.json:
        print(json.dumps(summary, indent=2, ensure_ascii=False))
        return 0
    kinds = ", ".join(f"{k} {v}" for k, v in summary["nodes_by_kind"].items())
    by_source = ", ".join(f"from {k} {v}" for k, v in summary["links_by_source_kind"].items())
    lines = [
        f"graph:       {summary['slug']}",
        f"model:       {summary['model_id'] or '(unknown)'}"
        + (f" (source set {summary['source_set']})" if summary["source_set"] else ""),
        f"prompt:      {summary['prompt']}",
        f"tokens:      {len(summary['prompt_tokens'])}: "
        + json.dumps(summary["prompt_tokens"], ensure_ascii=False),
        f"nodes:       {summary['n_nodes']} ({kinds})",
        f"links:       {summary['n_links']}" + (f" ({by_source})" if by_source else ""),
        f"layers:      {summary['n_layers']}",
    ]
    if summary["target_logit"]:
        t = summary["target_logit"]
        lines.append(f"target:      {t['node_id']} (p={t['token_prob']:.3f})" + (f" {t['label']}" if t["label"] else ""))
    lines.append(f"scores:      replacement {summary['replacement_score']:.4f}, completeness "
                 f"{summary['completeness_score']:.4f} (recomputed on this graph)")
    if summary["stored_replacement_score"] is not None:
        lines.append(f"stored:      replacement {summary['stored_replacement_score']}, completeness "
                     f"{summary['stored_completeness_score']}")
    if summary["node_threshold"] is not None:
        lines.append(f"node thr.:   {summary['node_threshold']}")
    if summary["neuronpedia_url"]:
        lines.append(f"neuronpedia: {summary['neuronpedia_url']}")
    lines.extend(f"warning:     {w}" for w in summary["warnings"])
    print("\n".join(lines))
    return 0


# ---------------------------------------------------------------------- metrics
def run_metrics(args) -> int:
    from agp_dash.graphs import compute_metrics, metrics_csv_text, write_metrics_csv
    frame = compute_metrics(_load(args), mode=args.mode)
    if args.output:
        path = write_metrics_csv(frame, args.output)
        print(f"wrote {len(frame)} rows ({args.mode}) to {path}")
    else:
        sys.stdout.write(metrics_csv_text(frame))
    return 0


# ----------------------------------------------------------------------- select
def run_select(args) -> int:
    from agp_dash.graphs import select_nodes, select_seed_v2
    if args.max_cumulative is not None and not 0.0 <= args.max_cumulative <= 1.0:
        raise InputError(f"--max-cumulative must be between 0 and 1 (got {args.max_cumulative}).")
    graph = _load(args)
    if args.mode == "seed-v2":
        if args.layers or args.positions or args.kinds or args.top_n:
            raise InputError("seed-v2 selection only takes --max-cumulative and --include-errors.")
        selection = select_seed_v2(graph, args.max_cumulative, drop_errors=not args.include_errors)
    else:
        kinds = None if args.kinds is None else [k.strip() for k in args.kinds.split(",") if k.strip()]
        selection = select_nodes(graph, max_cumulative=args.max_cumulative, basis=args.basis,
                                 include_errors=args.include_errors, kinds=kinds,
                                 layers=parse_int_ranges(args.layers, "layers"),
                                 positions=parse_int_ranges(args.positions, "positions"), top_n=args.top_n)
    path = selection.write_json(args.output)
    print(f"selected {len(selection.node_ids)} feature nodes ({len(selection.features)} features) and "
          f"{selection.n_selected} nodes in all, of {graph.n_nodes}; wrote {path}")
    for line in selection.filter_summary():
        print(f"  {line}")
    if args.csv:
        print(f"wrote {selection.n_selected} rows to {selection.write_csv(args.csv)}")
    return 0


# --------------------------------------------------------------------- generate
def run_generate(args) -> int:
    from dataclasses import replace

    from agp_dash.atomic import atomic_write_bytes
    from agp_dash.generation import generate_and_save, load_builtin_backends
    from agp_dash.graphs.backends import get_backend
    from agp_dash.settings import Settings
    from agp_dash.workspace import Workspace

    load_builtin_backends()
    backend = get_backend(args.backend)
    overrides = {flag.lstrip("-").replace("-", "_"): getattr(args, flag.lstrip("-").replace("-", "_"))
                 for flag, _kind, _text in _GENERATION_FLAGS}
    overrides["slug"] = args.slug
    settings = replace(backend.defaults, **{k: v for k, v in overrides.items() if v is not None})
    workspace = Workspace(Settings.from_env().home).ensure()

    def progress(fraction: float, message: str) -> None:
        print(f"  {fraction:4.0%} {message}", file=sys.stderr, flush=True)

    artefact = generate_and_save(workspace, backend, args.prompt, settings, progress=progress,
                                 producer="agp graph generate")
    print(f"generated {artefact.artefact_id} ({artefact.manifest['summary']['n_nodes']} nodes, "
          f"{artefact.manifest['summary']['n_links']} links) in {workspace.root}")
    if args.output:
        print(f"wrote {atomic_write_bytes(args.output, artefact.path.read_bytes())}")
    return 0


# ------------------------------------------------------------------------ fetch
def run_fetch(args) -> int:
    from agp_dash.atomic import atomic_write_json
    from agp_dash.clients.np_graphs import fetch_graph
    from agp_dash.settings import Settings
    from agp_dash.workspace import Workspace

    if bool(args.url) == bool(args.model_id or args.slug) or (not args.url and not (args.model_id and args.slug)):
        raise InputError("give either --url, or both --model-id and --slug.")
    settings = Settings.from_env()
    workspace = Workspace(settings.home).ensure()
    graph = fetch_graph(args.url, args.model_id, args.slug, app_settings=settings, workspace=workspace,
                        progress=lambda f, m: print(f"  {f:4.0%} {m}", file=sys.stderr, flush=True))
    meta = graph.get("metadata", {})
    print(f"fetched {meta.get('scan', '?')}/{meta.get('slug', '?')} ({len(graph.get('nodes', []))} nodes, "
          f"{len(graph.get('links', []))} links) into {workspace.root / 'graphs'}")
    if args.output:
        print(f"wrote {atomic_write_json(args.output, graph, indent=None)}")
    return 0
