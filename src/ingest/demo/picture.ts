/**
 * The demo platform's photos: an emoji (sometimes two) placed on a background
 * (white, a plain colour, a gradient, a simple scene, or, for canaries only, a
 * pattern), painted pixel by pixel in JavaScript (deterministic and cheap at
 * 128–192 px), then encoded by sharp with the planted XMP / EXIF metadata.
 * Re-posts are derived from the original's pixels: cropped, shifted, resized
 * and re-encoded as JPEG, the way people copy pictures.
 */
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { emojiImagePath, type ArtworkSet, type EmojiEntry } from './emoji.ts';
import {
  COLOURS,
  COLOUR_KEYS,
  PATTERNS,
  POSITIONS,
  SCENES,
  type BackgroundDesc,
  type ColourKey,
  type PosKey,
} from './languages.ts';
import type { Rng } from '../../core/prng.ts';

export type ImageFormat = 'png' | 'jpeg' | 'webp';
export const MEDIA_TYPES: Record<ImageFormat, string> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
};
export const EXTENSIONS: Record<ImageFormat, string> = { png: 'png', jpeg: 'jpg', webp: 'webp' };

type Rgb = readonly [number, number, number];

export interface Placement {
  /** Index into the emoji catalogue. */
  emoji: number;
  pos: PosKey;
  /** Top-left corner and side of the emoji's square, in pixels. */
  x: number;
  y: number;
  size: number;
}

/** Everything needed to paint a picture again, byte for byte. */
export interface PictureRecipe {
  width: number;
  height: number;
  set: ArtworkSet;
  background: BackgroundDesc;
  /** Per-picture colour shift, so two "plain red" pictures are not the same red. */
  jitter: Rgb;
  /** Horizon heights (fractions), sun / moon, stars, pattern geometry: whatever the kind uses. */
  params: number[];
  placements: Placement[];
}

/** What an account tends to use (so its pictures have a look of their own). */
export interface AccountStyle {
  kind: BackgroundDesc['kind'];
  colours: [ColourKey, ColourKey];
}

const SIZES = [128, 144, 160, 176, 192] as const;

export function randomStyle(rng: Rng): AccountStyle {
  const kind = rng.weighted<BackgroundDesc['kind']>([
    ['white', 1],
    ['plain', 3],
    ['vgrad', 2],
    ['hgrad', 1.5],
    ['scene', 3],
  ]);
  const a = rng.pick(COLOUR_KEYS.filter((c) => c !== 'white'));
  const b = rng.pick(COLOUR_KEYS.filter((c) => c !== a));
  return { kind, colours: [a, b] };
}

function otherColour(rng: Rng, not: ColourKey): ColourKey {
  return rng.pick(COLOUR_KEYS.filter((c) => c !== not));
}

function pickBackground(rng: Rng, style: AccountStyle): BackgroundDesc {
  const kind = rng.chance(0.5)
    ? style.kind
    : rng.weighted<BackgroundDesc['kind']>([
        ['white', 1.2],
        ['plain', 3],
        ['vgrad', 2],
        ['hgrad', 1.5],
        ['scene', 3],
      ]);
  const c1 = rng.chance(0.6) ? style.colours[0] : rng.pick(COLOUR_KEYS.filter((c) => c !== 'white'));
  switch (kind) {
    case 'white':
      return { kind };
    case 'plain':
      return { kind, colour: c1 };
    case 'vgrad': {
      const c2 = rng.chance(0.5) && style.colours[1] !== c1 ? style.colours[1] : otherColour(rng, c1);
      return rng.chance(0.5) ? { kind, top: c1, bottom: c2 } : { kind, top: c2, bottom: c1 };
    }
    case 'hgrad': {
      const c2 = rng.chance(0.5) && style.colours[1] !== c1 ? style.colours[1] : otherColour(rng, c1);
      return rng.chance(0.5) ? { kind, left: c1, right: c2 } : { kind, left: c2, right: c1 };
    }
    case 'scene':
    case 'pattern':
      return { kind: 'scene', scene: rng.pick(SCENES) };
  }
}

