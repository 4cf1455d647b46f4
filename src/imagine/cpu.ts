/**
 * Whether this CPU runs the int8 denoiser faster than the fp32 one, so that the default
 * precision is the fast one on every machine.
 *
 * Why: ONNX Runtime's int8 convolutions (QLinearConv, uint8 × int8) use VNNI or AMX dot
 * products where the CPU has them. On an x86 CPU without them (AVX2 only) it multiplies with
 * VPMADDUBSW, whose 16-bit sums can saturate with full-range int8 weights (ONNX Runtime's
 * quantization guide says so), and it is not faster: measured on an AVX2-only AMD EPYC (Zen 1),
 * the default model's four images took 2,067 ms in int8 against 1,894 ms in fp32 (p50,
 * bench/imagine), and the int8 velocities were further from PyTorch's emulation of the same
 * arithmetic than rounding explains. Elsewhere (Arm's dot products, or flags that cannot be
 * read) int8 stays the default, as measured where it was built.
 */
import { readFileSync } from 'node:fs';
import { arch } from 'node:process';

/** x86 flags (as /proc/cpuinfo spells them) of int8 dot-product instructions. */
export const INT8_DOT_FLAGS = ['avx512_vnni', 'avx_vnni', 'amx_int8'] as const;

export interface CpuFeatures {
  /** process.arch: 'x64', 'arm64', … */
  arch: string;
  /** Feature flags from /proc/cpuinfo; null where they cannot be read (not Linux). */
  flags: ReadonlySet<string> | null;
}

/** The flags line of a /proc/cpuinfo text ("flags" on x86, "Features" on Arm). */
export function parseCpuFlags(cpuinfo: string): Set<string> | null {
  for (const line of cpuinfo.split('\n')) {
    const m = /^(flags|Features)\s*:(.*)$/.exec(line);
    if (m) return new Set(m[2]!.trim().split(/\s+/).filter(Boolean));
  }
  return null;
}

let cached: CpuFeatures | undefined;

/** This machine's CPU features, read once. */
export function cpuFeatures(): CpuFeatures {
  if (!cached) {
    let flags: Set<string> | null = null;
    try {
      flags = parseCpuFlags(readFileSync('/proc/cpuinfo', 'utf8'));
    } catch {
      flags = null;
    }
    cached = { arch, flags };
  }
  return cached;
}

/** Whether int8 is the fast precision on this CPU (see the comment at the top). */
export function int8IsFast(cpu: CpuFeatures = cpuFeatures()): boolean {
  if (cpu.arch !== 'x64' || cpu.flags === null) return true;
  return INT8_DOT_FLAGS.some((f) => cpu.flags!.has(f));
}
