"""bench/train: how close does a training step come to this machine's convolution peak?

    /usr/bin/python3 bench/train/run.py [--config default] [--steps 20] [--threads N] [--batch B]

In one run:
1. the convolution peak: a 3x3 Conv2d 64->64 at 32x32, batch 32, channels-last,
   forward + backward (grad of input and weight), under bf16 autocast (as the
   trainer runs) and in fp32 for reference; best of several repeats after warm-up.
   FLOPs: 2 * MACs forward, backward = 2x forward.
2. the real training step of a config on synthetic data (Trainer.train_step
   itself, on a Trainer built without a snapshot): images/s over --steps timed
   steps after warm-up.
3. the FLOPs of one training step, counted analytically during one forward pass
   (hooks on every Conv2d and Linear, a counting wrapper on model._attention for
   q @ k^T and a @ v), times 3 for forward + backward.
4. a table and a JSON line: peaks, images/s, achieved GFLOP/s, achieved/peak
   (target >= 40% of the peak in the config's precision), and where the step's
   time goes (torch.profiler on 2 steps: convolutions vs the rest, top 8 ops by
   self CPU time). Results also go to bench/train/results/<timestamp>.json.

Run it on an idle machine: another process on the cores makes every figure meaningless
(the load average at start is recorded and a warning printed when it is high).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import types

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "trainer"))

import config as config_mod  # noqa: E402
import hardware  # noqa: E402
import model as model_mod  # noqa: E402  (the module train.py imports as `model`)
import train as train_mod  # noqa: E402

TARGET = 0.40  # achieved / peak

# Peak convolution: the shape of the default model's first level.
PEAK_BATCH, PEAK_CH, PEAK_SIZE = 32, 64, 32
PEAK_WARMUP, PEAK_REPEATS, PEAK_REPEAT_SECONDS = 3, 7, 0.25
STEP_WARMUP = 3
PROFILE_STEPS = 2


# -- 1. convolution peak ------------------------------------------------------
def conv_peak(precision: str) -> dict:
    torch.manual_seed(0)
    conv = nn.Conv2d(PEAK_CH, PEAK_CH, 3, padding=1).to(memory_format=torch.channels_last)
    x = torch.randn(PEAK_BATCH, PEAK_CH, PEAK_SIZE, PEAK_SIZE).contiguous(memory_format=torch.channels_last)
    x.requires_grad_(True)  # an interior layer: backward computes the input's gradient too
    autocast = torch.autocast(device_type="cpu", dtype=torch.bfloat16, enabled=precision == "bf16")
    with autocast:
        y = conv(x)
    grad = torch.randn_like(y)  # same dtype and memory format as the output

    def once() -> None:
        conv.weight.grad = conv.bias.grad = x.grad = None  # as zero_grad(set_to_none=True)
        with autocast:
            out = conv(x)
        out.backward(grad)

    for _ in range(PEAK_WARMUP):
        once()
    t0 = time.perf_counter()
    once()
    inner = max(1, round(PEAK_REPEAT_SECONDS / max(1e-6, time.perf_counter() - t0)))
    best = float("inf")
    for _ in range(PEAK_REPEATS):
        t0 = time.perf_counter()
        for _ in range(inner):
            once()
        best = min(best, (time.perf_counter() - t0) / inner)
    fwd = 2 * PEAK_BATCH * PEAK_SIZE * PEAK_SIZE * PEAK_CH * PEAK_CH * 9
    flops = 3 * fwd
    return {"precision": precision, "flops": flops, "seconds": best, "gflops": flops / best / 1e9,
            "iterationsPerRepeat": inner, "repeats": PEAK_REPEATS}


# -- 2. the training step -----------------------------------------------------
def make_trainer(cfg: config_mod.TrainConfig) -> train_mod.Trainer:
    """A Trainer without a snapshot: what Trainer.__init__ does for the model, the EMA and the
    optimiser, replicated line for line (single process, no tokenizer, corpus or run folder),
    so that the unmodified Trainer.train_step runs on it. Only batch() is replaced (synthetic)."""
    tr = train_mod.Trainer.__new__(train_mod.Trainer)
    tr.cfg, tr.config_name = cfg, "bench"
    tr.world, tr.rank = 1, 0
    tr.device = torch.device(cfg.device)
    tr.precision = hardware.resolve_precision(cfg.precision, tr.device)
    # Tokenizer.size for a full vocabulary: PAD, BOS, the words and the hash buckets.
    tok = types.SimpleNamespace(size=cfg.vocab_size + cfg.hash_buckets + 2)
    tr.mcfg = train_mod.model_config(cfg, tok)  # type: ignore[arg-type]
    tr.model, tr.ema, tr.opt = train_mod.build(cfg, tr.mcfg, tr.device)
    tr.net = tr.model
    tr.step = 0
    tr.images_seen = 0
    tr.gen = torch.Generator().manual_seed(cfg.seed * 1000 + 1)
    tr.stop = False
    batches = synthetic_batches(cfg, tr.mcfg.vocab_size, 4)
    counter = iter(range(1 << 62))
    # The real batch() also draws the items and their captions (data.CaptionTable); that cost is left out.
    tr.batch = lambda: batches[next(counter) % len(batches)]  # type: ignore[method-assign]
    return tr


def synthetic_batches(cfg: config_mod.TrainConfig, vocab: int, n: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Images in [-1, 1] (N, 3, S, S) and token ids like Tokenizer.encode: BOS, words, PAD (0);
    a caption_dropout share are empty captions (BOS only)."""
    g = torch.Generator().manual_seed(cfg.seed + 7)
    out = []
    for _ in range(n):
        x = torch.rand(cfg.batch_size, 3, cfg.image_size, cfg.image_size, generator=g) * 2 - 1
        ids = torch.zeros(cfg.batch_size, cfg.max_tokens, dtype=torch.long)
        ids[:, 0] = 1
        for i in range(cfg.batch_size):
            if torch.rand(1, generator=g).item() < cfg.caption_dropout:
                continue
            n_words = int(torch.randint(1, cfg.max_tokens, (1,), generator=g))
            ids[i, 1 : 1 + n_words] = torch.randint(2, vocab, (n_words,), generator=g)
        out.append((x, ids))
    return out


