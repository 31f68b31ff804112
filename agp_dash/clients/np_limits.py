"""Neuronpedia's published limits (spec §1.0.3, §1.2, §1.4) and the probe-call quota planner."""
from __future__ import annotations

import math
from dataclasses import dataclass

#: Rate-limit buckets in the server's list order: (path prefix, normal/hour, higher/hour).
#: Every matching bucket is consumed; the most specific one is the last match.
RATE_BUCKETS: tuple[tuple[str, int, int], ...] = (
    ("/", 25000, 25000),
    ("/api", 25000, 25000),
    ("/api/activation/new", 1000, 3000),
    ("/api/search-topk-by-token", 500, 1200),
    ("/api/search-all", 1600, 1600),
    ("/api/graph/generate", 30, 320),
    ("/api/graph/tokenize", 300, 300),
    ("/api/graph/parse-chat-prompt", 300, 300),
    ("/api/steer", 240, 1000),
    ("/api/features/upload-batch", 1000, 1000),
)
RATE_WINDOW_S = 3600
RATE_WINDOW_TEXT = "60 m"

#: Models with graph generation enabled (GRAPH_GENERATION_ENABLED_MODELS).
GENERATION_MODELS = ("gemma-2-2b", "gemma-3-4b-it", "qwen3-4b", "qwen3-1.7b")
#: Token cap per model, <bos> included; 64 unless listed.
MODEL_TOKEN_CAPS = {"qwen3-1.7b": 10}
DEFAULT_TOKEN_CAP = 64
DEFAULT_SOURCE_SET = "clt-hp"  # C18: agp always sends the set explicitly

#: /activation/new and /activation/source take at most this many texts per call.
TEXTS_PER_CALL = 4
#: /features batch size agp uses (the server has no limit; the UI sends 2048).
FEATURES_BATCH = 1024


def bucket_for(path: str) -> tuple[str, int, int]:
    """The most specific bucket covering ``path`` (e.g. ``/api/graph/generate``)."""
    path = path.lower()
    found = RATE_BUCKETS[0]
    for bucket in RATE_BUCKETS:
        if path.startswith(bucket[0]):
            found = bucket
    return found


def token_cap(model_id: str) -> int:
    return MODEL_TOKEN_CAPS.get(model_id, DEFAULT_TOKEN_CAP)


def calls_for(n_features: int, n_prompts: int, texts_per_call: int = TEXTS_PER_CALL) -> int:
    """``F × ⌈P / texts_per_call⌉``: one call per feature and batch of texts."""
    return max(0, int(n_features)) * math.ceil(max(0, int(n_prompts)) / texts_per_call)


@dataclass(frozen=True)
class ProbePlan:
    """What probing F features on P prompts through ``/activation/new`` costs."""
    n_features: int
    n_prompts: int
    calls: int                 # F × ⌈P/4⌉
    calls_one_per_text: int    # F × P, what one call per text would cost
    hourly_limit: int
    available: int             # calls left this hour (the limit when unknown)
    share_of_limit: float      # calls / hourly_limit
    fits: bool                 # calls <= available
    hours_needed: int          # hourly windows the run spans (this one included)
    source_calls: int | None   # /activation/source alternative: sources × ⌈P/4⌉, when known

    def summary(self) -> str:
        text = (f"{self.calls} call(s) to /activation/new for {self.n_features} feature(s) × "
                f"{self.n_prompts} prompt(s) ({self.share_of_limit:.0%} of the {self.hourly_limit}/hour limit")
        text += f"; {self.available} left this hour)." if self.available != self.hourly_limit else ")."
        if not self.fits:
            text += (f" That is more than can run now: it needs about {self.hours_needed} hour(s) of quota;"
                     " cached results are kept, so an interrupted run resumes where it stopped.")
        if self.source_calls is not None and self.source_calls < self.calls:
            text += f" Through /activation/source it would take {self.source_calls} call(s) instead."
        return text


def plan_probe_calls(n_features: int, n_prompts: int, *, hourly_limit: int = 1000,
                     remaining: int | None = None, n_sources: int | None = None,
                     cached_calls: int = 0, texts_per_call: int = TEXTS_PER_CALL) -> ProbePlan:
    """Plan a probing run before starting it (the UI asks for consent when ``fits`` is False).

    ``remaining`` is the server's ``x-limit-remaining`` for the bucket when known;
    ``cached_calls`` are calls the disk cache will answer; ``n_sources`` the number of distinct
    layers, for the ``/activation/source`` alternative (one call per layer and text batch).
    """
    if n_features < 0 or n_prompts < 0 or hourly_limit <= 0:
        raise ValueError("feature and prompt counts must be non-negative and the hourly limit positive")
    calls = max(0, calls_for(n_features, n_prompts, texts_per_call) - max(0, cached_calls))
    available = hourly_limit if remaining is None else max(0, min(int(remaining), hourly_limit))
    if calls <= available:
        hours = 1 if calls else 0
    else:  # what is left now, then whole windows
        hours = 1 + math.ceil((calls - available) / hourly_limit)
    return ProbePlan(
        n_features=int(n_features), n_prompts=int(n_prompts), calls=calls,
        calls_one_per_text=int(n_features) * int(n_prompts), hourly_limit=hourly_limit,
        available=available, share_of_limit=calls / hourly_limit,
        fits=calls <= available, hours_needed=hours,
        source_calls=None if n_sources is None else calls_for(n_sources, n_prompts, texts_per_call),
    )
