"""The judge end to end on a tiny synthetic snapshot (coloured shapes), in seconds.

    /usr/bin/python3 -m unittest discover -s trainer/tests -p 'test_judge.py'
"""
from __future__ import annotations

import io
import json
import os
import sys
import tempfile
import unittest
from contextlib import redirect_stdout

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import judge  # noqa: E402
import judge_labels  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixtures import write_snapshot_files  # noqa: E402

# unified-like code -> (colour, shape, subcategory)
SHAPES = {
    "1F7E5": ((220, 30, 30), "square", "geometric"),
    "1F535": ((30, 60, 220), "disc", "geometric"),
    "1F49A": ((30, 180, 60), "cross", "heart"),
    "1F7E8": ((240, 220, 20), "triangle", "geometric"),
}


def draw(rng: np.random.Generator, codes: list[str]) -> np.ndarray:
    """A 64x64 picture: a plain background and each shape at a random place."""
    bg = rng.integers(0, 256, 3)
    img = np.empty((64, 64, 3), np.uint8)
    img[:] = bg
    yy, xx = np.mgrid[0:64, 0:64]
    for code in codes:
        colour, shape, _ = SHAPES[code]
        r = int(rng.integers(8, 13))
        cy, cx = (int(v) for v in rng.integers(r + 1, 64 - r - 1, 2))
        dy, dx = yy - cy, xx - cx
        if shape == "square":
            m = (abs(dy) <= r) & (abs(dx) <= r)
        elif shape == "disc":
            m = dy * dy + dx * dx <= r * r
        elif shape == "cross":
            m = ((abs(dy) <= r // 3) & (abs(dx) <= r)) | ((abs(dx) <= r // 3) & (abs(dy) <= r))
        else:
            m = (dy >= -r) & (dy <= r) & (abs(dx) <= (dy + r) / 2)
        img[m] = colour
    return img


def write_snapshot(root: str, per_class: int = 10, seed: int = 0) -> tuple[str, list[dict], list[dict]]:
    """A one-shard snapshot; returns (dir, truth rows, expected label lines)."""
    rng = np.random.default_rng(seed)
    snap = os.path.join(root, "snap-test0001")
    codes = list(SHAPES)
    items = [[c] for c in codes for _ in range(per_class)] + [[codes[0], codes[1]], [codes[2], codes[3]]] * 2
    truth, expected, samples = [], [], []
    for n, labels in enumerate(items):
        key = f"{n:024x}"
        post = f"p{n:07d}"
        samples.append((key, {"key": key, "postId": post, "captions": []}, draw(rng, labels)))
        truth.append({"postId": post, "artwork": {"set": "google", "unified": labels}})
        expected.append({"key": key, "labels": labels, "subcategory": SHAPES[labels[0]][2]})
    write_snapshot_files(snap, "snap-test0001", samples)
    return snap, truth, expected


class JudgeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        torch.set_num_threads(1)
        cls.tmp = tempfile.TemporaryDirectory()
        cls.snap, cls.truth, cls.expected = write_snapshot(cls.tmp.name)
        cls.truth_path = os.path.join(cls.tmp.name, "truth.jsonl")
        with open(cls.truth_path, "w") as f:
            for row in cls.truth + [{"postId": "p9999999", "artwork": {"set": "google", "unified": ["1F600"]}}]:
                f.write(json.dumps(row) + "\n")
        cls.cat_path = os.path.join(cls.tmp.name, "cat.json")
        with open(cls.cat_path, "w") as f:
            json.dump([{"unified": c, "subcategory": s[2], "shortName": c} for c, s in SHAPES.items()], f)
        cls.labels_path = os.path.join(cls.tmp.name, "labels.jsonl")

    @classmethod
    def tearDownClass(cls) -> None:
        cls.tmp.cleanup()

    def test_1_labels_join_truth_and_catalogue(self) -> None:
        lines, missing = judge_labels.build_labels(
            self.snap, judge_labels.load_truth(self.truth_path), judge_labels.load_catalogue(self.cat_path)
        )
        self.assertEqual(missing, 0)
        self.assertEqual(lines, self.expected)
        # The object form of the catalogue gives the same; no catalogue, no subcategory.
        as_map = {c: s[2] for c, s in SHAPES.items()}
        self.assertEqual(judge_labels.load_catalogue(self.cat_path), as_map)
        bare, _ = judge_labels.build_labels(self.snap, judge_labels.load_truth(self.truth_path), {})
        self.assertNotIn("subcategory", bare[0])
        with redirect_stdout(io.StringIO()):
            sys.argv = ["judge_labels.py", "--snapshot", self.snap, "--truth", self.truth_path, "--catalogue", self.cat_path, "--out", self.labels_path]
            judge_labels.main()
        with open(self.labels_path) as f:
            self.assertEqual([json.loads(l) for l in f], self.expected)

    def test_2_train_and_export(self) -> None:
        if not os.path.exists(self.labels_path):
            self.test_1_labels_join_truth_and_catalogue()
        out = os.path.join(self.tmp.name, "judge")
        buf = io.StringIO()
        with redirect_stdout(buf):
            meta = judge.main([
                "--snapshot", self.snap, "--labels", self.labels_path, "--out", out, "--epochs", "2",
                "--threads", "1", "--batch-size", "8", "--widths", "8,16", "--feature-dim", "16", "--seed", "0",
            ])
        events = [json.loads(l) for l in buf.getvalue().splitlines() if l.startswith("{")]
        progress = [e for e in events if e["event"] == "progress"]
        self.assertEqual([e["epoch"] for e in progress], [1, 2])
        self.assertTrue(all(np.isfinite(e["loss"]) for e in progress))
        self.assertEqual(events[-1]["event"], "done")

        onnx_path = os.path.join(out, "judge.onnx")
        self.assertTrue(os.path.exists(onnx_path))
        self.assertGreater(os.path.getsize(onnx_path), 1000)
        self.assertLess(os.path.getsize(onnx_path), 5 * 1024 * 1024)
        with open(os.path.join(out, "judge.json")) as f:
            saved = json.load(f)
        self.assertEqual(saved, meta)
        self.assertEqual(saved["format"], "vitrine-judge")
        self.assertEqual(saved["version"], 1)
        self.assertEqual(saved["imageSize"], 32)
        self.assertEqual(saved["classes"], sorted(SHAPES))
        self.assertEqual(saved["subcategories"], ["geometric", "heart"])
        self.assertEqual(saved["featureDim"], 16)
        self.assertEqual(saved["trainedOn"], "snap-test0001")
        self.assertEqual(saved["epochs"], 2)
        self.assertGreater(saved["params"], 0)
        self.assertGreater(saved["seconds"], 0)
        held = saved["heldOut"]
        self.assertEqual(held["items"], round(0.1 * len(self.expected)))
        for k in ("top1", "top5"):
            self.assertGreaterEqual(held[k], 0.0)
            self.assertLessEqual(held[k], 1.0)
        self.assertEqual(held["top5"], 1.0)  # 4 classes: every label is in the top 5

    def test_3_model_outputs(self) -> None:
        model = judge.Judge(classes=7, subcategories=3, widths=(8, 16), feature_dim=16).eval()
        exported = judge.Exported(model).eval()
        x = torch.rand(5, 3, 32, 32) * 2 - 1
        with torch.no_grad():
            logits, feats = exported(x)
            logits1, _ = exported(x[:1])
        self.assertEqual(tuple(logits.shape), (5, 7))
        self.assertEqual(tuple(feats.shape), (5, 16))
        self.assertTrue(torch.allclose(logits[:1], logits1, atol=1e-5))  # eval mode: no batch dependence

    def test_4_augment_and_masks(self) -> None:
        rng = np.random.default_rng(1)
        imgs = np.stack([draw(rng, ["1F535"]) for _ in range(6)])
        from data import box_resize

        small = box_resize(imgs, 32)
        x = torch.from_numpy(np.ascontiguousarray(small.transpose(0, 3, 1, 2)) / 127.5 - 1).float()
        masks = judge.background_masks(x)
        self.assertEqual(tuple(masks.shape), (6, 1, 32, 32))
        # The border is background; a disc is not (the disc colour differs from most backgrounds).
        self.assertGreater(float(masks[:, 0, 0, :].mean()), 0.9)
        disc = torch.from_numpy(np.all(np.abs(small - np.array(SHAPES["1F535"][0], np.float32)) < 1, axis=3))
        self.assertLess(float(masks[:, 0][disc].mean()), 0.5)
        # The exported model's input stage: the cut-out and its mask.
        cut = judge.Foreground(32)(x)
        self.assertEqual(tuple(cut.shape), (6, 4, 32, 32))
        self.assertTrue(torch.allclose(cut[:, 3:], 1 - masks, atol=1e-6))
        # A plain gradient with no emoji is all background, even with a shape touching the border refitted away.
        ramp = torch.linspace(-0.8, 0.6, 32)
        plain = torch.stack([ramp[None, :].expand(32, 32), ramp[:, None].expand(32, 32), torch.full((32, 32), 0.2)])[None]
        self.assertLess(float(judge.Foreground(32).mask(plain).max()), 0.01)
        edge = plain.clone()
        edge[:, :, 0:8, 10:18] = torch.tensor([1.0, -1.0, -1.0])[:, None, None]
        m = judge.Foreground(32).mask(edge)[0, 0]
        self.assertGreater(float(m[0:8, 10:18].mean()), 0.9)
        self.assertLess(float(m[16:, :].max()), 0.01)
        g = torch.Generator().manual_seed(0)
        y = judge.augment(x, masks, g)
        self.assertEqual(y.shape, x.shape)
        self.assertGreaterEqual(float(y.min()), -1.0)
        self.assertLessEqual(float(y.max()), 1.0)
        self.assertFalse(torch.equal(x, y))


if __name__ == "__main__":
    unittest.main()
