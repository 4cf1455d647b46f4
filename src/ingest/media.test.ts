import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import {
  FIXTURE_DIR,
  app11Jumbf,
  c2paStore,
  exifWithGps,
  insertJpegSegment,
  insertPngChunk,
  jpegWithClaimedDimensions,
  patternPixels,
  plainJpeg,
  plainPng,
  pngChunk,
  pngClaimingDimensions,
  xmpPacket,
} from '../../test/fixtures/media/make.js';
import { phashOfImage } from '../decide/phash.js';
import {
  AI_GENERATED_SOURCE_TYPES,
  DEFAULT_MEDIA_LIMITS,
  MediaError,
  type MediaProblem,
  c2paTrainingFromBytes,
  decodeCbor,
  exifHasGps,
  inspectMedia,
  isReservedDataMining,
  normaliseDataMining,
  normaliseForTraining,
  parseXmpSignals,
  readMediaInside,
  resolveInside,
  sniffFormat,
  trainingFromAssertion,
} from './media.js';

const fixture = (name: string) => readFileSync(path.join(FIXTURE_DIR, name));
const PLUS = 'http://ns.useplus.org/ldf/xmp/1.0/';
const IPTC = 'http://iptc.org/std/Iptc4xmpExt/2008-02-29/';
const DST = 'http://cv.iptc.org/newscodes/digitalsourcetype/';

async function problemOf(p: Promise<unknown>): Promise<MediaProblem | 'ok'> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (e instanceof MediaError) return e.problem;
    throw e;
  }
}

