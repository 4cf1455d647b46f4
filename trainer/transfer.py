"""Moves a finished training run between machines in small files: train on a rented GPU,
export and register here.

    python3 trainer/transfer.py pack RUN_DIR OUT_DIR      # on the training machine
    /usr/bin/python3 trainer/transfer.py unpack IN_DIR RUN_DIR   # here; then `vitrine train --import-run RUN_DIR`

A run folder holds a checkpoint with the optimiser state (four copies of the weights)
that a finished run no longer needs. `pack` keeps what the export reads: the EMA
weights, as plain numpy arrays split into parts of at most --part-mb (numpy's format
reads the same under any torch version, so a run made with a recent torch exports
with Debian's 1.13), plus the small files (tokenizer, training record, metrics,
loss plot, samples) in one tar. `unpack` rebuilds final.pt and checks every weight.

    /usr/bin/python3 trainer/transfer.py shrink SNAPSHOT_DIR OUT.tgz [--size 32]   # a snapshot, the other way

A snapshot's 64x64 images, box-averaged to the training size (what data.box_resize does, rounded
to the nearest integer: at most half a level off) and packed with the datasheet in one .tgz: the
default snapshot (24,592 items) goes from 113 MB of shards to 29 MB, under what a device machine's
copy may hold. The datasheet is copied as it is, so the run records the snapshot's id.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import sys
import tarfile

import numpy as np
import torch

from data import SnapshotError, _samples, box_resize, shard_paths
from png import decode_many, encode_rgb

SMALL = ("tokenizer.json", "training.json", "metrics.jsonl", "loss.png", "samples-final.png", "train.log")


def _digest(arrays: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for k in sorted(arrays):
        h.update(k.encode())
        h.update(np.ascontiguousarray(arrays[k]).tobytes())
    return h.hexdigest()


def pack(run: str, out: str, part_mb: float) -> list[str]:
    final = os.path.join(run, "final.pt")
    if not os.path.exists(final):
        raise SystemExit(f"{run}: no final.pt (the run has not finished)")
    s = torch.load(final, map_location="cpu", weights_only=False)
    arrays = {k: v.detach().cpu().contiguous().numpy() for k, v in s["ema"].items()}
    os.makedirs(out, exist_ok=True)
    parts: list[dict[str, np.ndarray]] = [{}]
    size = 0
    for k in sorted(arrays, key=lambda k: -arrays[k].nbytes):  # largest first, each part filled up to the limit
        if parts[-1] and size + arrays[k].nbytes > part_mb * 1e6:
            parts.append({})
            size = 0
        parts[-1][k] = arrays[k]
        size += arrays[k].nbytes
    written = []
    for i, p in enumerate(parts):
        path = os.path.join(out, f"ema-{i}.npz")
        np.savez(path, **p)
        written.append(path)
    meta = {"model_config": s["model_config"], "config": s["config"], "parts": len(parts), "sha256": _digest(arrays)}
    path = os.path.join(out, "run.tar")
    with tarfile.open(path, "w") as tar:
        data = json.dumps(meta).encode()
        info = tarfile.TarInfo("final-meta.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
        for name in SMALL:
            if os.path.exists(os.path.join(run, name)):
                tar.add(os.path.join(run, name), arcname=name)
    written.append(path)
    return written


def unpack(src: str, run: str) -> str:
    with tarfile.open(os.path.join(src, "run.tar")) as tar:
        names = tar.getnames()
        bad = [n for n in names if n not in SMALL + ("final-meta.json",)]
        if bad:
            raise SystemExit(f"{src}/run.tar: unexpected member(s) {', '.join(bad)}")
        os.makedirs(run, exist_ok=True)
        meta = json.loads(tar.extractfile("final-meta.json").read())  # type: ignore[union-attr]
        for n in names:
            if n != "final-meta.json":
                with open(os.path.join(run, n), "wb") as f:
                    f.write(tar.extractfile(n).read())  # type: ignore[union-attr]
    arrays: dict[str, np.ndarray] = {}
    for i in range(meta["parts"]):
        with np.load(os.path.join(src, f"ema-{i}.npz")) as z:
            arrays.update({k: z[k] for k in z.files})
    if _digest(arrays) != meta["sha256"]:
        raise SystemExit(f"{src}: the weights do not match the digest packed with them (a part is damaged or missing)")
    ema = {k: torch.from_numpy(v.copy()) for k, v in arrays.items()}
    path = os.path.join(run, "final.pt")
    torch.save({"ema": ema, "model_config": meta["model_config"], "config": meta["config"]}, path + ".tmp")
    os.replace(path + ".tmp", path)
    return path


def shrink(snapshot: str, out: str, size: int) -> int:
    """Writes OUT (.tgz): the datasheet and every shard with its images box-averaged to size x size.
    Nothing is left at OUT when it fails."""
    paths = shard_paths(snapshot)
    items = 0
    try:
        with tarfile.open(out + ".tmp", "w:gz") as tgz:
            tgz.add(os.path.join(snapshot, "datasheet.json"), arcname="datasheet.json")
            for path in paths:
                samples = list(_samples(path))
                images = decode_many([(f"{path}:{k}.png", parts["png"]) for k, parts in samples if "png" in parts])
                buf = io.BytesIO()
                with tarfile.open(fileobj=buf, mode="w") as shard:
                    for (k, parts), img in zip(samples, images):
                        h, w, _ = img.shape
                        if h % size or w % size:
                            raise SnapshotError(f"{path}: sample {k} is {w}x{h}, not a multiple of {size}")
                        small = box_resize(img[None], size)[0]
                        for ext, data in (("png", encode_rgb(np.rint(small).astype(np.uint8))), ("json", parts["json"])):
                            info = tarfile.TarInfo(f"{k}.{ext}")
                            info.size = len(data)
                            shard.addfile(info, io.BytesIO(data))
                        items += 1
                info = tarfile.TarInfo(os.path.basename(path))
                info.size = buf.tell()
                buf.seek(0)
                tgz.addfile(info, buf)
                print(json.dumps({"event": "shard", "name": os.path.basename(path), "items": items}), flush=True)
        os.replace(out + ".tmp", out)
    finally:
        if os.path.exists(out + ".tmp"):
            os.remove(out + ".tmp")
    return items


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pack")
    p.add_argument("run")
    p.add_argument("out")
    p.add_argument("--part-mb", type=float, default=15.0)
    u = sub.add_parser("unpack")
    u.add_argument("src")
    u.add_argument("run")
    sh = sub.add_parser("shrink")
    sh.add_argument("snapshot")
    sh.add_argument("out")
    sh.add_argument("--size", type=int, default=32)
    a = ap.parse_args(argv)
    if a.cmd == "shrink":
        print(json.dumps({"event": "done", "items": shrink(a.snapshot, a.out, a.size), "out": a.out, "bytes": os.path.getsize(a.out)}))
    elif a.cmd == "pack":
        for path in pack(a.run, a.out, a.part_mb):
            print(path, os.path.getsize(path))
    else:
        print(unpack(a.src, a.run))
    return 0


if __name__ == "__main__":
    sys.exit(main())
