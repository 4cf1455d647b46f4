"""Fine-tunes an exported text-to-image model on a feedback set: the next generator from people's picks.

    /usr/bin/python3 trainer/finetune.py --init MODEL_DIR --pairs SET_DIR [--pairs RANKED_SET_DIR] --out RUN_DIR
        [--method dpo|rwr|draft] [--reward REWARD_DIR] [--set KEY=VALUE ...] [--snapshot SNAPSHOT_DIR] [--max-seconds N]

dpo (the default): Diffusion-DPO (Wallace et al. 2023) on rectified flow. The
policy starts from the parent and a frozen copy of the parent is the reference.
For a pair (chosen w, rejected l) both images are noised with the same t and
the same noise, and the loss is -log sigmoid(-beta * d) with
    d = (|v_pol(x_w) - v_w|^2 - |v_ref(x_w) - v_w|^2) - (|v_pol(x_l) - v_l|^2 - |v_ref(x_l) - v_l|^2),
each |.|^2 a per-pixel mean: the policy learns to fit the chosen image better
than the reference does, relative to the rejected one; beta bounds how far it
moves (the KL term of DPO).
rwr: the ordinary flow loss on the chosen images, weighted by the pair weight
(reward-weighted regression with the preference as the reward): a simpler baseline.
draft: DRaFT-K (Clark et al. 2023, "Directly fine-tuning diffusion models on
differentiable rewards"): the policy samples images for the set's training
prompts as the product samples them (the parent card's sampler, steps, guidance
and guidance interval), and the loss is minus the reward model's score (--reward,
a reward model learnt from this set's training pairs), with the gradient through
the last grad_steps sampling steps. The score is the one ranked.ts ranks with:
each account's own score, standardised by its spread over the parent's images of
one prompt, averaged with weights max(0, held-out accuracy - 0.5): what the
people the reward model can read agree on. Why: a pick says one thing about one
of four images; the reward model generalises it, and its gradient moves every
image of every asked prompt the way most people prefer, where rwr and dpo only
fit the few hundred images people judged.
--snapshot adds the ordinary flow loss on the parent's snapshot, so what the
parent knew is not forgotten while it learns the preferences.

The feedback set is docs/formats/feedback-pairs.md; a second --pairs adds a set derived from
it (reward-ranked pairs, src/feedback/ranked.ts). Training uses the `train`
pairs; the `heldout` pairs are scored before and after (implicit preference
accuracy and DPO loss against the parent). Interrupted runs resume exactly from
RUN_DIR/checkpoint.pt as train.py's do, and RUN_DIR ends with what export.py
reads (final.pt, tokenizer.json, training.json), the parent's architecture and
config values recorded so the child can itself be fine-tuned (--init) later.
Progress goes to stdout as JSON lines ({"event": ...}).
"""
from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import os
import platform
import random
import signal
import sys
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import flow  # noqa: E402
from config import _check, load_config  # noqa: E402
from data import CaptionTable, Corpus, SnapshotError, box_resize, shard_paths, snapshot_id  # noqa: E402
from export import load_exported  # noqa: E402
from judge import Foreground  # noqa: E402
from model import TextToImage, count_params  # noqa: E402
from plots import loss_plot_png, sample_grid_png  # noqa: E402
from feedback_set import FeedbackSetError, read_set  # noqa: E402
from tokenizer import Tokenizer  # noqa: E402
from reward import load_reward, prompt_text  # noqa: E402
from train import apply_step, emit, lr_at, parse_overrides  # noqa: E402


@dataclass
class FinetuneConfig:
    method: str = "dpo"  # dpo, rwr or draft (--method)
    # optimisation
    steps: int = 400
    batch_size: int = 16  # pairs per step (dpo: 2 images each, rwr: the chosen one)
    lr: float = 3e-5  # ~30x below a from-scratch run (1e-3): small moves around the parent
    warmup_steps: int = 20
    min_lr_ratio: float = 0.1
    weight_decay: float = 0.0  # AdamW decays towards zero, not towards the parent: off
    beta2: float = 0.99
    grad_clip: float = 1.0
    ema_decay: float = 0.99  # a fine-tune is a few hundred steps; 0.999 would mostly average the parent
    # Diffusion-DPO's KL strength, on per-pixel mean squared velocity errors. The reference
    # implementation (and diffusers') also takes per-element means, not sums, and multiplies
    # by -0.5 * beta_dpo with beta_dpo 2000-5000: a coefficient of 1000-2500 on errors of
    # SD's eps-prediction in latents, ~0.1 on average. Ours are of the same size (the default
    # model ends its training at a flow loss of 0.074), so the same coefficient applies, at
    # the low end (the weaker pull towards the parent) because feedback sets are small and
    # runs short. The policy stops pushing a pair once beta * |d| is a few units: once it fits
    # the chosen image ~0.003 per pixel better than the reference does, relative to the rejected one.
    beta: float = 1000.0
    snapshot_weight: float = 0.5  # --snapshot: weight of the parent's flow loss on its snapshot
    grad_steps: int = 1  # draft: sampling steps the reward's gradient flows through (the last ones; DRaFT-1 by default)
    # draft: weight of the mean squared change of each image from the parent's image of the same prompt
    # and noise (pixels in [-1, 1]). Without it the reward model, which reads colours but not which emoji
    # an image shows, is followed until every image is warm and vivid and the subject is gone (measured
    # in the simulated loop, 80 steps at lr 1e-5: faithfulness 30.2% -> 4.2%). Measured there: at 10 the
    # images still moved 0.085 (mean squared) and faithfulness fell to 16.7%; at 40 they moved 0.014,
    # faithfulness 27.1% (not a significant fall), and the people still preferred the child 74.3%.
    anchor: float = 40.0
    # draft: the anchor's weight on the background of the parent's image, relative to its subject (1: the
    # same everywhere). The subject is what the prompt asked for; the setting around it is where a taste
    # for colour can be met without changing what the image shows. The subject is found as the judge's
    # input stage finds it (judge.Foreground: a plane fitted to the border ring, no parameters), on the
    # parent's image, so the child cannot move it by changing its own.
    anchor_background: float = 1.0
    snapshot_batch: int = 16
    eval_draws: int = 8  # (t, noise) draws per held-out pair, the same before and after
    # machine
    precision: str = "fp32"  # d is a small difference of nearly equal errors: full precision unless asked (bf16)
    channels_last: bool = True
    threads: int = 0  # 0: every core
    device: str = "cpu"
    # bookkeeping
    seed: int = 0
    log_every: int = 10
    checkpoint_every: int = 100


