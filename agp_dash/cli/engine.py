"""``agp engine …``: the embedded local model.

    agp engine info [--json]                       architecture, vocabulary, facts, accuracy
    agp engine predict --prompt "…" [-k 5]         top next tokens
    agp engine intervene --prompt "…" --set L:F[:P]=V … [--scale L:F[:P]=X …]
                         [--freeze-attention | --direct-only] [--watch TOKEN …] [--json]
    agp engine train [--out DIR] [--lm-steps N] [--tc-steps N]   (needs the 'train' extra)
"""
from __future__ import annotations

import json
import re

from agp_dash.cli import command_group
from agp_dash.errors import AgpError, InputError

_SPEC = re.compile(r"^\s*(\d+)\s*:\s*(\d+)\s*(?::\s*([\d,\s]+))?\s*=\s*([-+0-9.eE]+)\s*$")


def add_parser(subparsers) -> None:
    parser, commands = command_group(
        subparsers, "engine", help="the embedded local model: info, predict, intervene, train",
        description="The embedded demo model (numpy, offline).")
    parser.add_argument("--data", default=None, help="model folder (default: the shipped data/agp-demo-states)")

    info = commands.add_parser("info", help="architecture, vocabulary, facts and accuracy")
    info.add_argument("--json", action="store_true", help="print JSON")
    info.set_defaults(func=run_info)

    predict = commands.add_parser("predict", help="top next tokens for a prompt")
    predict.add_argument("--prompt", required=True)
    predict.add_argument("-k", type=int, default=5, help="how many tokens (default 5)")
    predict.set_defaults(func=run_predict)

    intervene = commands.add_parser(
        "intervene", help="set or scale features and compare the top logits",
        description="Set (--set) or scale (--scale) transcoder features and show the top next tokens before "
                    "and after. LAYER:FEATURE[:POSITIONS]=VALUE; without positions, every position where "
                    "the feature is active. Positions count from 0 = <bos>.")
    intervene.add_argument("--prompt", required=True)
    intervene.add_argument("--set", dest="sets", action="append", default=[], metavar="L:F[:P]=VALUE",
                           help="give a feature this activation (0 ablates); repeatable")
    intervene.add_argument("--scale", dest="scales", action="append", default=[], metavar="L:F[:P]=FACTOR",
                           help="multiply a feature's clean activation; repeatable")
    mode = intervene.add_mutually_exclusive_group()
    mode.add_argument("--freeze-attention", action="store_true", help="keep the clean attention patterns")
    mode.add_argument("--direct-only", action="store_true",
                      help="freeze attention, LayerNorm scales, other features and errors (direct effects)")
    intervene.add_argument("--watch", nargs="*", default=[], help="tokens whose probability to report")
    intervene.add_argument("-k", "--top-k", type=int, default=5)
    intervene.add_argument("--json", action="store_true", help="print JSON")
    intervene.set_defaults(func=run_intervene)

    train = commands.add_parser("train", help="retrain the model and transcoders and rewrite data/ (needs torch)",
                                description="Rebuild the corpus, train the model and its transcoders with torch "
                                            "(CPU, one thread, a few minutes) and rewrite the model folder "
                                            "atomically. Needs the 'train' extra: pip install 'agp-dash[train]'.")
    train.add_argument("--out", default=None, help="folder to write (default: the --data folder)")
    train.add_argument("--lm-steps", type=int, default=1000)
    train.add_argument("--tc-steps", type=int, default=2000)
    train.add_argument("--seed", type=int, default=0)
    train.set_defaults(func=run_train)


def _engine(args):
    from agp_dash.engine import load_engine
    return load_engine(args.data)


def parse_intervention(text: str, kind: str):
    """``"1:42=0"``, ``"1:42:7=3.5"``, ``"1:42:5,7=0"`` -> Intervention."""
    from agp_dash.engine import Intervention
    match = _SPEC.match(text)
    if not match:
        raise InputError(f"--{kind} {text!r} is not LAYER:FEATURE[:POSITIONS]=NUMBER, e.g. 1:42=0 or 1:42:7=2.5.")
    layer, feature, positions, number = match.groups()
    try:
        value = float(number)
    except ValueError:
        raise InputError(f"--{kind} {text!r}: {number!r} is not a number.") from None
    pos = tuple(int(p) for p in positions.replace(" ", "").split(",") if p) if positions else None
    return Intervention(int(layer), int(feature), value=value if kind == "set" else None,
                        scale=value if kind == "scale" else None, positions=pos)


