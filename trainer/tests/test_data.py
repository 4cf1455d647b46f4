"""The caption table: a batch's captions drawn with tensor operations, as train.py does on a GPU."""
from __future__ import annotations

import os
import sys
import unittest

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from data import CaptionTable  # noqa: E402
from tokenizer import BOS, PAD, Tokenizer  # noqa: E402

TOK = Tokenizer(["a", "red", "cat", "blue", "dog", "hat"], hash_buckets=8, max_tokens=8)
CAPTIONS = [["a red cat"], ["blue dog", "a dog with a blue hat and more words than fit"], []]


def draw(n: int, seed: int, dropout: float, word_drop: float, items: list[int]) -> torch.Tensor:
    table = CaptionTable(CAPTIONS, TOK.encode, torch.device("cpu"))
    g = torch.Generator().manual_seed(seed)
    return table.draw(torch.tensor(items * n), g, dropout, word_drop)


def words(row: torch.Tensor) -> list[int]:
    return [int(v) for v in row if v > BOS]


def subsequence(sub: list[int], of: list[int]) -> bool:
    it = iter(of)
    return all(any(x == y for y in it) for x in sub)


class CaptionTableTest(unittest.TestCase):
    def test_without_augmentation_each_item_gets_one_of_its_own_captions(self) -> None:
        ids = draw(200, 1, 0.0, 0.0, [0, 1, 2])
        own = [{tuple(TOK.encode(c)) for c in caps} or {tuple(TOK.encode(""))} for caps in CAPTIONS]
        seen = [set() for _ in CAPTIONS]
        for i, row in enumerate(ids):
            t = tuple(int(v) for v in row)
            self.assertIn(t, own[i % 3])
            seen[i % 3].add(t)
        self.assertEqual(seen[1], own[1], "both captions of item 1 are drawn")

    def test_dropout_gives_the_empty_caption_at_its_rate(self) -> None:
        ids = draw(2000, 2, 0.25, 0.0, [0])
        empty = (ids == torch.tensor(TOK.encode(""))).all(1).float().mean().item()
        self.assertAlmostEqual(empty, 0.25, delta=0.03)

    def test_word_drop_keeps_order_and_at_least_one_word_and_packs_the_padding(self) -> None:
        short, full = (words(torch.tensor(TOK.encode(c))) for c in CAPTIONS[1])
        ids = draw(3000, 3, 0.0, 0.5, [1])
        changed = 0
        for row in ids:
            self.assertEqual(int(row[0]), BOS)
            w = words(row)
            self.assertGreaterEqual(len(w), 1)
            n = 1 + len(w)
            self.assertTrue(all(int(v) == PAD for v in row[n:]), "padding only after the words")
            sources = [s for s in (short, full) if subsequence(w, s)]
            self.assertTrue(sources, f"{w}: not a subsequence of either caption, in order")
            changed += w not in (short, full)
        # Half the captions are augmented, and an augmented one keeps every word with p 0.5^n.
        self.assertGreater(changed / len(ids), 0.3)
        self.assertLess(changed / len(ids), 0.5)

    def test_the_same_generator_state_gives_the_same_batch(self) -> None:
        self.assertTrue(torch.equal(draw(50, 7, 0.1, 0.3, [0, 1, 2]), draw(50, 7, 0.1, 0.3, [0, 1, 2])))
        self.assertFalse(torch.equal(draw(50, 7, 0.1, 0.3, [0, 1, 2]), draw(50, 8, 0.1, 0.3, [0, 1, 2])))


if __name__ == "__main__":
    unittest.main()
