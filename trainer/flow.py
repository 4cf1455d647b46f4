"""Rectified flow: the schedule, the loss and the samplers, around any velocity network.

x_t = (1 - t) * x_0 + t * noise, t in [0, 1]; the network predicts the
velocity v = noise - x_0, so sampling integrates dx/dt = v from t = 1 (noise)
to t = 0 (image). Classifier-free guidance mixes the conditional and
unconditional velocities: v = v_u + g * (v_c - v_u).
"""
from __future__ import annotations

import math
from typing import Callable

import torch

Velocity = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (x_t, t) -> v


def sample_t(n: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Logit-normal times (SD3): more training where the velocity is hardest to predict, mid-way.
    Drawn on the generator's device (a CUDA generator keeps the draw on the GPU)."""
    device = generator.device if generator is not None else None
    return torch.sigmoid(torch.randn(n, generator=generator, device=device))


def interpolate(x0: torch.Tensor, noise: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    tt = t.view(-1, 1, 1, 1).to(x0.dtype)
    return (1 - tt) * x0 + tt * noise


def loss(velocity: Velocity, x0: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    device = generator.device if generator is not None else x0.device
    noise = torch.randn(x0.shape, generator=generator, dtype=torch.float32, device=device).to(x0.device, x0.dtype)
    t = sample_t(x0.shape[0], generator).to(x0.device)
    v = velocity(interpolate(x0, noise, t), t)
    return (v.float() - (noise.float() - x0.float())).pow(2).mean()


def timesteps(steps: int, shift: float = 1.0) -> list[float]:
    """Times from 1 to 0; shift > 1 spends more steps at high noise (where structure is decided)."""
    ts = [1.0 - i / steps for i in range(steps + 1)]
    return [shift * t / (1 + (shift - 1) * t) for t in ts]


def dpm2m_weight(t_prev: float, t0: float, t1: float) -> float:
    """DPM-Solver++(2M) (Lu et al. 2022) in lambda = log((1 - t) / t): the weight w of
    D = x0 + w * (x0 - x0_prev); 0 (first order) after a step from pure noise or into the image.
    The twin of dpm2mWeight in src/imagine/sampler.ts."""
    if not t_prev < 1 or not t1 > 0:
        return 0.0
    lam = lambda t: math.log((1 - t) / t)
    return 1.0 / (2.0 * (lam(t0) - lam(t_prev)) / (lam(t1) - lam(t0)))


@torch.no_grad()
def sample(velocity: Velocity, noise: torch.Tensor, steps: int, method: str = "euler", shift: float = 1.0) -> torch.Tensor:
    """Integrates from noise (t = 1) to an image (t = 0) with Euler, Heun or DPM-Solver++(2M) steps."""
    return integrate(velocity, noise, steps, method, shift)


def integrate(velocity: Velocity, noise: torch.Tensor, steps: int, method: str = "euler", shift: float = 1.0,
              grad_steps: int = 0) -> torch.Tensor:
    """sample(), with the autograd graph kept through the last grad_steps steps only (DRaFT-K, Clark
    et al. 2023: a reward's gradient through the whole chain costs memory and explodes; through the
    last steps it already moves what the picture looks like). grad_steps 0: no graph at all."""
    ts = timesteps(steps, shift)
    x = noise
    prev = None
    for i in range(steps):
        with torch.set_grad_enabled(grad_steps > 0 and i >= steps - grad_steps):
            x, prev = _step(velocity, x, prev, ts, i, method)
    return x


def _step(velocity: Velocity, x: torch.Tensor, prev: torch.Tensor | None, ts: list[float], i: int,
          method: str) -> tuple[torch.Tensor, torch.Tensor | None]:
    """One step of integrate() from ts[i] to ts[i + 1]; prev: DPM-Solver++(2M)'s previous x0."""
    t0, t1 = ts[i], ts[i + 1]
    tt = torch.full((x.shape[0],), t0, dtype=torch.float32, device=x.device)
    v = velocity(x, tt)
    if method == "dpm2m":
        # x_t1 = (t1/t0) x_t0 + (1 - t1/t0) D; D = x0 is exactly an Euler step.
        x0 = x - t0 * v
        w = dpm2m_weight(ts[i - 1], t0, t1) if prev is not None else 0.0
        d = x0 + w * (x0 - prev) if w else x0
        return (t1 / t0) * x + (1 - t1 / t0) * d, x0
    if method == "heun" and t1 > 0:
        x1 = x + (t1 - t0) * v
        v1 = velocity(x1, torch.full((x.shape[0],), t1, dtype=torch.float32, device=x.device))
        return x + (t1 - t0) * 0.5 * (v + v1), prev
    if method in ("euler", "heun"):
        return x + (t1 - t0) * v, prev
    raise ValueError(f"unknown sampler {method!r} (euler, heun or dpm2m)")


def guided(both: Velocity, guidance: float, interval: tuple[float, float] | None = None,
           captioned: Velocity | None = None) -> Velocity:
    """Classifier-free guidance in one batch, as the product samples: `both` evaluates [x; x],
    the first half with the caption, the second with the empty caption. With `interval` (lo, hi),
    only steps starting at t in [lo, hi] are guided; the others evaluate `captioned` (x with the
    caption alone), as src/imagine/sampler.ts does."""
    lo, hi = interval if interval is not None else (0.0, 1.0)
    if interval is not None and captioned is None:
        raise ValueError("a guidance interval needs the captioned-only velocity")

    def v(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        n = x.shape[0]
        if not lo <= float(t[0]) <= hi:
            return captioned(x, t).float()  # type: ignore[misc]
        out = both(torch.cat([x, x]), torch.cat([t, t])).float()
        return out[n:] + guidance * (out[:n] - out[n:])

    return v
