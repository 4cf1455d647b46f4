"""What this machine computes fast, so that "auto" picks bf16 only where it is a gain.

Why: bf16 autocast is about 2x faster than fp32 on CPUs that have bf16 instructions
(AVX-512 BF16, AMX) and on GPUs, but on a CPU without them oneDNN falls back to
reference kernels: measured on an AVX2-only AMD EPYC (Zen 1) by bench/train, a 3x3
convolution ran at 2.8 GFLOP/s in bf16 against 75.8 in fp32.
"""
from __future__ import annotations

import platform

import torch

PRECISIONS = ("auto", "bf16", "fp32")

# x86 flags (as /proc/cpuinfo spells them) of instructions that compute in bf16 natively.
BF16_FLAGS = ("avx512_bf16", "amx_bf16")


def cpu_flags(cpuinfo: str | None = None) -> frozenset[str] | None:
    """The CPU's feature flags from /proc/cpuinfo (Linux), or None where they cannot be read."""
    if cpuinfo is None:
        try:
            with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
                cpuinfo = f.read()
        except OSError:
            return None
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):  # x86, arm64
            return frozenset(value.split())
    return None


def native_bf16(device: torch.device, flags: frozenset[str] | None = None) -> bool:
    """Whether bf16 autocast runs on native instructions on this device."""
    if device.type == "cuda":
        return bool(torch.cuda.is_bf16_supported())
    if device.type != "cpu":
        return False
    flags = cpu_flags() if flags is None else flags
    if flags is None:
        return False  # unknown: fp32 is never the slow path
    if platform.machine().lower() in ("aarch64", "arm64"):
        return "bf16" in flags  # Arm's BF16 extension (FEAT_BF16)
    return any(f in flags for f in BF16_FLAGS)


def resolve_precision(precision: str, device: torch.device, flags: frozenset[str] | None = None) -> str:
    """The precision a run computes in: "auto" is bf16 where native_bf16, fp32 elsewhere."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision: one of {', '.join(PRECISIONS)}, got {precision!r}")
    if precision != "auto":
        return precision
    return "bf16" if native_bf16(device, flags) else "fp32"
