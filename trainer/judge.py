"""The evaluation judge: an emoji classifier trained on a snapshot's real images.

    /usr/bin/python3 trainer/judge.py --snapshot DIR --labels LABELS.jsonl --out DIR \
        [--epochs N] [--image-size 32] [--seed 0] [--threads 0] [--final]

Generated pictures are judged by a network that never saw them: it answers
"which emoji is this?" (prompt faithfulness: is the prompted emoji in its
top 5?) and gives a feature vector per picture (Fréchet distance and KID
between generated and real sets, diversity within a set). LABELS.jsonl says
which emoji each snapshot item shows (trainer/judge_labels.py writes it):

    {"key": "<webdataset key>", "labels": ["1F600", ...], "subcategory": "face-smiling"}

The network is a small residual CNN at 32x32 (box-downsampled from 64, pixels
in [-1, 1], as the generator works), trained with soft targets (an image with
two emoji counts half for each) and an auxiliary sub-category head, which
shares what few examples each emoji has with its neighbours (~4 images per
emoji at demo scale).

Two choices make it learn from so few examples. First, a fixed input stage
(`Foreground`, part of the exported graph) fits a plane per channel to the
border ring (snapshot backgrounds are plain colours, linear gradients or
scenes), refits it without the ring pixels it misses, and hands the network
the emoji cut out on grey plus the cut-out mask, so that the background, which
is most of every picture, no longer has to be learnt away. Second, global max
pooling rather than average: the emoji covers a small part of the picture and
averaging dilutes it. Measured on the demo snapshot (1851 emoji) after only 4
epochs, batch 32: held-out top-5 0.5% plain, 1.9% with max pooling, 5.7% with
the cut-out (lr 2e-3 each), 9.5% with both at lr 5e-3 (before the robust
refit was added). A consequence: the features describe the emoji much more
than the background, so FD and KID in this space measure the emoji's
fidelity, not how realistic the backgrounds are.

Augmentations stand in for what a generator gets wrong: shifts, zooms and
crops resized back, the background's colour changed (where the same
background estimate says background), slight colour gain, light blur and
gaussian noise. No flips: arrows and hands have handed twins among the classes.

Training holds out 10% of the items and reports top-1/top-5 on them (clean and
augmented); --final trains on every item (then there is nothing held out and
"heldOut" is null). Outputs in --out:

  judge.onnx  opset 17, input `image` (B, 3, S, S) float32 in [-1, 1];
              outputs `logits` (B, K) and `features` (B, F), the penultimate
              features (not L2-normalised) that Fréchet distance and KID use.
  judge.json  {"format": "vitrine-judge", "version": 1, "imageSize", "classes",
              "subcategories", "featureDim", "trainedOn", "heldOut", "epochs",
              "seconds", "params", ...}

Progress goes to stdout as JSON lines ({"event": ...}).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from data import SnapshotError, box_resize, shard_paths, snapshot_id, stream  # noqa: E402
from hardware import PRECISIONS, resolve_precision  # noqa: E402
from train import emit  # noqa: E402

FORMAT = "vitrine-judge"
VERSION = 1


# ---------------------------------------------------------------- data


def read_labels(path: str) -> dict[str, tuple[list[str], str | None]]:
    out: dict[str, tuple[list[str], str | None]] = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            row = json.loads(line)
            labels = row.get("labels")
            if not isinstance(row.get("key"), str) or not isinstance(labels, list) or not labels:
                raise ValueError(f"{path}:{n}: expected {{\"key\": str, \"labels\": [str, ...]}}")
            sub = row.get("subcategory")
            out[row["key"]] = ([str(c) for c in labels], str(sub) if sub else None)
    return out


def load_items(snapshot: str, labels: dict, size: int, limit: int | None) -> tuple[list[str], np.ndarray]:
    """Keys and (N, size, size, 3) float32 images in [0, 255] of the labelled items, in shard order."""
    keys, imgs = [], []
    for it in stream(shard_paths(snapshot)):
        if it.key in labels:
            keys.append(it.key)
            imgs.append(it.image)
            if limit and len(keys) >= limit:
                break
    if not keys:
        raise SnapshotError(f"{snapshot}: no item has a line in the labels file")
    return keys, box_resize(np.stack(imgs), size)


def background_masks(x: torch.Tensor, chunk: int = 1024) -> torch.Tensor:
    """(N, 3, S, S) in [-1, 1] -> (N, 1, S, S) in [0, 1]: how surely each pixel is background
    (1 - the Foreground stage's mask), for the background colour augmentation."""
    fg = Foreground(x.shape[-1])
    with torch.no_grad():
        return torch.cat([1.0 - fg.mask(x[i : i + chunk]) for i in range(0, len(x), chunk)])


# ---------------------------------------------------------------- augmentation

_BLUR = torch.tensor([1.0, 2.0, 1.0]) / 4.0


def blur3(x: torch.Tensor) -> torch.Tensor:
    k = (_BLUR[:, None] * _BLUR[None, :]).to(x.dtype)[None, None].repeat(x.shape[1], 1, 1, 1)
    return F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), k, groups=x.shape[1])


