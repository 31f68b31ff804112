"""Word-level tokenizer of the local model (spec local-engine §2.5, §2.7.7).

Text is normalised the same way at training and at run time: punctuation ``: , . ; ? ! "``
is split off words, and known multi-word names are joined by longest match
(``Salt Lake City`` -> ``Salt_Lake_City``). Case is significant. An unknown word is never
mapped to ``<unk>``: it is an :class:`UnknownWordsError` listing every such word.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from agp_dash.errors import InputError

PAD, BOS, UNK = "<pad>", "<bos>", "<unk>"
SPECIAL_TOKENS = (PAD, BOS, UNK)
PUNCTUATION = ':,.;?!"'
_WORD_RE = re.compile(r'[:,.;?!"]|[^\s:,.;?!"]+')


class UnknownWordsError(InputError):
    """Some words of a prompt are not in the model's vocabulary.

    ``unknown`` lists ``(word, position, suggestions)``; position is the token index with
    ``<bos>`` at 0, the same as a graph node's ``ctx_idx``.
    """

    def __init__(self, unknown: list[tuple[str, int, list[str]]], where: str = ""):
        self.unknown = unknown
        parts = []
        for word, position, suggestions in unknown:
            hint = f" (did you mean {' or '.join(repr(s) for s in suggestions)}?)" if suggestions else ""
            parts.append(f"{word!r} at position {position}{hint}")
        noun = "word" if len(unknown) == 1 else "words"
        lead = f"{where}: the" if where else "The"
        super().__init__(f"{lead} local model does not know the {noun} {', '.join(parts)}; "
                         "it reads only its demo world's vocabulary, case-sensitive.")


class PromptTooLongError(InputError):
    def __init__(self, n_tokens: int, limit: int, where: str = ""):
        self.n_tokens, self.limit = n_tokens, limit
        lead = f"{where}: the" if where else "The"
        super().__init__(f"{lead} prompt has {n_tokens} tokens including <bos>, "
                         f"but the local model reads at most {limit}.")


@dataclass(frozen=True)
class Encoded:
    """A tokenized prompt: ``ids`` and ``words`` start with ``<bos>``."""
    ids: tuple[int, ...]
    words: tuple[str, ...]

    @property
    def display_tokens(self) -> list[str]:
        """Neuronpedia-style token strings: a leading space on every word after the first."""
        return [BOS] + [w if i == 0 else " " + w for i, w in enumerate(self.words[1:])]

    @property
    def text(self) -> str:
        """The normalised prompt, words joined by single spaces (no ``<bos>``)."""
        return " ".join(self.words[1:])

    def __len__(self) -> int:
        return len(self.ids)


def split_words(text: str) -> list[str]:
    """Whitespace split with punctuation split off (``entity:`` -> ``entity``, ``:``)."""
    return _WORD_RE.findall(text)


class Tokenizer:
    """Vocabulary lookup plus the shared text normalisation."""

    def __init__(self, vocab: list[str], n_ctx: int):
        if list(vocab[:3]) != list(SPECIAL_TOKENS):
            raise InputError("The vocabulary must start with <pad>, <bos>, <unk>.")
        self.vocab = list(vocab)
        self.n_ctx = int(n_ctx)
        self.index = {word: i for i, word in enumerate(self.vocab)}
        self.pad_id, self.bos_id, self.unk_id = 0, 1, 2
        # multi-word names: tuple of parts -> joined vocabulary entry
        self._joins = {tuple(w.split("_")): w for w in self.vocab[3:] if "_" in w}
        self._max_join = max((len(k) for k in self._joins), default=1)
        self._lower = {}
        for word in self.vocab[3:]:
            self._lower.setdefault(word.lower(), word)
        self._words = [w for w in self.vocab[3:]]

    def __len__(self) -> int:
        return len(self.vocab)

    def normalize(self, text: str) -> list[str]:
        """Split punctuation off, then join known multi-word names by longest match."""
        words = split_words(text)
        out: list[str] = []
        i = 0
        while i < len(words):
            for n in range(min(self._max_join, len(words) - i), 1, -1):
                joined = self._joins.get(tuple(words[i:i + n]))
                if joined is not None:
                    out.append(joined)
                    i += n
                    break
            else:
                out.append(words[i])
                i += 1
        return out

    def suggestions(self, word: str, n: int = 3) -> list[str]:
        """Close vocabulary words: a case-insensitive match first, then difflib's nearest."""
        found = []
        exact = self._lower.get(word.lower())
        if exact is not None and exact != word:
            found.append(exact)
        for match in difflib.get_close_matches(word, self._words, n=n, cutoff=0.6):
            if match not in found:
                found.append(match)
        return found[:n]

    def encode(self, text: str) -> Encoded:
        """``<bos>`` + the normalised words, or a specific :class:`InputError`."""
        if not isinstance(text, str):
            raise InputError(f"A prompt must be text, not {type(text).__name__}.")
        if text.startswith(BOS):  # Neuronpedia prompts carry a literal "<bos>"; drop it
            text = text[len(BOS):]
        words = self.normalize(text)
        if not words:
            raise InputError("The prompt is empty; type a few words the local model knows.")
        unknown = [(w, i + 1, self.suggestions(w)) for i, w in enumerate(words)
                   if w not in self.index or self.index[w] < 3]
        if unknown:
            raise UnknownWordsError(unknown)
        if len(words) + 1 > self.n_ctx:
            raise PromptTooLongError(len(words) + 1, self.n_ctx)
        ids = (self.bos_id, *(self.index[w] for w in words))
        return Encoded(ids=ids, words=(BOS, *words))

    def decode(self, ids) -> list[str]:
        return [self.vocab[int(i)] for i in ids]
