"""Reading a vitrine snapshot: WebDataset tar shards of KEY.png + KEY.json.

`stream` reads shards one after another, member by member, as WebDataset does,
so a corpus larger than memory trains the same way; each process of a
distributed run reads its own shards (rank::world). `Corpus` keeps decoded
images in memory once read, because at demo scale (8k images of 64x64, 100 MB)
decoding again every epoch would cost more than it saves.
"""
from __future__ import annotations

import json
import os
import tarfile
from dataclasses import dataclass
from typing import Iterator

import numpy as np
import torch

from png import decode_many
from tokenizer import BOS as BOS_ID


@dataclass
class Item:
    key: str
    image: np.ndarray  # (H, W, 3) uint8
    captions: list[dict]  # {"lang", "kind", "text"} as written by the snapshot
    meta: dict


class SnapshotError(ValueError):
    pass


def shard_paths(snapshot_dir: str) -> list[str]:
    sheet = os.path.join(snapshot_dir, "datasheet.json")
    if not os.path.exists(sheet):
        raise SnapshotError(f"{snapshot_dir}: not a vitrine snapshot (no datasheet.json)")
    with open(sheet, encoding="utf-8") as f:
        d = json.load(f)
    paths = [os.path.join(snapshot_dir, s["name"]) for s in d["shards"]]
    for p in paths:
        if not os.path.exists(p):
            raise SnapshotError(f"{p}: shard listed in the datasheet is missing")
    return paths


def snapshot_id(snapshot_dir: str) -> str:
    with open(os.path.join(snapshot_dir, "datasheet.json"), encoding="utf-8") as f:
        return json.load(f)["id"]


def _samples(path: str) -> Iterator[tuple[str, dict[str, bytes]]]:
    """(key, {extension: bytes}) for each sample of one tar shard, streaming."""
    key, parts = None, {}
    with tarfile.open(path, mode="r|") as tar:
        for m in tar:
            if not m.isfile():
                continue
            base = os.path.basename(m.name)
            k, _, ext = base.partition(".")
            f = tar.extractfile(m)
            data = f.read() if f else b""
            if k != key:
                if key is not None:
                    yield key, parts
                key, parts = k, {}
            parts[ext] = data
    if key is not None:
        yield key, parts


def stream(paths: list[str], rank: int = 0, world: int = 1, batch: int = 256) -> Iterator[Item]:
    """Items of this process's shards, decoded `batch` images at a time."""
    mine = paths[rank::world]
    pending: list[tuple[str, dict[str, bytes], str]] = []

    def flush() -> Iterator[Item]:
        images = decode_many([(f"{p}:{k}.png", parts["png"]) for k, parts, p in pending])
        for (k, parts, _), img in zip(pending, images):
            meta = json.loads(parts["json"].decode("utf-8"))
            yield Item(k, img, meta.get("captions", []), meta)
        pending.clear()

    for p in mine:
        for k, parts in _samples(p):
            if "png" not in parts or "json" not in parts:
                raise SnapshotError(f"{p}: sample {k} lacks its .png or .json")
            pending.append((k, parts, p))
            if len(pending) >= batch:
                yield from flush()
    if pending:
        yield from flush()


def box_resize(images: np.ndarray, size: int) -> np.ndarray:
    """(N, H, W, 3) uint8 -> (N, size, size, 3) float32 in [0, 255], by box averaging (H a multiple of size)."""
    n, h, w, c = images.shape
    if h % size or w % size:
        raise SnapshotError(f"images of {w}x{h} cannot be box-resized to {size}x{size}")
    f = h // size
    return images.reshape(n, size, f, size, f, c).astype(np.float32).mean(axis=(2, 4))


class Corpus:
    """Every item of this process's shards, in memory: images at training size, captions as texts."""

    def __init__(self, paths: list[str], size: int, rank: int = 0, world: int = 1):
        keys, imgs, caps = [], [], []
        for it in stream(paths, rank, world):
            keys.append(it.key)
            imgs.append(it.image)
            caps.append([c["text"] for c in it.captions if c.get("text")])
        if not keys:
            raise SnapshotError("the snapshot has no items for this process")
        self.keys = keys
        self.captions = caps
        # (N, 3, size, size) in [-1, 1]: the network's pixel range.
        x = box_resize(np.stack(imgs), size) / 127.5 - 1.0
        self.images = np.ascontiguousarray(x.transpose(0, 3, 1, 2)).astype(np.float32)

    def __len__(self) -> int:
        return len(self.keys)


class CaptionTable:
    """Every caption of a corpus, tokenized once, on the training device, so that drawing a batch's
    captions (one of each item's, some dropped for guidance, some with words dropped) is a few tensor
    operations there. Drawing them in Python, one caption at a time, held a GPU at a sixth of its pace.

    Word drop works on tokens, which are the tokenizer's words: half the captions lose each word with
    probability `word_drop` (never all of them), the words left keep their order."""

    def __init__(self, captions: list[list[str]], encode, device: torch.device):
        rows, first, count = [encode("")], [], []
        for caps in captions:
            first.append(len(rows))
            count.append(len(caps))
            rows.extend(encode(c) for c in caps)
        self.ids = torch.tensor(rows, dtype=torch.long, device=device)  # (C + 1, T); row 0: the empty caption
        self.first = torch.tensor(first, dtype=torch.long, device=device)
        self.count = torch.tensor(count, dtype=torch.long, device=device)

    def draw(self, idx: torch.Tensor, gen: torch.Generator, dropout: float, word_drop: float) -> torch.Tensor:
        """(B, T) caption ids for the items `idx`, random draws from `gen` (on the table's device)."""
        dev = self.ids.device
        n, width = idx.shape[0], self.ids.shape[1]
        count = self.count[idx]
        which = torch.minimum((torch.rand(n, generator=gen, device=dev) * count).long(), (count - 1).clamp(min=0))
        rows = torch.where(count > 0, self.first[idx] + which, torch.zeros_like(which))  # no caption: the empty one
        ids = self.ids[rows]
        if word_drop > 0:
            is_word = ids > BOS_ID
            halves = torch.rand(n, 1, generator=gen, device=dev) < 0.5
            drop = (torch.rand(n, width, generator=gen, device=dev) < word_drop) & is_word & halves
            drop &= (is_word & ~drop).any(1, keepdim=True)  # a caption keeps at least one word
            # Dropped tokens sort after every kept one (and after the padding), order otherwise kept.
            pos = torch.arange(width, device=dev).expand(n, width)
            order = torch.argsort(pos + drop.long() * width, dim=1)
            ids = torch.where(drop, torch.zeros_like(ids), ids).gather(1, order)
        unconditional = torch.rand(n, 1, generator=gen, device=dev) < dropout
        return torch.where(unconditional, self.ids[0].expand(n, width), ids)


def all_captions(paths: list[str]) -> Iterator[str]:
    """Every caption text of every shard, reading only the .json members (for the vocabulary)."""
    for p in paths:
        for _, parts in _samples(p):
            meta = json.loads(parts.get("json", b"{}").decode("utf-8"))
            for c in meta.get("captions", []):
                if c.get("text"):
                    yield c["text"]