/** Distance between two grid cells (0..8) in the 3×3 grid. */
function cellDistance(a: number, b: number): number {
  return Math.max(Math.abs((a % 3) - (b % 3)), Math.abs(Math.floor(a / 3) - Math.floor(b / 3)));
}

/** A top-left coordinate along one axis so that the emoji's centre lies in cell `cell` (0, 1, 2). */
function placeAxis(rng: Rng, length: number, size: number, cell: number): number {
  const margin = 2;
  const minC = size / 2 + margin;
  const maxC = length - size / 2 - margin;
  let lo: number;
  let hi: number;
  if (cell === 0) {
    lo = minC;
    hi = Math.min(length / 3, maxC);
  } else if (cell === 1) {
    lo = length / 2 - length / 14;
    hi = length / 2 + length / 14;
  } else {
    lo = Math.max((2 * length) / 3, minC);
    hi = maxC;
  }
  if (hi < lo) hi = lo;
  return Math.round(rng.real(lo, hi) - size / 2);
}

/**
 * A new original picture. `emoji` holds one or two catalogue indices.
 * `canary` pictures get a pattern background that no other picture uses.
 */
export function makeRecipe(
  rng: Rng,
  opts: { set: ArtworkSet; emoji: readonly number[]; style: AccountStyle; canary: boolean },
): PictureRecipe {
  const width = rng.pick(SIZES);
  const height = rng.chance(0.65) ? width : rng.pick(SIZES);
  const background: BackgroundDesc = opts.canary
    ? { kind: 'pattern', pattern: rng.pick(PATTERNS) }
    : pickBackground(rng, opts.style);
  const j = background.kind === 'white' ? 3 : 12;
  const jitter: Rgb = [rng.int(-j, j), rng.int(-j, j), rng.int(-j, j)];
  const params: number[] = [];
  for (let i = 0; i < 8; i++) params.push(rng.next());

  const short = Math.min(width, height);
  const two = opts.emoji.length > 1;
  const placements: Placement[] = [];
  const first = two ? rng.pick([0, 1, 2, 3, 5, 6, 7, 8]) : rng.int(0, 8);
  const cells = two ? [first, rng.pick([0, 1, 2, 3, 5, 6, 7, 8].filter((c) => cellDistance(c, first) === 2))] : [first];
  cells.forEach((cell, k) => {
    const emoji = opts.emoji[k];
    if (emoji === undefined) return;
    // Large enough to carry detail (perceptual hashes ignore near-flat pictures).
    const size = Math.round(short * (two ? rng.real(0.32, 0.42) : rng.real(0.4, 0.62)));
    placements.push({
      emoji,
      pos: POSITIONS[cell] as PosKey,
      x: placeAxis(rng, width, size, cell % 3),
      y: placeAxis(rng, height, size, Math.floor(cell / 3)),
      size,
    });
  });
  return { width, height, set: opts.set, background, jitter, params, placements };
}

// ------------------------------------------------------------------ painting

const clamp8 = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));

