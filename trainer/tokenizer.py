"""The caption tokenizer, defined once for the trainer and the product.

The TypeScript twin (src/imagine/tokenizer.ts) must give identical ids; the
shared vectors in tests/tokenizer-vectors.json prove it on both sides.

Rules (the whole specification):
1. normalise: NFKC, lower case, NFD, drop non-spacing marks (category Mn),
   NFC. "Étoilé" and "etoile" are the same word: captions come in eleven
   languages and people type without accents.
2. split: a word is a run of letters, numbers and marks (categories L*, N*,
   M*); every Han, kana or Hangul character is a word of its own (those
   scripts do not separate words with spaces); anything else separates.
3. ids: 0 is padding, 1 starts every sequence (so an empty prompt still has
   one token: the unconditional input of classifier-free guidance), words of
   the vocabulary are 2..V+1, and any other word goes to one of B hash
   buckets, V+2..V+B+1, by 32-bit FNV-1a of its UTF-8 bytes. Sequences are
   cut at max_tokens (the start token included) and padded with 0.

Unicode: each side uses its runtime's tables (Python 3.11: Unicode 14.0; the
twin's Node: newer). The rules are defined for characters assigned in Unicode
14.0, where both sides agree; characters assigned later (and U+1171E, Mn until
Unicode 15.0) may split differently. Upgrading Python's Unicode moves the
definition with it: regenerate tests/tokenizer-vectors.json.
"""
from __future__ import annotations

import json
import unicodedata
from collections import Counter
from typing import Iterable

PAD = 0
BOS = 1
FIRST_WORD = 2


def _is_cjk(cp: int) -> bool:
    return (
        0x3040 <= cp <= 0x30FF  # hiragana, katakana
        or 0x3400 <= cp <= 0x4DBF  # CJK extension A
        or 0x4E00 <= cp <= 0x9FFF  # CJK unified
        or 0xF900 <= cp <= 0xFAFF  # CJK compatibility
        or 0xAC00 <= cp <= 0xD7AF  # Hangul syllables
    )


def normalise(text: str) -> str:
    t = unicodedata.normalize("NFKC", text).lower()
    t = "".join(c for c in unicodedata.normalize("NFD", t) if unicodedata.category(c) != "Mn")
    return unicodedata.normalize("NFC", t)


def words(text: str) -> list[str]:
    out: list[str] = []
    cur: list[str] = []
    for c in normalise(text):
        if _is_cjk(ord(c)):
            if cur:
                out.append("".join(cur))
                cur = []
            out.append(c)
        elif unicodedata.category(c)[0] in "LNM":
            cur.append(c)
        elif cur:
            out.append("".join(cur))
            cur = []
    if cur:
        out.append("".join(cur))
    return out


def fnv1a(word: str) -> int:
    h = 0x811C9DC5
    for b in word.encode("utf-8"):
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


class Tokenizer:
    def __init__(self, vocab: list[str], hash_buckets: int, max_tokens: int):
        if max_tokens < 2:
            raise ValueError("max_tokens must be at least 2")
        self.vocab = list(vocab)
        self.index = {w: i + FIRST_WORD for i, w in enumerate(self.vocab)}
        self.hash_buckets = hash_buckets
        self.max_tokens = max_tokens

    @property
    def size(self) -> int:
        """Number of distinct ids (the embedding table's rows)."""
        return FIRST_WORD + len(self.vocab) + self.hash_buckets

    def word_id(self, w: str) -> int:
        i = self.index.get(w)
        if i is not None:
            return i
        return FIRST_WORD + len(self.vocab) + fnv1a(w) % self.hash_buckets

    def encode(self, text: str) -> list[int]:
        ids = [BOS] + [self.word_id(w) for w in words(text)]
        ids = ids[: self.max_tokens]
        return ids + [PAD] * (self.max_tokens - len(ids))

    def to_json(self) -> dict:
        return {
            "format": "vitrine-tokenizer",
            "version": 1,
            "maxTokens": self.max_tokens,
            "hashBuckets": self.hash_buckets,
            "vocab": self.vocab,
        }

    @staticmethod
    def from_json(d: dict) -> "Tokenizer":
        if d.get("format") != "vitrine-tokenizer" or d.get("version") != 1:
            raise ValueError("not a vitrine-tokenizer v1 description")
        return Tokenizer(d["vocab"], int(d["hashBuckets"]), int(d["maxTokens"]))

    def save(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.to_json(), f, ensure_ascii=False)

    @staticmethod
    def load(path: str) -> "Tokenizer":
        with open(path, encoding="utf-8") as f:
            return Tokenizer.from_json(json.load(f))


def build_vocab(texts: Iterable[str], size: int, min_count: int = 2) -> list[str]:
    """The `size` most frequent words seen at least `min_count` times; ties by code point order."""
    counts: Counter[str] = Counter()
    for t in texts:
        counts.update(words(t))
    kept = [(w, n) for w, n in counts.items() if n >= min_count]
    kept.sort(key=lambda wn: (-wn[1], wn[0]))
    return [w for w, _ in kept[:size]]