def time_steps(tr: train_mod.Trainer, steps: int) -> list[float]:
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        tr.train_step()
        tr.step += 1  # as Trainer.run: the learning rate and the EMA decay follow the step
        times.append(time.perf_counter() - t0)
    return times


# -- 3. FLOPs of one step -----------------------------------------------------
def count_flops(tr: train_mod.Trainer) -> dict:
    """Forward FLOPs (2 * MACs) of Conv2d, Linear and the attention matmuls on one batch,
    and x3 for forward + backward (the first layer's unneeded input gradient included)."""
    cfg = tr.cfg
    counts = {"conv": 0, "linear": 0, "attention": 0}

    def conv_hook(m: nn.Conv2d, _inp: tuple, out: torch.Tensor) -> None:
        k = (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]
        counts["conv"] += 2 * out.numel() * k

    def linear_hook(m: nn.Linear, _inp: tuple, out: torch.Tensor) -> None:
        counts["linear"] += 2 * out.numel() * m.in_features

    handles = []
    for m in tr.model.modules():
        if isinstance(m, nn.Conv2d):
            handles.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            handles.append(m.register_forward_hook(linear_hook))
    original = model_mod._attention

    def counting_attention(q, k, v, heads, bias):  # type: ignore[no-untyped-def]
        b, tq, d = q.shape
        tk = k.shape[1]
        counts["attention"] += 2 * (2 * b * tq * tk * d)  # q @ k^T and a @ v, over all heads
        return original(q, k, v, heads, bias)

    model_mod._attention = counting_attention
    try:
        x, ids = tr.batch()
        if cfg.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        t = torch.full((x.shape[0],), 0.5)
        with torch.no_grad(), torch.autocast(device_type="cpu", dtype=torch.bfloat16, enabled=cfg.precision == "bf16"):
            tr.net(x, t, ids)
    finally:
        model_mod._attention = original
        for h in handles:
            h.remove()
    forward = sum(counts.values())
    return {"forward": forward, "step": 3 * forward, **{f"{k}Forward": v for k, v in counts.items()}}