function lerp(a: Rgb, b: Rgb, t: number): Rgb {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

const CANARY_COLOURS: readonly Rgb[] = [
  [230, 0, 160],
  [150, 230, 0],
  [0, 200, 230],
  [255, 110, 0],
  [120, 0, 220],
  [255, 230, 0],
  [0, 0, 0],
];

const SUNSET_GROUND: Rgb = [56, 34, 62];

/** Paints the background into an RGB buffer. */
function paintBackground(r: PictureRecipe): Buffer {
  const { width: w, height: h, jitter, params } = r;
  const p = (i: number): number => params[i] ?? 0.5;
  const buf = Buffer.alloc(w * h * 3);
  const set = (x: number, y: number, c: Rgb): void => {
    const o = (y * w + x) * 3;
    buf[o] = clamp8(c[0] + jitter[0]);
    buf[o + 1] = clamp8(c[1] + jitter[1]);
    buf[o + 2] = clamp8(c[2] + jitter[2]);
  };
  /** Fills each row with one colour: one pixel computed, the rest copied. */
  const rows = (colourAt: (y: number) => Rgb): void => {
    const stride = w * 3;
    for (let y = 0; y < h; y++) {
      set(0, y, colourAt(y));
      const o = y * stride;
      for (let filled = 3; filled < stride; filled *= 2) buf.copyWithin(o + filled, o, o + Math.min(filled, stride - filled));
    }
  };
  const disc = (cx: number, cy: number, rad: number, c: Rgb): void => {
    for (let y = Math.max(0, Math.floor(cy - rad - 1)); y < Math.min(h, Math.ceil(cy + rad + 1)); y++) {
      for (let x = Math.max(0, Math.floor(cx - rad - 1)); x < Math.min(w, Math.ceil(cx + rad + 1)); x++) {
        const cover = Math.min(1, Math.max(0, rad + 0.5 - Math.hypot(x + 0.5 - cx, y + 0.5 - cy)));
        if (cover <= 0) continue;
        const o = (y * w + x) * 3;
        buf[o] = clamp8((buf[o] as number) * (1 - cover) + c[0] * cover);
        buf[o + 1] = clamp8((buf[o + 1] as number) * (1 - cover) + c[1] * cover);
        buf[o + 2] = clamp8((buf[o + 2] as number) * (1 - cover) + c[2] * cover);
      }
    }
  };
  const bg = r.background;
  switch (bg.kind) {
    case 'white':
      rows(() => COLOURS.white);
      break;
    case 'plain':
      rows(() => COLOURS[bg.colour]);
      break;
    case 'vgrad':
      rows((y) => lerp(COLOURS[bg.top], COLOURS[bg.bottom], y / (h - 1)));
      break;
    case 'hgrad':
      for (let x = 0; x < w; x++) set(x, 0, lerp(COLOURS[bg.left], COLOURS[bg.right], x / (w - 1)));
      for (let y = 1; y < h; y++) buf.copy(buf, y * w * 3, 0, w * 3);
      break;
    case 'scene': {
      switch (bg.scene) {
        case 'meadow': {
          const hz = h * (0.55 + 0.17 * p(0));
          rows((y) =>
            y < hz ? lerp([90, 150, 230], [185, 218, 246], y / hz) : lerp([85, 172, 70], [40, 112, 45], (y - hz) / (h - hz)),
          );
          if (p(1) < 0.5) disc(w * (0.1 + 0.8 * p(2)), hz * (0.15 + 0.4 * p(3)), 7 + 6 * p(4), [255, 226, 90]);
          break;
        }
        case 'sea': {
          const hz = h * (0.42 + 0.18 * p(0));
          rows((y) =>
            y < hz ? lerp([120, 175, 235], [208, 229, 248], y / hz) : lerp([42, 112, 172], [14, 52, 108], (y - hz) / (h - hz)),
          );
          break;
        }
        case 'sunset': {
          const hz = h * (0.66 + 0.18 * p(0));
          rows((y) => (y < hz ? lerp([118, 70, 150], [252, 156, 72], y / hz) : SUNSET_GROUND));
          disc(w * (0.2 + 0.6 * p(1)), hz, 10 + 8 * p(2), [255, 214, 120]);
          // The ground is drawn again over the lower half of the sun.
          for (let y = Math.ceil(hz); y < h; y++) for (let x = 0; x < w; x++) set(x, y, SUNSET_GROUND);
          break;
        }
        case 'night': {
          rows((y) => lerp([8, 12, 36], [32, 42, 88], y / (h - 1)));
          const stars = 18 + Math.floor(24 * p(0));
          let s = Math.floor(p(1) * 2 ** 31) | 1;
          for (let i = 0; i < stars; i++) {
            s = (Math.imul(s, 1103515245) + 12345) & 0x7fffffff;
            const x = s % w;
            s = (Math.imul(s, 1103515245) + 12345) & 0x7fffffff;
            const y = s % h;
            set(x, y, [235, 235, 225]);
          }
          disc(w * (0.15 + 0.7 * p(2)), h * (0.12 + 0.25 * p(3)), 6 + 5 * p(4), [242, 238, 205]);
          break;
        }
        case 'beach': {
          const hz1 = h * (0.34 + 0.14 * p(0));
          const hz2 = hz1 + h * (0.14 + 0.12 * p(1));
          rows((y) =>
            y < hz1
              ? lerp([110, 170, 235], [200, 226, 246], y / hz1)
              : y < hz2
                ? lerp([30, 118, 178], [62, 152, 192], (y - hz1) / (hz2 - hz1))
                : lerp([232, 212, 162], [214, 188, 140], (y - hz2) / (h - hz2)),
          );
          break;
        }
        case 'snow': {
          const hz = h * (0.45 + 0.2 * p(0));
          rows((y) =>
            y < hz ? lerp([168, 194, 226], [226, 236, 246], y / hz) : lerp([247, 249, 252], [222, 230, 240], (y - hz) / (h - hz)),
          );
          break;
        }
      }
      break;
    }
    case 'pattern': {
      const ci = Math.floor(p(0) * CANARY_COLOURS.length);
      const cj = (ci + 1 + Math.floor(p(1) * (CANARY_COLOURS.length - 1))) % CANARY_COLOURS.length;
      const a = CANARY_COLOURS[ci] as Rgb;
      const b = CANARY_COLOURS[cj] as Rgb;
      const phase = Math.floor(p(3) * 32);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          let on: boolean;
          if (bg.pattern === 'checker') {
            const cell = 8 + Math.floor(p(2) * 12);
            on = (Math.floor((x + phase) / cell) + Math.floor((y + phase) / cell)) % 2 === 0;
          } else if (bg.pattern === 'stripes') {
            const period = 10 + Math.floor(p(2) * 14);
            on = (x + y + phase) % period < period / 2;
          } else {
            const spacing = 14 + Math.floor(p(2) * 10);
            const rad = 3 + p(4) * (spacing / 3 - 3);
            const dx = ((x + phase) % spacing) - spacing / 2;
            const dy = ((y + phase) % spacing) - spacing / 2;
            on = dx * dx + dy * dy > rad * rad;
          }
          set(x, y, on ? a : b);
        }
      }
      break;
    }
  }
  return buf;
}

