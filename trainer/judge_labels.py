"""Labels for the judge: which emoji each snapshot item shows, from the demo's ground truth.

    /usr/bin/python3 trainer/judge_labels.py --snapshot DIR --truth data/demo/demo-truth.jsonl \
        --catalogue CAT.json --out labels.jsonl

A snapshot item's KEY.json carries the postId of the post it came from; the
demo's truth file says which emoji (`artwork.unified`) that post's picture
shows. Joining the two gives one line per item:

    {"key": "<webdataset key>", "labels": ["1F600", ...], "subcategory": "face-smiling"}

CAT.json maps unified -> subcategory: either an object {"1F600": "face-smiling"}
or the catalogue's entry list [{"unified", "subcategory", ...}]. It is
optional; without it (or for a code it lacks) the line has no subcategory.
With two emoji, the subcategory is the first one's (the judge's auxiliary
head is a single-label classifier). Items whose post is not in the truth file
are skipped and counted.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from data import _samples, shard_paths  # noqa: E402


def load_catalogue(path: str | None) -> dict[str, str]:
    if not path:
        return {}
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    if isinstance(data, dict):
        return {str(k): str(v) for k, v in data.items() if v}
    if isinstance(data, list):
        return {str(e["unified"]): str(e["subcategory"]) for e in data if e.get("unified") and e.get("subcategory")}
    raise ValueError(f"{path}: expected an object unified -> subcategory or a list of catalogue entries")


def load_truth(path: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            row = json.loads(line)
            codes = ((row.get("artwork") or {}).get("unified")) or []
            if row.get("postId") and codes:
                out[row["postId"]] = [str(c) for c in codes]
    return out


def build_labels(snapshot: str, truth: dict[str, list[str]], catalogue: dict[str, str]) -> tuple[list[dict], int]:
    """(label lines in shard order, number of items without a truth row)."""
    lines, missing = [], 0
    for p in shard_paths(snapshot):
        for key, parts in _samples(p):
            if "json" not in parts:
                continue
            meta = json.loads(parts["json"].decode("utf-8"))
            codes = truth.get(meta.get("postId", ""))
            if not codes:
                missing += 1
                continue
            line: dict = {"key": key, "labels": codes}
            sub = catalogue.get(codes[0])
            if sub:
                line["subcategory"] = sub
            lines.append(line)
    return lines, missing


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--snapshot", required=True)
    ap.add_argument("--truth", required=True)
    ap.add_argument("--catalogue", default=None)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    lines, missing = build_labels(a.snapshot, load_truth(a.truth), load_catalogue(a.catalogue))
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w", encoding="utf-8") as f:
        for line in lines:
            f.write(json.dumps(line) + "\n")
    print(json.dumps({"event": "labels", "items": len(lines), "withoutTruth": missing, "classes": len({c for l in lines for c in l["labels"]}), "out": a.out}), flush=True)


if __name__ == "__main__":
    main()
