"""Graph slugs that Neuronpedia accepts (``^[a-z0-9_-]+$``; agp-default rule C18)."""
from __future__ import annotations

import datetime as _dt
import re

from agp_dash.errors import InputError

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{1,99}$")
_MAX_STEM = 40


def make_slug(prompt: str, *, prefix: str = "", now: _dt.datetime | None = None) -> str:
    """Lower-case prompt words, every other character → ``-``, dashes collapsed, at most 40
    characters (cut at a word boundary), then ``-YYYYmmdd-HHMMSS`` (local time). A leading ``<bos>`` is dropped."""
    text = re.sub(r"^\s*<bos>", "", prompt or "")
    stem = re.sub(r"[^a-z0-9_-]", "-", f"{prefix} {text}".strip().lower())
    stem = re.sub(r"-{2,}", "-", stem).strip("-_")
    if len(stem) > _MAX_STEM:  # cut at a word boundary when one is available
        head = stem[:_MAX_STEM + 1]
        stem = head[:-1] if head.endswith("-") else (head[:-1].rsplit("-", 1)[0] if "-" in head else head[:-1])
    stem = stem.strip("-_") or "graph"
    stamp = (now or _dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    return f"{stem}-{stamp}"


def validate_slug(slug: str) -> str:
    """Return ``slug`` if Neuronpedia would accept it as an agp slug, else raise InputError."""
    if not isinstance(slug, str) or not SLUG_PATTERN.match(slug):
        raise InputError(f"The slug {slug!r} is not valid: use 2–100 lower-case letters, digits, '-' or '_', "
                         "starting with a letter or digit.")
    return slug