interface Rgba {
  data: Buffer;
  width: number;
  height: number;
}

/**
 * Decoded emoji PNGs (16 KiB each), least recently used dropped first. Posts
 * walk through the whole catalogue in turn, so a cache smaller than every
 * sprite (3 sets × ~1,850 emoji ≈ 90 MiB) would almost never hit; the default
 * keeps them all, which saves a fifth of the time at 20,000 posts.
 */
export class EmojiCache {
  private readonly entries = new Map<string, Promise<Rgba>>();
  private readonly limit: number;
  constructor(
    private readonly catalogue: readonly EmojiEntry[],
    limit?: number,
  ) {
    this.limit = limit ?? catalogue.length * 3;
  }

  get(set: ArtworkSet, index: number): Promise<Rgba> {
    const key = `${set}:${index}`;
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const entry = this.catalogue[index];
    if (!entry) throw new RangeError(`No emoji #${index} in the catalogue`);
    const file = emojiImagePath(set, entry.image);
    // Reading the bytes first saves libvips from opening the file once per format it probes.
    const loading = sharp(readFileSync(file))
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true })
      .then(({ data, info }) => ({ data, width: info.width, height: info.height }))
      .catch((err: unknown) => {
        this.entries.delete(key);
        throw new Error(`Cannot read emoji image ${file}: ${(err as Error).message}`);
      });
    this.entries.set(key, loading);
    if (this.entries.size > this.limit) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    return loading;
  }
}

