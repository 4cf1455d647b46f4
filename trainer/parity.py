"""Reference outputs of a trained run in PyTorch, for the ONNX parity test.

    /usr/bin/python3 trainer/parity.py --run RUN_DIR --out reference.json [--prompts "a" "b"]
    /usr/bin/python3 trainer/parity.py --int8 MODEL_DIR --out reference.json

Writes the inputs (token ids, noise, times) and PyTorch's outputs (caption
features, velocities) computed in fp32 from the EMA weights, the weights the
export uses; the product's ONNX Runtime path must reproduce them. With --int8,
the model of an exported folder with its int8 convolutions rebuilt from the
card (quantize.quantized_model): what denoiser-int8.onnx must reproduce.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from export import load_run  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--run")
    src.add_argument("--int8", help="an exported model folder with an int8 denoiser")
    ap.add_argument("--out", required=True)
    ap.add_argument("--prompts", nargs="*", default=["imagine a red apple", "une pomme rouge sur fond bleu", ""])
    a = ap.parse_args()
    torch.set_num_threads(1)
    if a.int8:
        from quantize import quantized_model
        m, tok, _ = quantized_model(a.int8)
    else:
        m, _, tok = load_run(a.run)
    s = m.cfg.image_size
    g = torch.Generator().manual_seed(7)
    ids = torch.tensor([tok.encode(p) for p in a.prompts])
    x = torch.randn(len(a.prompts), 3, s, s, generator=g)
    t = torch.linspace(0.95, 0.05, len(a.prompts))
    with torch.no_grad():
        tokens, pooled = m.encoder(ids)
        v = m.unet(x, t, tokens, pooled, ids)
    ref = {
        "prompts": a.prompts,
        "ids": ids.tolist(),
        "x": x.flatten().tolist(),
        "t": t.tolist(),
        "tokens": tokens.flatten().tolist(),
        "pooled": pooled.flatten().tolist(),
        "velocity": v.flatten().tolist(),
        "shape": {"x": list(x.shape), "tokens": list(tokens.shape), "pooled": list(pooled.shape)},
    }
    with open(a.out, "w", encoding="utf-8") as f:
        json.dump(ref, f)
    print(json.dumps({"event": "parity", "out": a.out}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
