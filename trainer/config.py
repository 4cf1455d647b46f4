"""Training configuration: one typed dataclass with every default in one block,
and small JSON override files in configs/ (tiny for tests, default for the
committed model, gpu for a GPU at 64x64). Unknown keys and wrong types are errors.
"""
from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field

from hardware import PRECISIONS

CONFIG_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "configs")


@dataclass
class TrainConfig:
    # model
    image_size: int = 32
    channels: list[int] = field(default_factory=lambda: [64, 96, 128])
    blocks: int = 2
    cross_attention_levels: list[int] = field(default_factory=lambda: [1, 2])
    groups: int = 16
    text_dim: int = 128
    text_layers: int = 2
    text_heads: int = 4
    # tokenizer (built from the snapshot's captions)
    vocab_size: int = 6000
    hash_buckets: int = 1024
    max_tokens: int = 40
    # optimisation
    batch_size: int = 64
    steps: int = 4000
    lr: float = 1e-3
    warmup_steps: int = 200
    min_lr_ratio: float = 0.1  # cosine decay to lr * this
    weight_decay: float = 0.01
    beta2: float = 0.99
    grad_clip: float = 1.0
    ema_decay: float = 0.999
    caption_dropout: float = 0.1  # classifier-free guidance: the unconditional case
    word_drop: float = 0.3  # caption augmentation: share of words dropped, half the time
    # machine
    precision: str = "auto"  # auto: bf16 autocast where the hardware computes bf16 natively (hardware.py), else fp32; or bf16, fp32
    channels_last: bool = True
    threads: int = 0  # 0: every core
    device: str = "cpu"
    compile: bool = False  # torch.compile the network (torch >= 2; worth it on a GPU, where launches dominate)
    # bookkeeping
    seed: int = 0
    log_every: int = 20
    checkpoint_every: int = 200
    sample_every: int = 1000
    sample_steps: int = 20
    sample_guidance: float = 4.0


def _check(name: str, value: object, kind: type, default: object) -> object:
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value  # type: ignore[arg-type]
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, list):
        ok = isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    else:
        ok = isinstance(value, kind)
    if not ok:
        raise ValueError(f"config key {name!r}: expected {type(default).__name__}, got {value!r}")
    return value


def load_config(name_or_path: str | None, overrides: dict | None = None) -> tuple[TrainConfig, str]:
    """A config by name (configs/NAME.json) or path, over the defaults; returns it with its name."""
    cfg = TrainConfig()
    data: dict = {}
    name = "defaults"
    if name_or_path:
        path = name_or_path if name_or_path.endswith(".json") else os.path.join(CONFIG_DIR, name_or_path + ".json")
        if not os.path.exists(path):
            known = sorted(f[:-5] for f in os.listdir(CONFIG_DIR) if f.endswith(".json"))
            raise ValueError(f"unknown config {name_or_path!r} (known: {', '.join(known)})")
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        name = os.path.basename(path)[:-5]
    data = {k: v for k, v in data.items() if not k.startswith("//")}  # "//" keys are comments
    data.update(overrides or {})
    fields = {f.name: f for f in dataclasses.fields(TrainConfig)}
    for k, v in data.items():
        if k not in fields:
            raise ValueError(f"unknown config key {k!r}")
        setattr(cfg, k, _check(k, v, type(getattr(cfg, k)), getattr(cfg, k)))
    if cfg.precision not in PRECISIONS:
        raise ValueError(f"config key 'precision': one of {', '.join(PRECISIONS)}, got {cfg.precision!r}")
    if cfg.image_size % (2 ** (len(cfg.channels) - 1)):
        raise ValueError("image_size must be divisible by 2 ** (levels - 1)")
    return cfg, name


def as_dict(cfg: TrainConfig) -> dict:
    return dataclasses.asdict(cfg)
