"""The samplers against an exact solution (the twin of src/imagine/sampler.test.ts).

For Gaussian data x0 ~ N(mu, s^2) the rectified flow's velocity is known in closed form, and
the ODE carries noise z to mu + s * z, so each sampler's error can be measured.
"""
from __future__ import annotations

import math
import os
import sys
import unittest

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import flow  # noqa: E402

MU, S2 = 0.3, 0.25


def velocity(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    tt = t.view(-1, 1, 1, 1)
    var_t = (1 - tt) ** 2 * S2 + tt * tt
    return (tt - (1 - tt) * S2) / var_t * (x - (1 - tt) * MU) - MU


NOISE = (-1.5 + 0.27 * torch.arange(12, dtype=torch.float64)).view(1, 3, 2, 2)


def error(method: str, steps: int) -> float:
    x = flow.sample(velocity, NOISE.clone(), steps, method)
    return float((x - (MU + math.sqrt(S2) * NOISE)).abs().max())


class SamplerTest(unittest.TestCase):
    def test_euler_is_first_order(self) -> None:
        self.assertTrue(1.7 < error("euler", 10) / error("euler", 20) < 2.4)

    def test_dpm2m_beats_euler_with_more_steps_and_matches_the_typescript_figures(self) -> None:
        e8 = error("dpm2m", 8)
        # The TypeScript sampler measured 0.02551 at 8 steps on the same problem (float32).
        self.assertAlmostEqual(e8, 0.02551, places=4)
        self.assertLess(e8, error("euler", 8) / 4)
        self.assertLess(e8, error("euler", 20) / 2)
        self.assertLess(error("dpm2m", 16), e8 / 2.5)

    def test_dpm2m_weight(self) -> None:
        ts = flow.timesteps(4)
        self.assertEqual(flow.dpm2m_weight(1.0, ts[1], ts[2]), 0.0)
        self.assertEqual(flow.dpm2m_weight(ts[2], ts[3], 0.0), 0.0)
        lam = lambda t: math.log((1 - t) / t)  # noqa: E731
        self.assertAlmostEqual(flow.dpm2m_weight(0.75, 0.5, 0.25), (lam(0.25) - lam(0.5)) / (2 * (lam(0.5) - lam(0.75))), places=12)


class GuidanceIntervalTest(unittest.TestCase):
    def test_only_steps_starting_inside_the_interval_are_guided(self) -> None:
        # Captioned rows say velocity + 1, empty-caption rows say velocity: a guided step moves by
        # velocity + g, an unguided one by velocity + 1 (the twin of the TypeScript test).
        g, seen = 3.0, []

        def both(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
            seen.append((round(float(t[0]), 3), x.shape[0]))
            n = x.shape[0] // 2
            return velocity(x, t) + torch.cat([torch.ones_like(x[:n]), torch.zeros_like(x[n:])])

        def captioned(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
            seen.append((round(float(t[0]), 3), x.shape[0]))
            return velocity(x, t) + 1

        x = flow.sample(flow.guided(both, g, (0.2, 0.9), captioned), NOISE.clone(), 8, "euler")
        self.assertEqual(seen, [(1.0, 1), (0.875, 2), (0.75, 2), (0.625, 2), (0.5, 2), (0.375, 2), (0.25, 2), (0.125, 1)])
        want = flow.sample(lambda x, t: velocity(x, t) + (g if 0.2 <= float(t[0]) <= 0.9 else 1.0), NOISE.clone(), 8, "euler")
        self.assertLess(float((x - want).abs().max()), 1e-5)  # guided() returns fp32
        with self.assertRaises(ValueError):
            flow.guided(both, g, (0.2, 0.9))


if __name__ == "__main__":
    unittest.main()
