"""The trainer on a tiny synthetic snapshot: it learns, it resumes exactly, it runs under torchrun (gloo)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import unittest

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
TRAINER = os.path.dirname(HERE)
sys.path.insert(0, TRAINER)
sys.path.insert(0, HERE)

from fixtures import make_snapshot  # noqa: E402

PY = sys.executable


def train(snapshot: str, out: str, *extra: str, env: dict | None = None) -> list[dict]:
    r = subprocess.run([PY, os.path.join(TRAINER, "train.py"), "--snapshot", snapshot, "--out", out, "--config", "tiny", "--set", "threads=1", *extra],
                       capture_output=True, text=True, env=env, timeout=300)
    events = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
    if r.returncode not in (0, 3):
        raise AssertionError(f"train.py exited {r.returncode}:\n{r.stderr[-3000:]}")
    return events


class TrainerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.tmp = tempfile.TemporaryDirectory()
        cls.snap = make_snapshot(os.path.join(cls.tmp.name, "snap"))

    @classmethod
    def tearDownClass(cls) -> None:
        cls.tmp.cleanup()

    def test_trains_and_writes_what_a_person_looks_at(self) -> None:
        out = os.path.join(self.tmp.name, "run-a")
        ev = train(self.snap, out, "--set", "steps=30", "--set", "sample_every=30", "--set", "lr=0.003")
        self.assertEqual(ev[-1]["event"], "done")
        losses = [e["loss"] for e in ev if e["event"] == "progress"]
        self.assertEqual(len(losses), 30)
        # It learns: the last losses are clearly below the first (the target's variance is ~1.3 at the start).
        self.assertLess(sum(losses[-5:]) / 5, 0.8 * sum(losses[:5]) / 5)
        for f in ("checkpoint.pt", "final.pt", "tokenizer.json", "loss.png", "samples-final.png", "training.json"):
            self.assertTrue(os.path.getsize(os.path.join(out, f)) > 0, f)
        with open(os.path.join(out, "training.json"), encoding="utf-8") as f:
            info = json.load(f)
        self.assertEqual(info["snapshot"], "snap-test0000000000000")
        self.assertEqual(info["config"], "tiny")
        self.assertEqual(info["imagesSeen"], 30 * 8)

    def test_an_interrupted_run_resumes_to_the_same_weights(self) -> None:
        straight = os.path.join(self.tmp.name, "straight")
        train(self.snap, straight)
        resumed = os.path.join(self.tmp.name, "resumed")
        first = train(self.snap, resumed, "--stop-after", "4")
        self.assertEqual(first[-1], {"event": "stopped", "step": 4, "steps": 6})
        second = train(self.snap, resumed)
        self.assertTrue(second[1]["resumed"])
        self.assertEqual(second[1]["step"], 4)
        a = torch.load(os.path.join(straight, "final.pt"))["ema"]
        b = torch.load(os.path.join(resumed, "final.pt"))["ema"]
        self.assertEqual(a.keys(), b.keys())
        for k in a:
            self.assertTrue(torch.equal(a[k], b[k]), k)

    def test_a_changed_config_is_refused_on_resume(self) -> None:
        out = os.path.join(self.tmp.name, "changed")
        train(self.snap, out, "--stop-after", "1")
        r = subprocess.run([PY, os.path.join(TRAINER, "train.py"), "--snapshot", self.snap, "--out", out, "--config", "tiny",
                            "--set", "threads=1", "--set", "lr=0.5"], capture_output=True, text=True, timeout=300)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("lr changed", r.stderr)

    def test_bad_config_values_are_named(self) -> None:
        from config import load_config

        with self.assertRaisesRegex(ValueError, "unknown config key 'stpes'"):
            load_config("tiny", {"stpes": 3})
        with self.assertRaisesRegex(ValueError, "'steps': expected int"):
            load_config("tiny", {"steps": "many"})
        with self.assertRaisesRegex(ValueError, "unknown config 'nope'"):
            load_config("nope")

    def test_a_run_starts_from_an_exported_model(self) -> None:
        from export import export, load_exported, load_run

        torch.set_num_threads(1)
        base = os.path.join(self.tmp.name, "base")
        train(self.snap, base)
        exported = os.path.join(self.tmp.name, "exported")
        card = export(base, exported, {})
        # The weights read back from the ONNX files are the run's EMA weights, bit for bit.
        want, _, tok = load_run(base)
        got, got_tok, got_card = load_exported(exported)
        self.assertEqual(got_card["id"], card["id"])
        self.assertEqual(got_tok.vocab, tok.vocab)
        w, g = want.state_dict(), got.state_dict()
        self.assertEqual(w.keys(), g.keys())
        for k in w:
            self.assertTrue(torch.equal(w[k], g[k]), k)
        # A run started from it keeps its vocabulary and names it as the parent.
        child = os.path.join(self.tmp.name, "child")
        ev = train(self.snap, child, "--init", exported, "--set", "steps=2")
        self.assertEqual(ev[1]["event"], "start")
        self.assertEqual(ev[1]["init"], card["id"])
        with open(os.path.join(child, "training.json"), encoding="utf-8") as f:
            info = json.load(f)
        self.assertEqual(info["init"], card["id"])
        self.assertEqual(info["imagesSeenTotal"], 6 * 8 + 2 * 8)
        with open(os.path.join(child, "tokenizer.json"), encoding="utf-8") as f, \
                open(os.path.join(exported, "tokenizer.json"), encoding="utf-8") as g2:
            self.assertEqual(json.load(f), json.load(g2))
        # Another architecture cannot start from it: the refusal names the key.
        r = subprocess.run([PY, os.path.join(TRAINER, "train.py"), "--snapshot", self.snap, "--out", os.path.join(self.tmp.name, "bad"),
                            "--config", "tiny", "--set", "threads=1", "--set", "text_dim=48", "--init", exported],
                           capture_output=True, text=True, timeout=300)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("text_dim=", r.stderr)

    def test_two_processes_under_torchrun_with_gloo(self) -> None:
        out = os.path.join(self.tmp.name, "ddp")
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        r = subprocess.run([PY, os.path.join(TRAINER, "launch.py"), "--standalone", "--nproc_per_node", "2",
                            os.path.join(TRAINER, "train.py"), "--snapshot", self.snap, "--out", out, "--config", "tiny", "--set", "threads=1"],
                           capture_output=True, text=True, env=env, timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr[-3000:])
        events = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
        starts = [e for e in events if e["event"] == "start"]
        self.assertEqual(len(starts), 1)  # rank 0 speaks for the run
        self.assertEqual(starts[0]["world"], 2)
        data = [e for e in events if e["event"] == "data"]
        self.assertEqual(sorted(e["rank"] for e in data), [0, 1])
        self.assertEqual(sum(e["items"] for e in data), 48)  # each rank read its own shards, all of them together
        with open(os.path.join(out, "training.json"), encoding="utf-8") as f:
            info = json.load(f)
        self.assertEqual(info["imagesSeen"], 6 * 8 * 2)
        self.assertEqual(info["hardware"]["world"], 2)


if __name__ == "__main__":
    unittest.main()


class ConfigsTest(unittest.TestCase):
    def test_every_committed_config_builds_its_model(self) -> None:
        from config import CONFIG_DIR, load_config
        from model import TextToImage
        from train import model_config
        from tokenizer import Tokenizer

        torch.set_num_threads(1)
        for name in sorted(f[:-5] for f in os.listdir(CONFIG_DIR) if f.endswith(".json")):
            cfg, _ = load_config(name)
            tok = Tokenizer([f"w{i}" for i in range(cfg.vocab_size)], cfg.hash_buckets, cfg.max_tokens)
            m = TextToImage(model_config(cfg, tok))
            ids = torch.tensor([tok.encode("a red apple")])
            x = torch.randn(1, 3, cfg.image_size, cfg.image_size)
            with torch.no_grad():
                v = m(x, torch.tensor([0.5]), ids)
            self.assertEqual(v.shape, x.shape, name)