METHODS = ("dpo", "rwr", "draft")
# Defaults of one method, where its own measurements chose other values than the shared ones; a value
# given with --set wins. Draft's steps move the child far more than a DPO step does (a gradient on the
# images themselves): 80 steps at lr 1e-5 is the run measured in the simulated loop.
METHOD_DEFAULTS: dict[str, dict] = {"draft": {"lr": 1e-5, "steps": 80}}

# What may change when a run resumes (as in train.py): its length and how often it logs and checkpoints.
RESUMABLE_CHANGES = {"steps", "log_every", "checkpoint_every"}
EVAL_CHUNK = 32  # held-out pairs per batch; the eval noise is drawn per chunk, so it must stay fixed


def load_finetune_config(overrides: dict | None = None) -> FinetuneConfig:
    cfg = FinetuneConfig()
    fields = {f.name for f in dataclasses.fields(FinetuneConfig)}
    overrides = overrides or {}
    for k, v in METHOD_DEFAULTS.get(str(overrides.get("method", cfg.method)), {}).items():
        setattr(cfg, k, v)
    for k, v in overrides.items():
        if k not in fields:
            raise ValueError(f"unknown config key {k!r}")
        setattr(cfg, k, _check(k, v, type(getattr(cfg, k)), getattr(cfg, k)))
    if cfg.method not in METHODS:
        raise ValueError(f"config key 'method': dpo, rwr or draft, got {cfg.method!r}")
    if cfg.precision not in ("bf16", "fp32"):
        raise ValueError(f"config key 'precision': bf16 or fp32, got {cfg.precision!r}")
    for k in ("steps", "batch_size", "eval_draws", "log_every", "checkpoint_every", "snapshot_batch", "grad_steps"):
        if getattr(cfg, k) < 1:
            raise ValueError(f"config key {k!r}: at least 1, got {getattr(cfg, k)!r}")
    if cfg.anchor < 0:
        raise ValueError(f"config key 'anchor': zero or positive, got {cfg.anchor!r}")
    if not 0 <= cfg.anchor_background <= 1:
        raise ValueError(f"config key 'anchor_background': between 0 and 1, got {cfg.anchor_background!r}")
    if cfg.beta <= 0:
        raise ValueError(f"config key 'beta': positive, got {cfg.beta!r}")
    return cfg


def as_dict(cfg: FinetuneConfig) -> dict:
    return dataclasses.asdict(cfg)


# -- the feedback set ---------------------------------------------------------
# Read and checked by feedback_set.read_set, as reward.py reads it; here it becomes arrays at
# the model's size. FeedbackError is the same error type, under the name this module used.
FeedbackError = FeedbackSetError


@dataclass
class FeedbackPairs:
    id: str  # the set's id; sets read together: their ids joined by "+"
    images: np.ndarray  # (U, 3, S, S) float32 in [-1, 1], every distinct image once
    prompts: list[str]  # per pair, as typed
    chosen: np.ndarray  # (N,) int64 rows of images
    rejected: np.ndarray  # (N,) int64
    weight: np.ndarray  # (N,) float32
    split: np.ndarray  # (N,) str
    ids: list[str] = dataclasses.field(default_factory=list)  # every set read, in --pairs order
    derived_from: dict = dataclasses.field(default_factory=dict)  # set id -> the set a derived set was made from

    def indices(self, split: str) -> np.ndarray:
        return np.nonzero(self.split == split)[0]


def read_feedback_set(folder: str, image_size: int) -> FeedbackPairs:
    """The set's pairs and images at image_size. A set without train pairs is refused too: there
    would be nothing to fine-tune on. A set made by a larger model is box-averaged down, as
    snapshots are for training."""
    fs = read_set(folder)
    pairs_path = os.path.join(folder, "pairs.jsonl")
    if not any(r["split"] == "train" for r in fs.pairs):
        raise FeedbackError(f"{pairs_path}: no pairs with split 'train' to learn from")
    native = fs.images.shape[1]
    if native != image_size:
        if native % image_size:
            raise FeedbackError(f"{os.path.join(folder, 'feedback-set.json')}: images of {native}x{native} pixels cannot be "
                                f"box-resized to the model's {image_size}x{image_size}")
        pixels = box_resize(fs.images, image_size)
    else:
        pixels = fs.images.astype(np.float32)
    images = np.ascontiguousarray((pixels / np.float32(127.5) - np.float32(1.0)).transpose(0, 3, 1, 2)).astype(np.float32)
    index = {p: i for i, p in enumerate(fs.image_paths)}
    return FeedbackPairs(
        fs.manifest["id"], images, [r["prompt"] for r in fs.pairs],
        np.array([index[r["chosen"]] for r in fs.pairs], dtype=np.int64),
        np.array([index[r["rejected"]] for r in fs.pairs], dtype=np.int64),
        np.array([float(r["weight"]) for r in fs.pairs], dtype=np.float32),
        np.array([r["split"] for r in fs.pairs]),
        [fs.manifest["id"]],
        {fs.manifest["id"]: fs.manifest["derived"]["feedbackSet"]} if isinstance(fs.manifest.get("derived"), dict) else {},
    )


