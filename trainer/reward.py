"""The reward model: a score for (image, prompt, account), learnt from people's picks and rejections.

    /usr/bin/python3 trainer/reward.py --pairs SET_DIR --tokenizer TOKENIZER_JSON --out OUT_DIR \
        [--epochs N] [--members N] [--personal 0|1] [--threads N] [--seed N] [--image-size N] [--reference OUT.json]

It reads a feedback set (docs/formats/feedback-pairs.md): preference pairs of
two images of one generation, the one a person preferred (`chosen`) and the
other (`rejected`). The product uses the score to rerank: generate more images
than it shows, keep the best four (src/feedback/reward.ts); and the score says
which generator is preferred without asking anyone again.

Training is Bradley–Terry: P(chosen beats rejected) = sigmoid(s(chosen) -
s(rejected)), loss -log of it, weighted by the pair's `weight` (a pick over a
rejection says more than a pick over an image nobody judged). Only the
difference of two scores for the same prompt is learnt, so a score means
nothing on its own: it ranks images of one prompt.

The network is small so that it trains in seconds to minutes on a CPU and
scores dozens of candidates per request at no noticeable cost:
- image: three 3x3 conv stages (the last two of stride 2), global mean and
  max pooling (the subject can be small: max keeps it from being averaged
  away), a linear projection;
- prompt: the token embedding averaged over the non-padding tokens (word order
  hardly matters for "is this what I asked for"), a linear layer;
- score: 10 * cos(image, prompt) + 2 * tanh(taste(image)). The cosine judges
  faithfulness (does the image have what the prompt says?), the second term
  the taste that holds whatever the prompt (a blurred image loses anyway).
  Both are bounded, which is what makes it generalise to prompts it never saw:
  on the synthetic set of trainer/tests/feedback_fixtures.py (held-out prompts
  combine colours and shapes differently, and "blue" is trained in a single
  prompt), 30 epochs, trainer seeds 0-5, held-out accuracy was 0.88-1.0
  (mean 0.97) with this score and 0.92-1.0 with the bare cosine, against
  0.48-0.92 for an unbounded MLP over [image, prompt, image * prompt] and
  0.72-0.95 for an unbounded dot product: those reach train accuracy 1.0 as
  well, by growing the scores of spurious words ("a" was never trained with
  "blue", so it learnt "not blue"). The taste term cannot help on that set
  (every colour wins somewhere) and is kept for real feedback, where much of
  what people reject is wrong whatever the prompt.
  The cosine's weight (10 above) is chosen per set, by validation on the
  training prompts (choose_prompt_weight): on the simulated loop's sets the
  network cannot read what the faithful people check, and a weight of 0 or 1
  ranks new prompts better (held-out accuracy with the chosen weight 71.4 %
  against 68.0 % at a fixed 10, means over six sets).
No batch norm: a score must not depend on what else is in the batch.

A few hundred noisy pairs are little to learn from, so --members models are
trained from consecutive seeds and their scores averaged (one ONNX graph).
Measured on the simulated loop's set fb-9bbc8994a0b8ee87073f (540 pairs, 111
held out, 6 accounts, 10 epochs): held-out accuracy 67.6% for five personal
members; one member alone 55.9-68.5% (mean 62.2%, seeds 0-4); five members
without the account term 65.8%. Per account, five members: the four with a
colour taste 80-94% (60-83% without the account term), the two who want the
prompted emoji 33-42% (their picks follow a judge the model cannot read at
the generator's 4% faithfulness). The old default (one model, no account term,
30 epochs) gave 59.5% (mean of seeds 0-2).
Five epochs, not ten (2026-11-26): on the six feedback sets of the simulated
loop in this store (540-1620 pairs, 111-333 held out; four from the default model
of 3% faithfulness, two from the one of 28%), held-out accuracy with 3 / 5 / 10
epochs, five personal members, one thread:
  fb-6002… 69.1 / 67.6 / 64.3   fb-750c… 72.1 / 72.1 / 72.5   fb-c037… 75.2 / 77.0 / 74.3
  fb-7044… 64.6 / 66.7 / 67.9   fb-b59e… 72.5 / 69.4 / 64.0   fb-caf6… 68.9 / 67.6 / 65.3
  mean     70.4 / 70.1 / 68.3   (train accuracy 84-89 / 91-95 / 97-99)
Ten epochs learn the training pairs almost by heart; fewer generalise a little better.
Tried and left out (2026-11-26, set fb-b59e3a418b6d3d149aa2 of the default model
with 28% faithfulness, 1080 pairs, 222 held out): learning the cosine first from
the snapshot's pictures and captions (contrastive, as CLIP; 20 passes, 52% in-batch
top-1 on 256) gave 66.2% held-out against 64.0%, within noise, and on its own it
ranked the faithful people's 294 training pairs at 46.9%: a network this small
does not tell apart four samples of one prompt by which emoji they show.

Prompts are tokenized as the generator encodes them: the leading "imagine"
dropped (src/imagine/index.ts promptText), then the generator's tokenizer, so
the product's TypeScript ids are the trained ids. Images are the generator's
native pixels, box-averaged down when --image-size is smaller, in [-1, 1] as
u8 / 127.5 - 1. Augmentations keep what a person judged: sub-pixel shifts of
up to an eighth of the side and horizontal flips; no colour changes, since
colour is often exactly what the prompt asked for.

Pairs with split "train" are learnt; "heldout" pairs (whole prompts never
trained on) give the held-out pairwise accuracy: how often the chosen image
scores higher, ties counting half. --learn-split heldout swaps the roles and
makes a judge for comparing a fine-tuned model with its parent: the split is a
function of the prompt, so the judge never learnt from a prompt that any
fine-tuning run learns from (a reward model trained on the child's own pairs
flatters it). Outputs in --out:

  reward.onnx     opset 17; inputs `image` (B, 3, S, S) float32 in [-1, 1],
                  `ids` (B, T) int64 and `account` (B) int64 (a row: 0 for anyone,
                  i + 1 for the card's accounts[i]); output `score` (B) float32.
                  B is dynamic.
  tokenizer.json  the tokenizer, byte for byte.
  reward.json     the card: {"format": "vitrine-reward-model", "version": 1,
                  "id": "reward-" + first 20 hex of the sha256 of the sha256s
                  of tokenizer.json and reward.onnx (as export.py names
                  models), then of the accounts joined by newlines when there
                  are any, "imageSize", "accounts", "maxTokens", "feedbackSet", "learntSplit", "pairs",
                  "metrics", "training"}.

--reference OUT.json also writes, for the TypeScript parity test, a few
held-out images (native u8 pixels, planar) with their prompts, the ids and
PyTorch's scores. Progress goes to stdout as JSON lines ({"event": ...}).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import re
import shutil
import sys
import time
import warnings
from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from data import box_resize  # noqa: E402
from feedback_set import SPLITS, FeedbackSet, FeedbackSetError, read_set  # noqa: E402
from tokenizer import PAD, Tokenizer  # noqa: E402
from model import count_params  # noqa: E402
from train import cosine_lr, emit  # noqa: E402

FORMAT = "vitrine-reward-model"
VERSION = 1


# The twin of promptText in src/imagine/index.ts: the generator never sees the leading
# "imagine", so neither does the reward model. \b there is an ASCII word boundary (a /u regex).
_IMAGINE = re.compile(r"^imagine(?![A-Za-z0-9_])[\s:,.!-]*", re.IGNORECASE)


def prompt_text(prompt: str) -> str:
    return _IMAGINE.sub("", prompt.strip(), count=1).strip()


# ---------------------------------------------------------------- data


def to_input(images: np.ndarray, size: int) -> torch.Tensor:
    """(N, H, H, 3) uint8 -> (N, 3, size, size) float32 in [-1, 1]: the ONNX graph's `image`
    (size divides H: main checks it before, so box_resize's snapshot error cannot happen)."""
    x = box_resize(images, size) / np.float32(127.5) - np.float32(1.0)
    return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))


