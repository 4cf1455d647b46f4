"""transfer.py shrink: a snapshot made small enough to travel trains on what the full one gives."""
from __future__ import annotations

import os
import sys
import tarfile
import tempfile
import unittest

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))

import data  # noqa: E402
import transfer  # noqa: E402
from fixtures import make_snapshot  # noqa: E402


class ShrinkTest(unittest.TestCase):
    def test_the_shrunk_snapshot_gives_the_same_items_captions_and_pixels_within_half_a_level(self):
        with tempfile.TemporaryDirectory() as tmp:
            snap = make_snapshot(os.path.join(tmp, "snap"), items=30, shard_size=12)
            out = os.path.join(tmp, "small.tgz")
            self.assertEqual(transfer.shrink(snap, out, 32), 30)
            small = os.path.join(tmp, "small")
            with tarfile.open(out) as t:
                t.extractall(small)
            with open(os.path.join(snap, "datasheet.json"), "rb") as a, open(os.path.join(small, "datasheet.json"), "rb") as b:
                self.assertEqual(a.read(), b.read())
            full = data.Corpus(data.shard_paths(snap), 32)
            shrunk = data.Corpus(data.shard_paths(small), 32)
            self.assertEqual(full.keys, shrunk.keys)
            self.assertEqual(full.captions, shrunk.captions)
            # Pixels in [-1, 1]: half a level of 255 is 0.5 / 127.5.
            diff = np.abs(full.images - shrunk.images).max()
            self.assertLessEqual(diff, 0.5 / 127.5 + 1e-6)
            self.assertGreater(np.abs(full.images).max(), 0.5)  # real pictures, not blank ones

    def test_a_size_that_does_not_divide_the_images_is_refused_and_nothing_is_left(self):
        with tempfile.TemporaryDirectory() as tmp:
            snap = make_snapshot(os.path.join(tmp, "snap"), items=4, shard_size=4)
            out = os.path.join(tmp, "small.tgz")
            with self.assertRaisesRegex(data.SnapshotError, "not a multiple of 24"):
                transfer.shrink(snap, out, 24)
            self.assertEqual(sorted(os.listdir(tmp)), ["snap"])


if __name__ == "__main__":
    unittest.main()