describe('inspectMedia refuses bad files with the exact problem', () => {
  it.each([
    ['empty.png', 'media_empty'],
    ['text.png', 'media_not_image'],
    ['truncated.png', 'media_corrupt'],
    ['truncated.jpg', 'media_corrupt'],
    ['huge-dims.png', 'media_too_large'],
  ] as const)('%s → %s', async (name, problem) => {
    const err = await inspectMedia(fixture(name), `post 7: media/${name}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MediaError);
    const me = err as MediaError;
    expect(me.problem).toBe(problem);
    expect(me.item).toBe(`post 7: media/${name}`);
    expect(me.message).toContain(`post 7: media/${name}`); // names the item…
    expect(me.message).toContain(problem); // …and the reason
  });

  it('refuses a header bomb before decoding: fast, whatever the claim', async () => {
    const t0 = performance.now();
    const err = (await inspectMedia(fixture('huge-dims.png'), 'bomb').catch((e: unknown) => e)) as MediaError;
    expect(performance.now() - t0).toBeLessThan(50);
    expect(err.message).toMatch(/claims 100000×100000 pixels/);
    // Within the per-side limit but over the area limit.
    expect(await problemOf(inspectMedia(pngClaimingDimensions(9000, 9000), 'area'))).toBe('media_too_large');
    // A JPEG whose frame header claims 60000×60000.
    expect(await problemOf(inspectMedia(jpegWithClaimedDimensions(await plainJpeg(), 60000, 60000), 'jpeg bomb'))).toBe(
      'media_too_large',
    );
    // Caller limits apply.
    const small = { ...DEFAULT_MEDIA_LIMITS, maxSide: 40 };
    expect(await problemOf(inspectMedia(fixture('plain.png'), 'limits', small))).toBe('media_too_large');
    expect(await problemOf(inspectMedia(fixture('plain.png'), 'bytes', { ...DEFAULT_MEDIA_LIMITS, maxBytes: 100 }))).toBe(
      'media_too_large',
    );
  });

  it('calls an image corrupt when its header is within limits but its data is missing', async () => {
    // 5000×5000 passes the header check; the decoder finds one short IDAT.
    expect(await problemOf(inspectMedia(pngClaimingDimensions(5000, 5000), 'short data'))).toBe('media_corrupt');
  });

  it('tells unsupported images from non-images', async () => {
    const tiff = await sharp(patternPixels(8, 8), { raw: { width: 8, height: 8, channels: 3 } }).tiff().toBuffer();
    expect(await problemOf(inspectMedia(tiff, 'a.tif'))).toBe('media_unsupported');
    const svg = Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>');
    expect(await problemOf(inspectMedia(svg, 'a.svg'))).toBe('media_unsupported');
    const heic = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypheic'), Buffer.alloc(20)]);
    expect(await problemOf(inspectMedia(heic, 'a.heic'))).toBe('media_unsupported');
    const mp4 = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom'), Buffer.alloc(20)]);
    expect(await problemOf(inspectMedia(mp4, 'a.mp4'))).toBe('media_not_image');
    expect(await problemOf(inspectMedia(Buffer.from('%PDF-1.7\n'), 'a.pdf'))).toBe('media_not_image');
    expect(await problemOf(inspectMedia(Buffer.from([0xff, 0xd8, 0xff]), 'stub.jpg'))).toBe('media_corrupt');
    expect(await problemOf(inspectMedia(Buffer.from('GIF89a'), 'stub.gif'))).toBe('media_corrupt');
  });

  it('never throws anything but MediaError on random or mangled bytes', async () => {
    const png = fixture('plain.png');
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
          fc.tuple(fc.nat(png.length - 1), fc.integer({ min: 0, max: 255 })).map(([at, v]) => {
            const b = Buffer.from(png);
            b[at] = v;
            return b;
          }),
          fc.nat(png.length).map((n) => png.subarray(0, n)),
        ),
        async (bytes) => {
          const r = await problemOf(inspectMedia(bytes, 'fuzz'));
          expect(typeof r).toBe('string');
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('inspectMedia signals', () => {
  it('reads a plain image', async () => {
    const s = await inspectMedia(fixture('plain.png'), 'plain');
    expect(s).toMatchObject({
      format: 'png',
      width: 48,
      height: 32,
      bytes: fixture('plain.png').length,
      dataMining: null,
      digitalSourceType: null,
      c2paTraining: null,
      hasGps: false,
    });
    expect(s.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(s.pixelSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(s.phash).toBe((await phashOfImage(fixture('plain.png'))).hash);
    expect(s.phashQuality).toBeGreaterThan(49);
    expect((await inspectMedia(fixture('plain.jpg'), 'jpg')).format).toBe('jpeg');
  });

  it('reads plus:DataMining from PNG and JPEG XMP, attribute and element forms', async () => {
    const dm = async (name: string) => (await inspectMedia(fixture(name), name)).dataMining;
    expect(await dm('dm-prohibited.png')).toBe('DMI-PROHIBITED-AIMLTRAINING');
    expect(await dm('dm-prohibited.jpg')).toBe('DMI-PROHIBITED-GENAIMLTRAINING');
    expect(await dm('dm-allowed.png')).toBe('DMI-ALLOWED');
    expect(await dm('dm-allowed.jpg')).toBe('DMI-ALLOWED');
    expect(isReservedDataMining(await dm('dm-prohibited.png'))).toBe(true);
    expect(isReservedDataMining(await dm('dm-prohibited.jpg'))).toBe(true);
    expect(isReservedDataMining(await dm('dm-allowed.jpg'))).toBe(false);
  });

  it('reads the AI label', async () => {
    const s = await inspectMedia(fixture('ai-generated.png'), 'ai');
    expect(s.digitalSourceType).toBe(`${DST}trainedAlgorithmicMedia`);
    expect(AI_GENERATED_SOURCE_TYPES.has(s.digitalSourceType!)).toBe(true);
  });

  it('detects EXIF GPS in both byte orders, and not a GPS IFD without coordinates', async () => {
    expect((await inspectMedia(fixture('gps.jpg'), 'gps')).hasGps).toBe(true);
    expect((await inspectMedia(fixture('gps-be.jpg'), 'gps-be')).hasGps).toBe(true);
    const noCoords = insertJpegSegment(await plainJpeg(), 0xe1, exifWithGps('II', false));
    expect((await inspectMedia(noCoords, 'no-coords')).hasGps).toBe(false);
    const xmpGps = await sharp(fixture('plain.png'))
      .withXmp(xmpPacket('xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="48,51.49N" exif:GPSLongitude="2,17.67E"'))
      .png()
      .toBuffer();
    expect((await inspectMedia(xmpGps, 'xmp-gps')).hasGps).toBe(true);
  });

  it('reads a C2PA training-mining assertion (unsigned, detector only)', async () => {
    expect((await inspectMedia(fixture('c2pa-notallowed.jpg'), 'c2pa')).c2paTraining).toBe('notAllowed');
    const allowed = c2paStore({ entries: { 'c2pa.ai_training': { use: 'allowed' }, 'c2pa.ai_generative_training': { use: 'allowed' } } });
    const jpeg = insertJpegSegment(await plainJpeg(), 0xeb, app11Jumbf(allowed));
    expect((await inspectMedia(jpeg, 'c2pa-allowed')).c2paTraining).toBe('allowed');
    // PNG carries C2PA in a caBX chunk.
    const cawg = c2paStore({ entries: { 'cawg.ai_generative_training': { use: 'constrained' } } }, 'cawg.training-mining');
    const png = insertPngChunk(await plainPng(), pngChunk('caBX', cawg));
    expect((await inspectMedia(png, 'cabx')).c2paTraining).toBe('notAllowed');
  });

  it('hashes pixels, not containers: PNG, lossless WebP and metadata variants agree; orientation is applied', async () => {
    const px = patternPixels(40, 24);
    const raw = () => sharp(px, { raw: { width: 40, height: 24, channels: 3 } });
    const png = await raw().png().toBuffer();
    const webp = await raw().webp({ lossless: true }).toBuffer();
    const pngXmp = await raw().withXmp(xmpPacket(`xmlns:plus="${PLUS}" plus:DataMining="DMI-ALLOWED"`)).png({ compressionLevel: 1 }).toBuffer();
    const a = await inspectMedia(png, 'png');
    const b = await inspectMedia(webp, 'webp');
    const c = await inspectMedia(pngXmp, 'png+xmp');
    expect(b.format).toBe('webp');
    expect(new Set([a.sha256, b.sha256, c.sha256]).size).toBe(3);
    expect(b.pixelSha256).toBe(a.pixelSha256);
    expect(c.pixelSha256).toBe(a.pixelSha256);
    // Stored rotated with EXIF orientation 6 (display: rotate 90° clockwise) = the upright image.
    const stored = await raw().rotate(-90).withMetadata({ orientation: 6 }).png().toBuffer();
    const d = await inspectMedia(stored, 'oriented');
    expect([d.width, d.height]).toEqual([40, 24]);
    expect(d.pixelSha256).toBe(a.pixelSha256);
    // One changed pixel changes the hash; so does the same bytes in another shape.
    const px2 = Buffer.from(px);
    px2[100] = px2[100]! ^ 1;
    const e = await inspectMedia(await sharp(px2, { raw: { width: 40, height: 24, channels: 3 } }).png().toBuffer(), 'e');
    expect(e.pixelSha256).not.toBe(a.pixelSha256);
    const f = await inspectMedia(await sharp(px, { raw: { width: 24, height: 40, channels: 3 } }).png().toBuffer(), 'f');
    expect(f.pixelSha256).not.toBe(a.pixelSha256);
  });

  it('ignores the colour stored under fully transparent pixels', async () => {
    const rgba = (hidden: number) => {
      const b = Buffer.alloc(16 * 16 * 4);
      for (let p = 0; p < 256; p++) {
        const visible = p % 3 === 0;
        b.set(visible ? [200, 30, p, 255] : [hidden, hidden, hidden, 0], p * 4);
      }
      return sharp(b, { raw: { width: 16, height: 16, channels: 4 } }).png().toBuffer();
    };
    const a = await inspectMedia(await rgba(0), 'a');
    const b = await inspectMedia(await rgba(123), 'b');
    expect(a.sha256).not.toBe(b.sha256);
    expect(a.pixelSha256).toBe(b.pixelSha256);
  });
});

describe('XMP parsing', () => {
  const pkt = (attrs: string, body = '') => xmpPacket(attrs, body);

  it('matches by namespace URI, not by prefix', () => {
    expect(parseXmpSignals(pkt(`xmlns:zz="${PLUS}" zz:DataMining='DMI-PROHIBITED'`)).dataMining).toBe('DMI-PROHIBITED');
    // "plus" bound to another namespace is not PLUS.
    expect(parseXmpSignals(pkt(`xmlns:plus="http://example.com/other/" plus:DataMining="DMI-PROHIBITED"`)).dataMining).toBeNull();
    // An undeclared conventional prefix (malformed, seen in the wild) is read as PLUS.
    expect(parseXmpSignals(pkt(`plus:DataMining="DMI-PROHIBITED-AIMLTRAINING"`)).dataMining).toBe('DMI-PROHIBITED-AIMLTRAINING');
  });

  it('reads element forms: text, rdf:resource, nested rdf:value; decodes entities', () => {
    const ns = `xmlns:plus="${PLUS}"`;
    expect(parseXmpSignals(pkt(ns, '<plus:DataMining>\n  http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-SEECONSTRAINT\n</plus:DataMining>')).dataMining).toBe(
      'DMI-PROHIBITED-SEECONSTRAINT',
    );
    expect(parseXmpSignals(pkt(ns, `<plus:DataMining rdf:resource='http://ns.useplus.org/ldf/vocab/DMI-UNSPECIFIED'/>`)).dataMining).toBe(
      'DMI-UNSPECIFIED',
    );
    expect(
      parseXmpSignals(pkt(ns, '<plus:DataMining rdf:parseType="Resource"><rdf:value>DMI-PROHIBITED</rdf:value></plus:DataMining>')).dataMining,
    ).toBe('DMI-PROHIBITED');
    expect(parseXmpSignals(pkt(`${ns} plus:DataMining="&#68;MI-ALLOWED"`)).dataMining).toBe('DMI-ALLOWED');
  });

  it('keeps the most restrictive of several values', () => {
    const ns = `xmlns:plus="${PLUS}"`;
    expect(
      parseXmpSignals(pkt(`${ns} plus:DataMining="DMI-ALLOWED"`, '<plus:DataMining>DMI-PROHIBITED-GENAIMLTRAINING</plus:DataMining>')).dataMining,
    ).toBe('DMI-PROHIBITED-GENAIMLTRAINING');
  });

  it('normalises digital source types to the full IPTC URI', () => {
    const ns = `xmlns:Iptc4xmpExt="${IPTC}"`;
    for (const v of [
      `${DST}trainedAlgorithmicMedia`,
      'https://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia',
      'digsrctype:trainedAlgorithmicMedia',
      'trainedAlgorithmicMedia',
    ]) {
      expect(parseXmpSignals(pkt(`${ns} Iptc4xmpExt:DigitalSourceType="${v}"`)).digitalSourceType).toBe(`${DST}trainedAlgorithmicMedia`);
    }
    const rdfRes = pkt(ns, `<Iptc4xmpExt:DigitalSourceType rdf:resource="${DST}compositeWithTrainedAlgorithmicMedia"/>`);
    expect(parseXmpSignals(rdfRes).digitalSourceType).toBe(`${DST}compositeWithTrainedAlgorithmicMedia`);
    expect(parseXmpSignals(pkt(`${ns} Iptc4xmpExt:DigitalSourceType="${DST}digitalCapture"`)).digitalSourceType).toBe(`${DST}digitalCapture`);
  });

  it('never throws on garbage', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (s) => {
        const r = parseXmpSignals(s);
        expect(r.hasGps === true || r.hasGps === false).toBe(true);
      }),
    );
    expect(parseXmpSignals('<plus:DataMining>').dataMining).toBeNull();
  });
});

describe('reservation vocabulary', () => {
  it('every DMI-PROHIBITED* value reserves training, short code or full URI', () => {
    for (const v of [
      'PROHIBITED-AIMLTRAINING',
      'PROHIBITED-GENAIMLTRAINING',
      'PROHIBITED-EXCEPTSEARCHENGINEINDEXING',
      'PROHIBITED',
      'PROHIBITED-SEECONSTRAINT',
      'PROHIBITED-SEEEMBEDDEDRIGHTSEXPR',
      'PROHIBITED-SEELINKEDRIGHTSEXPR',
    ]) {
      expect(isReservedDataMining(`DMI-${v}`)).toBe(true);
      expect(isReservedDataMining(`http://ns.useplus.org/ldf/vocab/DMI-${v}`)).toBe(true);
      expect(isReservedDataMining(`https://ns.useplus.org/ldf/vocab/dmi-${v.toLowerCase()}`)).toBe(true);
    }
    for (const v of ['DMI-ALLOWED', 'DMI-UNSPECIFIED', 'http://ns.useplus.org/ldf/vocab/DMI-ALLOWED', null, '', 'garbage']) {
      expect(isReservedDataMining(v)).toBe(false);
    }
    expect(normaliseDataMining('http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-AIMLTRAINING')).toBe('DMI-PROHIBITED-AIMLTRAINING');
  });

  it('counts model-made and AI-composited source types as AI, not procedural or captured ones', () => {
    expect([...AI_GENERATED_SOURCE_TYPES].sort()).toEqual(
      [`${DST}compositeSynthetic`, `${DST}compositeWithTrainedAlgorithmicMedia`, `${DST}trainedAlgorithmicMedia`].sort(),
    );
    expect(AI_GENERATED_SOURCE_TYPES.has(`${DST}algorithmicMedia`)).toBe(false);
    expect(AI_GENERATED_SOURCE_TYPES.has(`${DST}digitalCapture`)).toBe(false);
  });
});

