"""The caption tokenizer against the shared vectors (also checked by src/imagine/tokenizer.test.ts).

Run from the repository root:
    /usr/bin/python3 -m unittest discover -s trainer/tests -p 'test_tokenizer.py'
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from tokenizer import BOS, PAD, Tokenizer, build_vocab, fnv1a, normalise, words  # noqa: E402

VECTORS = os.path.join(HERE, "tokenizer-vectors.json")


def load_vectors() -> dict:
    with open(VECTORS, encoding="utf-8") as f:
        return json.load(f)


class SharedVectors(unittest.TestCase):
    def setUp(self) -> None:
        self.data = load_vectors()
        self.tok = Tokenizer.from_json(self.data["tokenizer"])

    def test_tokenizer_description(self) -> None:
        d = self.data["tokenizer"]
        self.assertEqual(d["format"], "vitrine-tokenizer")
        self.assertEqual(d["version"], 1)
        self.assertEqual(self.tok.to_json(), d)
        self.assertIn("imagine", d["vocab"])

    def test_every_case(self) -> None:
        self.assertGreater(len(self.data["cases"]), 20)
        for case in self.data["cases"]:
            with self.subTest(case=case.get("name", case["text"])):
                self.assertEqual(words(case["text"]), case["words"])
                self.assertEqual(self.tok.encode(case["text"]), case["ids"])

    def test_vectors_are_current(self) -> None:
        """The committed file is what make_tokenizer_vectors.py writes today."""
        import make_tokenizer_vectors as mk

        vocab = build_vocab(mk.SENTENCES, mk.VOCAB_SIZE)
        self.assertEqual(self.data["tokenizer"]["vocab"], vocab)
        self.assertEqual([c["text"] for c in self.data["cases"]], [t for _, t in mk.CASES])


class Properties(unittest.TestCase):
    def setUp(self) -> None:
        self.tok = Tokenizer(["imagine", "apple", "red"], hash_buckets=7, max_tokens=5)

    def test_bos_first_and_padding(self) -> None:
        self.assertEqual(self.tok.encode(""), [BOS, PAD, PAD, PAD, PAD])
        self.assertEqual(self.tok.encode("?!"), [BOS, PAD, PAD, PAD, PAD])
        self.assertEqual(self.tok.encode("imagine apple"), [BOS, 2, 3, PAD, PAD])

    def test_truncation_at_max_tokens(self) -> None:
        ids = self.tok.encode("red red red red red red red")
        self.assertEqual(ids, [BOS, 4, 4, 4, 4])
        self.assertEqual(len(ids), self.tok.max_tokens)

    def test_accents_and_case_stripped(self) -> None:
        self.assertEqual(normalise("Étoilé"), "etoile")
        self.assertEqual(words("ÉTOILÉ étoile"), ["etoile", "etoile"])
        self.assertEqual(self.tok.encode("ÍMÁGÍNÉ"), self.tok.encode("imagine"))

    def test_unknown_word_goes_to_a_bucket(self) -> None:
        first_bucket = 2 + len(self.tok.vocab)
        for w in ["zebra", "blorp", "猫", "яблоко", "x"]:
            i = self.tok.word_id(w)
            self.assertGreaterEqual(i, first_bucket)
            self.assertLess(i, self.tok.size)
            self.assertEqual(i, first_bucket + fnv1a(w) % 7)
        self.assertEqual(self.tok.size, 2 + 3 + 7)

    def test_fnv1a_reference_values(self) -> None:
        # Published FNV-1a 32-bit values.
        self.assertEqual(fnv1a(""), 0x811C9DC5)
        self.assertEqual(fnv1a("a"), 0xE40C292C)
        self.assertEqual(fnv1a("foobar"), 0xBF9CF968)

    def test_cjk_characters_are_words(self) -> None:
        self.assertEqual(words("赤いcat"), ["赤", "い", "cat"])
        self.assertEqual(words("사과"), ["사", "과"])

    def test_save_and_load(self) -> None:
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "tokenizer.json")
            self.tok.save(p)
            back = Tokenizer.load(p)
        self.assertEqual(back.to_json(), self.tok.to_json())

    def test_from_json_rejects_other_formats(self) -> None:
        with self.assertRaises(ValueError):
            Tokenizer.from_json({"format": "other", "version": 1, "maxTokens": 4, "hashBuckets": 3, "vocab": []})
        with self.assertRaises(ValueError):
            Tokenizer.from_json({"format": "vitrine-tokenizer", "version": 2, "maxTokens": 4, "hashBuckets": 3, "vocab": []})


if __name__ == "__main__":
    unittest.main()
