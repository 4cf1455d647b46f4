"""An int8 denoiser for CPU inference, beside the fp32 one, in an exported model folder.

    /usr/bin/python3 trainer/quantize.py --model MODEL_DIR [--prompts FILE] [--batches 4]

Why: on this machine kind ONNX Runtime runs a 3x3 convolution in int8 (QLinearConv,
VNNI/AMX) about 3x faster than in fp32, and convolutions are over half of a
denoiser call. ConvInteger (int32 out, rescaled in fp32) was measured 6x slower
than fp32, so each convolution is quantized on both sides: uint8 in, int8
weights per output channel, int32 bias, uint8 out. Everything else (group norm,
attention, the caption encoder) stays fp32, and so do the first and last
convolutions: 3 input channels and the velocity itself, cheap and the most
sensitive to rounding.

Static calibration: the range of every quantized convolution's input and output
is recorded while the fp32 model samples, with the card's sampler, steps and
guidance, from calibration prompts (trainer/calibration-prompts.txt by default:
written for this, none of them an evaluation prompt). PyTorch reproduces the
int8 arithmetic (QuantConv.forward), so quality can be checked on either side.

Writes MODEL_DIR/denoiser-int8.onnx and the card's "int8" entry (file, sha256,
calibration). The model id, a hash of the fp32 files, does not change: int8 is a
way to run the model, recorded with every image (ImagineRecord.precision).
Caveat: int8 weights use the full range [-127, 127]; x86 CPUs without VNNI
(AVX2 only) may saturate u8s8 products, so the product keeps the fp32 path.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import flow  # noqa: E402
from export import export_denoiser, load_exported  # noqa: E402
from model import TextToImage  # noqa: E402
from tokenizer import Tokenizer  # noqa: E402
from train import emit  # noqa: E402

# torch 1.13 hands a Function's symbolic a Graph whose op() it calls deprecated; later versions hand a
# GraphContext with the same op(): the calls below work with both.
warnings.filterwarnings("ignore", message=".*_graph_op' is deprecated")

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_PROMPTS = os.path.join(HERE, "calibration-prompts.txt")
FILE = "denoiser-int8.onnx"
KEEP_FP32 = ("stem", "out")  # first and last convolutions


def _uint8_params(lo: float, hi: float) -> tuple[float, int]:
    """Scale and zero point mapping [lo, hi] (widened to hold 0, as ONNX requires) onto 0..255."""
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    scale = max(hi - lo, 1e-8) / 255.0
    return scale, int(min(255, max(0, round(-lo / scale))))


def _fake_uint8(x: torch.Tensor, scale: float, zero: int) -> torch.Tensor:
    return (torch.clamp(torch.round(x / scale) + zero, 0, 255) - zero) * scale


def _qlinear_conv(q: "QuantConv") -> type[torch.autograd.Function]:
    """The int8 convolution of `q` as an autograd Function: computed in PyTorch as ONNX Runtime
    computes it, exported as QuantizeLinear -> QLinearConv -> DequantizeLinear. One class per
    convolution, because the exporter passes a Function only tensors and numbers; the tracer
    needs every tensor the forward reads as an input (the exporter drops the unused ones)."""

    class QLinearConv(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x: torch.Tensor, w: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:  # noqa: ANN001
            return _fake_uint8(F.conv2d(_fake_uint8(x, q.sx, q.zx), w, bias, q.stride, q.padding), q.sy, q.zy)

        @staticmethod
        def symbolic(g, x, _w, _bias):  # noqa: ANN001, ANN205
            def const(t: torch.Tensor):  # noqa: ANN202
                return g.op("Constant", value_t=t)

            sx, zx = const(torch.tensor(q.sx, dtype=torch.float32)), const(torch.tensor(q.zx, dtype=torch.uint8))
            sy, zy = const(torch.tensor(q.sy, dtype=torch.float32)), const(torch.tensor(q.zy, dtype=torch.uint8))
            xq = g.op("QuantizeLinear", x, sx, zx)
            yq = g.op("QLinearConv", xq, sx, zx, const(q.w8), const(q.sw.float()),
                      const(torch.zeros(q.w8.shape[0], dtype=torch.int8)), sy, zy, const(q.b32),
                      kernel_shape_i=list(q.kernel), strides_i=list(q.stride), pads_i=list(q.padding) * 2)
            return g.op("DequantizeLinear", yq, sy, zy)

    return QLinearConv


class QuantConv(nn.Module):
    """A Conv2d with calibrated ranges: uint8 input and output, int8 weights per output channel."""

    def __init__(self, conv: nn.Conv2d, x_range: tuple[float, float], y_range: tuple[float, float]):
        super().__init__()
        if conv.groups != 1 or conv.dilation != (1, 1) or conv.padding_mode != "zeros":
            raise ValueError("only plain convolutions are quantized")
        w = conv.weight.detach().float()
        self.kernel, self.stride, self.padding = tuple(conv.kernel_size), tuple(conv.stride), tuple(conv.padding)
        self.sx, self.zx = _uint8_params(*x_range)
        self.sy, self.zy = _uint8_params(*y_range)
        sw = (w.abs().amax(dim=(1, 2, 3)) / 127.0).clamp(min=1e-12)  # symmetric: zero point 0
        self.register_buffer("sw", sw)
        self.register_buffer("w8", torch.clamp(torch.round(w / sw[:, None, None, None]), -127, 127).to(torch.int8))
        b = conv.bias.detach().double() if conv.bias is not None else torch.zeros(w.shape[0], dtype=torch.float64)
        self.register_buffer("b32", torch.round(b / (self.sx * sw.double())).clamp(-2**31, 2**31 - 1).to(torch.int32))

        # What the int8 weights and bias stand for, in fp32: the PyTorch side of the arithmetic.
        self.register_buffer("w_real", self.w8.float() * sw[:, None, None, None])
        self.register_buffer("b_real", (self.b32.double() * (self.sx * sw.double())).float())
        self._fn = _qlinear_conv(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._fn.apply(x, self.w_real, self.b_real)


def read_prompts(path: str) -> list[str]:
    with open(path, encoding="utf-8") as f:
        prompts = [ln.strip() for ln in f if ln.strip() and not ln.startswith("#")]
    if not prompts:
        raise SystemExit(f"{path}: no calibration prompts")
    return prompts


def calibrate(m: TextToImage, tok: Tokenizer, prompts: list[str], sampling: dict, batches: int,
              seed: int = 0) -> dict[str, tuple[float, float, float, float]]:
    """(input min, input max, output min, output max) of every convolution of the U-Net while the
    fp32 model samples batches of 8 prompts as the product does (guided, the card's sampler)."""
    convs = {n: mod for n, mod in m.unet.named_modules() if isinstance(mod, nn.Conv2d)}
    seen: dict[str, list[float]] = {}

    def hook(name: str):  # noqa: ANN202
        def fn(_mod: nn.Module, inp: tuple[torch.Tensor], out: torch.Tensor) -> None:
            x = inp[0]
            cur = [x.min().item(), x.max().item(), out.min().item(), out.max().item()]
            old = seen.get(name)
            seen[name] = cur if old is None else [min(old[0], cur[0]), max(old[1], cur[1]),
                                                   min(old[2], cur[2]), max(old[3], cur[3])]
        return fn

    hooks = [mod.register_forward_hook(hook(n)) for n, mod in convs.items()]
    g = torch.Generator().manual_seed(seed)
    s = m.cfg.image_size
    interval = sampling.get("guidanceInterval")
    try:
        with torch.no_grad():
            for b in range(batches):
                ps = [prompts[(b * 8 + i) % len(prompts)] for i in range(8)]
                ids = torch.tensor([tok.encode(p) for p in ps] + [tok.encode("")] * len(ps))
                tokens, pooled = m.encoder(ids)
                n = len(ps)
                v = flow.guided(lambda x, t: m.unet(x, t, tokens, pooled, ids), float(sampling["guidance"]),
                                tuple(interval) if interval else None,
                                lambda x, t: m.unet(x, t, tokens[:n], pooled[:n], ids[:n]))
                flow.sample(v, torch.randn(len(ps), 3, s, s, generator=g), int(sampling["steps"]),
                            sampling.get("method", "euler"), float(sampling.get("shift", 1.0)))
    finally:
        for h in hooks:
            h.remove()
    return {n: (r[0], r[1], r[2], r[3]) for n, r in seen.items()}


def quantize_unet(m: TextToImage, ranges: dict[str, tuple[float, float, float, float]]) -> int:
    """Swaps every calibrated convolution but the first and last for a QuantConv; returns how many."""
    count = 0
    for name, mod in list(m.unet.named_modules()):
        for child_name, child in list(mod.named_children()):
            full = f"{name}.{child_name}" if name else child_name
            if isinstance(child, nn.Conv2d) and full in ranges and full not in KEEP_FP32:
                r = ranges[full]
                setattr(mod, child_name, QuantConv(child, (r[0], r[1]), (r[2], r[3])))
                count += 1
    return count


def quantized_model(model_dir: str) -> tuple[TextToImage, Tokenizer, dict]:
    """The model of a folder with its int8 convolutions rebuilt from the card's recorded ranges:
    what denoiser-int8.onnx computes, in PyTorch (the parity reference; a re-export gives the same file)."""
    m, tok, card = load_exported(model_dir)
    entry = card.get("int8") or {}
    ranges = entry.get("ranges")
    if not ranges:
        raise SystemExit(f"{model_dir}: the card has no int8 ranges (run trainer/quantize.py --model {model_dir})")
    quantize_unet(m, {k: tuple(v) for k, v in ranges.items()})
    return m, tok, card


def quantize(model_dir: str, prompts_file: str, batches: int) -> dict:
    m, tok, card = load_exported(model_dir)
    prompts = read_prompts(prompts_file)
    t0 = time.perf_counter()
    ranges = calibrate(m, tok, prompts, card["sampling"], batches)
    convs = sum(1 for x in m.unet.modules() if isinstance(x, nn.Conv2d))
    n = quantize_unet(m, ranges)
    path = os.path.join(model_dir, FILE)
    export_denoiser(m, tok, path)
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    with open(prompts_file, "rb") as f:
        prompts_digest = hashlib.sha256(f.read()).hexdigest()
    entry = {
        "denoiser": FILE,
        "sha256": digest,
        "convolutions": {"int8": n, "fp32": convs - n},
        "calibration": {"prompts": os.path.basename(prompts_file), "promptsSha256": prompts_digest,
                        "images": batches * 8, "sampling": card["sampling"],
                        "seconds": round(time.perf_counter() - t0, 1)},
        # Every convolution's (input min, input max, output min, output max) as calibrated: with the
        # fp32 weights, all it takes to rebuild the int8 denoiser (quantized_model) and check it.
        "ranges": {k: [float(x) for x in v] for k, v in sorted(ranges.items()) if k not in KEEP_FP32},
    }
    card["int8"] = entry
    with open(os.path.join(model_dir, "model.json"), "w", encoding="utf-8") as f:
        json.dump(card, f, indent=2, ensure_ascii=False)
    return entry


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True, help="an exported model folder (model.json, denoiser.onnx, ...)")
    ap.add_argument("--prompts", default=DEFAULT_PROMPTS, help="calibration prompts, one per line")
    ap.add_argument("--batches", type=int, default=4, help="batches of 8 guided samples to calibrate on")
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    if not os.path.exists(os.path.join(a.model, "model.json")):
        raise SystemExit(f"{a.model}: no model.json (not an exported model folder)")
    entry = quantize(a.model, a.prompts, a.batches)
    emit("quantized", model=a.model, **{k: v for k, v in entry.items() if k != "ranges"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