# -- 4. where the time goes ---------------------------------------------------
def profile(tr: train_mod.Trainer) -> dict:
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile

    t0 = time.perf_counter()
    with torch_profile(activities=[ProfilerActivity.CPU]) as prof:
        time_steps(tr, PROFILE_STEPS)
    wall_us = (time.perf_counter() - t0) * 1e6
    events = prof.key_averages()
    total_self = sum(e.self_cpu_time_total for e in events)
    conv_self = sum(e.self_cpu_time_total for e in events if "conv" in e.key.lower())
    top = sorted(events, key=lambda e: e.self_cpu_time_total, reverse=True)[:8]
    return {
        "steps": PROFILE_STEPS,
        "wallSeconds": wall_us / 1e6,
        "opsSelfSeconds": total_self / 1e6,
        "convShare": conv_self / max(1, total_self),  # of the time inside profiled ops
        "convShareOfWall": conv_self / wall_us,
        "top": [{"op": e.key, "selfSeconds": e.self_cpu_time_total / 1e6, "share": e.self_cpu_time_total / max(1, total_self),
                 "calls": e.count} for e in top],
    }


# -- report -------------------------------------------------------------------
def cpu_busy_seconds() -> float:
    """Busy CPU seconds of the whole machine so far (every process), from /proc/stat; nan elsewhere."""
    try:
        with open("/proc/stat", encoding="utf-8") as f:
            v = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return float("nan")
    idle = v[3] + (v[4] if len(v) > 4 else 0)  # idle + iowait
    busy = sum(v[:8]) - idle  # user nice system idle iowait irq softirq steal
    return busy / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", default="default", help="trainer/configs/NAME.json or a path")
    ap.add_argument("--steps", type=int, default=20, help="timed training steps (after %d warm-up steps)" % STEP_WARMUP)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: every core)")
    ap.add_argument("--batch", type=int, default=0, help="batch size (0: the config's)")
    a = ap.parse_args(argv)

    load_before = os.getloadavg()[0]
    wall0, busy0, own0 = time.perf_counter(), cpu_busy_seconds(), own_cpu_seconds()
    overrides: dict = {"device": "cpu"}
    if a.batch:
        overrides["batch_size"] = a.batch
    if a.threads:
        overrides["threads"] = a.threads
    cfg, name = config_mod.load_config(a.config, overrides)
    # What the trainer runs here ("auto": bf16 only where the CPU computes it natively).
    cfg.precision = hardware.resolve_precision(cfg.precision, torch.device(cfg.device))
    threads = cfg.threads or (os.cpu_count() or 1)  # as Trainer.__init__ with one process
    torch.set_num_threads(threads)

    print(f"bench/train: config {name}, batch {cfg.batch_size}, {threads} threads, precision {cfg.precision}, "
          f"channels_last {cfg.channels_last}; load average {load_before:.2f}", flush=True)
    if load_before > 0.5:
        print(f"WARNING: load average {load_before:.2f} at start: the machine is busy, the figures are not meaningful",
              flush=True)

    peaks = {p: conv_peak(p) for p in ("bf16", "fp32")}
    print(f"conv peak: bf16 {peaks['bf16']['gflops']:.1f} GFLOP/s, fp32 {peaks['fp32']['gflops']:.1f} GFLOP/s", flush=True)

    tr = make_trainer(cfg)
    params = model_mod.count_params(tr.model)
    flops = count_flops(tr)
    time_steps(tr, STEP_WARMUP)
    times = time_steps(tr, a.steps)
    total = sum(times)
    ips = cfg.batch_size * len(times) / total
    achieved = flops["step"] * len(times) / total / 1e9
    print(f"step: {ips:.1f} images/s ({total / len(times):.3f} s/step over {len(times)} steps)", flush=True)
    prof = profile(tr)
    # The CPU time other processes took during the run, as a share of the machine's cores.
    others = (cpu_busy_seconds() - busy0 - (own_cpu_seconds() - own0)) / ((time.perf_counter() - wall0) * (os.cpu_count() or 1))
    others = max(0.0, others) if others == others else None
    busy = load_before > 0.5 or (others is not None and others > 0.1)

    ratio = {p: achieved / peaks[p]["gflops"] for p in peaks}
    own = cfg.precision
    result = {
        "bench": "train",
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "config": name,
        "batch": cfg.batch_size,
        "threads": threads,
        "precision": cfg.precision,
        "channelsLast": cfg.channels_last,
        "params": params,
        "machine": {"cpu": cpu_name(), "cpus": os.cpu_count(), "torch": torch.__version__,
                    "python": platform.python_version(), "loadAverageAtStart": load_before, "otherProcessesCpuShare": others, "busy": busy},
        "convPeak": peaks,
        "step": {"warmup": STEP_WARMUP, "steps": len(times), "seconds": times, "meanSeconds": total / len(times),
                 "minSeconds": min(times), "imagesPerSecond": ips},
        "flops": flops,
        "achievedGflops": achieved,
        "ratioBf16Peak": ratio["bf16"],
        "ratioFp32Peak": ratio["fp32"],
        "target": TARGET,
        "meetsTarget": ratio[own] >= TARGET,
        "profile": prof,
    }

    rows = [
        ("conv peak bf16 (3x3 64->64 32x32 b32, fwd+bwd)", f"{peaks['bf16']['gflops']:.1f} GFLOP/s"),
        ("conv peak fp32", f"{peaks['fp32']['gflops']:.1f} GFLOP/s"),
        (f"training step ({name}, batch {cfg.batch_size}, {cfg.precision})",
         f"{ips:.1f} images/s, {total / len(times) * 1000:.0f} ms/step"),
        ("FLOPs per step (fwd x3)", f"{flops['step'] / 1e9:.2f} GFLOP  (conv {flops['convForward'] / flops['forward']:.0%}, "
         f"linear {flops['linearForward'] / flops['forward']:.0%}, attention {flops['attentionForward'] / flops['forward']:.0%})"),
        ("achieved", f"{achieved:.1f} GFLOP/s"),
        ("achieved / bf16 peak", f"{ratio['bf16']:.1%}" + (f"   target >= {TARGET:.0%}: {'met' if ratio['bf16'] >= TARGET else 'NOT met'}" if own == "bf16" else "")),
        ("achieved / fp32 peak", f"{ratio['fp32']:.1%}" + (f"   target >= {TARGET:.0%}: {'met' if ratio['fp32'] >= TARGET else 'NOT met'}" if own == "fp32" else "")),
        (f"convolutions, share of op time ({PROFILE_STEPS} profiled steps)", f"{prof['convShare']:.1%}  (rest {1 - prof['convShare']:.1%})"),
        ("profiled ops / wall time", f"{prof['opsSelfSeconds']:.2f} s / {prof['wallSeconds']:.2f} s"),
    ]
    width = max(len(r[0]) for r in rows)
    print()
    for k, v in rows:
        print(f"  {k:<{width}}  {v}")
    print(f"\n  top {len(prof['top'])} ops by self CPU time:")
    for e in prof["top"]:
        print(f"    {e['op']:<40} {e['selfSeconds'] * 1000:9.1f} ms  {e['share']:6.1%}  x{e['calls']}")
    if busy:
        share = "unknown" if others is None else f"{others:.0%}"
        print(f"\n  WARNING: the machine was busy (load average {load_before:.2f} at start, other processes took {share} "
              "of the cores during the run): these figures are not meaningful")
    print()

    out_dir = os.path.join(HERE, "results")
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, time.strftime("%Y%m%d-%H%M%S") + ".json")
    summary = {
        "bench": "train", "config": name, "batch": cfg.batch_size, "threads": threads, "precision": cfg.precision,
        "convPeakBf16Gflops": round(peaks["bf16"]["gflops"], 2), "convPeakFp32Gflops": round(peaks["fp32"]["gflops"], 2),
        "imagesPerSecond": round(ips, 2), "stepGflop": round(flops["step"] / 1e9, 3), "achievedGflops": round(achieved, 2),
        "ratioBf16Peak": round(ratio["bf16"], 4), "ratioFp32Peak": round(ratio["fp32"], 4), "target": TARGET,
        "meetsTarget": result["meetsTarget"], "convShare": round(prof["convShare"], 4), "busy": busy,
    }
    result["summary"] = summary
    with open(path, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2)
    print(f"results: {os.path.relpath(path, ROOT)}")
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
