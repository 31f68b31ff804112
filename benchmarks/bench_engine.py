"""Local engine speed (spec local-engine §5.10): graph generation for 6–15 token prompts and
probe throughput. Run with ``python -m benchmarks bench_engine``. Figures only, no asserts.

Where circuit-tracer 0.5 and transformer-lens 3.2.1 are installed (the optional oracle
environment of §5.12, see ``tests/unit/engine/test_circuit_tracer_oracle.py``), the same graphs
are also timed in circuit-tracer, on the same model built without downloads."""
from __future__ import annotations

import os
import time

import numpy as np

PROMPTS = [  # 6 to 14 tokens including <bos>
    "The capital of Texas is",
    "Fact: Michael Jordan plays the sport of",
    "The capital of state containing Dallas is",
    "The capital of the state containing Dallas is",
    "Fact : the capital of the state containing Oakland is",
    'The muscle that contracts when you inhale deeply is "the',
    "entity : The state containing Dallas is Texas . The capital of Texas is",
]


def _time(fn, repeat: int) -> tuple[float, object]:
    """Best of ``repeat`` runs after a warm-up: the machine is shared, the minimum is the
    least noisy estimate of the engine's own cost."""
    result = fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main(repeat: int = 5) -> None:
    from agp_dash.engine import load_engine

    start = time.perf_counter()
    engine = load_engine()
    print(f"load (hash checks, float16 -> float32): {1000 * (time.perf_counter() - start):.0f} ms; "
          f"BLAS threads OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, cpus={os.cpu_count()}")
    print(f"best of {repeat} runs; graph = forward + attribution + influence + pruning + JSON")
    print(f"{'tokens':>6} {'features':>8} {'forward':>9} {'attribute':>10} {'graph 0.8/0.98':>15} "
          f"{'nodes':>6} {'links':>6} {'graph 1.0/1.0':>14}")
    for prompt in PROMPTS:
        enc = engine.tokenize(prompt)
        t_fwd, _ = _time(lambda: engine.predict(prompt), repeat)
        t_attr, attr = _time(lambda: engine.attribute(prompt), repeat)
        t_graph, graph = _time(lambda: engine.graph(prompt, slug="bench"), repeat)
        t_full, _ = _time(lambda: engine.graph(prompt, slug="bench", node_threshold=1.0, edge_threshold=1.0), repeat)
        print(f"{len(enc):>6} {attr.n_features:>8} {1000 * t_fwd:>7.1f}ms {1000 * t_attr:>8.1f}ms "
              f"{1000 * t_graph:>13.1f}ms {len(graph['nodes']):>6} {len(graph['links']):>6} {1000 * t_full:>12.1f}ms")

    facts = [f["prompt"] for f in engine.world["facts"]][:480]
    features = [(layer, f) for layer in range(engine.cfg.n_layers) for f in range(0, engine.n_features, 40)]
    t_probe, dump = _time(lambda: engine.probe(facts, features), max(1, repeat // 2))
    print(f"probe: {len(facts)} prompts x {len(features)} features in {t_probe:.2f} s "
          f"= {len(facts) / t_probe:.0f} prompts/s (dump of {dump['n_prompts']} results)")
    t_one, _ = _time(lambda: engine.probe([facts[0]], features), repeat)
    print(f"probe, one prompt: {1000 * t_one:.1f} ms")
    enc = engine.tokenize(PROMPTS[2])
    w64 = engine.weights(np.float64)
    from agp_dash.engine.attribution import attribute
    t64, _ = _time(lambda: attribute(w64, enc), repeat)
    print(f"attribute in float64 ({len(enc)} tokens): {1000 * t64:.1f} ms")
    _circuit_tracer_comparison(engine, repeat)


def _circuit_tracer_comparison(engine, repeat: int) -> None:
    """The same graphs (every edge into every feature and the top 5 logits, float32) in
    circuit-tracer's ``attribute`` and in ours. circuit-tracer stops at the dense adjacency, so
    ours is given as attribution alone and as the full graph (+ influence, pruning, JSON)."""
    try:  # the builder lives with the oracle test (which needs pytest importable)
        from tests.unit.engine.test_circuit_tracer_oracle import (SKIP_REASON, build_replacement_model,
                                                                edge_differences, run_circuit_tracer)
    except ImportError as exc:
        SKIP_REASON = f"cannot import the oracle test module ({exc})"
    if SKIP_REASON:
        print(f"circuit-tracer comparison skipped: {SKIP_REASON}")
        return
    import gc
    import warnings

    import torch
    warnings.filterwarnings("ignore", message="Full backward hook is firing")  # circuit-tracer's hooks; harmless
    model = build_replacement_model(engine, np.float32)
    print(f"circuit-tracer 0.5 (TransformerLens backend, CPU float32, torch threads {torch.get_num_threads()}) "
          f"vs ours; top 5 logits, best of {repeat}")
    print(f"{'tokens':>6} {'features':>8} {'circuit-tracer':>15} {'ours: attribute':>16} {'ours: graph':>12} "
          f"{'ct/graph':>9} {'max |diff|':>11}")
    for prompt in PROMPTS:
        settings = {"max_n_logits": 5, "desired_logit_prob": 1.0}
        t_ours, attr = _time(lambda: engine.attribute(prompt, keep_parts=True, **settings), repeat)
        t_graph, _ = _time(lambda: engine.graph(prompt, slug="bench", **settings), repeat)
        t_ct, graph = _time(lambda: run_circuit_tracer(model, attr.encoded.ids, attr.logit_ids), repeat)
        diffs = edge_differences(attr, graph)
        worst = max(v for k, v in diffs.items() if k != "n_edges")
        print(f"{attr.n_positions:>6} {attr.n_features:>8} {1000 * t_ct:>13.1f}ms {1000 * t_ours:>14.1f}ms "
              f"{1000 * t_graph:>10.1f}ms {t_ct / t_graph:>8.1f}x {worst:>11.1e}")
    print("(both are timed in the same process state: circuit-tracer's large frees raise glibc's dynamic mmap "
          "threshold, which alone can make our attribution ~2x faster than in the first table; "
          "MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=134217728 gives that from the start)")
    model = None
    gc.collect()  # before interpreter exit, where ReplacementModel.__del__ raises a harmless TypeError


if __name__ == "__main__":
    main()
