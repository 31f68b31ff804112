"""The fake's rate limiter: Neuronpedia's middleware rules (spec §1.0.3, F-04).

Sliding window per bucket (one client IP: everything is 127.0.0.1). Every bucket whose prefix
matches the lower-cased path is consumed in list order; the first exhausted one answers 429.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Bucket:
    prefix: str
    normal: int
    higher: int


DEFAULT_BUCKETS = (
    Bucket("/", 25000, 25000), Bucket("/api", 25000, 25000), Bucket("/api/activation/new", 1000, 3000),
    Bucket("/api/search-topk-by-token", 500, 1200), Bucket("/api/search-all", 1600, 1600),
    Bucket("/api/graph/generate", 30, 320), Bucket("/api/graph/tokenize", 300, 300),
    Bucket("/api/graph/parse-chat-prompt", 300, 300), Bucket("/api/steer", 240, 1000),
    Bucket("/api/features/upload-batch", 1000, 1000),
)
CONTACT = "johnny@neuronpedia.org"


class RateLimiter:
    def __init__(self, buckets=DEFAULT_BUCKETS, window_s: float = 3600.0, clock: Callable[[], float] = time.time):
        self.buckets = tuple(buckets)
        self.window_s = window_s
        self.clock = clock
        self._hits: dict[str, deque] = {b.prefix: deque() for b in self.buckets}
        self._lock = threading.Lock()

    @property
    def window_text(self) -> str:
        return f"{int(self.window_s // 60)} m"

    def matching(self, path: str) -> list[Bucket]:
        return [b for b in self.buckets if path.lower().startswith(b.prefix)]

    def _used(self, prefix: str, now: float) -> deque:
        hits = self._hits[prefix]
        while hits and hits[0] <= now - self.window_s:
            hits.popleft()
        return hits

    def consume(self, path: str, higher: bool) -> tuple[Bucket | None, int | None]:
        """(exhausted bucket, None) on refusal; (None, remaining of the last bucket) otherwise."""
        now = self.clock()
        with self._lock:
            matching = self.matching(path)
            remaining = None
            for bucket in matching:
                limit = bucket.higher if higher else bucket.normal
                hits = self._used(bucket.prefix, now)
                if len(hits) >= limit:
                    return bucket, None
                hits.append(now)
                remaining = limit - len(hits)
            return None, remaining

    def set_remaining(self, prefix: str, remaining: int, higher: bool = False) -> None:
        """Test hook: make ``prefix`` have exactly ``remaining`` requests left this window."""
        bucket = next(b for b in self.buckets if b.prefix == prefix)
        limit = bucket.higher if higher else bucket.normal
        now = self.clock()
        with self._lock:
            self._hits[prefix] = deque([now] * max(0, limit - remaining))

    def body_429(self, bucket: Bucket, higher: bool) -> dict:
        limit = bucket.higher if higher else bucket.normal
        return {"endpoint": bucket.prefix, "limitPerWindow": limit, "requestWindow": self.window_text,
                "remainingRequests": 0,
                "error": (f"Rate limit exceeded for this endpoint. The limit for this endpoint ({bucket.prefix}) is "
                          f"{limit} requests per {self.window_text}. Contact {CONTACT} to increase your rate limit.")}

    def reset(self) -> None:
        with self._lock:
            for hits in self._hits.values():
                hits.clear()
