"""Local engine speed (spec local-engine §5.10): graph generation for 6–14 token prompts and
probe throughput. Run with ``python -m benchmarks bench_engine``. Figures only, no asserts."""
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


if __name__ == "__main__":
    main()