def run_info(args) -> int:
    engine = _engine(args)
    info = engine.info()
    accuracy = engine.evaluate()
    info["accuracy"] = {k: v for k, v in accuracy.items() if k != "failures"}
    info["wrong_trained_facts"] = accuracy["failures"][:10]
    if args.json:
        print(json.dumps(info, indent=2, ensure_ascii=False))
        return 0
    m, tc = info["model"], info["transcoders"]
    print(f"model       {info['model_id']} ({info['path']})")
    print(f"architecture {m['n_layers']} layers, d_model {m['d_model']}, {m['n_heads']} heads, d_mlp {m['d_mlp']}, "
          f"context {m['n_ctx']} tokens, {m['act_fn']}")
    print(f"transcoders {tc['name']}: {tc['n_features']} features per layer, top-{tc['k']} ({tc['activation']})")
    print(f"vocabulary  {info['vocabulary']} tokens")
    w = info["world"]
    print(f"world       {w['states']} states, {w['athletes']} athletes, {w['antonyms_en']} English and "
          f"{w['antonyms_fr']} French antonym pairs, {w['body_parts']} body parts")
    print(f"facts       {info['facts']['trained']} trained, {info['facts']['held_out']} held-out two-hop")
    print("accuracy    (greedy, float16 weights as shipped)")
    for group, row in info["accuracy"].items():
        print(f"  {group:<24} {row['correct']:>5}/{row['total']:<5} {row['accuracy']:.1%}")
    t = info["training"]
    if t.get("fve_train"):
        print(f"transcoder FVE  train {t['fve_train']}  fresh {t['fve_fresh']}  alive {t['alive']}")
    print("files       " + ", ".join(f"{n} {b / 1e6:.2f} MB" for n, b in info["files"].items()))
    return 0


def run_predict(args) -> int:
    for row in _engine(args).predict(args.prompt, k=args.k):
        print(f"{row['prob']:8.4f}  {row['token']}")
    return 0


def run_intervene(args) -> int:
    interventions = [parse_intervention(t, "set") for t in args.sets] + \
        [parse_intervention(t, "scale") for t in args.scales]
    if not interventions:
        raise InputError("Give at least one --set or --scale.")
    mode = "constrained" if args.direct_only else "frozen" if args.freeze_attention else "open"
    result = _engine(args).intervene(args.prompt, interventions, mode=mode, top_k=args.top_k, watch=args.watch)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        return 0
    print(f"prompt  {''.join(result.tokens)}")
    print(f"mode    {mode}; {len(result.applied)} feature values changed:")
    for a in result.applied:
        print(f"  L{a['layer']}/F{a['feature']} at {a['position']} ({result.tokens[a['position']].strip()}): "
              f"{a['clean']:.3f} -> {a['new']:.3f}")
    before, after = result.top("clean"), result.top("new")
    print(f"{'before':<28}{'after':<28}")
    for b, a in zip(before, after):
        print(f"  {b['prob']:7.4f} {b['token']:<18}  {a['prob']:7.4f} {a['token']:<18}")
    watched = [c for c in result.changes() if args.watch and c["token"] in args.watch]
    for c in watched:
        print(f"  p({c['token']}): {c['clean']:.4f} -> {c['new']:.4f} ({c['delta']:+.4f})")
    return 0


def run_train(args) -> int:
    try:
        import torch  # noqa: F401  (the optional 'train' extra)
    except ImportError:
        raise AgpError("Training needs torch: install the 'train' extra (pip install 'agp-dash[train]').") from None
    from agp_dash.training.pipeline import run_training
    manifest = run_training(args.out or args.data, lm_steps=args.lm_steps, tc_steps=args.tc_steps, seed=args.seed)
    acc = manifest["training"]["accuracy"]
    print(f"trained facts {acc['trained']['accuracy']:.1%}, held-out two-hop "
          f"{acc.get('two_hop_held_out', {}).get('accuracy', float('nan')):.1%}, "
          f"{manifest['training']['total_seconds']} s")
    return 0
