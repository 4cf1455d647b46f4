"""The reward model end to end on a synthetic feedback set (the image in the prompted colour wins), in seconds.

    /usr/bin/python3 -m unittest discover -s trainer/tests -p 'test_reward.py'
"""
from __future__ import annotations

import hashlib
import io
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from contextlib import redirect_stdout
from typing import Callable

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
TRAINER = os.path.dirname(HERE)
sys.path.insert(0, TRAINER)
sys.path.insert(0, HERE)

import reward  # noqa: E402
from feedback_fixtures import make_feedback_set  # noqa: E402
from tokenizer import Tokenizer, build_vocab  # noqa: E402

# Measured with these settings (one thread, torch 1.13): held-out accuracy 1.0 (seed 0 of the
# trainer gives 0.92; over seeds 0-5: 0.88-1.0). The fixture's held-out prompts are unseen
# combinations of colour and shape, so this checks that the model reads both prompt and image.
SEED = 1
EPOCHS = 30
MEMBERS = 2


def write_fixture(root: str) -> tuple[str, str]:
    """The synthetic set and a tokenizer of its prompts (as the generator's would be); returns (set, tokenizer path)."""
    set_dir = make_feedback_set(os.path.join(root, "set"), generations=60, image_size=16, seed=0)
    with open(os.path.join(set_dir, "pairs.jsonl"), encoding="utf-8") as f:
        prompts = [json.loads(line)["prompt"] for line in f]
    tok_path = os.path.join(root, "tokenizer.json")
    Tokenizer(build_vocab(prompts, 50), 16, 12).save(tok_path)
    return set_dir, tok_path


def run(argv: list[str]) -> tuple[dict, list[dict]]:
    buf = io.StringIO()
    with redirect_stdout(buf):
        card = reward.main(argv)
    return card, [json.loads(line) for line in buf.getvalue().splitlines() if line.startswith("{")]


class RewardTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        torch.set_num_threads(1)
        cls.tmp = tempfile.TemporaryDirectory()
        cls.set_dir, cls.tok_path = write_fixture(cls.tmp.name)
        cls.out = os.path.join(cls.tmp.name, "reward")
        cls.ref_path = os.path.join(cls.tmp.name, "reference.json")
        cls.argv = ["--pairs", cls.set_dir, "--tokenizer", cls.tok_path, "--threads", "1", "--seed", str(SEED),
                    "--epochs", str(EPOCHS), "--members", str(MEMBERS)]
        cls.card, cls.events = run([*cls.argv, "--out", cls.out, "--reference", cls.ref_path])
        with open(os.path.join(cls.set_dir, "pairs.jsonl"), encoding="utf-8") as f:
            cls.pairs = [json.loads(line) for line in f]

    @classmethod
    def tearDownClass(cls) -> None:
        cls.tmp.cleanup()

    def test_it_learns_the_taste_and_reports_held_out_accuracy(self) -> None:
        progress = [e for e in self.events if e["event"] == "progress"]
        self.assertEqual([(e["member"], e["epoch"]) for e in progress],
                         [(k, e) for k in range(1, MEMBERS + 1) for e in range(1, EPOCHS + 1)])
        self.assertTrue(all(math.isfinite(e["loss"]) for e in progress))
        self.assertLess(progress[-1]["loss"], 0.5 * progress[0]["loss"])
        self.assertEqual(self.events[-1]["event"], "done")
        m = self.card["metrics"]
        self.assertGreaterEqual(m["heldOutAccuracy"], 0.85)
        self.assertGreaterEqual(m["trainAccuracy"], 0.95)
        self.assertEqual(self.events[-1]["heldOutAccuracy"], m["heldOutAccuracy"])
        # The fixture's taste is the prompted colour: validation keeps the prompt term (the largest
        # weight among the best), having tried each weight once, in order, before the members trained.
        t = self.card["training"]
        self.assertEqual(t["promptWeight"], reward.Reward.SCALE)
        self.assertEqual(list(t["promptWeightValidation"]), [f"{w:g}" for w in reward.PROMPT_WEIGHTS])
        self.assertEqual(max(t["promptWeightValidation"].values()), t["promptWeightValidation"]["10"])
        kinds = [e["event"] for e in self.events]
        self.assertEqual([e["promptWeight"] for e in self.events if e["event"] == "validation"], list(reward.PROMPT_WEIGHTS))
        self.assertLess(kinds.index("validation"), kinds.index("start"))
        # Per source, counted from the file.
        for source in ("pick>reject", "pick>other"):
            s = m["bySource"][source]
            self.assertEqual(s["heldOutPairs"], sum(p["source"] == source and p["split"] == "heldout" for p in self.pairs))
            self.assertEqual(s["trainPairs"], sum(p["source"] == source and p["split"] == "train" for p in self.pairs))
            self.assertGreaterEqual(s["heldOutAccuracy"], 0.8)

    def test_card_onnx_and_tokenizer(self) -> None:
        with open(os.path.join(self.out, "reward.json"), encoding="utf-8") as f:
            saved = json.load(f)
        self.assertEqual(saved, self.card)
        with open(os.path.join(self.set_dir, "feedback-set.json"), encoding="utf-8") as f:
            manifest = json.load(f)
        onnx_path = os.path.join(self.out, "reward.onnx")
        self.assertGreater(os.path.getsize(onnx_path), 1000)
        self.assertLess(os.path.getsize(onnx_path), 5 * 1024 * 1024)
        with open(self.tok_path, "rb") as a, open(os.path.join(self.out, "tokenizer.json"), "rb") as b:
            self.assertEqual(a.read(), b.read())
        h = hashlib.sha256()
        for name in ("tokenizer.json", "reward.onnx"):
            with open(os.path.join(self.out, name), "rb") as f:
                h.update(hashlib.sha256(f.read()).digest())
        # The account rows are part of what it scores: the fixture's four accounts, sorted.
        self.assertEqual(saved["accounts"], [f"acct-{k:012x}" for k in range(4)])
        h.update(hashlib.sha256("\n".join(saved["accounts"]).encode()).digest())
        self.assertEqual(saved["id"], "reward-" + h.hexdigest()[:20])
        self.assertEqual((saved["format"], saved["version"]), ("vitrine-reward-model", 1))
        self.assertEqual((saved["imageSize"], saved["maxTokens"]), (16, 12))
        self.assertEqual(saved["feedbackSet"], manifest["id"])
        self.assertEqual(saved["pairs"]["total"], len(self.pairs))
        self.assertEqual(saved["pairs"]["heldOut"], manifest["heldOut"])
        self.assertEqual(saved["pairs"]["train"] + saved["pairs"]["heldOut"], len(self.pairs))
        self.assertEqual((saved["training"]["epochs"], saved["training"]["members"]), (EPOCHS, MEMBERS))
        self.assertGreater(saved["training"]["params"], 0)
        self.assertGreater(saved["training"]["seconds"], 0)

    def test_a_judge_learns_from_the_held_out_pairs_and_is_measured_on_the_training_pairs(self) -> None:
        card, events = run([*self.argv, "--out", os.path.join(self.tmp.name, "judge"), "--learn-split", "heldout"])
        self.assertEqual((card["learntSplit"], self.card["learntSplit"]), ("heldout", "train"))
        held = sum(p["split"] == "heldout" for p in self.pairs)
        # The pairs it learnt from are the held-out ones; its "held-out" accuracy is measured on the others.
        self.assertEqual(card["pairs"]["train"], held)
        self.assertEqual(card["pairs"]["heldOut"], len(self.pairs) - held)
        start = next(e for e in events if e["event"] == "start")
        self.assertEqual(start["train"], held)
        for source in ("pick>reject", "pick>other"):
            s = card["metrics"]["bySource"][source]
            self.assertEqual(s["trainPairs"], sum(p["source"] == source and p["split"] == "heldout" for p in self.pairs))
        # It fits the pairs it learnt from; how well so few pairs generalise (0.57 on this fixture) is
        # what its card reports, and why a judge's verdict needs the sign test behind it.
        self.assertGreaterEqual(card["metrics"]["trainAccuracy"], 0.9)
        self.assertIsNotNone(card["metrics"]["heldOutAccuracy"])
        self.assertNotEqual(card["id"], self.card["id"])

    def test_the_same_set_and_seed_give_the_same_model(self) -> None:
        # The id hashes the files: reproducible training is what makes it name the model, not the run.
        card, _ = run([*self.argv, "--out", os.path.join(self.tmp.name, "again")])
        self.assertEqual(card["id"], self.card["id"])

    def test_reference_for_the_typescript_parity_test(self) -> None:
        with open(self.ref_path, encoding="utf-8") as f:
            ref = json.load(f)
        tok = Tokenizer.load(self.tok_path)
        n = len(ref["scores"])
        self.assertEqual(n, 8)
        self.assertEqual(ref["nativeSize"], 16)
        self.assertEqual(ref["ids"], [tok.encode(reward.prompt_text(p)) for p in ref["prompts"]])
        self.assertTrue(all(len(im) == 3 * 16 * 16 and 0 <= min(im) and max(im) <= 255 for im in ref["images"]))
        self.assertTrue(all(math.isfinite(s) for s in ref["scores"]))
        # Held-out pairs, chosen images first: a model at this accuracy ranks each chosen one higher.
        held_prompts = {p["prompt"] for p in self.pairs if p["split"] == "heldout"}
        self.assertTrue(set(ref["prompts"]) <= held_prompts)
        for i in range(n // 2):
            self.assertEqual(ref["prompts"][i], ref["prompts"][i + n // 2])
            self.assertGreater(ref["scores"][i], ref["scores"][i + n // 2])

    def test_prompt_text_drops_imagine_as_the_product_does(self) -> None:
        self.assertEqual(reward.prompt_text("imagine a red apple"), "a red apple")
        self.assertEqual(reward.prompt_text("  Imagine: un chat "), "un chat")
        self.assertEqual(reward.prompt_text("imagined cities"), "imagined cities")
        self.assertEqual(reward.prompt_text("a cat, imagine"), "a cat, imagine")
        self.assertEqual(reward.prompt_text("imagine"), "")

    def test_scores_do_not_depend_on_the_batch(self) -> None:
        torch.manual_seed(0)
        m = reward.Reward(vocab_size=40, accounts=3).eval()
        with torch.no_grad():
            m.person.weight.normal_()  # trained rows are not zero
        x = torch.rand(5, 3, 16, 16) * 2 - 1
        ids = torch.randint(0, 40, (5, 12))
        ids[:, 0] = 1
        account = torch.tensor([0, 1, 2, 3, 1])
        with torch.no_grad():
            all5 = m(x, ids, account)
            one = m(x[2:3], ids[2:3], account[2:3])
            anyone = m(x, ids, torch.zeros_like(account))
        self.assertEqual(tuple(all5.shape), (5,))
        self.assertTrue(torch.allclose(all5[2:3], one, atol=1e-6))
        # Row 0 is anyone: exactly the shared score, whatever the trained rows hold.
        self.assertEqual(float(all5[0]), float(anyone[0]))
        self.assertFalse(torch.allclose(all5[1:], anyone[1:]))
        # Bounded: 10 * cosine + 2 * tanh + 8 * tanh.
        self.assertLessEqual(float(all5.abs().max()), 20.0)

    def test_each_account_gets_its_own_taste(self) -> None:
        # Two accounts with opposite colour tastes and prompts that say nothing of colour: one shared
        # score is right for one of them at best, a score per account for both.
        set_dir = make_feedback_set(os.path.join(self.tmp.name, "personal"), generations=60, image_size=16, seed=2, personal=True)
        common = ["--pairs", set_dir, "--tokenizer", self.tok_path, "--threads", "1", "--seed", "0", "--members", "1"]
        card, _ = run([*common, "--out", os.path.join(self.tmp.name, "personal-model")])
        shared, _ = run([*common, "--out", os.path.join(self.tmp.name, "shared-model"), "--personal", "0"])
        self.assertEqual(card["accounts"], ["acct-000000000000", "acct-000000000001"])
        self.assertEqual(shared["accounts"], [])
        # Measured (one thread, torch 1.13): personal 1.0 held out (0.48 scored as anyone); shared 0.5.
        self.assertGreaterEqual(card["metrics"]["heldOutAccuracy"], 0.9)
        self.assertLessEqual(shared["metrics"]["heldOutAccuracy"], 0.7)
        self.assertLessEqual(card["metrics"]["heldOutAccuracyAnyone"], 0.7)
        # Its prompts say nothing of what the accounts prefer: validation turned the prompt term down.
        self.assertLess(card["training"]["promptWeight"], reward.Reward.SCALE)
        self.assertEqual(set(card["training"]["promptWeightValidation"]), {"0", "1", "10"})

    def test_validation_folds_hold_whole_prompts(self) -> None:
        prompts = [f"imagine a thing number {k}" for k in range(40)]
        prompt = torch.tensor([k % 40 for k in range(300)])
        pairs = torch.arange(0, 300, 2)  # the pairs learnt from: every other one
        folds = reward.prompt_folds(prompts, prompt, pairs)
        self.assertEqual(sorted(torch.cat(folds).tolist()), pairs.tolist())
        seen = [set(prompt[f].tolist()) for f in folds]
        self.assertFalse(seen[0] & seen[1])
        self.assertTrue(seen[0] and seen[1])
        # A function of the prompt's text, not of its index: the same prompt falls on the same side in any set.
        again = reward.prompt_folds(prompts[::-1], 39 - prompt, pairs)
        self.assertEqual([f.tolist() for f in again], [f.tolist() for f in folds])

    def test_a_fixed_prompt_weight_skips_validation(self) -> None:
        common = ["--pairs", self.set_dir, "--tokenizer", self.tok_path, "--threads", "1", "--epochs", "1", "--members", "1"]
        card, events = run([*common, "--out", os.path.join(self.tmp.name, "fixed"), "--prompt-weight", "0"])
        self.assertEqual((card["training"]["promptWeight"], card["training"]["promptWeightValidation"]), (0.0, {}))
        self.assertNotIn("validation", [e["event"] for e in events])
        with self.assertRaisesRegex(reward.FeedbackSetError, "--prompt-weight much: a number or auto"):
            run([*common, "--out", os.path.join(self.tmp.name, "never"), "--prompt-weight", "much"])

    def test_the_image_size_is_box_averaged_down(self) -> None:
        imgs = torch.arange(2 * 4 * 4 * 3, dtype=torch.uint8).reshape(2, 4, 4, 3).numpy()
        x = reward.to_input(imgs, 2)
        self.assertEqual(tuple(x.shape), (2, 3, 2, 2))
        block = imgs[0, 0:2, 2:4, 1].astype(float).mean()
        self.assertAlmostEqual(float(x[0, 1, 0, 1]), block / 127.5 - 1, places=6)

    # ------------------------------------------------------------ bad sets

    def broken(self, name: str, edit_lines: Callable[[list[str]], list[str]] | None = None,
               edit_manifest: Callable[[dict], None] | None = None, rehash: bool = True) -> str:
        """A copy of the set with pairs.jsonl and the manifest edited; by default its id and count
        are made to match again, as a set written badly by its maker would be."""
        d = os.path.join(self.tmp.name, name)
        shutil.copytree(self.set_dir, d)
        with open(os.path.join(d, "pairs.jsonl"), encoding="utf-8") as f:
            lines = f.read().splitlines()
        if edit_lines:
            lines = edit_lines(lines)
        body = "".join(line + "\n" for line in lines)
        with open(os.path.join(d, "pairs.jsonl"), "w", encoding="utf-8") as f:
            f.write(body)
        with open(os.path.join(d, "feedback-set.json"), encoding="utf-8") as f:
            manifest = json.load(f)
        if rehash:
            manifest["id"] = "fb-" + hashlib.sha256(body.encode()).hexdigest()[:20]
            manifest["pairs"] = len(lines)
        if edit_manifest:
            edit_manifest(manifest)
        with open(os.path.join(d, "feedback-set.json"), "w", encoding="utf-8") as f:
            json.dump(manifest, f)
        return d

    def assert_refused(self, set_dir: str, pattern: str, *extra: str) -> None:
        with self.assertRaisesRegex(reward.FeedbackSetError, pattern):
            run(["--pairs", set_dir, "--tokenizer", self.tok_path, "--out", os.path.join(self.tmp.name, "never"),
                 "--threads", "1", "--epochs", "1", *extra])

    def test_bad_sets_are_refused_naming_the_file_and_line(self) -> None:
        def missing_image(lines: list[str]) -> list[str]:
            row = json.loads(lines[2])
            row["rejected"] = "images/" + "0" * 64 + ".png"
            lines[2] = json.dumps(row)
            return lines

        self.assert_refused(self.broken("missing", missing_image), r"pairs\.jsonl:3: rejected images/0+\.png does not exist")
        self.assert_refused(self.broken("not-json", lambda ls: ls[:1] + ['{"id": "pair-x", '] + ls[1:]), r"pairs\.jsonl:2: not valid JSON")
        self.assert_refused(self.broken("split", lambda ls: [ls[0].replace('"heldout"', '"test"').replace('"train"', '"test"')] + ls[1:]),
                            r"pairs\.jsonl:1: split must be \"train\" or \"heldout\", not \"test\"")
        self.assert_refused(self.broken("escape", lambda ls: [ls[0].replace('"images/', '"../../images/', 1)] + ls[1:]),
                            r"pairs\.jsonl:1: chosen .* is outside the set's folder")
        self.assert_refused(self.broken("format", edit_manifest=lambda m: m.update(format="vitrine-snapshot")),
                            r"feedback-set\.json: format must be 'vitrine-feedback-set' version 1, not 'vitrine-snapshot'")
        self.assert_refused(self.broken("edited", lambda ls: ls[:-1], rehash=False), r"the set was changed after it was made")
        self.assert_refused(self.tmp.name, r"not a feedback set \(no feedback-set\.json\)")
        self.assert_refused(self.set_dir, r"--image-size 5: the set's images are 16px", "--image-size", "5")

    def test_the_command_line_prints_one_line_not_a_traceback(self) -> None:
        r = subprocess.run([sys.executable, os.path.join(TRAINER, "reward.py"), "--pairs", self.tmp.name, "--tokenizer", self.tok_path,
                            "--out", os.path.join(self.tmp.name, "never")], capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 1)
        self.assertNotIn("Traceback", r.stderr)
        self.assertIn("not a feedback set (no feedback-set.json)", r.stderr.strip().splitlines()[-1])


if __name__ == "__main__":
    unittest.main()
