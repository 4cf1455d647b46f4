"""The int8 denoiser (quantize.py): what it quantizes, that PyTorch's emulation stays near fp32,
and that the card's recorded ranges rebuild the same file. ONNX Runtime's side is
test/model.test.ts (parity of denoiser-int8.onnx with this emulation)."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import unittest

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
TRAINER = os.path.dirname(HERE)
sys.path.insert(0, TRAINER)
sys.path.insert(0, HERE)

import test_train  # noqa: E402
from fixtures import make_snapshot  # noqa: E402

PY = sys.executable


class QuantizeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        from export import export

        torch.set_num_threads(1)
        cls.tmp = tempfile.TemporaryDirectory()
        t = cls.tmp.name
        snap = make_snapshot(os.path.join(t, "snap"))
        run = os.path.join(t, "run")
        test_train.train(snap, run, "--set", "steps=30", "--set", "lr=0.003", "--set", "sample_every=30",
                         "--set", "checkpoint_every=30")
        cls.model = os.path.join(t, "model")
        export(run, cls.model, {})  # fp32 only: the command line below adds the int8 denoiser
        r = subprocess.run([PY, os.path.join(TRAINER, "quantize.py"), "--model", cls.model, "--threads", "1"],
                           capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            raise AssertionError(f"quantize.py exited {r.returncode}:\n{r.stderr[-3000:]}")
        cls.events = [json.loads(x) for x in r.stdout.splitlines() if x.startswith("{")]
        with open(os.path.join(cls.model, "model.json"), encoding="utf-8") as f:
            cls.card = json.load(f)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.tmp.cleanup()

    def test_the_card_names_the_file_its_digest_and_every_quantized_convolution(self) -> None:
        e = self.card["int8"]
        with open(os.path.join(self.model, e["denoiser"]), "rb") as f:
            self.assertEqual(hashlib.sha256(f.read()).hexdigest(), e["sha256"])
        from export import load_exported

        m, _, _ = load_exported(self.model)
        convs = [n for n, x in m.unet.named_modules() if isinstance(x, nn.Conv2d)]
        self.assertEqual(e["convolutions"], {"int8": len(convs) - 2, "fp32": 2})
        self.assertEqual(sorted(e["ranges"]), sorted(n for n in convs if n not in ("stem", "out")))
        for name, (xlo, xhi, ylo, yhi) in e["ranges"].items():
            self.assertLessEqual(xlo, xhi, name)
            self.assertLessEqual(ylo, yhi, name)
        self.assertEqual(self.events[-1]["event"], "quantized")
        self.assertNotIn("ranges", self.events[-1])  # the card has them; the progress line stays short

    def test_the_int8_weights_are_per_channel_and_within_half_a_step_of_fp32(self) -> None:
        from export import load_exported
        from quantize import QuantConv, quantized_model

        fp, _, _ = load_exported(self.model)
        q, _, _ = quantized_model(self.model)
        qconvs = {n: x for n, x in q.unet.named_modules() if isinstance(x, QuantConv)}
        self.assertEqual(len(qconvs), self.card["int8"]["convolutions"]["int8"])
        for name, qc in qconvs.items():
            w = fp.unet.get_submodule(name).weight.detach()
            self.assertEqual(qc.w8.dtype, torch.int8)
            self.assertLessEqual(int(qc.w8.abs().max()), 127)
            step = qc.sw[:, None, None, None]
            self.assertTrue(bool(((qc.w8.float() * step - w).abs() <= step / 2 + 1e-7).all()), name)

    def test_the_int8_model_is_near_the_fp32_one_but_not_it(self) -> None:
        from export import load_exported
        from quantize import quantized_model

        fp, tok, _ = load_exported(self.model)
        q, _, _ = quantized_model(self.model)
        g = torch.Generator().manual_seed(3)
        s = fp.cfg.image_size
        ids = torch.tensor([tok.encode("a red square"), tok.encode("")])
        x = torch.randn(2, 3, s, s, generator=g)
        t = torch.tensor([0.7, 0.3])
        with torch.no_grad():
            tokens, pooled = fp.encoder(ids)
            a = fp.unet(x, t, tokens, pooled, ids)
            b = q.unet(x, t, tokens, pooled, ids)
        rel = float((a - b).norm() / a.norm())
        self.assertLess(rel, 0.1)
        self.assertGreater(rel, 0.0)

    def test_the_recorded_ranges_rebuild_the_same_file(self) -> None:
        from export import export_denoiser
        from quantize import quantized_model

        q, tok, _ = quantized_model(self.model)
        path = os.path.join(self.tmp.name, "again.onnx")
        export_denoiser(q, tok, path)
        with open(path, "rb") as f:
            self.assertEqual(hashlib.sha256(f.read()).hexdigest(), self.card["int8"]["sha256"])

    def test_a_folder_without_a_model_is_refused_by_name(self) -> None:
        r = subprocess.run([PY, os.path.join(TRAINER, "quantize.py"), "--model", self.tmp.name], capture_output=True,
                           text=True, timeout=60)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(f"{self.tmp.name}: no model.json", r.stderr)


if __name__ == "__main__":
    unittest.main()
