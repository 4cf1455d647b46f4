"""hardware.py: "auto" is bf16 only where the device computes bf16 natively."""
from __future__ import annotations

import os
import platform
import sys
import unittest

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from hardware import cpu_flags, native_bf16, resolve_precision  # noqa: E402

# Shortened /proc/cpuinfo of two x86 machines seen here: an AVX2-only AMD EPYC (Zen 1) and a
# Sapphire Rapids Xeon (AMX).
ZEN1 = "processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse sse2 avx avx2 fma\nbugs\t\t: sysret_ss_attrs\n"
SPR = "processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_vnni avx512_bf16 amx_bf16 amx_int8\n"
CPU = torch.device("cpu")
X86 = platform.machine().lower() in ("x86_64", "amd64")


class HardwareTest(unittest.TestCase):
    def test_flags_are_read_from_the_flags_line(self) -> None:
        self.assertEqual(cpu_flags(ZEN1), frozenset({"fpu", "sse", "sse2", "avx", "avx2", "fma"}))
        self.assertIsNone(cpu_flags("processor\t: 0\n"))

    @unittest.skipUnless(X86, "x86 flags")
    def test_auto_is_fp32_without_bf16_instructions_and_bf16_with_them(self) -> None:
        self.assertFalse(native_bf16(CPU, cpu_flags(ZEN1)))
        self.assertEqual(resolve_precision("auto", CPU, cpu_flags(ZEN1)), "fp32")
        self.assertTrue(native_bf16(CPU, cpu_flags(SPR)))
        self.assertEqual(resolve_precision("auto", CPU, cpu_flags(SPR)), "bf16")

    def test_an_explicit_precision_is_kept_and_an_unknown_one_refused(self) -> None:
        self.assertEqual(resolve_precision("bf16", CPU, cpu_flags(ZEN1)), "bf16")
        self.assertEqual(resolve_precision("fp32", CPU, cpu_flags(SPR)), "fp32")
        with self.assertRaisesRegex(ValueError, "one of auto, bf16, fp32, got 'fp16'"):
            resolve_precision("fp16", CPU)

    def test_this_machine_resolves_to_a_known_precision(self) -> None:
        self.assertIn(resolve_precision("auto", CPU), ("bf16", "fp32"))


if __name__ == "__main__":
    unittest.main()
