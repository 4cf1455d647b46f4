"""PyTorch eager on the same network and the same sampling work as `vitrine imagine`.

    /usr/bin/python3 bench/imagine/torch_baseline.py --card models/default/model.json --runs 10 [--steps N] [--sampler NAME] [--bf16]

Speed does not depend on the weights' values, so the network is built from the
model card's configuration with fresh weights (the committed model ships as
ONNX only): same layers, shapes and sampler (the card's or --sampler, the conditional and
unconditional inputs batched on the steps the card's guidance interval guides,
four images). Prints one JSON line of latencies; with --bf16 on a CPU without bf16
instructions (trainer/hardware.py), one line saying it was skipped: reference kernels
there (31 s for four images on a Zen 1 EPYC) say nothing of ONNX Runtime.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "trainer"))

import flow  # noqa: E402
from config import TrainConfig  # noqa: E402
from hardware import native_bf16  # noqa: E402
from model import TextToImage  # noqa: E402
from train import model_config  # noqa: E402
from tokenizer import Tokenizer  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--card", required=True)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--steps", type=int, default=0)
    ap.add_argument("--guidance", type=float, default=0)
    ap.add_argument("--sampler", default="", help="euler, heun or dpm2m (default: the card's)")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--bf16", action="store_true", help="bf16 autocast (AMX), which ONNX Runtime's CPU provider does not offer")
    a = ap.parse_args()
    if a.bf16 and not native_bf16(torch.device("cpu")):
        print(json.dumps({"event": "skipped", "reason": "this CPU has no bf16 instructions"}))
        return 0
    torch.set_num_threads(a.threads or os.cpu_count() or 1)
    with open(a.card, encoding="utf-8") as f:
        card = json.load(f)
    cv = card["training"]["configValues"]
    tok = Tokenizer.load(os.path.join(os.path.dirname(a.card), card["files"]["tokenizer"]))
    m = TextToImage(model_config(TrainConfig(**cv), tok)).eval()
    steps = a.steps or card["sampling"]["steps"]
    g = a.guidance or card["sampling"]["guidance"]
    method = a.sampler or card["sampling"]["method"]
    s = m.cfg.image_size

    def once(seed: int) -> float:
        t0 = time.perf_counter()
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.bf16):
            ids = torch.tensor([tok.encode("a red apple"), tok.encode("")])
            tokens, pooled = m.encoder(ids)
            used = int((ids != 0).nonzero()[:, 1].max()) + 1  # the padding left out, as the product does
            tokens, ids = tokens[:, :used], ids[:, :used]
            rep = torch.tensor([0, 0, 0, 0, 1, 1, 1, 1])
            tk, pl, ii = tokens[rep], pooled[rep], ids[rep]
            interval = card["sampling"].get("guidanceInterval")
            v = flow.guided(lambda x, t: m.unet(x, t, tk, pl, ii), g, tuple(interval) if interval else None,
                            lambda x, t: m.unet(x, t, tk[:4], pl[:4], ii[:4]))
            noise = torch.randn(4, 3, s, s, generator=torch.Generator().manual_seed(seed))
            flow.sample(v, noise, steps, method)
        return (time.perf_counter() - t0) * 1000

    once(0)  # warm-up
    ms = sorted(once(i + 1) for i in range(a.runs))
    print(json.dumps({"event": "latency", "ms": ms, "steps": steps, "method": method, "bf16": a.bf16, "threads": torch.get_num_threads()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
