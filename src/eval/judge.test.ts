import { describe, expect, it } from 'vitest';
import { toJudgeInput } from './judge.ts';

describe('toJudgeInput', () => {
  const rgb = (side: number, f: (x: number, y: number, c: number) => number) => {
    const a = new Uint8Array(side * side * 3);
    for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) for (let c = 0; c < 3; c++) a[(y * side + x) * 3 + c] = f(x, y, c);
    return a;
  };
  it('box-averages a larger image, as the trainer does, into planar [-1, 1]', () => {
    const img = rgb(4, (x, y, c) => (c === 0 ? (x + y * 4) * 10 : c === 1 ? 255 : 0));
    const out = toJudgeInput(img, 4, 2);
    // red plane, top-left 2x2 block: values 0, 10, 40, 50 -> mean 25
    expect(out[0]).toBeCloseTo(25 / 127.5 - 1, 6);
    expect(out[4]).toBeCloseTo(1, 6); // green plane is 255 everywhere
    expect(out[8]).toBeCloseTo(-1, 6); // blue plane is 0
  });
  it('repeats the pixels of a smaller image', () => {
    const img = rgb(2, (x, y) => (x === 1 && y === 0 ? 255 : 0));
    const out = toJudgeInput(img, 2, 4);
    const red = Array.from(out.slice(0, 16)).map((v) => Math.round(v));
    expect(red).toEqual([-1, -1, 1, 1, -1, -1, 1, 1, -1, -1, -1, -1, -1, -1, -1, -1]);
  });
  it('refuses sizes that are not a whole factor apart', () => {
    expect(() => toJudgeInput(new Uint8Array(3 * 9), 3, 2)).toThrow(/whole factor/);
  });
});
