"""Graph stage speed and memory: load + metrics + selection.

    python -m benchmarks.bench_graph            # all cases
    python benchmarks/bench_graph.py --quick    # skip the ~100 MB graph

Cases: the real Neuronpedia UI download (Dallas, 415 nodes / 4944 links) when
``../shared/fixtures`` is present, a synthetic graph the size of the largest real graphs seen
(~800 nodes / ~32k links), and a synthetic ~100 MB graph (64 tokens × 10000 features, the
Neuronpedia worst case) written to a temporary folder. Each case runs in a fresh process so
its peak RSS is its own. Targets: the 100 MB graph under 10 s and 2 GB on 2 cores.
"""
from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
UI_DOWNLOAD = REPO.parent / "shared" / "fixtures" / "real" / "neuronpedia" / "ui_download_fact_dallas_with_labels.json"


def _peak_rss_mb() -> float:
    """Peak RSS of this process image. VmHWM resets at exec; ru_maxrss would also count the
    parent's memory at fork time, so it is only the fallback."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def measure(path: str, repeats: int) -> dict:
    """Time each step on one graph file (median over ``repeats``) in this process."""
    from agp_dash.graphs import compute_metrics, load_graph, select_nodes
    baseline = _peak_rss_mb()
    times: dict[str, list[float]] = {"load": [], "metrics": [], "metrics_seed": [], "select": []}
    for _ in range(repeats):
        start = time.perf_counter()
        graph = load_graph(path)
        times["load"].append(time.perf_counter() - start)
        start = time.perf_counter()
        compute_metrics(graph)  # includes influence, graph scores
        times["metrics"].append(time.perf_counter() - start)
        start = time.perf_counter()
        compute_metrics(graph, mode="seed-v2")
        times["metrics_seed"].append(time.perf_counter() - start)
        start = time.perf_counter()
        selection = select_nodes(graph, max_cumulative=0.8, top_n=500)
        selection.to_selected_features()
        times["select"].append(time.perf_counter() - start)
    result = {step: statistics.median(values) for step, values in times.items()}
    result.update(nodes=graph.n_nodes, links=graph.n_links, mb=os.path.getsize(path) / 1e6,
                  total=sum(result.values()), peak_rss_mb=_peak_rss_mb(), import_rss_mb=baseline)
    return result


def _run_case(path: Path, repeats: int) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="2", OPENBLAS_NUM_THREADS="2", MKL_NUM_THREADS="2")
    out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--measure", str(path),
                          "--repeats", str(repeats)], capture_output=True, text=True, env=env, cwd=REPO,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    argv = list(argv or [])
    if "--measure" in argv:
        repeats = int(argv[argv.index("--repeats") + 1]) if "--repeats" in argv else 1
        print(json.dumps(measure(argv[argv.index("--measure") + 1], repeats)))
        return 0
    from agp_dash.graphs import write_synthetic_graph
    rows = []
    with tempfile.TemporaryDirectory(prefix="agp-bench-") as tmp:
        cases: list[tuple[str, Path, int]] = []
        if UI_DOWNLOAD.exists():
            cases.append(("dallas UI download (real)", UI_DOWNLOAD, 5))
        else:
            print(f"(real fixture not found: {UI_DOWNLOAD}; skipped)")
        start = time.perf_counter()
        featured = write_synthetic_graph(Path(tmp) / "featured.json", n_tokens=11, n_features=700,
                                         in_degree=49, slug="synthetic-featured")
        cases.append(("synthetic ~32k links", featured, 5))
        if "--quick" not in argv:
            big = write_synthetic_graph(Path(tmp) / "big.json")
            cases.append(("synthetic ~100 MB", big, 1))
        print(f"(synthetic graphs written in {time.perf_counter() - start:.1f} s)", flush=True)
        for name, path, repeats in cases:
            rows.append((name, _run_case(path, repeats)))
    header = f"{'case':28} {'MB':>6} {'nodes':>6} {'links':>8} {'load s':>7} {'metr s':>7} " \
             f"{'seed s':>7} {'sel s':>6} {'total s':>7} {'peak RSS MB':>11}"
    print(header)
    print("-" * len(header))
    for name, r in rows:
        print(f"{name:28} {r['mb']:6.1f} {r['nodes']:6d} {r['links']:8d} {r['load']:7.3f} {r['metrics']:7.3f} "
              f"{r['metrics_seed']:7.3f} {r['select']:6.3f} {r['total']:7.3f} {r['peak_rss_mb']:11.0f}")
    print(f"(peak RSS includes ~{rows[-1][1]['import_rss_mb']:.0f} MB for Python + numpy/scipy/pandas imports; "
          "timings are medians; metrics = agp-default incl. influence and scores)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
