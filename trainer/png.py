"""PNG decoding with numpy only (the trainer depends on nothing but torch and numpy).

Snapshot images are written by vitrine itself: 8-bit RGB, non-interlaced,
IHDR + IDAT + IEND. Rows are unfiltered for many images at once (one numpy
step per pixel column, shared by the whole batch), which is what makes pure
numpy fast enough: a shard of 1000 images decodes in a fraction of a second.
"""
from __future__ import annotations

import struct
import zlib

import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3}  # colour type -> samples per pixel (grey, RGB)


class PngError(ValueError):
    pass


def _parse(data: bytes, name: str) -> tuple[int, int, int, bytes]:
    if data[:8] != SIGNATURE:
        raise PngError(f"{name}: not a PNG file")
    pos, width, height, ctype, idat = 8, 0, 0, -1, []
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if len(body) != length:
            raise PngError(f"{name}: truncated {kind!r} chunk")
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or ctype not in CHANNELS or interlace != 0:
                raise PngError(f"{name}: unsupported PNG (bit depth {depth}, colour type {ctype}, interlace {interlace}); snapshots hold 8-bit RGB")
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    if ctype < 0 or not idat:
        raise PngError(f"{name}: missing IHDR or IDAT")
    return width, height, ctype, zlib.decompress(b"".join(idat))


def _paeth(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    p = a + b - c
    pa, pb, pc = np.abs(p - a), np.abs(p - b), np.abs(p - c)
    return np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))


def _unfilter(raw: np.ndarray, channels: int) -> np.ndarray:
    """raw: (N, H, 1 + W*channels) uint8 filtered scanlines -> (N, H, W, channels) uint8."""
    n, h, stride = raw.shape
    w = (stride - 1) // channels
    if (raw[:, :, 0] > 4).any():
        raise PngError("unknown PNG row filter")
    out = np.zeros((n, h, w, channels), dtype=np.int32)
    prev = np.zeros((n, w, channels), dtype=np.int32)
    for y in range(h):
        ft = raw[:, y, 0].astype(np.int32)[:, None]  # (N, 1)
        cur = raw[:, y, 1:].reshape(n, w, channels).astype(np.int32)
        # Filters 0 and 2 need no left neighbour: do them for the whole row at once.
        row = np.where(ft[:, :, None] == 2, (cur + prev) & 255, cur)
        seq = (ft[:, 0] == 1) | (ft[:, 0] == 3) | (ft[:, 0] == 4)
        if seq.any():
            idx = np.nonzero(seq)[0]
            f = ft[idx]  # (M, 1)
            c_ = cur[idx]
            p_ = prev[idx]
            left = np.zeros((len(idx), channels), dtype=np.int32)
            upleft = np.zeros((len(idx), channels), dtype=np.int32)
            r = np.empty_like(c_)
            for x in range(w):
                up = p_[:, x]
                pred = np.where(f == 1, left, np.where(f == 3, (left + up) >> 1, _paeth(left, up, upleft)))
                left = (c_[:, x] + pred) & 255
                r[:, x] = left
                upleft = up
            row[idx] = r
        out[:, y] = row
        prev = row
    return out.astype(np.uint8)


def decode_many(items: list[tuple[str, bytes]]) -> list[np.ndarray]:
    """Decodes (name, png bytes) pairs to (H, W, 3) uint8 arrays, in order; grey becomes RGB."""
    parsed = [(_parse(data, name), name) for name, data in items]
    out: list[np.ndarray | None] = [None] * len(items)
    groups: dict[tuple[int, int, int], list[int]] = {}
    for i, ((w, h, ctype, raw), name) in enumerate(parsed):
        ch = CHANNELS[ctype]
        if len(raw) != h * (1 + w * ch):
            raise PngError(f"{name}: image data has {len(raw)} bytes, expected {h * (1 + w * ch)}")
        groups.setdefault((w, h, ctype), []).append(i)
    for (w, h, ctype), idx in groups.items():
        ch = CHANNELS[ctype]
        raw = np.stack([np.frombuffer(parsed[i][0][3], dtype=np.uint8).reshape(h, 1 + w * ch) for i in idx])
        pix = _unfilter(raw, ch)
        if ch == 1:
            pix = np.repeat(pix, 3, axis=3)
        for j, i in enumerate(idx):
            out[i] = pix[j]
    return out  # type: ignore[return-value]


def encode_rgb(pixels: np.ndarray) -> bytes:
    """(H, W, 3) uint8 -> PNG bytes (filter 0); for sample grids and tests."""
    h, w, _ = pixels.shape
    raw = b"".join(b"\x00" + pixels[y].astype(np.uint8).tobytes() for y in range(h))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    return SIGNATURE + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")