/** Draws an RGBA sprite scaled to `size`×`size` at (x0, y0), bilinear, alpha over. */
function blit(dst: Buffer, w: number, h: number, src: Rgba, x0: number, y0: number, size: number): void {
  const { data, width: sw, height: sh } = src;
  // Source columns and weights, once per sprite (hot loop: no closures, no allocation).
  const col0 = new Int32Array(size);
  const col1 = new Int32Array(size);
  const fxs = new Float64Array(size);
  for (let dx = 0; dx < size; dx++) {
    const sx = ((dx + 0.5) * sw) / size - 0.5;
    const ix = Math.floor(sx);
    fxs[dx] = sx - ix;
    col0[dx] = Math.min(sw - 1, Math.max(0, ix)) * 4;
    col1[dx] = Math.min(sw - 1, Math.max(0, ix + 1)) * 4;
  }
  for (let dy = 0; dy < size; dy++) {
    const py = y0 + dy;
    if (py < 0 || py >= h) continue;
    const sy = ((dy + 0.5) * sh) / size - 0.5;
    const iy = Math.floor(sy);
    const fy = sy - iy;
    const row0 = Math.min(sh - 1, Math.max(0, iy)) * sw * 4;
    const row1 = Math.min(sh - 1, Math.max(0, iy + 1)) * sw * 4;
    for (let dx = 0; dx < size; dx++) {
      const px = x0 + dx;
      if (px < 0 || px >= w) continue;
      const fx = fxs[dx] as number;
      const i00 = row0 + (col0[dx] as number);
      const i10 = row0 + (col1[dx] as number);
      const i01 = row1 + (col0[dx] as number);
      const i11 = row1 + (col1[dx] as number);
      const a00 = (data[i00 + 3] as number) * (1 - fx) * (1 - fy);
      const a10 = (data[i10 + 3] as number) * fx * (1 - fy);
      const a01 = (data[i01 + 3] as number) * (1 - fx) * fy;
      const a11 = (data[i11 + 3] as number) * fx * fy;
      const alpha = (a00 + a10 + a01 + a11) / 255;
      if (alpha <= 0.002) continue;
      const o = (py * w + px) * 3;
      for (let c = 0; c < 3; c++) {
        const premul =
          ((data[i00 + c] as number) * a00 +
            (data[i10 + c] as number) * a10 +
            (data[i01 + c] as number) * a01 +
            (data[i11 + c] as number) * a11) /
          255;
        const v = (dst[o + c] as number) * (1 - alpha) + premul;
        dst[o + c] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
      }
    }
  }
}

export interface RawImage {
  data: Buffer;
  width: number;
  height: number;
}

/** The picture's RGB pixels. */
export async function paint(recipe: PictureRecipe, emoji: EmojiCache): Promise<RawImage> {
  const data = paintBackground(recipe);
  for (const pl of recipe.placements) {
    const sprite = await emoji.get(recipe.set, pl.emoji);
    blit(data, recipe.width, recipe.height, sprite, pl.x, pl.y, pl.size);
  }
  return { data, width: recipe.width, height: recipe.height };
}

// ------------------------------------------------------------------ metadata

export const XMP_NS = {
  plus: 'http://ns.useplus.org/ldf/xmp/1.0/',
  iptcExt: 'http://iptc.org/std/Iptc4xmpExt/2008-02-29/',
} as const;
export const DMI_VOCAB = 'http://ns.useplus.org/ldf/vocab/';
export const TRAINED_ALGORITHMIC_MEDIA = 'http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia';

export const DMI_PROHIBITED = [
  'DMI-PROHIBITED-AIMLTRAINING',
  'DMI-PROHIBITED-GENAIMLTRAINING',
  'DMI-PROHIBITED',
  'DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING',
  'DMI-PROHIBITED-SEECONSTRAINT',
] as const;

export type DmiClass = 'prohibited' | 'allowed' | 'unspecified';

export interface XmpSpec {
  /** Full URI (usually) or bare code (`DMI-…`), as written into plus:DataMining. */
  dataMining?: string;
  aiGenerated?: boolean;
  /** How properties are serialised: as attributes, as elements, or as rdf:resource references. */
  form: 'attribute' | 'element' | 'resource';
}

/** A plus:DataMining value of the given class, most of them full URIs and a few bare codes. */
export function dmiValue(rng: Rng, cls: DmiClass): string {
  const code =
    cls === 'allowed'
      ? 'DMI-ALLOWED'
      : cls === 'unspecified'
        ? 'DMI-UNSPECIFIED'
        : rng.weighted<string>([
            ['DMI-PROHIBITED-AIMLTRAINING', 5],
            ['DMI-PROHIBITED-GENAIMLTRAINING', 2],
            ['DMI-PROHIBITED', 1],
            ['DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING', 1],
            ['DMI-PROHIBITED-SEECONSTRAINT', 1],
          ]);
  return rng.chance(0.2) ? code : DMI_VOCAB + code;
}

