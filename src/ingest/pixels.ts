/**
 * Pixel work done in JavaScript on an image decoded once: box-filter resizing
 * and a deterministic PNG encoder. Each sharp call costs ~0.6 ms of fixed
 * overhead on these small images, more than the work itself; ingest decodes
 * every image once and derives the hash input and the training copy from
 * those pixels here (see bench/corpus).
 */
import { deflateSync } from 'node:zlib';

export interface Rgba {
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * For each output cell along one axis: the first source index it covers, how
 * many, and their weights (summing to 1), flattened into typed arrays so the
 * inner loops stay monomorphic.
 */
function taps(start: number, length: number, out: number, limit: number) {
  const step = length / out;
  const first = new Int32Array(out);
  const count = new Int32Array(out);
  const offset = new Int32Array(out);
  const weights: number[] = [];
  for (let o = 0; o < out; o++) {
    const a = start + o * step;
    const b = Math.min(a + step, limit);
    const lo = Math.floor(a);
    const hi = Math.max(lo + 1, Math.min(Math.ceil(b), limit));
    first[o] = lo;
    count[o] = hi - lo;
    offset[o] = weights.length;
    for (let x = lo; x < hi; x++) weights.push(Math.max(0, Math.min(b, x + 1) - Math.max(a, x)) / step);
  }
  return { first, count, offset, weights: Float32Array.from(weights) };
}

/**
 * Area-averaging resize of a region of an RGBA image to outW×outH RGB floats,
 * alpha flattened on white. Each output pixel is the exact average of the
 * source area it covers (fractional edges weighted), which is what a
 * downscale should be: no aliasing, no ringing.
 */
export function areaResizeRgb(img: Rgba, region: { x: number; y: number; w: number; h: number }, outW: number, outH: number): Float32Array {
  const { data, width, height } = img;
  const y0 = Math.floor(region.y);
  const y1 = Math.min(height, Math.ceil(region.y + region.h));
  const h = taps(region.x, region.w, outW, width);
  const v = taps(region.y - y0, region.h, outH, y1 - y0);
  const rows = y1 - y0;
  // Horizontal pass straight from the RGBA bytes, flattening on white only where alpha < 255.
  const tmp = new Float32Array(rows * outW * 3);
  for (let y = 0; y < rows; y++) {
    const srow = (y0 + y) * width * 4;
    let t = y * outW * 3;
    for (let o = 0; o < outW; o++, t += 3) {
      let r = 0, g = 0, b = 0;
      let s = srow + h.first[o]! * 4;
      const end = h.offset[o]! + h.count[o]!;
      for (let k = h.offset[o]!; k < end; k++, s += 4) {
        const wk = h.weights[k]!;
        const al = data[s + 3]!;
        if (al === 255) {
          r += wk * data[s]!;
          g += wk * data[s + 1]!;
          b += wk * data[s + 2]!;
        } else {
          const a = al / 255;
          const white = 255 * (1 - a);
          r += wk * (data[s]! * a + white);
          g += wk * (data[s + 1]! * a + white);
          b += wk * (data[s + 2]! * a + white);
        }
      }
      tmp[t] = r;
      tmp[t + 1] = g;
      tmp[t + 2] = b;
    }
  }
  const out = new Float32Array(outW * outH * 3);
  const rowLen = outW * 3;
  for (let o = 0; o < outH; o++) {
    const orow = o * rowLen;
    const end = v.offset[o]! + v.count[o]!;
    for (let k = v.offset[o]!, y = v.first[o]!; k < end; k++, y++) {
      const wk = v.weights[k]!;
      const trow = y * rowLen;
      for (let i = 0; i < rowLen; i++) out[orow + i]! += wk * tmp[trow + i]!;
    }
  }
  return out;
}

/** The centred square that a cover-crop keeps. */
export function centreSquare(width: number, height: number) {
  const side = Math.min(width, height);
  return { x: (width - side) / 2, y: (height - side) / 2, w: side, h: side };
}

const quantise = (rgb: Float32Array) => {
  const out = new Uint8Array(rgb.length);
  for (let i = 0; i < rgb.length; i++) out[i] = Math.max(0, Math.min(255, Math.round(rgb[i]!)));
  return out;
};

function lumaOf(rgb64: Float32Array): Float64Array {
  const out = new Float64Array(64 * 64);
  for (let p = 0; p < out.length; p++) out[p] = 0.299 * rgb64[p * 3]! + 0.587 * rgb64[p * 3 + 1]! + 0.114 * rgb64[p * 3 + 2]!;
  return out;
}

/** 64×64 BT.601 luma of the whole image (stretched to a square), the perceptual hash's input. */
export function luma64(img: Rgba): Float64Array {
  return lumaOf(areaResizeRgb(img, { x: 0, y: 0, w: img.width, h: img.height }, 64, 64));
}

/** The training copy's pixels: cover-crop centred, size×size RGB bytes. Only for downscaling (size ≤ the short side). */
export function trainingPixels(img: Rgba, size: number): Uint8Array {
  return quantise(areaResizeRgb(img, centreSquare(img.width, img.height), size, size));
}

/**
 * Everything ingest derives from the pixels, from as few resizes as possible:
 * the 64×64 frame gives the hash input, and its 2×2 means give the 32×32
 * thumbnail exactly (area averages compose); for a square image it is also
 * the 64-pixel training copy.
 */
export function derivePixels(img: Rgba, trainingSize?: number): { luma: Float64Array; thumb: Uint8Array; training: Uint8Array | null } {
  const rgb64 = areaResizeRgb(img, { x: 0, y: 0, w: img.width, h: img.height }, 64, 64);
  const thumb = new Uint8Array(32 * 32 * 3);
  for (let y = 0; y < 32; y++)
    for (let x = 0; x < 32; x++)
      for (let c = 0; c < 3; c++) {
        const a = ((2 * y) * 64 + 2 * x) * 3 + c;
        const v = (rgb64[a]! + rgb64[a + 3]! + rgb64[a + 192]! + rgb64[a + 195]!) / 4;
        thumb[(y * 32 + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
  let training: Uint8Array | null = null;
  if (trainingSize !== undefined && Math.min(img.width, img.height) >= trainingSize)
    training = img.width === img.height && trainingSize === 64 ? quantise(rgb64) : trainingPixels(img, trainingSize);
  return { luma: lumaOf(rgb64), thumb, training };
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (as PNG chunks use) over the concatenation of `bufs`. */
export function crc32(...bufs: Uint8Array[]): number {
  let c = 0xffffffff;
  for (const b of bufs) for (let i = 0; i < b.length; i++) c = CRC_TABLE[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, body: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(head.subarray(4), body));
  return Buffer.concat([head, body, crc]);
}

/**
 * An 8-bit RGB PNG with only IHDR, IDAT and IEND: no metadata can ride along.
 * Each row is filtered with Paeth (good for photos and flat areas alike);
 * deterministic bytes for the same pixels.
 */
export function encodePngRgb(pixels: Uint8Array, width: number, height: number): Buffer {
  const stride = width * 3;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    const o = y * (stride + 1);
    raw[o] = 4; // Paeth
    for (let i = 0; i < stride; i++) {
      const x = pixels[y * stride + i]!;
      const a = i >= 3 ? pixels[y * stride + i - 3]! : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + i]! : 0;
      const c = y > 0 && i >= 3 ? pixels[(y - 1) * stride + i - 3]! : 0;
      const p = a + b - c;
      const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      const pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      raw[o + 1 + i] = (x - pred) & 0xff;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 4 })),
    chunk('IEND', new Uint8Array(0)),
  ]);
}
