"""Fine-tuning on a feedback set: DPO learns the preference on held-out prompts, the child exports and
loads back, bad sets are refused by name, runs resume exactly, rwr and the snapshot mix-in run."""
from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
TRAINER = os.path.dirname(HERE)
sys.path.insert(0, TRAINER)
sys.path.insert(0, HERE)

import test_train  # noqa: E402  (its train() helper; a module attribute, so its tests are not collected twice)
from feedback_fixtures import make_feedback_set  # noqa: E402
from fixtures import make_snapshot  # noqa: E402

PY = sys.executable
BASE_STEPS = 150  # a parent that has learnt some colours: DPO sharpens conditioning it has, it barely creates it
SHORT = ("--set", "steps=4", "--set", "batch_size=4", "--set", "eval_draws=1", "--set", "snapshot_batch=4")


def finetune(init: str, pairs: str, out: str, *extra: str) -> tuple[int, list[dict], str]:
    r = subprocess.run([PY, os.path.join(TRAINER, "finetune.py"), "--init", init, "--pairs", pairs, "--out", out,
                        "--set", "threads=1", *extra], capture_output=True, text=True, timeout=600)
    events = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
    return r.returncode, events, r.stderr


def rewrite(folder: str, lines: list[str]) -> None:
    """New pairs.jsonl with the manifest's id and counts brought in line, as an exporter would make it."""
    body = "".join(line + "\n" for line in lines)
    with open(os.path.join(folder, "pairs.jsonl"), "w", encoding="utf-8") as f:
        f.write(body)
    path = os.path.join(folder, "feedback-set.json")
    with open(path, encoding="utf-8") as f:
        man = json.load(f)
    man["id"] = "fb-" + hashlib.sha256(body.encode()).hexdigest()[:20]
    man["pairs"] = len(lines)
    try:
        man["heldOut"] = sum(json.loads(x)["split"] == "heldout" for x in lines)
    except (ValueError, KeyError):
        del man["heldOut"]  # a broken line: the count is not the point of that case
    with open(path, "w", encoding="utf-8") as f:
        json.dump(man, f)


class FinetuneTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        from export import export

        torch.set_num_threads(1)
        cls.tmp = tempfile.TemporaryDirectory()
        t = cls.tmp.name
        cls.snap = make_snapshot(os.path.join(t, "snap"))
        base = os.path.join(t, "base")
        test_train.train(cls.snap, base, "--set", f"steps={BASE_STEPS}", "--set", "lr=0.003",
                         "--set", f"sample_every={BASE_STEPS}", "--set", f"checkpoint_every={BASE_STEPS}")
        cls.parent = os.path.join(t, "parent")
        cls.parent_card = export(base, cls.parent, {})
        # 120 generations: the held-out prompts (by the prompt's hash) include "blue square" and
        # "yellow disc", combinations never chosen in training, so they are learnt only through the words.
        cls.pairs = make_feedback_set(os.path.join(t, "fb"), 120, image_size=16)
        with open(os.path.join(cls.pairs, "feedback-set.json"), encoding="utf-8") as f:
            cls.set_id = json.load(f)["id"]
        cls.dpo = os.path.join(t, "dpo")
        cls.rc, cls.events, err = finetune(cls.parent, cls.pairs, cls.dpo, "--set", "steps=60", "--set", "lr=2e-4",
                                           "--set", "eval_draws=4")
        if cls.rc != 0:
            raise AssertionError(f"finetune.py exited {cls.rc}:\n{err[-3000:]}")
        with open(os.path.join(cls.dpo, "training.json"), encoding="utf-8") as f:
            cls.info = json.load(f)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.tmp.cleanup()

    def test_dpo_learns_the_preference_on_held_out_prompts(self) -> None:
        self.assertEqual(self.events[-1], {"event": "done", "step": 60, "steps": 60})
        before, after = (e for e in self.events if e["event"] == "heldout")
        self.assertEqual((before["when"], after["when"]), ("before", "after"))
        # The parent against itself: every d is 0, a tie, and the loss is log 2.
        self.assertEqual(before["implicitAccuracy"], 0.5)
        self.assertAlmostEqual(before["dpoLoss"], math.log(2), places=5)
        self.assertEqual(before["pairs"], 150)
        # After 60 steps the child prefers the image in the prompt's colour more than its parent does on
        # held-out prompts: 0.73 measured (two seeds); a ranking by chance stays near 0.5.
        self.assertGreater(after["implicitAccuracy"], 0.62)
        self.assertLess(after["meanD"], 0)
        self.assertEqual(self.info["heldOut"]["after"], {k: v for k, v in after.items() if k not in ("event", "when", "step")})
        progress = [e for e in self.events if e["event"] == "progress"]
        self.assertEqual(len(progress), 6)
        self.assertGreater(progress[-1]["accuracy"], 0.7)  # the training pairs, on the batch
        for f in ("checkpoint.pt", "final.pt", "tokenizer.json", "loss.png", "samples-final.png", "metrics.jsonl"):
            self.assertGreater(os.path.getsize(os.path.join(self.dpo, f)), 0, f)

    def test_training_json_records_the_lineage(self) -> None:
        info, card = self.info, self.parent_card
        self.assertEqual(info["init"], card["id"])
        self.assertEqual(info["feedbackSet"], self.set_id)
        self.assertEqual(info["method"], "dpo")
        self.assertEqual(info["snapshot"], "snap-test0000000000000")
        self.assertEqual(info["config"], "tiny")
        self.assertEqual(info["configValues"], card["training"]["configValues"])
        self.assertEqual(info["finetuneConfig"]["lr"], 2e-4)
        self.assertEqual(info["steps"], 60)
        self.assertEqual(info["imagesSeen"], 60 * 16 * 2)  # both images of every pair
        self.assertEqual(info["imagesSeenTotal"], BASE_STEPS * 8 + 60 * 16 * 2)
        self.assertIsNone(info["snapshotMixed"])

    def test_the_child_exports_and_loads_back(self) -> None:
        from export import load_exported

        out = os.path.join(self.tmp.name, "child")
        r = subprocess.run([PY, os.path.join(TRAINER, "export.py"), "--run", self.dpo, "--out", out, "--threads", "1"],
                           capture_output=True, text=True, timeout=600)
        self.assertEqual(r.returncode, 0, r.stderr[-3000:])
        child, tok, card = load_exported(out)
        self.assertEqual(card["training"]["init"], self.parent_card["id"])
        self.assertNotEqual(card["id"], self.parent_card["id"])
        parent, parent_tok, _ = load_exported(self.parent)
        self.assertEqual(tok.vocab, parent_tok.vocab)
        want = torch.load(os.path.join(self.dpo, "final.pt"))["ema"]
        got = child.state_dict()
        self.assertEqual(want.keys(), got.keys())
        for k in want:
            self.assertTrue(torch.equal(want[k].float(), got[k].float()), k)
        moved = [k for k, v in parent.state_dict().items() if not torch.equal(v, got[k])]
        self.assertGreater(len(moved), len(got) // 2)

    def assert_resumes_exactly(self, name: str, run: tuple[str, ...], change: str) -> tuple[str, str]:
        """A run stopped after 2 of 4 steps, refused when resumed with `change` (KEY=VALUE, naming the key),
        then resumed, ends on the weights of the same run made straight; the two run folders."""
        straight, resumed = (os.path.join(self.tmp.name, f"{name}-{w}") for w in ("straight", "resumed"))
        rc, _, err = finetune(self.parent, self.pairs, straight, *SHORT, *run)
        self.assertEqual(rc, 0, err[-3000:])
        rc, first, err = finetune(self.parent, self.pairs, resumed, *SHORT, *run, "--stop-after", "2")
        self.assertEqual(rc, 3, err[-3000:])
        self.assertEqual(first[-1], {"event": "stopped", "step": 2, "steps": 4})
        self.assertFalse(os.path.exists(os.path.join(resumed, "final.pt")))
        # Another value would make a different run of the same name.
        rc, _, err = finetune(self.parent, self.pairs, resumed, *SHORT, *run, "--set", change)
        self.assertNotEqual(rc, 0)
        self.assertIn(change.split("=")[0] + " changed", err)
        rc, second, err = finetune(self.parent, self.pairs, resumed, *SHORT, *run)
        self.assertEqual(rc, 0, err[-3000:])
        start = next(e for e in second if e["event"] == "start")
        self.assertTrue(start["resumed"])
        self.assertEqual(start["step"], 2)
        a = torch.load(os.path.join(straight, "final.pt"))["ema"]
        b = torch.load(os.path.join(resumed, "final.pt"))["ema"]
        for k in a:
            self.assertTrue(torch.equal(a[k], b[k]), k)
        return straight, resumed

    def test_an_interrupted_run_resumes_to_the_same_weights(self) -> None:
        # With the snapshot mixed in: its items and captions come from the generator the checkpoint saves.
        self.assert_resumes_exactly("dpo", ("--snapshot", self.snap), "beta=50")

    def test_rwr_with_the_parents_snapshot_mixed_in(self) -> None:
        out = os.path.join(self.tmp.name, "rwr")
        rc, events, err = finetune(self.parent, self.pairs, out, *SHORT, "--method", "rwr", "--snapshot", self.snap,
                                   "--set", "log_every=1")
        self.assertEqual(rc, 0, err[-3000:])
        progress = [e for e in events if e["event"] == "progress"]
        self.assertEqual(len(progress), 4)
        self.assertTrue(all(e["snapshotLoss"] > 0 and e["preferenceLoss"] > 0 for e in progress))
        with open(os.path.join(out, "training.json"), encoding="utf-8") as f:
            info = json.load(f)
        self.assertEqual(info["method"], "rwr")
        self.assertEqual(info["snapshotMixed"], "snap-test0000000000000")
        self.assertEqual(info["imagesSeen"], 4 * (4 + 4))  # the chosen images and the snapshot's
        # Another snapshot would put posts in the child that its lineage does not name.
        other = make_snapshot(os.path.join(self.tmp.name, "other"), items=8, snapshot_id="snap-other000000000000")
        rc, _, err = finetune(self.parent, self.pairs, os.path.join(self.tmp.name, "rwr-other"), *SHORT, "--snapshot", other)
        self.assertNotEqual(rc, 0)
        self.assertIn("trained on snap-test0000000000000", err)

    def reward_model(self, name: str, *extra: str) -> str:
        """A reward model learnt from the fixture set, prompts encoded with the parent's tokenizer (trained once per name)."""
        out = os.path.join(self.tmp.name, name)
        if os.path.exists(out):
            return out
        r = subprocess.run([PY, os.path.join(TRAINER, "reward.py"), "--pairs", self.pairs, "--tokenizer",
                            os.path.join(self.parent, "tokenizer.json"), "--out", out, "--threads", "1", "--epochs", "8",
                            "--members", "1", *extra], capture_output=True, text=True, timeout=600)
        self.assertEqual(r.returncode, 0, r.stderr[-3000:])
        return out

    def test_draft_follows_the_reward_models_gradient(self) -> None:
        rw = self.reward_model("reward")
        with open(os.path.join(rw, "reward.json"), encoding="utf-8") as f:
            card = json.load(f)
        out = os.path.join(self.tmp.name, "draft")
        rc, events, err = finetune(self.parent, self.pairs, out, "--method", "draft", "--reward", rw, "--set", "steps=30",
                                   "--set", "lr=3e-4", "--set", "batch_size=8", "--set", "eval_draws=1", "--set", "log_every=5",
                                   "--set", "anchor=10")
        self.assertEqual(rc, 0, err[-3000:])
        before, after = (e for e in events if e["event"] == "reward")
        self.assertEqual((before["when"], after["when"]), ("before", "after"))
        # The score, the same noise before and after, in units of the spread among the parent's
        # images of one prompt.
        # Measured on the training prompts (what it optimises): 0.40 -> 0.65 (0.75 without the anchor).
        # On this fixture's held-out prompts (colour and shape combinations never asked in training) it
        # fell, 0.96 -> 0.79 (0.52 without the anchor): a tiny model following 30 steps of a reward learnt
        # from 120 generations does not generalise to new combinations; on the simulated loop's set it
        # rose (0.00 -> 0.88 in 40 steps without the anchor).
        self.assertGreater(after["train"], before["train"] + 0.15)
        self.assertTrue(math.isfinite(after["heldOut"]) and math.isfinite(before["heldOut"]))
        progress = [e for e in events if e["event"] == "progress"]
        self.assertEqual(len(progress), 6)
        for e in progress:  # the score, and the anchor on the change from the parent's images (weight 10 here)
            self.assertTrue(math.isfinite(e["reward"]) and e["drift"] > 0, e)
            self.assertAlmostEqual(e["preferenceLoss"], -e["reward"] + 10 * e["drift"], places=5)
        with open(os.path.join(out, "training.json"), encoding="utf-8") as f:
            info = json.load(f)
        self.assertEqual(info["method"], "draft")
        self.assertEqual(info["imagesSeen"], 30 * 8)  # its own images, one per drawn pair's prompt
        r = info["reward"]
        self.assertEqual(r["id"], card["id"])
        self.assertEqual((r["before"]["train"], r["after"]["heldOut"]), (before["train"], after["heldOut"]))
        self.assertEqual(len(r["weights"]), len(r["spread"]))
        self.assertTrue(all(s > 0 for s in r["spread"]))

    def test_an_interrupted_draft_run_resumes_to_the_same_weights(self) -> None:
        # Draft draws its own noise and prompts each step and carries the reward's spread in its checkpoint.
        rw = self.reward_model("reward")
        straight, resumed = self.assert_resumes_exactly(
            "draft", ("--method", "draft", "--reward", rw, "--set", "anchor_background=0.5"), "anchor=3")
        spreads = []
        for run in (straight, resumed):
            with open(os.path.join(run, "training.json"), encoding="utf-8") as f:
                spreads.append(json.load(f)["reward"]["spread"])
        self.assertEqual(spreads[0], spreads[1])

    def test_draft_refuses_a_judge_another_sets_reward_and_changed_weights(self) -> None:
        judge = self.reward_model("judge", "--learn-split", "heldout")
        short = (*SHORT, "--method", "draft")
        cases = [((), "--method draft needs --reward"), (("--reward", judge), "is a judge")]
        rw = shutil.copytree(self.reward_model("reward"), os.path.join(self.tmp.name, "reward-changed"))
        with open(os.path.join(rw, "reward.pt"), "ab") as f:
            f.write(b"\0")
        cases.append((("--reward", rw), "reward.pt: its sha256 is not the one"))
        other = shutil.copytree(self.reward_model("reward"), os.path.join(self.tmp.name, "reward-other"))
        path = os.path.join(other, "reward.json")
        with open(path, encoding="utf-8") as f:
            c = json.load(f)
        with open(path, "w", encoding="utf-8") as f:
            json.dump({**c, "feedbackSet": "fb-00000000000000000000"}, f)
        cases.append((("--reward", other), "learnt from fb-00000000000000000000, not from"))
        for i, (extra, want) in enumerate(cases):
            rc, events, err = finetune(self.parent, self.pairs, os.path.join(self.tmp.name, f"draft-bad-{i}"), *short, *extra)
            self.assertNotEqual(rc, 0, want)
            self.assertIn(want, err)
            self.assertNotIn("Traceback", err)
            self.assertEqual([e["event"] for e in events], ["data"], want)  # refused before any training
        rc, _, err = finetune(self.parent, self.pairs, os.path.join(self.tmp.name, "dpo-reward"), *SHORT, "--reward", judge)
        self.assertNotEqual(rc, 0)
        self.assertIn("--reward is for --method draft", err)

    def test_a_bad_set_is_refused_on_the_command_line(self) -> None:
        bad = shutil.copytree(self.pairs, os.path.join(self.tmp.name, "bad-set"))
        with open(os.path.join(bad, "pairs.jsonl"), encoding="utf-8") as f:
            lines = f.read().splitlines()
        lines[1] = json.dumps({**json.loads(lines[1]), "chosen": "images/nope.png"})
        rewrite(bad, lines)
        rc, events, err = finetune(self.parent, bad, os.path.join(self.tmp.name, "bad-run"))
        self.assertNotEqual(rc, 0)
        self.assertIn("pairs.jsonl:2: chosen images/nope.png does not exist", err)
        self.assertEqual(events, [])  # before any training


class FeedbackSetTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.tmp = tempfile.TemporaryDirectory()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.tmp.cleanup()

    def test_bad_sets_are_refused_naming_the_file_and_line(self) -> None:
        from finetune import FeedbackError, read_feedback_set

        good = make_feedback_set(os.path.join(self.tmp.name, "small"), 4, image_size=16)
        with open(os.path.join(good, "pairs.jsonl"), encoding="utf-8") as f:
            lines = f.read().splitlines()
        fs = read_feedback_set(good, 16)
        self.assertEqual(len(fs.prompts), 12)
        self.assertEqual(fs.images.shape[1:], (3, 16, 16))
        n = [0]

        def variant(edit=None, mutate=None) -> str:  # noqa: ANN001
            n[0] += 1
            d = shutil.copytree(good, os.path.join(self.tmp.name, f"bad{n[0]}"))
            if edit is not None:
                rewrite(d, edit(list(lines)))
            if mutate is not None:
                mutate(d)
            return d

        def field(i: int, **kv: object):  # noqa: ANN202
            def edit(ls: list[str]) -> list[str]:
                ls[i] = json.dumps({**json.loads(ls[i]), **kv})
                return ls
            return edit

        cases = [
            (variant(lambda ls: ls[:2] + ["{not json"] + ls[3:]), r"pairs\.jsonl:3: not valid JSON"),
            (variant(field(1, chosen="images/nope.png")), r"pairs\.jsonl:2: chosen images/nope\.png does not exist"),
            (variant(field(0, rejected="../fb/images/x.png")), r"pairs\.jsonl:1: rejected \"\.\./fb/images/x\.png\" is outside"),
            (variant(field(4, weight=-1)), r"pairs\.jsonl:5: weight must be a positive number, not -1"),
            (variant(field(4, split="test")), r"pairs\.jsonl:5: split must be \"train\" or \"heldout\", not \"test\""),
            (variant(lambda ls: [json.dumps({k: v for k, v in json.loads(ls[0]).items() if k != "prompt"})] + ls[1:]),
             r"pairs\.jsonl:1: prompt must be a string"),
            (variant(lambda ls: [json.dumps({**json.loads(ls[0]), "split": "heldout"}) for _ in ls]),
             "no pairs with split 'train'"),
            # Changed after export: the content no longer matches its id.
            (variant(mutate=lambda d: rewrite_raw(d, lines[:-1])), "the set was changed after it was made"),
            (variant(mutate=lambda d: os.remove(os.path.join(d, "feedback-set.json"))), "not a feedback set"),
        ]
        first_image = json.loads(lines[0])["chosen"]
        cases.append((variant(mutate=lambda d: write_bytes(os.path.join(d, first_image), b"GIF89a")),
                      first_image.replace(".", r"\.") + ": not a PNG file"))
        odd = np.full((24, 24, 3), 128, dtype=np.uint8)
        from png import encode_rgb

        cases.append((variant(mutate=lambda d: write_bytes(os.path.join(d, first_image), encode_rgb(odd))),
                      "24x24 pixels, the set's imageSize is 16"))
        cases.append((make_feedback_set(os.path.join(self.tmp.name, "small8"), 4, image_size=8),
                      "8x8 pixels cannot be box-resized to the model's 16x16"))
        for folder, message in cases:
            with self.subTest(message=message):
                with self.assertRaisesRegex(FeedbackError, message):
                    read_feedback_set(folder, 16)
        # A set made by a model twice as large is box-averaged down to the model's size.
        large = make_feedback_set(os.path.join(self.tmp.name, "large"), 4, image_size=32)
        with open(os.path.join(large, "pairs.jsonl"), encoding="utf-8") as f:
            first_large = json.loads(f.readline())["chosen"]
        big = np.zeros((32, 32, 3), dtype=np.uint8)
        big[::2, ::2] = 200
        write_bytes(os.path.join(large, first_large), encode_rgb(big))
        fs = read_feedback_set(large, 16)
        self.assertTrue(np.allclose(fs.images[fs.chosen[0]], 50 / 127.5 - 1.0))

    def test_a_derived_set_is_read_with_the_set_it_came_from(self) -> None:
        from finetune import FeedbackError, read_feedback_set, read_feedback_sets

        people = make_feedback_set(os.path.join(self.tmp.name, "people"), 4, image_size=16)
        ranked = make_feedback_set(os.path.join(self.tmp.name, "ranked"), 3, image_size=16, seed=5)
        a, b = read_feedback_set(people, 16), read_feedback_set(ranked, 16)
        path = os.path.join(ranked, "feedback-set.json")
        with open(path, encoding="utf-8") as f:
            man = json.load(f)
        man["derived"] = {"kind": "reward-ranked", "feedbackSet": a.id, "reward": "reward-x", "candidates": 8, "groups": 2}
        with open(path, "w", encoding="utf-8") as f:
            json.dump(man, f)
        both = read_feedback_sets([people, ranked], 16)
        self.assertEqual(both.ids, [a.id, b.id])
        self.assertEqual(both.id, f"{a.id}+{b.id}")
        self.assertEqual(both.derived_from, {b.id: a.id})
        self.assertEqual(len(both.prompts), len(a.prompts) + len(b.prompts))
        # Every pair still points at its own images.
        for i in range(len(b.prompts)):
            j = len(a.prompts) + i
            self.assertTrue(np.array_equal(both.images[both.chosen[j]], b.images[b.chosen[i]]))
            self.assertTrue(np.array_equal(both.images[both.rejected[j]], b.images[b.rejected[i]]))
        self.assertTrue(np.array_equal(both.images[both.chosen[0]], a.images[a.chosen[0]]))
        with self.assertRaisesRegex(FeedbackError, f"{b.id} was derived from {a.id}, which is not among the sets given"):
            read_feedback_sets([ranked], 16)
        with self.assertRaisesRegex(FeedbackError, "the same set given twice"):
            read_feedback_sets([people, people], 16)

    def test_config_values_are_checked(self) -> None:
        from finetune import load_finetune_config, prompt_text

        with self.assertRaisesRegex(ValueError, "unknown config key 'bta'"):
            load_finetune_config({"bta": 3})
        with self.assertRaisesRegex(ValueError, "'beta': expected float"):
            load_finetune_config({"beta": "big"})
        with self.assertRaisesRegex(ValueError, "'method': dpo, rwr or draft"):
            load_finetune_config({"method": "ppo"})
        with self.assertRaisesRegex(ValueError, "'beta': positive"):
            load_finetune_config({"beta": 0})
        self.assertEqual(load_finetune_config({"beta": 500}).beta, 500.0)
        # Draft's own defaults (measured in the simulated loop), unless a value is given.
        draft = load_finetune_config({"method": "draft"})
        self.assertEqual((draft.lr, draft.steps, draft.anchor), (1e-5, 80, 40.0))
        self.assertEqual(load_finetune_config({"method": "draft", "lr": 3e-4}).lr, 3e-4)
        self.assertEqual((load_finetune_config({}).lr, load_finetune_config({"method": "rwr"}).steps), (3e-5, 400))
        with self.assertRaisesRegex(ValueError, "'anchor_background': between 0 and 1"):
            load_finetune_config({"anchor_background": 1.5})
        # The model saw prompts without their leading "imagine", as the product strips it.
        self.assertEqual(prompt_text("Imagine: a red disc"), "a red disc")
        self.assertEqual(prompt_text("imagine un disque rouge"), "un disque rouge")
        self.assertEqual(prompt_text("imaginez un disque"), "imaginez un disque")

    def test_the_anchor_can_hold_the_subject_and_free_the_background(self) -> None:
        from types import SimpleNamespace

        from finetune import Finetuner, load_finetune_config

        # A parent image: a plain blue ground with a yellow square (the subject) in the middle.
        parent = torch.zeros(1, 3, 32, 32)
        parent[:, 2] = 0.6
        parent[:, :, 10:22, 10:22] = torch.tensor([0.9, 0.8, -0.6]).view(1, 3, 1, 1)
        warmer = parent.clone()  # the ground turned red, the subject as it was
        warmer[:, :, :10], warmer[:, :, 22:], warmer[:, :, :, :10], warmer[:, :, :, 22:] = 0.7, 0.7, 0.7, 0.7
        warmer[:, 1:, :10], warmer[:, 1:, 22:], warmer[:, 1:, :, :10], warmer[:, 1:, :, 22:] = -0.5, -0.5, -0.5, -0.5
        recoloured = parent.clone()  # the subject turned blue, the ground as it was
        recoloured[:, :, 10:22, 10:22] = torch.tensor([-0.6, -0.6, 0.9]).view(1, 3, 1, 1)

        def drift(image: torch.Tensor, background: float) -> float:
            ft = SimpleNamespace(cfg=load_finetune_config({"anchor_background": background}), foreground=None,
                                 device=torch.device("cpu"))
            w = Finetuner.anchor_weights(ft, parent)  # type: ignore[arg-type]
            return float((w * (image - parent).pow(2)).mean())

        # By default every pixel counts the same; with the background freed, only the subject's change counts.
        self.assertGreater(drift(warmer, 1.0), 0.3)
        self.assertLess(drift(warmer, 0.0), 1e-6)
        self.assertAlmostEqual(drift(warmer, 0.25), 0.25 * drift(warmer, 1.0), places=5)
        self.assertAlmostEqual(drift(recoloured, 0.0), drift(recoloured, 1.0), places=5)
        self.assertGreater(drift(recoloured, 0.0), 0.1)


def write_bytes(path: str, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)


def rewrite_raw(folder: str, lines: list[str]) -> None:
    """pairs.jsonl changed, the manifest not: what a hand edit after export leaves."""
    with open(os.path.join(folder, "pairs.jsonl"), "w", encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in lines))


if __name__ == "__main__":
    unittest.main()
