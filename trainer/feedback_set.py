"""Reading a feedback set (docs/formats/feedback-pairs.md): one checker for every trainer that
learns from people's preferences (reward.py, finetune.py).

Every problem is a FeedbackSetError naming the file, and the line of pairs.jsonl, so the CLI
shows one line a person can act on. The set is content-addressed: a pairs.jsonl changed after
its export no longer matches its id and is refused.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass

import numpy as np

from png import PngError, decode_many

SET_FORMAT = "vitrine-feedback-set"
SPLITS = ("train", "heldout")


class FeedbackSetError(ValueError):
    pass


@dataclass
class FeedbackSet:
    manifest: dict
    pairs: list[dict]  # the pairs.jsonl rows, in file order
    image_paths: list[str]  # distinct image paths, in first-use order
    images: np.ndarray  # (N, S, S, 3) uint8 at the set's imageSize, in image_paths order


def _read_json(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            d = json.load(f)
    except json.JSONDecodeError as e:
        raise FeedbackSetError(f"{path}: not valid JSON ({e.msg} at line {e.lineno})") from None
    if not isinstance(d, dict):
        raise FeedbackSetError(f"{path}: expected a JSON object")
    return d


def _image_path(set_dir: str, where: str, field: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        raise FeedbackSetError(f"{where}: {field} must be the path of an image in the set, not {json.dumps(value)}")
    norm = os.path.normpath(value)
    if os.path.isabs(value) or norm.startswith(".."):
        raise FeedbackSetError(f"{where}: {field} {json.dumps(value)} is outside the set's folder")
    if not os.path.isfile(os.path.join(set_dir, norm)):
        raise FeedbackSetError(f"{where}: {field} {value} does not exist in {set_dir}")
    return norm


def read_set(set_dir: str) -> FeedbackSet:
    """The manifest, the pairs and every image of a feedback set, checked; errors name the file and line."""
    mpath = os.path.join(set_dir, "feedback-set.json")
    if not os.path.isfile(mpath):
        raise FeedbackSetError(f"{set_dir}: not a feedback set (no feedback-set.json)")
    manifest = _read_json(mpath)
    if manifest.get("format") != SET_FORMAT or manifest.get("version") != 1:
        raise FeedbackSetError(f"{mpath}: format must be {SET_FORMAT!r} version 1, not "
                               f"{manifest.get('format')!r} version {manifest.get('version')!r}")
    size = manifest.get("imageSize")
    if not isinstance(size, int) or isinstance(size, bool) or size < 4:
        raise FeedbackSetError(f"{mpath}: imageSize must be an integer of at least 4, not {json.dumps(size)}")
    ppath = os.path.join(set_dir, "pairs.jsonl")
    if not os.path.isfile(ppath):
        raise FeedbackSetError(f"{set_dir}: no pairs.jsonl")
    with open(ppath, "rb") as f:
        body = f.read()
    # The id is the hash of pairs.jsonl: a set edited after its export is not the set its id names.
    want = "fb-" + hashlib.sha256(body).hexdigest()[:20]
    if manifest.get("id") != want:
        raise FeedbackSetError(f"{mpath}: id {manifest.get('id')!r} is not the hash of pairs.jsonl ({want}); the set was changed after it was made")

    pairs: list[dict] = []
    paths: dict[str, int] = {}
    for n, raw in enumerate(body.decode("utf-8").split("\n"), 1):
        if not raw.strip():
            continue
        where = f"{ppath}:{n}"
        try:
            row = json.loads(raw)
        except json.JSONDecodeError as e:
            raise FeedbackSetError(f"{where}: not valid JSON ({e.msg})") from None
        if not isinstance(row, dict):
            raise FeedbackSetError(f"{where}: expected a JSON object")
        if not isinstance(row.get("prompt"), str):
            raise FeedbackSetError(f"{where}: prompt must be a string")
        if row.get("split") not in SPLITS:
            raise FeedbackSetError(f"{where}: split must be \"train\" or \"heldout\", not {json.dumps(row.get('split'))}")
        w = row.get("weight")
        if not isinstance(w, (int, float)) or isinstance(w, bool) or not math.isfinite(w) or w <= 0:
            raise FeedbackSetError(f"{where}: weight must be a positive number, not {json.dumps(w)}")
        if not isinstance(row.get("source"), str) or not row["source"]:
            raise FeedbackSetError(f"{where}: source must be a non-empty string")
        for field in ("chosen", "rejected"):
            p = _image_path(set_dir, where, field, row.get(field))
            row[field] = p
            paths.setdefault(p, len(paths))
        if row["chosen"] == row["rejected"]:
            raise FeedbackSetError(f"{where}: chosen and rejected are the same image")
        row["line"] = n
        pairs.append(row)
    if not pairs:
        raise FeedbackSetError(f"{ppath}: no pairs")
    if manifest.get("pairs") != len(pairs):
        raise FeedbackSetError(f"{mpath}: says {manifest.get('pairs')} pairs, pairs.jsonl has {len(pairs)}")

    order = list(paths)
    items = []
    for p in order:
        with open(os.path.join(set_dir, p), "rb") as f:
            items.append((os.path.join(set_dir, p), f.read()))
    try:
        decoded = decode_many(items)
    except PngError as e:
        raise FeedbackSetError(str(e)) from None
    for (name, _), img in zip(items, decoded):
        if img.shape[:2] != (size, size):
            raise FeedbackSetError(f"{name}: {img.shape[1]}x{img.shape[0]} pixels, the set's imageSize is {size}")
    return FeedbackSet(manifest, pairs, order, np.stack(decoded))