def read_feedback_sets(folders: list[str], image_size: int) -> FeedbackPairs:
    """Several sets as one (a people's set and the reward-ranked set derived from it): the pairs
    in the order given, every image once per set. A derived set comes with the set it was made
    from, so a child never learns what a reward model ranked without the people's pairs behind it."""
    sets = [read_feedback_set(f, image_size) for f in folders]
    ids = [s.id for s in sets]
    if len(set(ids)) != len(ids):
        raise FeedbackError(f"--pairs: the same set given twice ({', '.join(ids)})")
    derived = {k: v for s in sets for k, v in s.derived_from.items()}
    for d, src in derived.items():
        if src not in ids:
            raise FeedbackError(f"--pairs: {d} was derived from {src}, which is not among the sets given")
    if len(sets) == 1:
        return sets[0]
    offsets = np.cumsum([0] + [len(s.images) for s in sets[:-1]])
    return FeedbackPairs(
        "+".join(ids), np.concatenate([s.images for s in sets]), [p for s in sets for p in s.prompts],
        np.concatenate([s.chosen + o for s, o in zip(sets, offsets)]),
        np.concatenate([s.rejected + o for s, o in zip(sets, offsets)]),
        np.concatenate([s.weight for s in sets]), np.concatenate([s.split for s in sets]), ids, derived,
    )


