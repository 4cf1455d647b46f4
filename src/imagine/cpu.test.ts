import { describe, expect, it } from 'vitest';
import { cpuFeatures, int8IsFast, parseCpuFlags } from './cpu.ts';

// Shortened /proc/cpuinfo texts of machines of the kinds the product runs on.
const ZEN1 = 'processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse sse2 avx avx2 fma\nbugs\t\t: sysret_ss_attrs\n';
const SPR = 'processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_vnni avx512_bf16 amx_int8\n';
const ALDER = 'flags\t\t: avx2 avx_vnni\n';
const ARM = 'processor\t: 0\nFeatures\t: fp asimd asimddp bf16\n';

describe('the CPU check for int8', () => {
  it('reads the flags line of /proc/cpuinfo, on x86 and on Arm', () => {
    expect(parseCpuFlags(ZEN1)).toEqual(new Set(['fpu', 'sse', 'sse2', 'avx', 'avx2', 'fma']));
    expect(parseCpuFlags(ARM)).toEqual(new Set(['fp', 'asimd', 'asimddp', 'bf16']));
    expect(parseCpuFlags('processor\t: 0\n')).toBeNull();
  });

  it('takes int8 on x86 only with VNNI or AMX, and keeps it where the flags say nothing', () => {
    expect(int8IsFast({ arch: 'x64', flags: parseCpuFlags(ZEN1) })).toBe(false);
    expect(int8IsFast({ arch: 'x64', flags: parseCpuFlags(SPR) })).toBe(true);
    expect(int8IsFast({ arch: 'x64', flags: parseCpuFlags(ALDER) })).toBe(true);
    expect(int8IsFast({ arch: 'arm64', flags: parseCpuFlags(ARM) })).toBe(true);
    expect(int8IsFast({ arch: 'x64', flags: null })).toBe(true);
  });

  it('reads this machine once', () => {
    expect(cpuFeatures()).toBe(cpuFeatures());
    expect(typeof int8IsFast()).toBe('boolean');
  });
});