describe('EXIF GPS parsing', () => {
  it('reads both byte orders with and without the Exif prefix', () => {
    expect(exifHasGps(exifWithGps('II'))).toBe(true);
    expect(exifHasGps(exifWithGps('MM'))).toBe(true);
    expect(exifHasGps(exifWithGps('MM').subarray(6))).toBe(true);
    expect(exifHasGps(exifWithGps('II', false))).toBe(false);
    expect(exifHasGps(undefined)).toBe(false);
  });

  it('never throws on garbage or mangled EXIF', () => {
    const good = exifWithGps('II');
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
          fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }).map((edits) => {
            const b = Buffer.from(good);
            for (const [at, v] of edits) b[at] = v;
            return b;
          }),
          fc.nat(good.length).map((n) => good.subarray(0, n)),
        ),
        (b) => {
          expect(typeof exifHasGps(b)).toBe('boolean');
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('C2PA training-mining interpretation', () => {
  it('maps entries to one verdict', () => {
    expect(trainingFromAssertion({ entries: { 'c2pa.ai_training': { use: 'allowed' } } })).toBe('allowed');
    expect(trainingFromAssertion({ entries: { 'c2pa.ai_training': { use: 'constrained' } } })).toBe('notAllowed');
    expect(
      trainingFromAssertion({ entries: { 'c2pa.ai_training': { use: 'constrained', constraints_info: 'ask first' } } }),
    ).toBe('notAllowed');
    expect(trainingFromAssertion({ 'cawg.data_mining': { use: 'notAllowed' } })).toBe('notAllowed'); // top level
    expect(trainingFromAssertion({ entries: { 'c2pa.ai_inference': { use: 'notAllowed' } } })).toBeNull(); // not training
    expect(trainingFromAssertion({ entries: {} })).toBeNull();
    expect(trainingFromAssertion('nonsense')).toBeNull();
  });

  it('survives garbage after the label', () => {
    const junk = Buffer.concat([Buffer.from('c2pa.training-mining\0'), Buffer.from([0, 0, 0, 9]), Buffer.from('cbor'), Buffer.from([0xbf])]);
    expect(c2paTrainingFromBytes(junk)).toBeNull();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (tail) => {
        const b = Buffer.concat([Buffer.from('xxc2pa.training-mining\0'), Buffer.from([0, 0, 0, 8 + tail.length]), Buffer.from('cbor'), tail]);
        const r = c2paTrainingFromBytes(b);
        expect(r === null || r === 'allowed' || r === 'notAllowed').toBe(true);
      }),
    );
    expect(() => decodeCbor(Buffer.from([0x9f, 0x9f, 0x9f]))).toThrow(/truncated/);
  });
});

