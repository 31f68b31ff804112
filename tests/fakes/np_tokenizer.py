"""The fake server's tokenizer (spec F-11): ``<bos>`` + a deterministic regex split.

Tokens are words with their leading space (``" Dallas"``), single punctuation characters with
their leading space, and any other whitespace character on its own. A text that already starts
with the literal ``<bos>`` does not get a second one. This reproduces gemma's tokens for the
plain-English prompts of the real fixtures (e.g. ``"entity: A city in Texas, USA is Dallas"``).
"""
from __future__ import annotations

import re
import zlib

BOS = "<bos>"
BOS_ID = 2
VOCAB_SIZE = 256_000
_TOKEN = re.compile(r" ?[^\W_]+| ?\S|\s")


def tokenize(text: str) -> list[str]:
    rest = text[len(BOS):] if text.startswith(BOS) else text
    return [BOS] + _TOKEN.findall(rest)


def token_id(token: str) -> int:
    """A stable fake vocabulary id (``<bos>`` is 2, as in gemma)."""
    return BOS_ID if token == BOS else 3 + zlib.crc32(token.encode("utf-8")) % (VOCAB_SIZE - 3)
