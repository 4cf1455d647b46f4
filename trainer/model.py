"""The networks: a caption encoder and a pixel-space U-Net that predicts velocity.

Read top to bottom: small blocks first, the two networks last. The network only
predicts; the schedule, loss and sampler live in flow.py.

Shapes: B batch, T tokens, D text width, C channels, H = W image side.
Linear layers are cheap here only under bf16 autocast (oneDNN); in fp32 they go
through Debian's BLAS at ~5 GFLOP/s, so the text encoder stays small.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class ModelConfig:
    vocab_size: int  # tokenizer.size
    max_tokens: int = 40
    text_dim: int = 192
    text_layers: int = 2
    text_heads: int = 4
    image_size: int = 32
    channels: tuple[int, ...] = (64, 128, 192)  # per resolution level, the first at image_size
    blocks: int = 2  # residual blocks per level
    cross_attention_levels: tuple[int, ...] = (1, 2)  # levels that read the caption tokens
    groups: int = 16  # group-norm groups


def _attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, heads: int, bias: torch.Tensor | None) -> torch.Tensor:
    """q (B, Tq, D), k/v (B, Tk, D), bias (B, 1, 1, Tk) added to the scores -> (B, Tq, D)."""
    b, tq, d = q.shape
    tk = k.shape[1]
    hd = d // heads
    q = q.reshape(b, tq, heads, hd).transpose(1, 2)  # (B, h, Tq, hd)
    k = k.reshape(b, tk, heads, hd).transpose(1, 2)
    v = v.reshape(b, tk, heads, hd).transpose(1, 2)
    s = q @ k.transpose(2, 3) * (1.0 / math.sqrt(hd))  # (B, h, Tq, Tk)
    if bias is not None:
        s = s + bias.to(s.dtype)
    a = s.softmax(dim=-1) @ v  # (B, h, Tq, hd)
    return a.transpose(1, 2).reshape(b, tq, d)


def _mask_bias(ids: torch.Tensor) -> torch.Tensor:
    """(B, T) token ids -> (B, 1, 1, T) additive bias hiding padding (id 0)."""
    return ((ids == 0).to(torch.float32) * -1e4)[:, None, None, :]


class TextBlock(nn.Module):
    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.ln2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        q, k, v = self.qkv(self.ln1(x)).chunk(3, dim=-1)
        x = x + self.proj(_attention(q, k, v, self.heads, bias))
        return x + self.mlp(self.ln2(x))


class TextEncoder(nn.Module):
    """Token ids (B, T) -> per-token features (B, T, D) and a pooled caption vector (B, D)."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.tok = nn.Embedding(cfg.vocab_size, cfg.text_dim)
        self.pos = nn.Parameter(torch.zeros(1, cfg.max_tokens, cfg.text_dim))
        self.blocks = nn.ModuleList([TextBlock(cfg.text_dim, cfg.text_heads) for _ in range(cfg.text_layers)])
        self.ln = nn.LayerNorm(cfg.text_dim)
        nn.init.normal_(self.tok.weight, std=0.02)
        nn.init.normal_(self.pos, std=0.01)

    def forward(self, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        bias = _mask_bias(ids)
        x = self.tok(ids) + self.pos[:, : ids.shape[1]]  # (B, T, D)
        for blk in self.blocks:
            x = blk(x, bias)
        x = self.ln(x)  # (B, T, D)
        keep = (ids != 0).to(x.dtype)[:, :, None]
        pooled = (x * keep).sum(1) / keep.sum(1).clamp(min=1.0)  # (B, D)
        return x, pooled


class GroupNorm(nn.GroupNorm):
    """Group norm computed in fp32 whatever the autocast dtype (torch 1.13's CPU kernel refuses bf16 input with fp32 weights)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.group_norm(x.float(), self.num_groups, self.weight, self.bias, self.eps)


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """t (B,) in [0, 1] -> (B, dim) sinusoidal features."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    a = (t.float() * 1000.0)[:, None] * freqs[None]
    return torch.cat([a.cos(), a.sin()], dim=1)


class ResBlock(nn.Module):
    """Two 3x3 convolutions; the time + caption embedding scales and shifts the second (FiLM)."""

    def __init__(self, cin: int, cout: int, emb: int, groups: int):
        super().__init__()
        self.n1 = GroupNorm(groups, cin)
        self.c1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.film = nn.Linear(emb, 2 * cout)
        self.n2 = GroupNorm(groups, cout)
        self.c2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()
        nn.init.zeros_(self.c2.weight)
        nn.init.zeros_(self.c2.bias)

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.c1(F.silu(self.n1(x)))
        scale, shift = self.film(emb)[:, :, None, None].chunk(2, dim=1)
        h = self.n2(h) * (1 + scale) + shift
        h = self.c2(F.silu(h))
        return self.skip(x) + h


class CrossAttention(nn.Module):
    """Image positions attend to caption tokens: where in the picture each word goes."""

    def __init__(self, channels: int, text_dim: int, groups: int, heads: int = 4):
        super().__init__()
        self.heads = heads
        self.norm = GroupNorm(groups, channels)
        self.q = nn.Conv2d(channels, channels, 1)
        self.kv = nn.Linear(text_dim, 2 * channels)
        self.out = nn.Conv2d(channels, channels, 1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x: torch.Tensor, tokens: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        q = self.q(self.norm(x)).flatten(2).transpose(1, 2)  # (B, HW, C)
        k, v = self.kv(tokens).chunk(2, dim=-1)  # (B, T, C) each
        a = _attention(q, k, v, self.heads, bias)  # (B, HW, C)
        return x + self.out(a.transpose(1, 2).reshape(b, c, h, w))


class UNet(nn.Module):
    """(x_t, t, caption features) -> velocity, all at image_size."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        ch, emb = cfg.channels, cfg.channels[0] * 4
        self.cfg = cfg
        self.time = nn.Sequential(nn.Linear(ch[0], emb), nn.SiLU(), nn.Linear(emb, emb))
        self.text = nn.Linear(cfg.text_dim, emb)
        self.stem = nn.Conv2d(3, ch[0], 3, padding=1)
        self.down = nn.ModuleList()
        self.down_attn = nn.ModuleList()
        self.downsample = nn.ModuleList()
        skips = [ch[0]]
        c = ch[0]
        for lvl, cl in enumerate(ch):
            blocks, attn = nn.ModuleList(), nn.ModuleList()
            for _ in range(cfg.blocks):
                blocks.append(ResBlock(c, cl, emb, cfg.groups))
                attn.append(CrossAttention(cl, cfg.text_dim, cfg.groups) if lvl in cfg.cross_attention_levels else nn.Identity())
                c = cl
                skips.append(c)
            self.down.append(blocks)
            self.down_attn.append(attn)
            if lvl < len(ch) - 1:
                self.downsample.append(nn.Conv2d(c, c, 3, stride=2, padding=1))
                skips.append(c)
        self.mid1 = ResBlock(c, c, emb, cfg.groups)
        self.mid_attn = CrossAttention(c, cfg.text_dim, cfg.groups)
        self.mid2 = ResBlock(c, c, emb, cfg.groups)
        self.up = nn.ModuleList()
        self.up_attn = nn.ModuleList()
        self.upsample = nn.ModuleList()
        for lvl in reversed(range(len(ch))):
            blocks, attn = nn.ModuleList(), nn.ModuleList()
            for _ in range(cfg.blocks + 1):
                blocks.append(ResBlock(c + skips.pop(), ch[lvl], emb, cfg.groups))
                attn.append(CrossAttention(ch[lvl], cfg.text_dim, cfg.groups) if lvl in cfg.cross_attention_levels else nn.Identity())
                c = ch[lvl]
            self.up.append(blocks)
            self.up_attn.append(attn)
            if lvl > 0:
                self.upsample.append(nn.Conv2d(c, c, 3, padding=1))
        self.out_norm = GroupNorm(cfg.groups, c)
        self.out = nn.Conv2d(c, 3, 3, padding=1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x: torch.Tensor, t: torch.Tensor, tokens: torch.Tensor, pooled: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        bias = _mask_bias(ids)
        emb = F.silu(self.time(timestep_embedding(t, self.cfg.channels[0]).to(x.dtype)) + self.text(pooled))  # (B, E)
        h = self.stem(x)
        hs = [h]
        for lvl, (blocks, attn) in enumerate(zip(self.down, self.down_attn)):
            for blk, at in zip(blocks, attn):
                h = blk(h, emb)
                if not isinstance(at, nn.Identity):
                    h = at(h, tokens, bias)
                hs.append(h)
            if lvl < len(self.downsample):
                h = self.downsample[lvl](h)
                hs.append(h)
        h = self.mid2(self.mid_attn(self.mid1(h, emb), tokens, bias), emb)
        for i, (blocks, attn) in enumerate(zip(self.up, self.up_attn)):
            for blk, at in zip(blocks, attn):
                h = blk(torch.cat([h, hs.pop()], dim=1), emb)
                if not isinstance(at, nn.Identity):
                    h = at(h, tokens, bias)
            if i < len(self.upsample):
                h = self.upsample[i](F.interpolate(h, scale_factor=2.0, mode="nearest"))
        return self.out(F.silu(self.out_norm(h)))


class TextToImage(nn.Module):
    """Both networks, trained together; exported as two ONNX graphs (the caption is encoded once per prompt)."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder = TextEncoder(cfg)
        self.unet = UNet(cfg)

    def forward(self, x: torch.Tensor, t: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        tokens, pooled = self.encoder(ids)
        return self.unet(x, t, tokens, pooled, ids)


def count_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())