describe('sniffFormat', () => {
  it('goes by magic bytes only', async () => {
    expect(sniffFormat(fixture('plain.png'))).toEqual({ kind: 'image', format: 'png' });
    expect(sniffFormat(fixture('plain.jpg'))).toEqual({ kind: 'image', format: 'jpeg' });
    const gif = await sharp(fixture('plain.png')).gif().toBuffer();
    expect(sniffFormat(gif)).toEqual({ kind: 'image', format: 'gif' });
    expect(sniffFormat(fixture('text.png'))).toEqual({ kind: 'not_image' });
    const s = await inspectMedia(gif, 'g.gif');
    expect([s.format, s.width, s.height]).toEqual(['gif', 48, 32]);
  });
});

describe('resolveInside and readMediaInside', () => {
  const base = mkdtempSync(path.join(tmpdir(), 'vitrine-media-'));
  const root = path.join(base, 'dump');
  mkdirSync(path.join(root, 'media', 'sub'), { recursive: true });
  writeFileSync(path.join(root, 'media', 'a.png'), fixture('plain.png'));
  writeFileSync(path.join(root, 'media', 'empty.png'), '');
  writeFileSync(path.join(base, 'secret.txt'), 'outside');
  symlinkSync(path.join(base, 'secret.txt'), path.join(root, 'media', 'out.png'));
  symlinkSync(path.join(root, 'media', 'a.png'), path.join(root, 'media', 'sub', 'in.png'));
  symlinkSync(path.join(base, 'nowhere.png'), path.join(root, 'media', 'dangling.png'));
  symlinkSync(base, path.join(root, 'media', 'updir'));
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  const problem = (f: () => unknown): MediaProblem | 'ok' => {
    try {
      f();
      return 'ok';
    } catch (e) {
      if (e instanceof MediaError) return e.problem;
      throw e;
    }
  };

  it('resolves files inside, including symlinks that stay inside', () => {
    expect(resolveInside(root, 'media/a.png')).toBe(path.join(root, 'media', 'a.png'));
    expect(resolveInside(root, 'media/sub/../a.png')).toBe(path.join(root, 'media', 'a.png'));
    expect(resolveInside(root, 'media/sub/in.png')).toBe(path.join(root, 'media', 'a.png'));
  });

  it('refuses escapes: absolute paths, .., symlinks leading out', () => {
    expect(problem(() => resolveInside(root, '/etc/passwd'))).toBe('media_path_escape');
    expect(problem(() => resolveInside(root, '../secret.txt'))).toBe('media_path_escape');
    expect(problem(() => resolveInside(root, 'media/../../secret.txt'))).toBe('media_path_escape');
    expect(problem(() => resolveInside(root, 'media/out.png'))).toBe('media_path_escape');
    expect(problem(() => resolveInside(root, 'media/updir/secret.txt'))).toBe('media_path_escape');
    expect(problem(() => resolveInside(root, 'C:\\Windows\\win.ini'))).toBe('media_path_escape');
    expect(problem(() => resolveInside(root, 'media/a.png\0.txt'))).toBe('media_path_escape');
    expect(problem(() => resolveInside(root, ''))).toBe('media_path_escape');
  });

  it('says missing for absent files and broken links', () => {
    expect(problem(() => resolveInside(root, 'media/nope.png'))).toBe('media_missing');
    const err = (() => {
      try {
        resolveInside(root, 'media/dangling.png');
      } catch (e) {
        return e as MediaError;
      }
    })();
    expect(err?.problem).toBe('media_missing');
    expect(err?.message).toMatch(/broken symbolic link/);
  });

  it('reads only regular, non-empty files within the size limit', () => {
    expect(readMediaInside(root, 'media/a.png').equals(fixture('plain.png'))).toBe(true);
    expect(problem(() => readMediaInside(root, 'media/empty.png'))).toBe('media_empty');
    expect(problem(() => readMediaInside(root, 'media/sub'))).toBe('media_missing');
    expect(problem(() => readMediaInside(root, 'media/a.png', { ...DEFAULT_MEDIA_LIMITS, maxBytes: 10 }))).toBe('media_too_large');
  });
});