def augment(x: torch.Tensor, mask: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """x (B, 3, S, S) in [-1, 1], mask (B, 1, S, S) background weight -> augmented x, same range."""
    b, _, h, w = x.shape

    def u(*shape: int, lo: float = 0.0, hi: float = 1.0) -> torch.Tensor:
        return lo + (hi - lo) * torch.rand(*shape, generator=g)

    # Background colour: an offset plus a gradient, where the mask says background.
    on = (u(b, 1, 1, 1) < 0.7).float()
    rx = torch.linspace(-1, 1, w).view(1, 1, 1, w)
    ry = torch.linspace(-1, 1, h).view(1, 1, h, 1)
    delta = u(b, 3, 1, 1, lo=-0.8, hi=0.8) + u(b, 3, 1, 1, lo=-0.4, hi=0.4) * rx + u(b, 3, 1, 1, lo=-0.4, hi=0.4) * ry
    x = x + on * mask * delta
    # Slight global brightness, contrast and colour gain (no more: red and orange hearts are different emoji).
    x = x * u(b, 1, 1, 1, lo=0.9, hi=1.1) * u(b, 3, 1, 1, lo=0.95, hi=1.05) + u(b, 1, 1, 1, lo=-0.08, hi=0.08)
    x = x.clamp(-1, 1)
    # Geometry: zoom (crop and resize back, or shrink), a little aspect change, shift.
    zoom = torch.exp(u(b, lo=math.log(0.8), hi=math.log(1.3)))
    aspect = torch.exp(u(b, lo=-0.08, hi=0.08))
    geo = (u(b) < 0.85).float()
    sx = 1 / (zoom * aspect)
    sy = aspect / zoom
    tx, ty = u(b, lo=-0.25, hi=0.25), u(b, lo=-0.25, hi=0.25)
    theta = torch.zeros(b, 2, 3)
    theta[:, 0, 0] = geo * sx + (1 - geo)
    theta[:, 1, 1] = geo * sy + (1 - geo)
    theta[:, 0, 2] = geo * tx
    theta[:, 1, 2] = geo * ty
    grid = F.affine_grid(theta, [b, 3, h, w], align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    # Blur of random strength (a blend with a 3x3 binomial blur, once or twice).
    blur_on = (u(b, 1, 1, 1) < 0.4).float() * u(b, 1, 1, 1)
    once = blur3(x)
    twice = torch.where(u(b, 1, 1, 1) < 0.3, blur3(once), once)
    x = x + blur_on * (twice - x)
    # Light gaussian noise.
    sigma = (u(b, 1, 1, 1) < 0.5).float() * u(b, 1, 1, 1, hi=0.1)
    x = x + sigma * torch.randn(x.shape, generator=g)
    return x.clamp(-1, 1)


# ---------------------------------------------------------------- model


class Block(nn.Module):
    """Residual block: conv-BN-ReLU-conv-BN plus a (projected) skip, then ReLU."""

    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.b2 = nn.BatchNorm2d(cout)
        nn.init.zeros_(self.b2.weight)  # each block starts as the identity
        self.skip = (
            nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))
            if stride != 1 or cin != cout
            else nn.Identity()
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.b1(self.c1(x)))
        return F.relu(self.skip(x) + self.b2(self.c2(h)))