/** An XMP packet carrying the given properties (sharp's `.withXmp()` embeds it in PNG, JPEG and WebP). */
export function buildXmp(spec: XmpSpec): string {
  const props: [string, string][] = [['xmp:CreatorTool', 'vitrine-demo']];
  if (spec.dataMining !== undefined) props.push(['plus:DataMining', spec.dataMining]);
  if (spec.aiGenerated) props.push(['Iptc4xmpExt:DigitalSourceType', TRAINED_ALGORITHMIC_MEDIA]);
  const ns =
    ` xmlns:xmp="http://ns.adobe.com/xap/1.0/"` +
    ` xmlns:plus="${XMP_NS.plus}"` +
    ` xmlns:Iptc4xmpExt="${XMP_NS.iptcExt}"`;
  let description: string;
  if (spec.form === 'attribute') {
    description = `<rdf:Description rdf:about=""${ns}${props.map(([k, v]) => `\n    ${k}="${v}"`).join('')}/>`;
  } else {
    const body = props
      .map(([k, v]) =>
        spec.form === 'resource' && v.startsWith('http') && k !== 'xmp:CreatorTool'
          ? `\n   <${k} rdf:resource="${v}"/>`
          : `\n   <${k}>${v}</${k}>`,
      )
      .join('');
    description = `<rdf:Description rdf:about=""${ns}>${body}\n  </rdf:Description>`;
  }
  return (
    `<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>\n` +
    `<x:xmpmeta xmlns:x="adobe:ns:meta/">\n` +
    ` <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n  ${description}\n </rdf:RDF>\n` +
    `</x:xmpmeta>\n<?xpacket end="w"?>`
  );
}

const PLACES: readonly (readonly [string, number, number])[] = [
  ['Paris', 48.8566, 2.3522],
  ['Lyon', 45.764, 4.8357],
  ['Berlin', 52.52, 13.405],
  ['Madrid', 40.4168, -3.7038],
  ['Rome', 41.9028, 12.4964],
  ['Lisbon', 38.7223, -9.1393],
  ['Amsterdam', 52.3676, 4.9041],
  ['Warsaw', 52.2297, 21.0122],
  ['Tokyo', 35.6762, 139.6503],
  ['Moscow', 55.7558, 37.6173],
  ['Stockholm', 59.3293, 18.0686],
  ['New York', 40.7128, -74.006],
  ['São Paulo', -23.5505, -46.6333],
  ['London', 51.5074, -0.1278],
];

function dms(value: number): string {
  const v = Math.abs(value);
  const deg = Math.floor(v);
  const minFloat = (v - deg) * 60;
  const min = Math.floor(minFloat);
  const sec = Math.round((minFloat - min) * 60 * 100);
  return `${deg}/1 ${min}/1 ${sec}/100`;
}

export interface GpsExif {
  IFD0: Record<string, string>;
  IFD3: Record<string, string>;
}

/** EXIF with a camera and a GPS position near a real city (a phone photo's location leak). */
export function gpsExif(rng: Rng): GpsExif {
  const [, lat0, lon0] = rng.pick(PLACES);
  const lat = lat0 + rng.real(-0.05, 0.05);
  const lon = lon0 + rng.real(-0.05, 0.05);
  return {
    IFD0: { Make: rng.pick(['Pixelphone', 'Fruitphone', 'Vitrine']), Model: `Demo ${rng.int(2, 9)}` },
    IFD3: {
      GPSLatitudeRef: lat >= 0 ? 'N' : 'S',
      GPSLatitude: dms(lat),
      GPSLongitudeRef: lon >= 0 ? 'E' : 'W',
      GPSLongitude: dms(lon),
    },
  };
}

// ------------------------------------------------------------------ encoding