describe('normaliseForTraining', () => {
  const chunks = (png: Buffer) => {
    const out: string[] = [];
    for (let off = 8; off + 8 <= png.length; ) {
      const len = png.readUInt32BE(off);
      out.push(png.toString('latin1', off + 4, off + 8));
      off += 12 + len;
    }
    return out;
  };

  it('gives a square 8-bit RGB PNG with no metadata at all, byte-identical on repeat', async () => {
    const input = fixture('gps.jpg');
    const a = await normaliseForTraining(input, 64);
    const b = await normaliseForTraining(input, 64);
    expect(a.equals(b)).toBe(true);
    expect(new Set(chunks(a))).toEqual(new Set(['IHDR', 'IDAT', 'IEND']));
    const meta = await sharp(a).metadata();
    expect([meta.format, meta.width, meta.height, meta.channels, meta.depth]).toEqual(['png', 64, 64, 3, 'uchar']);
    expect(meta.exif).toBeUndefined();
    expect(meta.xmp).toBeUndefined();
    expect(meta.icc).toBeUndefined();
    expect(a.indexOf('Exif')).toBe(-1);
  });

  it('strips XMP, C2PA and ICC profiles', async () => {
    for (const name of ['dm-prohibited.png', 'dm-prohibited.jpg', 'ai-generated.png', 'c2pa-notallowed.jpg']) {
      const out = await normaliseForTraining(fixture(name), 32);
      expect(new Set(chunks(out)), name).toEqual(new Set(['IHDR', 'IDAT', 'IEND']));
    }
    const p3 = await sharp(fixture('plain.png')).withIccProfile('p3').png().toBuffer();
    expect((await sharp(p3).metadata()).icc).toBeDefined();
    expect(new Set(chunks(await normaliseForTraining(p3, 32)))).toEqual(new Set(['IHDR', 'IDAT', 'IEND']));
  });

  it('flattens transparency on white and cover-crops the centre', async () => {
    // 300×100: red | green | blue thirds, the left third fully transparent.
    const w = 300, h = 100;
    const px = Buffer.alloc(w * h * 4);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const o = (y * w + x) * 4;
        px.set(x < 100 ? [255, 0, 0, 0] : x < 200 ? [0, 255, 0, 255] : [0, 0, 255, 255], o);
      }
    }
    const src = await sharp(px, { raw: { width: w, height: h, channels: 4 } }).png().toBuffer();
    const out = await normaliseForTraining(src, 32);
    const { data, info } = await sharp(out).raw().toBuffer({ resolveWithObject: true });
    expect(info.channels).toBe(3);
    const at = (x: number, y: number) => [...data.subarray((y * 32 + x) * 3, (y * 32 + x) * 3 + 3)];
    expect(at(16, 16)).toEqual([0, 255, 0]); // the centred square is the green third
    // The edges are the green third too (the resampling kernel blends in a little of its neighbours).
    for (const [x, y] of [[0, 0], [31, 31], [0, 31], [31, 0]] as const) {
      const [r, g, b] = at(x, y);
      expect(g).toBeGreaterThan(220);
      expect(Math.max(r!, b!)).toBeLessThan(40);
    }
    const padded = await normaliseForTraining(await sharp(src).extract({ left: 0, top: 0, width: 100, height: 100 }).png().toBuffer(), 8);
    const flat = await sharp(padded).raw().toBuffer();
    expect(flat.every((v) => v === 255)).toBe(true); // transparent → white
  });

  it('refuses silly sizes and corrupt input', async () => {
    await expect(normaliseForTraining(fixture('plain.png'), 0)).rejects.toThrow(/8 to 4096/);
    await expect(normaliseForTraining(fixture('truncated.png'), 32)).rejects.toThrow();
  });
});