class Foreground(nn.Module):
    """Fixed input stage (no parameters): the emoji cut out of its background.

    The background estimate is a plane per channel (a + b x + c y) fitted by
    least squares to the border ring, then refitted without the ring pixels it
    misses by more than `tol` (an emoji touching the edge), unless too few are
    left. fg = clamp((d - tol) / tol, 0, 1), d the largest channel distance to
    the plane. Returns [x * fg, fg] (B, 4, S, S). Only elementwise products,
    sums and a cofactor 3x3 inverse: it exports to ONNX as is, and autocast
    leaves it in fp32.
    """

    def __init__(self, size: int, ring: int = 2, tol: float = 28.0 / 127.5):
        super().__init__()
        ys, xs = np.mgrid[0:size, 0:size]
        xn, yn = (xs + 0.5) / size * 2 - 1, (ys + 0.5) / size * 2 - 1
        design = np.stack([np.ones_like(xn), xn, yn], axis=-1).reshape(-1, 3)  # (HW, 3)
        on_ring = ((ys < ring) | (ys >= size - ring) | (xs < ring) | (xs >= size - ring)).reshape(-1)
        # The first fit's coefficients as fixed weights over all pixels (zero off the ring).
        w = np.zeros((3, size * size), np.float32)
        w[:, on_ring] = np.linalg.pinv(design[on_ring])
        self.register_buffer("coef_w", torch.from_numpy(w.reshape(3, size, size)))
        self.register_buffer("design", torch.from_numpy(design.T.reshape(3, size, size).astype(np.float32)))
        self.register_buffer("ring", torch.from_numpy(on_ring.reshape(size, size).astype(np.float32)))
        # Outer products of the design rows, for the weighted refit: (3, 3, S, S).
        outer = np.einsum("pk,pl->klp", design, design).reshape(3, 3, size, size).astype(np.float32)
        self.register_buffer("outer", torch.from_numpy(outer))
        self.ring_count = float(on_ring.sum())
        self.tol = tol

    @staticmethod
    def _inv3(m: torch.Tensor) -> torch.Tensor:
        """Inverse of (B, 3, 3) matrices by cofactors."""
        a, b, c = m[:, 0, 0], m[:, 0, 1], m[:, 0, 2]
        d, e, f = m[:, 1, 0], m[:, 1, 1], m[:, 1, 2]
        g, h, i = m[:, 2, 0], m[:, 2, 1], m[:, 2, 2]
        co = torch.stack([
            torch.stack([e * i - f * h, c * h - b * i, b * f - c * e], 1),
            torch.stack([f * g - d * i, a * i - c * g, c * d - a * f], 1),
            torch.stack([d * h - e * g, b * g - a * h, a * e - b * d], 1),
        ], 1)
        det = a * co[:, 0, 0] + b * co[:, 1, 0] + c * co[:, 2, 0]
        return co / det[:, None, None]

    def _distance(self, x: torch.Tensor, coef: torch.Tensor) -> torch.Tensor:
        plane = (coef[:, :, :, None, None] * self.design[None, None]).sum(dim=2)  # (B, C, S, S)
        return (x - plane).abs().amax(dim=1, keepdim=True)  # (B, 1, S, S)

    def mask(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, S, S) in [-1, 1] -> fg (B, 1, S, S) in [0, 1]."""
        x = x.float()
        coef = (x[:, :, None] * self.coef_w[None, None]).sum(dim=(3, 4))  # (B, C, 3)
        d = self._distance(x, coef)
        w = (d < self.tol).float() * self.ring  # ring pixels the first plane explains
        ata = (w[:, 0, None, None] * self.outer[None]).sum(dim=(3, 4)) + 1e-3 * torch.eye(3)[None]  # (B, 3, 3)
        atv = (w[:, None] * x[:, :, None] * self.design[None, None]).sum(dim=(3, 4))  # (B, C, 3)
        refit = (atv[:, :, None, :] * self._inv3(ata)[:, None]).sum(dim=3)  # (B, C, 3)
        enough = (w.sum(dim=(1, 2, 3)) >= self.ring_count / 4).float()[:, None, None]
        d = self._distance(x, enough * refit + (1 - enough) * coef)
        return ((d - self.tol) / self.tol).clamp(0.0, 1.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.float()
        fg = self.mask(x)
        return torch.cat([x * fg, fg], dim=1)


class Judge(nn.Module):
    """Foreground stage, a residual CNN, global max pooling, a linear projection to the features
    (batch-normalised, the `features` output), and two linear heads: emoji and sub-category."""

    def __init__(self, classes: int, subcategories: int, widths: tuple[int, ...] = (32, 64, 128, 192),
                 feature_dim: int = 128, dropout: float = 0.1, image_size: int = 32):
        super().__init__()
        self.fg = Foreground(image_size)
        self.stem = nn.Sequential(nn.Conv2d(4, widths[0], 3, padding=1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU())
        blocks, cin = [], widths[0]
        for i, c in enumerate(widths):
            blocks.append(Block(cin, c, 1 if i == 0 else 2))
            cin = c
        self.blocks = nn.Sequential(*blocks)
        self.proj = nn.Linear(cin, feature_dim, bias=False)
        self.norm = nn.BatchNorm1d(feature_dim)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(feature_dim, classes)
        self.sub_head = nn.Linear(feature_dim, max(1, subcategories))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        h = self.blocks(self.stem(self.fg(x)))
        # Max, not mean: the emoji is a small part of the picture.
        feats = self.norm(self.proj(h.amax(dim=(2, 3))).float())  # BN in fp32 under autocast
        z = self.drop(feats)
        return self.head(z), feats, self.sub_head(z)


class Exported(nn.Module):
    """What judge.onnx holds: (logits, features) of an image batch."""

    def __init__(self, judge: Judge):
        super().__init__()
        self.judge = judge

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logits, feats, _ = self.judge(image)
        return logits, feats


def count_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


# ---------------------------------------------------------------- training


def topk_hits(logits: torch.Tensor, target: torch.Tensor, k: int) -> tuple[float, float]:
    """(items whose top-1 is one of their labels, labels found in the top k): sums over the batch.

    target (B, K) is > 0 on an item's labels. Top-k counts each label of an
    image on its own, as prompt faithfulness does (each prompted emoji must be
    in the top k).
    """
    pos = target > 0
    top1 = logits.argmax(dim=1)
    hit1 = pos.gather(1, top1[:, None]).squeeze(1).float().sum().item()
    topk = logits.topk(min(k, logits.shape[1]), dim=1).indices
    inside = torch.zeros_like(pos).scatter_(1, topk, True)
    return hit1, (inside & pos).float().sum().item()


def evaluate(model: Judge, x: torch.Tensor, mask: torch.Tensor, target: torch.Tensor, aug_seed: int | None, channels_last: bool, bf16: bool) -> dict:
    model.eval()
    g = torch.Generator().manual_seed(aug_seed) if aug_seed is not None else None
    hit1 = hit5 = 0.0
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        for i in range(0, len(x), 256):
            xb = x[i : i + 256]
            if g is not None:
                xb = augment(xb, mask[i : i + 256], g)
            if channels_last:
                xb = xb.contiguous(memory_format=torch.channels_last)
            logits = model(xb)[0].float()
            h1, h5 = topk_hits(logits, target[i : i + 256], 5)
            hit1 += h1
            hit5 += h5
    return {"top1": round(hit1 / len(x), 4), "top5": round(hit5 / float((target > 0).sum()), 4), "items": len(x)}


def lr_at(step: int, total: int, peak: float, warmup: int) -> float:
    if step < warmup:
        return peak * (step + 1) / warmup
    p = (step - warmup) / max(1, total - warmup)
    return peak * 0.5 * (1 + math.cos(math.pi * min(1.0, p)))


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--snapshot", required=True)
    ap.add_argument("--labels", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--epochs", type=int, default=30, help="30 take ~8 min for the demo snapshot on one shared core (less on 2)")
    ap.add_argument("--image-size", type=int, default=32)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=0, help="0: every core")
    ap.add_argument("--final", action="store_true", help="train on every item (nothing held out)")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=5e-3)
    ap.add_argument("--weight-decay", type=float, default=0.05)
    ap.add_argument("--widths", default="32,64,128,192", help="channels per stage (comma-separated)")
    ap.add_argument("--feature-dim", type=int, default=128)
    ap.add_argument("--holdout", type=float, default=0.1)
    ap.add_argument("--limit", type=int, default=0, help="use only the first N labelled items (smoke tests)")
    ap.add_argument("--precision", choices=list(PRECISIONS), default="auto",
                    help="auto: bf16 where the CPU computes it natively (hardware.py), fp32 elsewhere")
    a = ap.parse_args(argv)

    started = time.time()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads or os.cpu_count() or 1)
    precision = resolve_precision(a.precision, torch.device("cpu"))
    bf16 = precision == "bf16"
    channels_last = True
    os.makedirs(a.out, exist_ok=True)

    labels = read_labels(a.labels)
    keys, imgs = load_items(a.snapshot, labels, a.image_size, a.limit or None)
    x_all = torch.from_numpy(np.ascontiguousarray((imgs / 127.5 - 1.0).transpose(0, 3, 1, 2)).astype(np.float32))
    masks = background_masks(x_all)
    classes = sorted({c for k in keys for c in labels[k][0]})
    subcats = sorted({labels[k][1] for k in keys if labels[k][1]})
    ci = {c: i for i, c in enumerate(classes)}
    si = {s: i for i, s in enumerate(subcats)}
    target = torch.zeros(len(keys), len(classes))
    sub_t = torch.full((len(keys),), -1, dtype=torch.long)
    for n, k in enumerate(keys):
        ls, sub = labels[k]
        uniq = list(dict.fromkeys(ls))
        for c in uniq:
            target[n, ci[c]] += 1.0 / len(uniq)
        if sub:
            sub_t[n] = si[sub]
    emit("data", items=len(keys), classes=len(classes), subcategories=len(subcats), seconds=round(time.time() - started, 2),
         background=round(float(masks.mean()), 3))

    rng = np.random.default_rng(a.seed)
    order = rng.permutation(len(keys))
    n_hold = 0 if a.final else max(1, int(round(a.holdout * len(keys))))
    hold, train = order[:n_hold], order[n_hold:]
    xt, mt, tt, st = x_all[train], masks[train], target[train], sub_t[train]

    widths = tuple(int(w) for w in a.widths.split(","))
    model = Judge(len(classes), len(subcats), widths, a.feature_dim, image_size=a.image_size)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    params = count_params(model)
    decay = [p for p in model.parameters() if p.ndim > 1]
    no_decay = [p for p in model.parameters() if p.ndim <= 1]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": a.weight_decay}, {"params": no_decay, "weight_decay": 0.0}], lr=a.lr)
    if len(train) < 2:
        raise SnapshotError(f"{len(train)} training item(s): batch norm needs at least 2 (lower --holdout or add items)")
    bs = min(a.batch_size, len(train))
    steps_per_epoch = max(1, len(train) // bs)
    total = a.epochs * steps_per_epoch
    warmup = min(total // 10 + 1, 2 * steps_per_epoch)
    smooth = 0.1
    g = torch.Generator().manual_seed(a.seed)
    emit("start", params=params, epochs=a.epochs, train=len(train), heldOut=n_hold, stepsPerEpoch=steps_per_epoch, threads=torch.get_num_threads(),
         precision=precision)

    step = 0
    train_started = time.time()
    for epoch in range(1, a.epochs + 1):
        model.train()
        t0, c0 = time.time(), time.process_time()
        perm = torch.randperm(len(train), generator=g)
        loss_sum = hit1 = 0.0
        for s in range(steps_per_epoch):
            idx = perm[s * bs : (s + 1) * bs]
            xb = augment(xt[idx], mt[idx], g)
            if channels_last:
                xb = xb.contiguous(memory_format=torch.channels_last)
            tb, sb = tt[idx], st[idx]
            for group in opt.param_groups:
                group["lr"] = lr_at(step, total, a.lr, warmup)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                logits, _, sub_logits = model(xb)
            logits, sub_logits = logits.float(), sub_logits.float()
            soft = tb * (1 - smooth) + smooth / tb.shape[1]
            loss = -(soft * F.log_softmax(logits, dim=1)).sum(1).mean()
            if (sb >= 0).any():
                loss = loss + 0.3 * F.cross_entropy(sub_logits, sb, ignore_index=-1, label_smoothing=smooth)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            loss_sum += loss.item()
            hit1 += topk_hits(logits.detach(), tb, 5)[0]
        emit("progress", epoch=epoch, epochs=a.epochs, loss=round(loss_sum / steps_per_epoch, 4),
             trainTop1=round(hit1 / (steps_per_epoch * bs), 4), lr=round(lr_at(step - 1, total, a.lr, warmup), 6),
             seconds=round(time.time() - t0, 2), cpuSeconds=round(time.process_time() - c0, 2))
    train_seconds = time.time() - train_started

    held = None
    if n_hold:
        xh, mh, th = x_all[hold], masks[hold], target[hold]
        held = evaluate(model, xh, mh, th, None, channels_last, bf16)
        aug = evaluate(model, xh, mh, th, a.seed + 1, channels_last, bf16)
        held["augmentedTop1"], held["augmentedTop5"] = aug["top1"], aug["top5"]
        emit("heldOut", **held)

    # Export in fp32, contiguous, eval mode.
    model.eval()
    model = model.to(memory_format=torch.contiguous_format).float()
    exported = Exported(model).eval()
    onnx_path = os.path.join(a.out, "judge.onnx")
    dummy = torch.zeros(2, 3, a.image_size, a.image_size)
    torch.onnx.export(
        exported, dummy, onnx_path, opset_version=17, input_names=["image"], output_names=["logits", "features"],
        dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}, "features": {0: "batch"}}, do_constant_folding=True,
    )
    seconds = time.time() - started
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "imageSize": a.image_size,
        "pixelRange": [-1, 1],
        "classes": classes,
        "subcategories": subcats,
        "featureDim": a.feature_dim,
        "trainedOn": snapshot_id(a.snapshot),
        "items": len(keys),
        "trainItems": len(train),
        "heldOut": held,
        "final": bool(a.final),
        "epochs": a.epochs,
        "seconds": round(seconds, 1),
        "trainSeconds": round(train_seconds, 1),
        "params": params,
        "widths": list(widths),
        "seed": a.seed,
        "onnxBytes": os.path.getsize(onnx_path),
    }
    with open(os.path.join(a.out, "judge.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    emit("done", out=a.out, seconds=round(seconds, 1), params=params, onnxBytes=meta["onnxBytes"], heldOut=held)
    return meta


if __name__ == "__main__":
    main()