export interface EncodeOptions {
  format: ImageFormat;
  quality: number;
  xmp?: string | null;
  exif?: GpsExif | null;
}

export async function encode(img: RawImage, opts: EncodeOptions): Promise<Buffer> {
  let s = sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } });
  if (opts.xmp) s = s.withXmp(opts.xmp);
  if (opts.exif) s = s.withExif(opts.exif);
  if (opts.format === 'png') return s.png({ compressionLevel: 6 }).toBuffer();
  if (opts.format === 'webp') return s.webp({ quality: opts.quality }).toBuffer();
  return s.jpeg({ quality: opts.quality }).toBuffer();
}

/** How a re-poster's copy differs from the original. */
export interface RepostTransform {
  crop: { left: number; top: number; right: number; bottom: number } | null;
  shift: { dx: number; dy: number } | null;
  /** Output size, or null to keep the (cropped) size. */
  resize: { width: number; height: number } | null;
  quality: number;
}

/**
 * A re-poster's copy: re-encoded as JPEG, and resized, lightly cropped (≤ 10 %
 * per dimension) or shifted by a few pixels. `keepFrame` copies keep every
 * pixel of the frame (re-encoded and resized only), as canary copies do.
 */
export function randomTransform(rng: Rng, width: number, height: number, keepFrame = false): RepostTransform {
  let crop: RepostTransform['crop'] = null;
  let shift: RepostTransform['shift'] = null;
  let resize: RepostTransform['resize'] = null;
  if (!keepFrame && rng.chance(0.35)) {
    // At most 10 % of each dimension, split between the two sides; mostly light.
    const fx = 0.01 + 0.09 * rng.next() ** 2;
    const fy = 0.01 + 0.09 * rng.next() ** 2;
    const ax = rng.next();
    const ay = rng.next();
    crop = {
      left: Math.floor(width * fx * ax),
      right: Math.floor(width * fx * (1 - ax)),
      top: Math.floor(height * fy * ay),
      bottom: Math.floor(height * fy * (1 - ay)),
    };
  }
  if (!keepFrame && rng.chance(0.25)) {
    const dx = rng.int(-4, 4);
    const dy = rng.int(-4, 4);
    shift = { dx: dx === 0 && dy === 0 ? 2 : dx, dy };
  }
  if (rng.chance(0.65) || (!crop && !shift)) {
    const cw = width - (crop ? crop.left + crop.right : 0);
    const ch = height - (crop ? crop.top + crop.bottom : 0);
    const scale = rng.chance(0.5) ? rng.real(0.7, 0.95) : rng.real(1.05, 1.3);
    resize = { width: Math.max(64, Math.round(cw * scale)), height: Math.max(64, Math.round(ch * scale)) };
  }
  return { crop, shift, resize, quality: rng.int(55, 90) };
}

/** The re-poster's JPEG, made from the original's pixels. */
export async function encodeRepost(img: RawImage, t: RepostTransform, xmp: string | null): Promise<Buffer> {
  const c = t.crop ?? { left: 0, top: 0, right: 0, bottom: 0 };
  const w = img.width - c.left - c.right;
  const h = img.height - c.top - c.bottom;
  const out = Buffer.alloc(w * h * 3);
  const dx = t.shift?.dx ?? 0;
  const dy = t.shift?.dy ?? 0;
  for (let y = 0; y < h; y++) {
    const sy = Math.min(img.height - 1, Math.max(0, y + c.top - dy));
    for (let x = 0; x < w; x++) {
      const sx = Math.min(img.width - 1, Math.max(0, x + c.left - dx));
      const so = (sy * img.width + sx) * 3;
      const o = (y * w + x) * 3;
      out[o] = img.data[so] as number;
      out[o + 1] = img.data[so + 1] as number;
      out[o + 2] = img.data[so + 2] as number;
    }
  }
  let s = sharp(out, { raw: { width: w, height: h, channels: 3 } });
  if (t.resize) s = s.resize(t.resize.width, t.resize.height, { fit: 'fill' });
  if (xmp) s = s.withXmp(xmp);
  return s.jpeg({ quality: t.quality }).toBuffer();
}
