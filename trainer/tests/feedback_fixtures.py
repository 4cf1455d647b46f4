"""A synthetic feedback set in the real format (docs/formats/feedback-pairs.md),
for the reward-model and fine-tuning tests.

Every generation has a prompt naming a colour and a shape and four candidate
images. The simulated person's hidden taste: the image whose shape has the
prompted colour wins over one in another colour (faithfulness), so a reward
model must read both the prompt and the image to rank them.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from fixtures import COLOURS, SHAPES, picture  # noqa: E402
from png import encode_rgb  # noqa: E402


def _box(img: np.ndarray, size: int) -> np.ndarray:
    f = img.shape[0] // size
    return img.reshape(size, f, size, f, 3).mean(axis=(1, 3)).round().astype(np.uint8)


def make_feedback_set(root: str, generations: int = 60, image_size: int = 16, seed: int = 0,
                      model: str = "model-test00000000000000", personal: bool = False) -> str:
    """Writes `generations` × (pick>reject, pick>other ×2) pairs; returns the folder.

    personal: two accounts with opposite tastes instead; prompts name only a shape, every generation
    has one red and three blue candidates or the reverse, and acct-...0 picks red, acct-...1 blue.
    One score for everyone can do no better than chance; a score per account can be right."""
    rng = np.random.default_rng(seed)
    os.makedirs(os.path.join(root, "images"), exist_ok=True)
    colours = list(COLOURS)
    lines = []
    for g in range(generations):
        colour = colours[g % len(colours)]
        shape = SHAPES[(g // len(colours)) % len(SHAPES)]
        prompt = f"imagine a {colour} {shape}" if g % 3 else f"imagine un {shape} {colour}"
        # Four candidates: one in the prompted colour, three in others (shuffled).
        others = [c for c in colours if c != colour]
        cand = [colour] + list(rng.choice(others, 3, replace=True))
        account = f"acct-{g % 4:012x}"
        if personal:
            account = f"acct-{g % 2:012x}"
            favourite, other = ("red", "blue") if g % 2 == 0 else ("blue", "red")
            prompt = f"imagine a {shape} number {g // 2 % 10}"
            cand = [favourite, other, other, other]
        names = []
        for c in cand:
            img = _box(picture(c, shape, size=64, offset=int(rng.integers(-6, 7))), image_size)
            noise = rng.integers(-12, 13, img.shape)
            img = np.clip(img.astype(int) + noise, 0, 255).astype(np.uint8)
            data = encode_rgb(img)
            sha = hashlib.sha256(data).hexdigest()
            with open(os.path.join(root, "images", sha + ".png"), "wb") as f:
                f.write(data)
            names.append(f"images/{sha}.png")
        split = "heldout" if int(hashlib.sha256(prompt.encode()).hexdigest(), 16) % 5 == 0 else "train"
        for j, (source, weight) in enumerate((("pick>reject", 1.0), ("pick>other", 0.5), ("pick>other", 0.5))):
            lines.append({"id": f"pair-{g:04d}{j}", "prompt": prompt, "chosen": names[0], "rejected": names[j + 1],
                          "generation": f"gen-{g:06d}", "model": model, "account": account,
                          "source": source, "weight": weight, "split": split})
    body = "".join(json.dumps(x) + "\n" for x in lines)
    with open(os.path.join(root, "pairs.jsonl"), "w", encoding="utf-8") as f:
        f.write(body)
    manifest = {"format": "vitrine-feedback-set", "version": 1,
                "id": "fb-" + hashlib.sha256(body.encode()).hexdigest()[:20], "createdAt": "2026-11-25T00:00:00.000Z",
                "imageSize": image_size, "pairs": len(lines), "heldOut": sum(x["split"] == "heldout" for x in lines),
                "accounts": 2 if personal else 4, "models": [model],
                "rule": "synthetic: each account's favourite colour wins" if personal else "synthetic: the image in the prompted colour wins"}
    with open(os.path.join(root, "feedback-set.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)
    return root
