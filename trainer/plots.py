"""Pictures a person can look at, drawn with numpy only: sample grids and the loss curve."""
from __future__ import annotations

import numpy as np
import torch

from png import encode_rgb

# A 3x5 pixel font for the digits and the few signs axis labels need.
_FONT = {
    "0": "111101101101111", "1": "010110010010111", "2": "111001111100111", "3": "111001111001111",
    "4": "101101111001001", "5": "111100111001111", "6": "111100111101111", "7": "111001001001001",
    "8": "111101111101111", "9": "111101111001111", ".": "000000000000010", "k": "100101110101101",
    "e": "000111111100111", "-": "000000111000000", " ": "000000000000000",
}


def _text(img: np.ndarray, x: int, y: int, s: str, scale: int = 2, colour=(60, 60, 60)) -> None:
    for ch in s:
        bits = _FONT.get(ch, _FONT[" "])
        for i, b in enumerate(bits):
            if b == "1":
                r, c = divmod(i, 3)
                img[y + r * scale : y + (r + 1) * scale, x + c * scale : x + (c + 1) * scale] = colour
        x += 4 * scale


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """(..., 3, H, W) in [-1, 1] -> (..., H, W, 3) uint8."""
    a = ((x.detach().float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return a.movedim(-3, -1).numpy()


def sample_grid_png(rows: torch.Tensor, scale: int = 2, gap: int = 2) -> bytes:
    """rows (R, C, 3, H, W) in [-1, 1] -> one PNG, each image enlarged `scale` times."""
    r, c, _, h, w = rows.shape
    tiles = to_uint8(rows).repeat(scale, axis=2).repeat(scale, axis=3)  # (R, C, H*s, W*s, 3)
    hs, ws = h * scale, w * scale
    out = np.full((r * (hs + gap) + gap, c * (ws + gap) + gap, 3), 255, dtype=np.uint8)
    for i in range(r):
        for j in range(c):
            y, x = gap + i * (hs + gap), gap + j * (ws + gap)
            out[y : y + hs, x : x + ws] = tiles[i, j]
    return encode_rgb(out)


def _fmt(v: float) -> str:
    if v >= 1000:
        return f"{v / 1000:.0f}k"
    return f"{v:.3f}" if v < 10 else f"{v:.0f}"


def loss_plot_png(points: list[tuple[float, float]], width: int = 640, height: int = 360) -> bytes:
    """(images seen, loss) points -> a line chart with its axis ranges written at the corners."""
    img = np.full((height, width, 3), 255, dtype=np.uint8)
    left, right, top, bottom = 60, width - 20, 20, height - 40
    img[top:bottom, left] = 0
    img[bottom, left:right] = 0
    if len(points) >= 2:
        xs = np.array([p[0] for p in points], dtype=np.float64)
        ys = np.array([p[1] for p in points], dtype=np.float64)
        x0, x1, y0, y1 = xs.min(), xs.max(), ys.min(), ys.max()
        if y1 - y0 < 1e-12:
            y1 = y0 + 1e-12
        px = left + (xs - x0) / max(x1 - x0, 1e-12) * (right - left - 1)
        py = bottom - 1 - (ys - y0) / (y1 - y0) * (bottom - top - 1)
        for k in range(len(points) - 1):
            n = int(max(abs(px[k + 1] - px[k]), abs(py[k + 1] - py[k]), 1)) + 1
            for s in np.linspace(0, 1, n):
                x = int(round(px[k] + s * (px[k + 1] - px[k])))
                y = int(round(py[k] + s * (py[k + 1] - py[k])))
                img[max(y - 1, 0) : y + 1, x : x + 2] = (200, 40, 40)
        _text(img, 4, top, _fmt(y1))
        _text(img, 4, bottom - 10, _fmt(y0))
        _text(img, left, bottom + 8, _fmt(x0))
        _text(img, right - 60, bottom + 8, _fmt(x1))
    return encode_rgb(img)