# -- the run ------------------------------------------------------------------
class Finetuner:
    def __init__(self, cfg: FinetuneConfig, init: str, pairs: str | list[str], out: str, snapshot: str | None = None,
                 reward: str | None = None):
        self.cfg, self.out = cfg, out
        torch.set_num_threads(cfg.threads or max(1, os.cpu_count() or 1))
        self.device = torch.device(cfg.device)
        os.makedirs(out, exist_ok=True)
        parent, tok, card = load_exported(init)
        self.tok: Tokenizer = tok
        self.parent_id: str = card["id"]
        training = card.get("training") or {}
        lineage = card.get("lineage") or {}
        self.parent_values: dict = training["configValues"]  # load_exported refused a card without them
        self.parent_cfg, _ = load_config(None, self.parent_values)
        self.parent_config_name = lineage.get("config") or training.get("config")
        self.parent_images = int(training.get("imagesSeenTotal", training.get("imagesSeen", 0)))
        self.snapshot_id: str | None = lineage.get("snapshot") or training.get("snapshot")
        self.mcfg = parent.cfg
        self.sampling: dict = card.get("sampling") or {}
        t0 = time.time()
        try:
            self.set = read_feedback_sets([pairs] if isinstance(pairs, str) else pairs, self.mcfg.image_size)
        except FeedbackError as e:
            raise SystemExit(str(e)) from None
        self.train_idx = self.set.indices("train")
        self.heldout_idx = self.set.indices("heldout")
        self.ids = {p: self.tok.encode(prompt_text(p)) for p in dict.fromkeys(self.set.prompts)}
        self.corpus: Corpus | None = None
        self.mixed_snapshot: str | None = None
        if snapshot:
            try:
                sid = snapshot_id(snapshot)
                paths = shard_paths(snapshot)
            except (SnapshotError, OSError) as e:
                raise SystemExit(f"--snapshot {snapshot}: {e}") from None
            # The lineage names one snapshot: another one's posts would be in the model without being in it.
            if self.snapshot_id and sid != self.snapshot_id:
                raise SystemExit(f"--snapshot {snapshot}: it is {sid}, but {self.parent_id} was trained on "
                                 f"{self.snapshot_id}; give that snapshot or none")
            self.snapshot_id = self.mixed_snapshot = sid
            self.corpus = Corpus(paths, self.mcfg.image_size)
            # Drawn as train.py draws them (tokens dropped on the table), on the CPU with self.gen.
            self.snapshot_captions = CaptionTable(self.corpus.captions, self.tok.encode, torch.device("cpu"))
        emit("data", pairs=len(self.set.prompts), train=len(self.train_idx), heldout=len(self.heldout_idx),
             images=len(self.set.images), snapshotItems=len(self.corpus) if self.corpus else 0,
             seconds=round(time.time() - t0, 2))
        tok_path = os.path.join(out, "tokenizer.json")
        if not os.path.exists(tok_path):
            self.tok.save(tok_path + ".tmp")
            os.replace(tok_path + ".tmp", tok_path)
        # The reference is the parent itself, frozen; the policy is a copy that trains.
        self.ref = parent.to(self.device).eval()
        self.reward_id: str | None = None
        if cfg.method == "draft":
            if not reward:
                raise SystemExit("--method draft needs --reward REWARD_DIR: a reward model learnt from this set's training pairs")
            self.setup_reward(reward, os.path.join(init, "tokenizer.json"))
        elif reward:
            raise SystemExit(f"--reward is for --method draft, not {cfg.method}")
        for p in self.ref.parameters():
            p.requires_grad_(False)
        self.model = copy.deepcopy(parent)
        for p in self.model.parameters():
            p.requires_grad_(True)
        self.model.train()
        if cfg.channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
            self.ref = self.ref.to(memory_format=torch.channels_last)
        self.ema = {k: v.detach().clone().float() for k, v in self.model.state_dict().items()}
        decay, no_decay = [], []
        for n, p in self.model.named_parameters():
            (no_decay if p.ndim < 2 or "norm" in n or n.endswith(".pos") else decay).append(p)
        self.opt = torch.optim.AdamW(
            [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
            lr=cfg.lr, betas=(0.9, cfg.beta2),
        )
        self.step = 0
        self.images_seen = 0
        self.pairs_seen = 0
        self.train_seconds = 0.0
        self.history: list[dict] = []
        self.rng = np.random.default_rng([cfg.seed, 17])
        self.crng = random.Random(cfg.seed * 1000 + 17)
        self.gen = torch.Generator().manual_seed(cfg.seed * 1000 + 18)
        self.stop = False
        # draft: each account's score spread, measured once at the start of a run (run()), or the
        # one a resumed run began with (load()).
        self.reward_sd: list[float] | None = None
        self.foreground: Foreground | None = None  # draft with anchor_background < 1: the subject's mask

    # -- the reward model (draft) --------------------------------------------
    def setup_reward(self, reward_dir: str, tokenizer_path: str) -> None:
        """Loads the reward model draft follows and checks it may be followed: learnt from this
        set's training pairs (never a judge, which learnt the held-out pairs the child is then
        compared on), prompts encoded with the parent's tokenizer."""
        try:
            model, card = load_reward(reward_dir)
        except FeedbackError as e:
            raise SystemExit(str(e)) from None
        people = next(i for i in self.set.ids if i not in self.set.derived_from)
        rid = card.get("id")
        if card.get("feedbackSet") != people:
            raise SystemExit(f"--reward {reward_dir}: {rid} learnt from {card.get('feedbackSet')}, not from {people}")
        if card.get("learntSplit", "train") != "train":
            raise SystemExit(f"--reward {reward_dir}: {rid} is a judge (it learnt from the held-out pairs); "
                             "following it would teach the child what the comparison then measures")
        with open(os.path.join(reward_dir, "tokenizer.json"), "rb") as a, open(tokenizer_path, "rb") as b:
            if a.read() != b.read():
                raise SystemExit(f"--reward {reward_dir}: {rid} encodes prompts with another tokenizer than {self.parent_id}")
        size = int(card["imageSize"])
        if self.mcfg.image_size % size:
            raise SystemExit(f"--reward {reward_dir}: {rid} reads {size}px images, which {self.mcfg.image_size}px ones cannot be box-averaged to")
        self.reward_pool = self.mcfg.image_size // size
        self.reward = model.to(self.device)
        for p in self.reward.parameters():
            p.requires_grad_(False)
        self.reward_id = rid
        # Row k + 1 is accounts[k] (reward.py); with no personal rows, row 0, the shared score.
        accounts: list[str] = card.get("accounts") or []
        by_account = (card.get("metrics") or {}).get("byAccount") or {}
        if accounts:
            w = [max(0.0, ((by_account.get(a) or {}).get("heldOutAccuracy") or 0.5) - 0.5) for a in accounts]
            self.reward_rows = list(range(1, len(accounts) + 1))
            self.reward_weights = w if any(x > 0 for x in w) else [1.0] * len(accounts)
        else:
            self.reward_rows, self.reward_weights = [0], [1.0]
        self.reward_accounts = accounts or ["anyone"]
        self.draft_prompts = sorted({self.set.prompts[i] for i in self.train_idx})
        self.heldout_prompts = sorted({self.set.prompts[i] for i in self.heldout_idx})

    def imagine(self, m: TextToImage, ids: torch.Tensor, noise: torch.Tensor, grad_steps: int = 0) -> torch.Tensor:
        """m's images for the token ids, sampled as the product samples (the parent card's sampler,
        steps, guidance and guidance interval); the graph kept through the last grad_steps steps."""
        sp, n = self.sampling, ids.shape[0]
        both_ids = torch.cat([ids, torch.tensor([self.tok.encode("")] * n, dtype=torch.long, device=self.device)])
        with torch.set_grad_enabled(grad_steps > 0), self.autocast():
            tokens, pooled = m.encoder(both_ids)

        def both(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
            with self.autocast():
                return m.unet(x, t, tokens, pooled, both_ids)

        def captioned(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
            with self.autocast():
                return m.unet(x, t, tokens[:n], pooled[:n], ids)

        interval = sp.get("guidanceInterval")
        v = flow.guided(both, float(sp.get("guidance", self.parent_cfg.sample_guidance)),
                        tuple(interval) if interval else None, captioned)
        if self.cfg.channels_last:
            noise = noise.contiguous(memory_format=torch.channels_last)
        return flow.integrate(v, noise, int(sp.get("steps", self.parent_cfg.sample_steps)), sp.get("method", "euler"),
                              float(sp.get("shift", 1.0)), grad_steps).float()

    def account_scores(self, x: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        """(accounts, N): each weighted account's score of the images x in [-1, 1] (clamped, as the
        product's PNGs are) for the prompts ids."""
        img = x.clamp(-1, 1)
        if self.reward_pool > 1:
            img = F.avg_pool2d(img, self.reward_pool)
        n = img.shape[0]
        return torch.stack([self.reward(img, ids, torch.full((n,), row, dtype=torch.long, device=self.device))
                            for row in self.reward_rows])

    def consensus(self, x: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        """(N,) what the accounts agree on: each one's score over its spread, weighted (ranked.ts consensus)."""
        sd = torch.tensor(self.reward_sd, device=self.device).unsqueeze(1)
        w = torch.tensor(self.reward_weights, device=self.device).unsqueeze(1)
        return (w * self.account_scores(x, ids) / sd).sum(0) / w.sum()

    @torch.no_grad()
    def reward_spread(self, prompts: int = 16, per_prompt: int = 4) -> list[float]:
        """Each account's score spread among the parent's images of one prompt (root mean within-prompt
        variance), over a fixed draw of training prompts and noise: the scale ranked.ts standardises by."""
        g = torch.Generator().manual_seed(self.cfg.seed * 1000 + 19)
        chosen = self.spread_prompts(prompts)
        var = torch.zeros(len(self.reward_rows))
        for p in chosen:
            ids, noise = self.prompt_batch(p, per_prompt, g)
            var += self.account_scores(self.imagine(self.ref, ids, noise), ids).var(dim=1, unbiased=True).cpu()
        sd = (var / len(chosen)).sqrt()
        return [float(v) if v > 1e-6 else 1.0 for v in sd]

    @torch.no_grad()
    def prompt_reward(self, m: TextToImage, prompts: list[str], per_prompt: int = 4) -> float | None:
        """Mean consensus score of m's images of the prompts (fixed noise: the same for every model)."""
        if not prompts:
            return None
        g = torch.Generator().manual_seed(self.cfg.seed * 1000 + 20)
        total = 0.0
        for p in prompts:
            ids, noise = self.prompt_batch(p, per_prompt, g)
            total += float(self.consensus(self.imagine(m, ids, noise), ids).mean())
        return total / len(prompts)

    def reward_report(self, m: TextToImage) -> dict:
        """The consensus score of m's images of the held-out prompts (never trained on) and of up to 32
        training prompts (what draft optimises)."""
        return {"heldOut": self.prompt_reward(m, self.heldout_prompts), "train": self.prompt_reward(m, self.spread_prompts(32))}

    def spread_prompts(self, n: int) -> list[str]:
        """Up to n training prompts spread evenly over the sorted list: a fixed draw."""
        return self.draft_prompts[:: max(1, len(self.draft_prompts) // n)][:n]

    def prompt_batch(self, p: str, k: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """k copies of prompt p's token ids, and k noises drawn from g."""
        ids = torch.tensor([self.ids[p]] * k, dtype=torch.long, device=self.device)
        return ids, torch.randn((k, 3, self.mcfg.image_size, self.mcfg.image_size), generator=g).to(self.device)

    # -- checkpoints ---------------------------------------------------------
    @property
    def ckpt_path(self) -> str:
        return os.path.join(self.out, "checkpoint.pt")

    def save(self) -> None:
        state = {
            "model": self.model.state_dict(),
            "ema": self.ema,
            "opt": self.opt.state_dict(),
            "step": self.step,
            "images_seen": self.images_seen,
            "pairs_seen": self.pairs_seen,
            "train_seconds": self.train_seconds,
            "history": self.history,
            "rng": self.rng.bit_generator.state,
            "crng": self.crng.getstate(),
            "gen": self.gen.get_state(),
            "config": as_dict(self.cfg),
            "init": self.parent_id,
            "feedback_set": self.set.id,
            "snapshot": self.mixed_snapshot,
            "reward": self.reward_id,
            "reward_sd": self.reward_sd,
        }
        tmp = self.ckpt_path + ".tmp"
        torch.save(state, tmp)
        os.replace(tmp, self.ckpt_path)  # never a half-written checkpoint

    def load(self) -> bool:
        if not os.path.exists(self.ckpt_path):
            return False
        s = torch.load(self.ckpt_path, map_location="cpu", weights_only=False)
        for key, have, what in (("init", self.parent_id, "started from"), ("feedback_set", self.set.id, "trained on"),
                                ("snapshot", self.mixed_snapshot, "mixed in the snapshot"), ("reward", self.reward_id, "followed")):
            if s.get(key) != have:
                raise SystemExit(f"{self.ckpt_path}: {what} {s.get(key) or 'none'}, not {have or 'none'}; use another --out")
        changed = {k for k, v in as_dict(self.cfg).items() if s["config"].get(k) != v}
        if changed - RESUMABLE_CHANGES:
            raise SystemExit(f"{self.ckpt_path}: saved with another config ({', '.join(sorted(changed - RESUMABLE_CHANGES))} changed);"
                             " use the same config or another --out")
        if changed:
            emit("config-changed", keys=sorted(changed), was={k: s["config"][k] for k in sorted(changed)})
        self.model.load_state_dict(s["model"])
        if s.get("reward_sd") is not None:
            self.reward_sd = s["reward_sd"]  # the scale the run began with, whatever the threads now
        self.ema = s["ema"]
        self.opt.load_state_dict(s["opt"])
        self.step, self.images_seen, self.pairs_seen = s["step"], s["images_seen"], s["pairs_seen"]
        self.train_seconds, self.history = s["train_seconds"], s["history"]
        self.rng.bit_generator.state = s["rng"]
        self.crng.setstate(s["crng"])
        self.gen.set_state(s["gen"])
        return True

    # -- losses --------------------------------------------------------------
    def autocast(self) -> torch.autocast:
        return torch.autocast(device_type=self.device.type, dtype=torch.bfloat16, enabled=self.cfg.precision == "bf16")

    def encode(self, prompts: list[str], dropout: float = 0.0) -> torch.Tensor:
        ids = [self.tok.encode("") if dropout and self.crng.random() < dropout else self.ids[p] for p in prompts]
        return torch.tensor(ids, dtype=torch.long, device=self.device)

    def errors(self, m: TextToImage, x: torch.Tensor, noise: torch.Tensor, t: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        """Per-sample mean squared velocity error of m at x_t; x holds k images per row of ids
        (chosen then rejected), the caption is encoded once for them."""
        k = x.shape[0] // ids.shape[0]
        xt = flow.interpolate(x, noise, t)
        if self.cfg.channels_last:
            xt = xt.contiguous(memory_format=torch.channels_last)
        with self.autocast():
            tokens, pooled = m.encoder(ids)
            v = m.unet(xt, t, tokens.repeat(k, 1, 1), pooled.repeat(k, 1), ids.repeat(k, 1))
        return (v.float() - (noise - x)).pow(2).mean(dim=(1, 2, 3))

    def dpo_loss(self, pick: np.ndarray) -> tuple[torch.Tensor, float]:
        """The weighted DPO loss of the pairs `pick`, and the share of them the policy already ranks right (d < 0)."""
        s, n = self.set, len(pick)
        x = torch.from_numpy(np.concatenate([s.images[s.chosen[pick]], s.images[s.rejected[pick]]])).to(self.device)
        ids = self.encode([s.prompts[i] for i in pick])
        # One t and one noise per pair, shared by both images and both networks: d then compares
        # only how well each network fits each image, not the luck of the draw.
        noise = torch.randn((n,) + x.shape[1:], generator=self.gen).repeat(2, 1, 1, 1).to(self.device)
        t = flow.sample_t(n, self.gen).repeat(2).to(self.device)
        pol = self.errors(self.model, x, noise, t, ids)
        with torch.no_grad():
            ref = self.errors(self.ref, x, noise, t, ids)
        d = (pol[:n] - ref[:n]) - (pol[n:] - ref[n:])
        w = torch.from_numpy(s.weight[pick]).to(self.device)
        loss = (w * -F.logsigmoid(-self.cfg.beta * d)).sum() / w.sum().clamp(min=1e-8)
        return loss, float((d < 0).float().mean())

    def rwr_loss(self, pick: np.ndarray) -> torch.Tensor:
        """The flow loss on the chosen images, each weighted by its pair's weight; the parent's caption
        dropout keeps the unconditional half of guidance trained too, as in its own training."""
        s = self.set
        x = torch.from_numpy(s.images[s.chosen[pick]]).to(self.device)
        ids = self.encode([s.prompts[i] for i in pick], self.parent_cfg.caption_dropout)
        noise = torch.randn(x.shape, generator=self.gen).to(self.device)
        t = flow.sample_t(len(pick), self.gen).to(self.device)
        err = self.errors(self.model, x, noise, t, ids)
        w = torch.from_numpy(s.weight[pick]).to(self.device)
        return (w * err).sum() / w.sum().clamp(min=1e-8)

    def draft_loss(self, pick: np.ndarray) -> tuple[torch.Tensor, float, float]:
        """Minus the consensus score of the policy's images of the pairs' prompts (one new noise each),
        the gradient through the last grad_steps sampling steps, plus the anchor on their change from
        the parent's images of the same noise; the mean score and the mean squared change."""
        ids = torch.tensor([self.ids[self.set.prompts[i]] for i in pick], dtype=torch.long, device=self.device)
        noise = torch.randn((len(pick), 3, self.mcfg.image_size, self.mcfg.image_size), generator=self.gen).to(self.device)
        x = self.imagine(self.model, ids, noise, self.cfg.grad_steps)
        r = self.consensus(x, ids)
        if not self.cfg.anchor:
            return -r.mean(), float(r.detach().mean()), 0.0
        with torch.no_grad():
            parent = self.imagine(self.ref, ids, noise).clamp(-1, 1)
            weight = self.anchor_weights(parent)
        drift = (weight * (x.clamp(-1, 1) - parent).pow(2)).mean()
        return -r.mean() + self.cfg.anchor * drift, float(r.detach().mean()), float(drift.detach())

    def anchor_weights(self, parent: torch.Tensor) -> torch.Tensor | float:
        """Per-pixel weight of the anchor: 1 on the subject of the parent's image, anchor_background on
        its background (1 everywhere by default)."""
        bg = self.cfg.anchor_background
        if bg == 1.0:
            return 1.0
        if self.foreground is None:
            self.foreground = Foreground(parent.shape[-1]).to(self.device)
        fg = self.foreground.mask(parent)
        return fg + bg * (1.0 - fg)

    def snapshot_loss(self) -> torch.Tensor:
        """The parent's own objective on a batch of its snapshot (captions augmented as it was trained)."""
        c, pc = self.corpus, self.parent_cfg
        assert c is not None
        idx = torch.randint(0, len(c), (self.cfg.snapshot_batch,), generator=self.gen)
        ids = self.snapshot_captions.draw(idx, self.gen, pc.caption_dropout, pc.word_drop).to(self.device)
        x = torch.from_numpy(c.images[idx.numpy()]).to(self.device)
        if self.cfg.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)

        def velocity(xt: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
            with self.autocast():
                return self.model(xt, t.to(self.device), ids)

        return flow.loss(velocity, x, self.gen)

    def train_step(self) -> dict:
        cfg = self.cfg
        pick = self.train_idx[self.rng.integers(0, len(self.train_idx), cfg.batch_size)]
        for g in self.opt.param_groups:
            g["lr"] = lr_at(cfg, self.step)  # type: ignore[arg-type]  # lr_at reads lr, warmup_steps, steps, min_lr_ratio
        rec: dict = {}
        if cfg.method == "dpo":
            loss, rec["accuracy"] = self.dpo_loss(pick)
            self.images_seen += 2 * cfg.batch_size
        elif cfg.method == "draft":
            loss, rec["reward"], rec["drift"] = self.draft_loss(pick)
            self.images_seen += cfg.batch_size
        else:
            loss = self.rwr_loss(pick)
            self.images_seen += cfg.batch_size
        self.pairs_seen += cfg.batch_size
        rec["preferenceLoss"] = float(loss.detach())
        if self.corpus is not None:
            snap = self.snapshot_loss()
            rec["snapshotLoss"] = float(snap.detach())
            loss = loss + cfg.snapshot_weight * snap
            self.images_seen += cfg.snapshot_batch
        apply_step(self.model, self.opt, self.ema, loss, cfg.grad_clip, cfg.ema_decay, self.step)
        rec["loss"] = float(loss.detach())
        return rec

    # -- held-out pairs ------------------------------------------------------
    def ema_model(self) -> TextToImage:
        m = TextToImage(self.mcfg)
        m.load_state_dict(self.ema)
        m = m.to(self.device).eval()
        return m.to(memory_format=torch.channels_last) if self.cfg.channels_last else m

    @torch.no_grad()
    def heldout_errors(self, m: TextToImage) -> torch.Tensor:
        """(N, draws, 2) velocity errors of m on the held-out (chosen, rejected) images. The draws come
        from a generator seeded per chunk of pairs, so every model is scored on the same t and noise."""
        s, cfg = self.set, self.cfg
        out = []
        for c0 in range(0, len(self.heldout_idx), EVAL_CHUNK):
            pick = self.heldout_idx[c0 : c0 + EVAL_CHUNK]
            n = len(pick)
            g = torch.Generator().manual_seed(cfg.seed * 1_000_003 + c0 + 99)
            x = torch.from_numpy(np.concatenate([s.images[s.chosen[pick]], s.images[s.rejected[pick]]])).to(self.device)
            ids = torch.tensor([self.ids[s.prompts[i]] for i in pick], dtype=torch.long, device=self.device)
            errs = []
            for _ in range(cfg.eval_draws):
                noise = torch.randn((n,) + x.shape[1:], generator=g).repeat(2, 1, 1, 1).to(self.device)
                t = flow.sample_t(n, g).repeat(2).to(self.device)
                e = self.errors(m, x, noise, t, ids)
                errs.append(torch.stack([e[:n], e[n:]], 1))
            out.append(torch.stack(errs, 1))
        return torch.cat(out).cpu()

    def heldout_metrics(self, pol: torch.Tensor, ref: torch.Tensor) -> dict:
        """implicitAccuracy: share of pairs with d < 0 (d averaged over the draws; a tie counts half, so
        the parent against itself scores 0.5); dpoLoss: mean -log sigmoid(-beta d) over pairs and draws;
        modelAccuracy: share of pairs whose chosen image the model itself fits better (lower velocity
        error, i.e. higher likelihood), the parent's own ranking before, the child's after."""
        d = (pol[..., 0] - ref[..., 0]) - (pol[..., 1] - ref[..., 1])  # (N, draws)
        dm = d.mean(1)
        pm = pol.mean(1)
        return {
            "pairs": int(d.shape[0]),
            "implicitAccuracy": float((dm < 0).float().mean() + 0.5 * (dm == 0).float().mean()),
            "dpoLoss": float((-F.logsigmoid(-self.cfg.beta * d)).mean()),
            "modelAccuracy": float((pm[:, 0] < pm[:, 1]).float().mean()),
            "meanD": float(dm.mean()),
        }

    # -- samples -------------------------------------------------------------
    def write_samples(self, name: str) -> str:
        """For up to 8 prompts (held-out first): a chosen image, then four samples from the parent and
        four from the child, the same noise for both, so the change is what differs."""
        pc = self.parent_cfg
        s = self.set
        order = list(self.heldout_idx) + list(self.train_idx)
        prompts = list(dict.fromkeys(s.prompts[i] for i in order))[:8]
        child = self.ema_model()
        rows = []
        g = torch.Generator().manual_seed(1234)
        for p in prompts:
            real = torch.from_numpy(s.images[s.chosen[s.prompts.index(p)]][None])
            ids = torch.tensor([self.ids[p]] * 4 + [self.tok.encode("")] * 4, device=self.device)
            noise = torch.randn(4, 3, self.mcfg.image_size, self.mcfg.image_size, generator=g).to(self.device)
            row = [real]
            for m in (self.ref, child):
                with torch.no_grad():
                    tokens, pooled = m.encoder(ids)
                both = lambda x, t, m=m, tokens=tokens, pooled=pooled: m.unet(x, t.to(self.device), tokens, pooled, ids)  # noqa: E731
                row.append(flow.sample(flow.guided(both, pc.sample_guidance), noise, pc.sample_steps).cpu())
            rows.append(torch.cat(row, 0))
        path = os.path.join(self.out, name)
        with open(path, "wb") as f:
            f.write(sample_grid_png(torch.stack(rows)))
        return path

    # -- the loop ------------------------------------------------------------
    def run(self, max_seconds: float | None, stop_after: int | None = None) -> None:
        cfg = self.cfg
        resumed = self.load()
        if self.reward_id and self.reward_sd is None:
            self.reward_sd = self.reward_spread()
        emit("start", step=self.step, steps=cfg.steps, resumed=resumed, method=cfg.method, init=self.parent_id,
             feedbackSet=self.set.id, snapshot=self.mixed_snapshot, params=count_params(self.model),
             threads=torch.get_num_threads())
        # draft is measured by the reward on the held-out prompts (below); the pairs' velocity errors
        # say how a model ranks two given images, which is not what it learns.
        self.ref_heldout = self.heldout_errors(self.ref) if len(self.heldout_idx) and cfg.method != "draft" else None
        self.reward_before = self.reward_report(self.ref) if self.reward_id else None
        if self.reward_before is not None:
            emit("reward", when="before", step=self.step, **self.reward_before)
        if self.ref_heldout is not None:
            emit("heldout", when="before", step=self.step, **self.heldout_metrics(self.ref_heldout, self.ref_heldout))
        started, first = time.time(), self.step
        last_t, last_images, window = time.time(), self.images_seen, []
        while self.step < cfg.steps:
            t0 = time.time()
            rec = self.train_step()
            self.step += 1
            self.train_seconds += time.time() - t0
            window.append(rec)
            if self.step % cfg.log_every == 0 or self.step == cfg.steps:
                now = time.time()
                ips = (self.images_seen - last_images) / max(1e-9, now - last_t)
                mean = {k: sum(r[k] for r in window) / len(window) for k in window[0]}
                rec = {"step": self.step, **mean, "lr": lr_at(cfg, self.step - 1),  # type: ignore[arg-type]
                       "images": self.images_seen, "imagesPerSecond": ips, "seconds": self.train_seconds}
                eta = (cfg.steps - self.step) * (now - last_t) / len(window)
                self.history.append(rec)
                window = []
                last_t, last_images = now, self.images_seen
                emit("progress", steps=cfg.steps, eta=eta, **rec)
                with open(os.path.join(self.out, "metrics.jsonl"), "a", encoding="utf-8") as f:
                    f.write(json.dumps(rec) + "\n")
            if self.step % cfg.checkpoint_every == 0:
                self.save()
            if self.stop or (max_seconds is not None and time.time() - started > max_seconds):
                break
            if stop_after is not None and self.step - first >= stop_after:  # tests of exact resume
                break
        self.save()
        with open(os.path.join(self.out, "loss.png"), "wb") as f:
            f.write(loss_plot_png([(h["images"], h["loss"]) for h in self.history]))
        if self.step >= cfg.steps:
            self.finish()
        emit("stopped" if self.step < cfg.steps else "done", step=self.step, steps=cfg.steps)

    def finish(self) -> None:
        heldout = None
        if self.ref_heldout is not None:
            after = self.heldout_metrics(self.heldout_errors(self.ema_model()), self.ref_heldout)
            heldout = {"before": self.heldout_metrics(self.ref_heldout, self.ref_heldout), "after": after}
            emit("heldout", when="after", step=self.step, **after)
        reward = None
        if self.reward_id:
            after = self.reward_report(self.ema_model())
            emit("reward", when="after", step=self.step, **after)
            reward = {"id": self.reward_id, "accounts": self.reward_accounts, "weights": self.reward_weights, "spread": self.reward_sd,
                      "heldOutPrompts": len(self.heldout_prompts), "before": self.reward_before, "after": after}
        final = self.write_samples("samples-final.png")
        # The parent's config values, not the fine-tuning ones: they describe the architecture, so
        # export.load_run and later load_exported (a further --init) rebuild the same network.
        torch.save({"ema": self.ema, "model_config": self.mcfg.__dict__, "config": self.parent_values},
                   os.path.join(self.out, "final.pt"))
        info = {
            "snapshot": self.snapshot_id,
            "config": self.parent_config_name,
            "configValues": self.parent_values,
            "init": self.parent_id,
            "feedbackSet": next(i for i in self.set.ids if i not in self.set.derived_from),
            "feedbackSets": self.set.ids,
            "method": self.cfg.method,
            "finetuneConfig": as_dict(self.cfg),
            "snapshotMixed": self.mixed_snapshot,
            "imagesSeenTotal": self.parent_images + self.images_seen,
            "steps": self.step,
            "imagesSeen": self.images_seen,
            "pairsSeen": self.pairs_seen,
            "trainSeconds": round(self.train_seconds, 1),
            "finalLoss": self.history[-1]["loss"] if self.history else None,
            "params": count_params(self.model),
            "hardware": {"machine": platform.machine(), "processor": platform.processor() or platform.machine(),
                         "cpus": os.cpu_count(), "threads": torch.get_num_threads(), "world": 1,
                         "device": self.cfg.device, "torch": torch.__version__},
            "heldOut": heldout,
            "reward": reward,
            "samples": os.path.basename(final),
        }
        with open(os.path.join(self.out, "training.json"), "w", encoding="utf-8") as f:
            json.dump(info, f, indent=2)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--init", required=True, metavar="MODEL_DIR", help="the exported model to start from (the parent)")
    ap.add_argument("--pairs", required=True, action="append", metavar="SET_DIR",
                    help="feedback set folder (feedback-set.json, pairs.jsonl, images/); again for a set derived from it")
    ap.add_argument("--out", required=True, help="run folder: checkpoint, metrics, final.pt, training.json")
    ap.add_argument("--method", choices=METHODS, default=None, help="dpo (default), rwr or draft")
    ap.add_argument("--reward", default=None, metavar="REWARD_DIR", help="draft: the reward model to follow (learnt from the set's training pairs)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override one config value")
    ap.add_argument("--snapshot", default=None, metavar="SNAPSHOT_DIR", help="also train on the parent's snapshot (against forgetting)")
    ap.add_argument("--max-seconds", type=float, default=None, help="stop (resumable) after this long")
    ap.add_argument("--stop-after", type=int, default=None, help="stop (resumable) after this many steps")
    a = ap.parse_args(argv)
    overrides = parse_overrides(a.set)
    if a.method:
        overrides["method"] = a.method
    try:
        cfg = load_finetune_config(overrides)
    except ValueError as e:
        raise SystemExit(str(e)) from None
    ft = Finetuner(cfg, a.init, a.pairs, a.out, a.snapshot, a.reward)

    def on_signal(signum: int, _frame: object) -> None:
        ft.stop = True  # finish the step, checkpoint, exit

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    ft.run(a.max_seconds, a.stop_after)
    return 0 if ft.step >= cfg.steps else 3


if __name__ == "__main__":
    sys.exit(main())
