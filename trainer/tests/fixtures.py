"""A tiny synthetic snapshot in the real format (WebDataset shards + datasheet), for trainer tests."""
from __future__ import annotations

import io
import json
import os
import sys
import tarfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from png import encode_rgb  # noqa: E402

COLOURS = {"red": (220, 30, 30), "blue": (30, 60, 220), "green": (30, 180, 60), "yellow": (240, 210, 30)}
SHAPES = ("square", "disc")


def picture(colour: str, shape: str, size: int = 64, offset: int = 0) -> np.ndarray:
    img = np.full((size, size, 3), 255, dtype=np.uint8)
    c = COLOURS[colour]
    yy, xx = np.mgrid[0:size, 0:size]
    mid = size // 2 + offset
    if shape == "square":
        mask = (abs(yy - mid) < size // 4) & (abs(xx - mid) < size // 4)
    else:
        mask = (yy - mid) ** 2 + (xx - mid) ** 2 < (size // 4) ** 2
    img[mask] = c
    return img


def write_snapshot_files(root: str, snapshot_id: str, samples: list[tuple[str, dict, np.ndarray]], shard_size: int = 1000) -> str:
    """Writes (key, KEY.json metadata, (H, W, 3) uint8 picture) samples as shards and a datasheet; returns root."""
    os.makedirs(root, exist_ok=True)
    shards = []
    for s in range(0, len(samples), shard_size):
        name = f"shard-{s // shard_size:06d}.tar"
        with tarfile.open(os.path.join(root, name), "w") as tar:
            for key, meta, pixels in samples[s : s + shard_size]:
                for ext, data in (("json", json.dumps(meta).encode()), ("png", encode_rgb(pixels))):
                    info = tarfile.TarInfo(f"{key}.{ext}")
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
        shards.append({"name": name})
    with open(os.path.join(root, "datasheet.json"), "w", encoding="utf-8") as f:
        json.dump({"id": snapshot_id, "items": len(samples), "shards": shards}, f)
    return root


def make_snapshot(root: str, items: int = 48, shard_size: int = 20, snapshot_id: str = "snap-test0000000000000") -> str:
    """Writes `items` pictures of coloured shapes with English and French captions; returns the folder."""
    fr = {"red": "rouge", "blue": "bleu", "green": "vert", "yellow": "jaune", "square": "carré", "disc": "disque"}
    samples = []
    for i in range(items):
        colour = list(COLOURS)[i % len(COLOURS)]
        shape = SHAPES[(i // len(COLOURS)) % len(SHAPES)]
        key = f"{i:024x}"
        meta = {"key": key, "postId": f"p{i:05d}", "captions": [
            {"lang": "en", "kind": "caption", "text": f"A {colour} {shape} on white #{shape}"},
            {"lang": "fr", "kind": "caption", "text": f"Un {fr[shape]} {fr[colour]} sur fond blanc"},
        ]}
        samples.append((key, meta, picture(colour, shape, offset=i % 5 - 2)))
    return write_snapshot_files(root, snapshot_id, samples, shard_size)
