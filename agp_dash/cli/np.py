"""``agp np …``: Neuronpedia from the command line.

    agp np quota --features F --prompts P [--remaining R] [--layers L] [--json]
    agp np tokenize --prompt TEXT [--model-id gemma-2-2b] [--source-set clt-hp] [--json]
    agp np labels GRAPH.json [-o LABELS.json] [--source-set SET]

Base URL and API key come from NEURONPEDIA_BASE_URL / NEURONPEDIA_API_KEY (or ``.env``).
"""
from __future__ import annotations

import json
import sys
from dataclasses import asdict

from agp_dash.cli import command_group
from agp_dash.errors import InputError


def add_parser(subparsers) -> None:
    _parser, commands = command_group(
        subparsers, "np", help="Neuronpedia: quota planning, tokenizer pre-flight, feature labels",
        description="Talk to the Neuronpedia API (base URL and key from settings).")

    quota = commands.add_parser("quota", help="what probing F features on P prompts costs (no network)")
    quota.add_argument("--features", type=int, required=True, metavar="F", help="number of features")
    quota.add_argument("--prompts", type=int, required=True, metavar="P", help="number of probe prompts")
    quota.add_argument("--remaining", type=int, default=None,
                       help="calls left this hour, if known (default: the full hourly limit)")
    quota.add_argument("--layers", type=int, default=None, metavar="L",
                       help="distinct layers among the features (shows the /activation/source alternative)")
    quota.add_argument("--limit", type=int, default=1000, help="hourly limit of /activation/new (default 1000)")
    quota.add_argument("--json", action="store_true", help="print the plan as JSON")
    quota.set_defaults(func=run_quota)

    tokenize = commands.add_parser("tokenize", help="token count and predicted logits of a prompt (pre-flight)")
    tokenize.add_argument("--prompt", required=True)
    tokenize.add_argument("--model-id", default="gemma-2-2b")
    tokenize.add_argument("--source-set", default="clt-hp")
    tokenize.add_argument("--json", action="store_true", help="print the result as JSON")
    tokenize.set_defaults(func=run_tokenize)

    labels = commands.add_parser("labels", help="Neuronpedia labels of a graph's feature nodes")
    labels.add_argument("graph", metavar="GRAPH.json")
    labels.add_argument("-o", "--output", help="JSON file to write (default: standard output)")
    labels.add_argument("--source-set", default=None, help="override the graph's source set (e.g. clt-hp)")
    labels.set_defaults(func=run_labels)


def _client():
    from agp_dash.clients.neuronpedia import NeuronpediaClient
    from agp_dash.settings import Settings
    return NeuronpediaClient.from_settings(Settings.from_env())


def run_quota(args) -> int:
    from agp_dash.clients.np_limits import plan_probe_calls
    if args.features < 0 or args.prompts < 0:
        raise InputError("--features and --prompts must be zero or more.")
    if args.limit <= 0:
        raise InputError("--limit must be a positive number of calls per hour.")
    plan = plan_probe_calls(args.features, args.prompts, hourly_limit=args.limit, remaining=args.remaining,
                            n_sources=args.layers)
    print(json.dumps(asdict(plan), indent=2) if args.json else plan.summary())
    return 0


def run_tokenize(args) -> int:
    result = _client().tokenize(args.prompt, model_id=args.model_id, source_set=args.source_set)
    if args.json:
        print(json.dumps({"tokens": result.tokens, "n_tokens": result.n_tokens, "max_tokens": result.max_tokens,
                          "logits": [asdict(logit) for logit in result.logits],
                          "cumulative_probability": result.cumulative_probability}, indent=2, ensure_ascii=False))
        return 0
    status = "too long" if result.too_long else "ok"
    print(f"{result.n_tokens} tokens with <bos> (limit {result.max_tokens}: {status})")
    print(" | ".join(result.tokens))
    for logit in result.logits:
        print(f"  {logit.token!r:>16}  p={logit.probability:.3f}")
    return 0


def run_labels(args) -> int:
    from agp_dash.atomic import atomic_write_json
    from agp_dash.clients.np_labels import graph_labels
    from agp_dash.graphs import load_graph
    graph = load_graph(args.graph, source_set=args.source_set)
    labels = graph_labels(_client(), graph, source_set=args.source_set,
                          progress=lambda fraction, message: print(message, file=sys.stderr))
    out = {"graph_slug": graph.slug, "model_id": graph.model_id, "source_set": args.source_set or graph.source_set,
           "labels": labels}
    if args.output:
        atomic_write_json(args.output, out)
        print(f"{len(labels)} node label(s) written to {args.output}", file=sys.stderr)
    else:
        print(json.dumps(out, indent=2, ensure_ascii=False))
    return 0