# ---------------------------------------------------------------- model


class Reward(nn.Module):
    SCALE = 10.0  # the cosine's default weight: a pair's probability ranges from sigmoid(-20) to sigmoid(20)
    TASTE = 2.0  # the prompt-independent term's weight: it can tip a close call, not outvote the prompt

    PERSONAL = 8.0  # the account's own taste: it may outweigh the shared taste and a middling prompt match

    def __init__(self, vocab_size: int, widths: tuple[int, ...] = (16, 32, 64), dim: int = 64, accounts: int = 0,
                 prompt_weight: float = SCALE):
        super().__init__()
        # The cosine's weight; main() chooses it by validation (choose_prompt_weight): where the
        # network cannot read what people check against the prompt, the cosine only adds noise.
        self.prompt_weight = float(prompt_weight)
        layers: list[nn.Module] = [nn.Conv2d(3, widths[0], 3, padding=1), nn.ReLU()]
        for cin, cout in zip(widths, widths[1:]):
            layers += [nn.Conv2d(cin, cout, 3, stride=2, padding=1), nn.ReLU()]
        self.convs = nn.Sequential(*layers)
        self.img_proj = nn.Linear(2 * widths[-1], dim)
        self.embed = nn.Embedding(vocab_size, dim, padding_idx=PAD)
        nn.init.normal_(self.embed.weight, std=0.3)
        with torch.no_grad():
            self.embed.weight[PAD].zero_()
        self.txt_proj = nn.Linear(dim, dim)
        self.taste = nn.Linear(dim, 1)
        # Row 0 is "anyone" (an account the model never learnt from, or no account): fixed at zero,
        # so its score is exactly the shared one.
        self.person = nn.Embedding(accounts + 1, dim, padding_idx=0)
        nn.init.zeros_(self.person.weight)

    def image_features(self, image: torch.Tensor) -> torch.Tensor:
        h = self.convs(image)
        # Mean and max: the average colour of the picture and its strongest detail.
        return self.img_proj(torch.cat([h.mean(dim=(2, 3)), h.amax(dim=(2, 3))], dim=1))

    def text_features(self, ids: torch.Tensor) -> torch.Tensor:
        mask = (ids != PAD).float().unsqueeze(2)
        mean = (self.embed(ids) * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
        return self.txt_proj(mean)

    def forward(self, image: torch.Tensor, ids: torch.Tensor, account: torch.Tensor) -> torch.Tensor:
        i, t = self.image_features(image), self.text_features(ids)
        match = (F.normalize(i, dim=1) * F.normalize(t, dim=1)).sum(dim=1)
        own = (self.person(account) * i).sum(dim=1)
        return self.prompt_weight * match + self.TASTE * torch.tanh(self.taste(i).squeeze(1)) + self.PERSONAL * torch.tanh(own)


def augment(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """Sub-pixel shifts of up to S/8 (border pixels repeated) and horizontal flips, per image."""
    b = x.shape[0]
    shift = (torch.rand(b, 2, generator=g) * 2 - 1) * 0.25  # normalised coordinates span 2: 0.25 is S/8
    flip = torch.where(torch.rand(b, generator=g) < 0.5, -1.0, 1.0)
    theta = torch.zeros(b, 2, 3)
    theta[:, 0, 0] = flip
    theta[:, 1, 1] = 1.0
    theta[:, :, 2] = shift
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


# ---------------------------------------------------------------- training


@dataclass
class Pairs:
    """Every pair of the set as indices into the image and prompt tensors."""
    x: torch.Tensor  # (N images, 3, S, S) in [-1, 1]
    ids: torch.Tensor  # (N prompts, T)
    chosen: torch.Tensor  # per pair: image index
    rejected: torch.Tensor
    prompt: torch.Tensor  # per pair: prompt index
    weight: torch.Tensor
    account: torch.Tensor  # per pair: the account's row (0: anyone)


def pair_scores(model: nn.Module, d: Pairs, batch: int = 256) -> tuple[torch.Tensor, torch.Tensor]:
    """Scores of the chosen and the rejected image of each pair, for its account's row (eval mode, no augmentation)."""
    model.eval()
    sc, sr = [], []
    with torch.no_grad():
        for i in range(0, len(d.chosen), batch):
            c, r, p, u = d.chosen[i : i + batch], d.rejected[i : i + batch], d.prompt[i : i + batch], d.account[i : i + batch]
            s = model(torch.cat([d.x[c], d.x[r]]), torch.cat([d.ids[p], d.ids[p]]), torch.cat([u, u]))
            sc.append(s[: len(c)])
            sr.append(s[len(c) :])
    return torch.cat(sc), torch.cat(sr)


def accuracy(sc: torch.Tensor, sr: torch.Tensor) -> float | None:
    """Share of pairs whose chosen image scores higher (ties count half); None for no pairs."""
    if len(sc) == 0:
        return None
    return round(float(((sc > sr).float() + 0.5 * (sc == sr).float()).mean()), 4)


def fit(d: Pairs, pairs: torch.Tensor, hp: dict, a: argparse.Namespace, seed: int, member: int, quiet: bool = False) -> Reward:
    """Trains a fresh Reward(**hp) on `pairs` for --epochs; the same seed gives the same model.
    quiet: no progress events (the validation fits of choose_prompt_weight)."""
    torch.manual_seed(seed)
    model = Reward(**hp)
    decay = [p for p in model.parameters() if p.ndim > 1]
    no_decay = [p for p in model.parameters() if p.ndim <= 1]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": a.weight_decay}, {"params": no_decay, "weight_decay": 0.0}], lr=a.lr)
    bs = min(a.batch_size, len(pairs))
    steps_per_epoch = math.ceil(len(pairs) / bs)
    total = a.epochs * steps_per_epoch
    warmup = min(total // 10 + 1, 2 * steps_per_epoch)
    g = torch.Generator().manual_seed(seed)
    step = 0
    for epoch in range(1, a.epochs + 1):
        model.train()
        t0 = time.time()
        perm = pairs[torch.randperm(len(pairs), generator=g)]
        loss_sum = wins = 0.0
        for s in range(steps_per_epoch):
            idx = perm[s * bs : (s + 1) * bs]
            c, r, p, w, u = d.chosen[idx], d.rejected[idx], d.prompt[idx], d.weight[idx], d.account[idx]
            # Some pairs count as anyone's, so the shared terms learn what most people prefer and
            # row 0 (an account never seen) gets a useful score.
            u = torch.where(torch.rand(len(idx), generator=g) < a.account_dropout, torch.zeros_like(u), u)
            xb = augment(torch.cat([d.x[c], d.x[r]]), g)
            for group in opt.param_groups:
                group["lr"] = cosine_lr(step, total, a.lr, warmup)
            out = model(xb, torch.cat([d.ids[p], d.ids[p]]), torch.cat([u, u]))
            margin = out[: len(idx)] - out[len(idx) :]
            # -log sigmoid(margin) = softplus(-margin), stable for any margin.
            loss = (w * F.softplus(-margin)).sum() / w.sum()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            loss_sum += loss.item() * len(idx)
            wins += float((margin.detach() > 0).float().sum())
        if not quiet:
            emit("progress", member=member, members=a.members, epoch=epoch, epochs=a.epochs, loss=round(loss_sum / len(pairs), 4),
                 trainAccuracy=round(wins / len(pairs), 4), lr=round(cosine_lr(step - 1, total, a.lr, warmup), 6),
                 seconds=round(time.time() - t0, 2))
    return model


# The cosine's weights main() chooses among: none (the prompt is not read), a little, the default.
PROMPT_WEIGHTS = (0.0, 1.0, Reward.SCALE)


def prompt_folds(prompts: list[str], prompt: torch.Tensor, pairs: torch.Tensor) -> list[torch.Tensor]:
    """The pairs split in two by a hash of their prompt, as the held-out split is made: a validation
    fold holds whole prompts, never seen by the model that is measured on it."""
    fold = torch.tensor([hashlib.sha256(p.encode("utf-8")).digest()[0] % 2 for p in prompts])[prompt[pairs]]
    return [pairs[fold == k] for k in (0, 1)]


def choose_prompt_weight(d: Pairs, pairs: torch.Tensor, prompts: list[str], hp: dict, a: argparse.Namespace) -> tuple[float, dict]:
    """The cosine's weight that ranks unseen prompts best, by two-fold validation on the training
    pairs (folds by prompt). Whether a network this small can read from a sample what people
    check against their prompt depends on the data: on the synthetic set of the tests it can (the
    prompted colour), on the simulated loop's sets it cannot (which emoji a 32x32 sample shows), and
    there the cosine only adds noise on new prompts. Measured 2026-11-27 on the five sets of the
    loop from model-dba41ecb70b7cd36b7d0 (1080 pairs, 222 held out), seed 0, five members, held-out
    accuracy for weights 10 / 1 / 0: fb-19b1 67.1 / 73.0 / 68.5, fb-2d91 73.9 / 75.2 / 76.6,
    fb-4d2d 72.1 / 72.5 / 74.3, fb-313e 59.9 / 64.4 / 68.5, fb-590a 70.3 / 75.2 / 77.0; means
    68.7 / 72.1 / 73.0. Chosen by this validation (0 on four sets, 1 on fb-590a): 68.5 / 76.6 / 74.3 /
    68.5 / 75.2, and on a sixth set, fb-fad7, 65.3 (1 chosen; 64.4 at 10): mean 71.4 % over the six
    against 68.0 % at a fixed 10. Ties go to the larger weight (the prompt is what the person asked for).
    Tried and left out: also keeping an account's own row only where it beat the shared score on
    its fold (71.8 % mean over the six: no gain for a second retraining).
    Returns (weight, {weight: validation accuracy})."""
    folds = prompt_folds(prompts, d.prompt, pairs)
    if min(len(f) for f in folds) == 0:
        return Reward.SCALE, {}  # one prompt, or all on one side: nothing to validate on
    scores: dict[float, float] = {}
    for i, w in enumerate(PROMPT_WEIGHTS):
        wins = []
        for k in (0, 1):
            learn, measure = folds[1 - k], folds[k]
            m = Ensemble([fit(d, learn, {**hp, "prompt_weight": w}, a, a.seed + j, j + 1, quiet=True) for j in range(a.members)])
            sc, sr = pair_scores(m, replace(d, chosen=d.chosen[measure], rejected=d.rejected[measure],
                                            prompt=d.prompt[measure], weight=d.weight[measure], account=d.account[measure]))
            wins.append((sc > sr).float() + 0.5 * (sc == sr).float())
        scores[w] = round(float(torch.cat(wins).mean()), 4)
        emit("validation", promptWeight=w, accuracy=scores[w], done=i + 1, of=len(PROMPT_WEIGHTS))
    best = max(PROMPT_WEIGHTS, key=lambda w: (scores[w], w))
    return best, scores


class Ensemble(nn.Module):
    """The mean score of its members; what reward.onnx holds. Measured on fb-9bbc8994a0b8ee87073f (540 pairs, 111 held out):
    five members, held-out accuracy 67.6% against 55.9-68.5% (mean 62.2%) for each alone."""

    def __init__(self, members: list[Reward]):
        super().__init__()
        self.members = nn.ModuleList(members)

    def forward(self, image: torch.Tensor, ids: torch.Tensor, account: torch.Tensor) -> torch.Tensor:
        return torch.stack([m(image, ids, account) for m in self.members]).mean(dim=0)


def load_reward(reward_dir: str) -> tuple[Ensemble, dict]:
    """The reward model of reward_dir as PyTorch modules (from reward.pt, checked against the card's
    sha256) and its card: what finetune.py --method draft differentiates."""
    card_path = os.path.join(reward_dir, "reward.json")
    try:
        with open(card_path, encoding="utf-8") as f:
            card = json.load(f)
    except (OSError, ValueError) as e:
        raise FeedbackSetError(f"{card_path}: not a reward model's card ({e})") from None
    if card.get("format") != FORMAT:
        raise FeedbackSetError(f"{card_path}: format {card.get('format')!r}, not {FORMAT!r}")
    t = card.get("torch")
    pt_path = os.path.join(reward_dir, "reward.pt")
    if not isinstance(t, dict) or not os.path.exists(pt_path):
        raise FeedbackSetError(f"{reward_dir}: {card.get('id')} has no PyTorch weights (reward.pt, written since 2026-11-27): train a reward model again")
    if file_sha256(pt_path).hex() != t.get("sha256"):
        raise FeedbackSetError(f"{pt_path}: its sha256 is not the one {card.get('id')}'s card records")
    saved = torch.load(pt_path, map_location="cpu")
    hp = dict(saved["hp"])
    hp["widths"] = tuple(hp["widths"])
    model = Ensemble([Reward(**hp) for _ in range(int(saved["members"]))])
    model.load_state_dict(saved["state"])
    return model.eval(), card


def file_sha256(path: str) -> bytes:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).digest()


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pairs", required=True, help="the feedback set's folder (feedback-set.json, pairs.jsonl, images/)")
    ap.add_argument("--tokenizer", required=True, help="the generator's tokenizer.json")
    ap.add_argument("--out", required=True)
    ap.add_argument("--epochs", type=int, default=5, help="passes over the training pairs (few: more overfit them, see the docstring)")
    ap.add_argument("--image-size", type=int, default=0, help="0: the set's imageSize; else a divisor of it")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=0, help="0: every core")
    ap.add_argument("--batch-size", type=int, default=32, help="pairs per step")
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--widths", default="16,32,64", help="conv channels per stage (comma-separated)")
    ap.add_argument("--dim", type=int, default=64, help="image and prompt feature size")
    ap.add_argument("--learn-split", choices=SPLITS, default="train",
                    help="the pairs to learn from; the other split measures the accuracy. \"heldout\" makes a judge for "
                         "comparisons: the split is a function of the prompt, so it never saw a prompt any fine-tuned "
                         "model learnt from")
    ap.add_argument("--members", type=int, default=5, help="models trained from different seeds, their scores averaged")
    ap.add_argument("--personal", type=int, default=1, help="1: learn each account's own taste as well (0: one score for everyone)")
    ap.add_argument("--prompt-weight", default="auto",
                    help="weight of the prompt-match term (the cosine); auto: chosen among "
                         f"{', '.join(f'{w:g}' for w in PROMPT_WEIGHTS)} by validation on the training prompts")
    ap.add_argument("--account-dropout", type=float, default=0.1, help="share of training pairs counted as anyone's")
    ap.add_argument("--reference", default=None, help="also write inputs and PyTorch scores here (ONNX parity tests)")
    a = ap.parse_args(argv)

    started = time.time()
    torch.manual_seed(a.seed)
    # torch defaults to one thread here; the product's machine has more.
    torch.set_num_threads(a.threads or os.cpu_count() or 1)

    fs = read_set(a.pairs)
    native = fs.manifest["imageSize"]
    size = a.image_size or native
    if size < 4 or native % size:
        raise FeedbackSetError(f"--image-size {size}: the set's images are {native}px; the size must divide it (box averaging)")
    try:
        tok = Tokenizer.load(a.tokenizer)
    except (OSError, ValueError, KeyError) as e:
        raise FeedbackSetError(f"{a.tokenizer}: not a vitrine tokenizer ({e})") from None

    x_all = to_input(fs.images, size)
    image_index = {p: i for i, p in enumerate(fs.image_paths)}
    prompts = list(dict.fromkeys(r["prompt"] for r in fs.pairs))
    prompt_index = {p: i for i, p in enumerate(prompts)}
    ids = torch.tensor([tok.encode(prompt_text(p)) for p in prompts], dtype=torch.long)
    chosen = torch.tensor([image_index[r["chosen"]] for r in fs.pairs])
    rejected = torch.tensor([image_index[r["rejected"]] for r in fs.pairs])
    prompt = torch.tensor([prompt_index[r["prompt"]] for r in fs.pairs])
    weight = torch.tensor([float(r["weight"]) for r in fs.pairs])
    # "train" and "held" below are the pairs learnt from and the pairs measured on, whichever split each is.
    is_train = torch.tensor([r["split"] == a.learn_split for r in fs.pairs])
    # The accounts the model learns a taste for: those with pairs it learns from, rows 1.. in sorted order.
    accounts = sorted({r["account"] for r in fs.pairs if r["split"] == a.learn_split and isinstance(r.get("account"), str)}) if a.personal else []
    account_index = {acc: i + 1 for i, acc in enumerate(accounts)}
    account = torch.tensor([account_index.get(r.get("account"), 0) for r in fs.pairs])
    train = torch.nonzero(is_train).squeeze(1)
    held = torch.nonzero(~is_train).squeeze(1)
    if len(train) == 0:
        raise FeedbackSetError(f"{a.pairs}: no pair has split \"{a.learn_split}\"")
    emit("data", pairs=len(fs.pairs), train=len(train), heldOut=len(held), images=len(fs.image_paths), prompts=len(prompts),
         imageSize=size, nativeSize=native, seconds=round(time.time() - started, 2))

    widths = tuple(int(w) for w in a.widths.split(","))
    data = Pairs(x_all, ids, chosen, rejected, prompt, weight, account)
    hp = dict(vocab_size=tok.size, widths=widths, dim=a.dim, accounts=len(accounts))
    if a.prompt_weight == "auto":
        prompt_weight, validation = choose_prompt_weight(data, train, prompts, hp, a)
    else:
        try:
            prompt_weight, validation = float(a.prompt_weight), {}
        except ValueError:
            raise FeedbackSetError(f"--prompt-weight {a.prompt_weight}: a number or auto") from None
    hp["prompt_weight"] = prompt_weight

    emit("start", params=count_params(Reward(**hp)) * a.members, members=a.members, epochs=a.epochs, train=len(train),
         heldOut=len(held), accounts=len(accounts), stepsPerEpoch=math.ceil(len(train) / min(a.batch_size, len(train))),
         threads=torch.get_num_threads(), promptWeight=prompt_weight)
    train_started = time.time()
    model = Ensemble([fit(data, train, hp, a, a.seed + k, k + 1) for k in range(a.members)])
    params = count_params(model)
    train_seconds = time.time() - train_started

    sc, sr = pair_scores(model, data)
    anyone_c, anyone_r = pair_scores(model, replace(data, account=torch.zeros_like(account)))
    sources = sorted({r["source"] for r in fs.pairs})
    by_source = {}
    for src in sources:
        m = torch.tensor([r["source"] == src for r in fs.pairs])
        tm, hm = m & is_train, m & ~is_train
        by_source[src] = {"trainPairs": int(tm.sum()), "heldOutPairs": int(hm.sum()),
                          "trainAccuracy": accuracy(sc[tm], sr[tm]), "heldOutAccuracy": accuracy(sc[hm], sr[hm])}
    by_account = {}
    for acc in sorted({r.get("account") for r in fs.pairs if isinstance(r.get("account"), str)}):
        hm = torch.tensor([r.get("account") == acc for r in fs.pairs]) & ~is_train
        by_account[acc] = {"heldOutPairs": int(hm.sum()), "heldOutAccuracy": accuracy(sc[hm], sr[hm])}
    metrics = {"heldOutAccuracy": accuracy(sc[held], sr[held]), "trainAccuracy": accuracy(sc[train], sr[train]), "bySource": by_source,
               "heldOutAccuracyAnyone": accuracy(anyone_c[held], anyone_r[held]), "byAccount": by_account}
    emit("heldOut", **metrics)

    os.makedirs(a.out, exist_ok=True)
    model.eval()
    onnx_path = os.path.join(a.out, "reward.onnx")
    tok_path = os.path.join(a.out, "tokenizer.json")
    with torch.no_grad(), warnings.catch_warnings():
        # torch 1.13 warns about its own constants while exporting F.normalize; the graph is right
        # (the parity tests compare it with PyTorch), and the warning would bury the real stderr.
        warnings.filterwarnings("ignore", message="The shape inference of prim::Constant")
        torch.onnx.export(model.eval(), (x_all[:2], ids[prompt[:2]], account[:2]), onnx_path, opset_version=17,
                          input_names=["image", "ids", "account"], output_names=["score"],
                          dynamic_axes={"image": {0: "batch"}, "ids": {0: "batch"}, "account": {0: "batch"}, "score": {0: "batch"}},
                          do_constant_folding=True)
    # The same weights for PyTorch: finetune.py --method draft follows the score's gradient, which
    # the ONNX graph (linear weights transposed, renamed) does not give back by name. Its sha256 is
    # in the card, so a reward.pt that is not this model's is refused (load_reward).
    pt_path = os.path.join(a.out, "reward.pt")
    torch.save({"hp": hp, "members": a.members, "state": model.state_dict()}, pt_path + ".tmp")
    os.replace(pt_path + ".tmp", pt_path)
    # Byte for byte: the card's id covers the exact file the product will read.
    if os.path.abspath(a.tokenizer) != os.path.abspath(tok_path):
        shutil.copyfile(a.tokenizer, tok_path)
    h = hashlib.sha256()
    for f in (tok_path, onnx_path):
        h.update(file_sha256(f))
    if accounts:
        # Which account each row is: part of what the model scores, so part of its id.
        h.update(hashlib.sha256("\n".join(accounts).encode("utf-8")).digest())
    seconds = time.time() - started
    card = {
        "format": FORMAT,
        "version": VERSION,
        "id": "reward-" + h.hexdigest()[:20],
        "imageSize": size,
        "maxTokens": tok.max_tokens,
        "pixelRange": [-1, 1],
        "prompt": "the leading \"imagine\" dropped (promptText), then tokenizer.json",
        "feedbackSet": fs.manifest.get("id"),
        "learntSplit": a.learn_split,
        "pairs": {"total": len(fs.pairs), "train": len(train), "heldOut": len(held),
                  "bySource": {s: sum(r["source"] == s for r in fs.pairs) for s in sources}},
        # Row i + 1 of the account input is accounts[i]; any other account (or none) is row 0, the shared score.
        "accounts": accounts,
        "metrics": metrics,
        "torch": {"file": "reward.pt", "sha256": file_sha256(pt_path).hex()},
        "training": {"epochs": a.epochs, "members": a.members, "personal": bool(a.personal),
                     "accountDropout": a.account_dropout, "seconds": round(seconds, 1), "trainSeconds": round(train_seconds, 1),
                     "params": params, "batchSize": min(a.batch_size, len(train)), "lr": a.lr, "weightDecay": a.weight_decay, "widths": list(widths), "dim": a.dim,
                     "seed": a.seed, "threads": torch.get_num_threads(), "nativeSize": native,
                     # The cosine's weight and, when it was chosen, each candidate's two-fold validation accuracy.
                     "promptWeight": prompt_weight, "promptWeightValidation": {f"{w:g}": v for w, v in validation.items()}},
    }
    with open(os.path.join(a.out, "reward.json"), "w", encoding="utf-8") as f:
        json.dump(card, f, indent=1, ensure_ascii=False)
        f.write("\n")

    if a.reference:
        write_reference(a.reference, model, fs, data, prompts, accounts, held if len(held) else train)
    emit("done", out=a.out, id=card["id"], seconds=round(seconds, 1), params=params,
         heldOutAccuracy=metrics["heldOutAccuracy"], trainAccuracy=metrics["trainAccuracy"])
    return card


def write_reference(path: str, model: nn.Module, fs: FeedbackSet, d: Pairs, prompts: list[str], accounts: list[str],
                    pairs: torch.Tensor, n: int = 4) -> None:
    """Two images (chosen ones first, then the rejected ones) of n pairs from different generations, with their
    prompts and accounts (every other pair scored as anyone's, so both paths are checked): native planar u8
    pixels, ids and PyTorch's scores."""
    seen: set[object] = set()
    first = []
    for i in pairs.tolist():
        gen = fs.pairs[i].get("generation", i)
        if gen not in seen:
            seen.add(gen)
            first.append(i)
    pick = torch.tensor(first[:n], dtype=torch.long)
    img = torch.cat([d.chosen[pick], d.rejected[pick]])
    pr = torch.cat([d.prompt[pick], d.prompt[pick]])
    row = d.account[pick] * (torch.arange(len(pick)) % 2 == 0)
    row = torch.cat([row, row])
    model.eval()
    with torch.no_grad():
        scores = model(d.x[img], d.ids[pr], row)
    ref = {
        "format": "vitrine-reward-reference",
        "prompts": [prompts[int(i)] for i in pr],
        "accounts": [accounts[int(r) - 1] if int(r) > 0 else None for r in row],
        "ids": d.ids[pr].tolist(),
        "nativeSize": int(fs.images.shape[1]),
        "images": [fs.images[int(i)].transpose(2, 0, 1).reshape(-1).tolist() for i in img],
        "scores": scores.tolist(),
    }
    with open(path, "w", encoding="utf-8") as f:
        json.dump(ref, f)


if __name__ == "__main__":
    try:
        main()
    except FeedbackSetError as e:
        # One line a person can act on (the CLI shows stderr's last line), not a traceback.
        raise SystemExit(str(e)) from None
