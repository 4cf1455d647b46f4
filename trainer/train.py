"""Trains the text-to-image model on a vitrine snapshot.

    /usr/bin/python3 trainer/train.py --snapshot DATA/snapshots/ID --out RUN_DIR [--config default]

Runs as one process, or under torchrun (DDP; gloo on CPU, nccl on GPU).
Interrupted runs resume exactly from RUN_DIR/checkpoint.pt: the weights, the
optimiser, the EMA, every random generator and the step are restored, so a
resumed run ends with the same weights as an uninterrupted one.
--init MODEL_DIR starts from an exported model's weights and tokenizer instead
of random ones: training a model further, or fine-tuning it (lineage: parent).
Progress goes to stdout as JSON lines ({"event": ...}) for `vitrine train`.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import signal
import sys
import time

import torch
import torch.distributed as dist

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import flow  # noqa: E402
from config import TrainConfig, as_dict, load_config  # noqa: E402
from hardware import resolve_precision  # noqa: E402
from data import CaptionTable, Corpus, all_captions, shard_paths, snapshot_id  # noqa: E402
from model import ModelConfig, TextToImage, count_params  # noqa: E402
from plots import loss_plot_png, sample_grid_png  # noqa: E402
from tokenizer import Tokenizer, build_vocab  # noqa: E402


# What may change when a run resumes: its length (the learning-rate schedule follows the new
# length from the current step on), how often it logs, checkpoints and samples, and whether the
# network is compiled (the same arithmetic, up to rounding).
RESUMABLE_CHANGES = {"steps", "log_every", "checkpoint_every", "sample_every", "compile"}
# What a run started from another model (--init) must share with it: the architecture.
ARCHITECTURE = ("image_size", "channels", "blocks", "cross_attention_levels", "groups", "text_dim", "text_layers",
                "text_heads", "hash_buckets", "max_tokens")


def emit(event: str, **fields: object) -> None:
    # One write per line: print() writes the text and the newline separately when stdout is
    # unbuffered, and the ranks of a distributed run share one pipe, so their lines could mix.
    sys.stdout.write(json.dumps({"event": event, **fields}) + "\n")
    sys.stdout.flush()


def model_config(cfg: TrainConfig, tok: Tokenizer) -> ModelConfig:
    return ModelConfig(
        vocab_size=tok.size,
        max_tokens=cfg.max_tokens,
        text_dim=cfg.text_dim,
        text_layers=cfg.text_layers,
        text_heads=cfg.text_heads,
        image_size=cfg.image_size,
        channels=tuple(cfg.channels),
        blocks=cfg.blocks,
        cross_attention_levels=tuple(cfg.cross_attention_levels),
        groups=cfg.groups,
    )



def apply_step(model, opt, ema: dict, loss, grad_clip: float, ema_decay: float, step: int) -> None:
    """Backward, clip, the optimiser's step, then the EMA of the weights (its decay warms up over the first steps)."""
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
    opt.step()
    d = min(ema_decay, (1 + step) / (10 + step))
    with torch.no_grad():
        # One fused update over every float tensor (hundreds of tiny kernels on a GPU otherwise).
        floats_e, floats_v = [], []
        for k, v in model.state_dict().items():
            if v.dtype.is_floating_point:
                floats_e.append(ema[k])
                floats_v.append(v.float())
            else:
                ema[k].copy_(v)
        torch._foreach_mul_(floats_e, d)
        torch._foreach_add_(floats_e, floats_v, alpha=1 - d)


def cosine_lr(step: int, total: int, peak: float, warmup: int, min_ratio: float = 0.0) -> float:
    """Linear warm-up over `warmup` steps, then a cosine from `peak` down to `peak * min_ratio` at `total`."""
    if step < warmup:
        return peak * (step + 1) / warmup
    p = (step - warmup) / max(1, total - warmup)
    return peak * (min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * min(1.0, p))))


def lr_at(cfg: TrainConfig, step: int) -> float:
    return cosine_lr(step, cfg.steps, cfg.lr, cfg.warmup_steps, cfg.min_lr_ratio)


def build(cfg: TrainConfig, mcfg: ModelConfig, device: torch.device) -> tuple[TextToImage, dict, torch.optim.Optimizer]:
    """The network (seeded: identical on every rank), its EMA copy and the optimiser.
    No weight decay on biases, norms and the position table."""
    torch.manual_seed(cfg.seed)
    model = TextToImage(mcfg).to(device)
    if cfg.channels_last:
        model = model.to(memory_format=torch.channels_last)
    ema = {k: v.detach().clone().float() for k, v in model.state_dict().items()}
    decay, no_decay = [], []
    for n, p in model.named_parameters():
        (no_decay if p.ndim < 2 or "norm" in n or n.endswith(".pos") else decay).append(p)
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=cfg.lr, betas=(0.9, cfg.beta2),
    )
    return model, ema, opt


class Trainer:
    def __init__(self, cfg: TrainConfig, config_name: str, snapshot: str, out: str, init: str | None = None):
        self.cfg, self.config_name, self.snapshot, self.out = cfg, config_name, snapshot, out
        self.parent_id: str | None = None  # the model --init started from
        self.parent_images = 0  # images that model had seen, all its ancestors included
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        if self.world > 1 and not dist.is_initialized():
            dist.init_process_group("nccl" if cfg.device.startswith("cuda") else "gloo")
        threads = cfg.threads or max(1, (os.cpu_count() or 1) // self.world)
        torch.set_num_threads(threads)
        self.device = torch.device(cfg.device)
        # The config keeps "auto" (a resumed run may land on another machine); this is what runs here.
        self.precision = resolve_precision(cfg.precision, self.device)
        os.makedirs(out, exist_ok=True)
        paths = shard_paths(snapshot)
        self.snapshot_id = snapshot_id(snapshot)
        tok_path = os.path.join(out, "tokenizer.json")
        parent = None
        if init:
            # The parent's vocabulary and architecture, so its weights fit.
            from export import load_exported
            parent, parent_tok, card = load_exported(init)
            pv = card["training"]["configValues"]
            diff = [k for k in ARCHITECTURE if pv.get(k) != as_dict(cfg)[k]]
            if diff:
                raise SystemExit(f"--init {init}: the model was trained with other "
                                 + ", ".join(f"{k}={pv.get(k)!r}" for k in diff)
                                 + f" (this config: {', '.join(repr(as_dict(cfg)[k]) for k in diff)}); use its config")
            self.parent_id = card["id"]
            self.parent_images = int(card["training"].get("imagesSeenTotal", card["training"].get("imagesSeen", 0)))
            if not os.path.exists(tok_path) and self.rank == 0:
                parent_tok.save(tok_path + ".tmp")
                os.replace(tok_path + ".tmp", tok_path)
            self.tok = parent_tok
        elif os.path.exists(tok_path):
            self.tok = Tokenizer.load(tok_path)
        else:
            # Every rank builds the same vocabulary from every shard's captions (deterministic).
            self.tok = Tokenizer(build_vocab(all_captions(paths), cfg.vocab_size), cfg.hash_buckets, cfg.max_tokens)
            if self.rank == 0:
                self.tok.save(tok_path + ".tmp")
                os.replace(tok_path + ".tmp", tok_path)
        t0 = time.time()
        self.corpus = Corpus(paths, cfg.image_size, self.rank, self.world)
        emit("data", items=len(self.corpus), seconds=round(time.time() - t0, 2), rank=self.rank)
        # On a GPU the whole corpus lives in its memory (100 MB at demo scale): a batch is one gather there.
        self.images = torch.from_numpy(self.corpus.images).to(self.device)
        if self.device.type == "cuda":
            torch.backends.cudnn.benchmark = True
        self.captions = CaptionTable(self.corpus.captions, self.tok.encode, self.device)
        self.mcfg = model_config(cfg, self.tok)
        self.model, self.ema, self.opt = build(cfg, self.mcfg, self.device)
        if parent is not None:
            # Both the trained weights and the EMA start from the parent's (EMA) weights;
            # a checkpoint, when there is one, replaces them in run().
            self.model.load_state_dict(parent.state_dict())
            self.ema = {k: v.detach().clone().float() for k, v in self.model.state_dict().items()}
        self.net: torch.nn.Module = self.model
        if self.world > 1:
            self.net = torch.nn.parallel.DistributedDataParallel(self.model)
        if cfg.compile:
            if hasattr(torch, "compile"):
                import torch._dynamo as dynamo
                dynamo.config.suppress_errors = True  # a part it cannot compile runs eagerly instead
                self.net = torch.compile(self.net)
            elif self.rank == 0:
                emit("note", message=f"compile: torch {torch.__version__} has no torch.compile; the network runs eagerly")
        self.step = 0
        self.images_seen = 0
        self.train_seconds = 0.0
        self.history: list[dict] = []
        # Every draw (items, captions, noise, times) is made on the training device from this one
        # generator, so a GPU step never waits for the CPU, and a checkpoint holds the whole state.
        self.gen = torch.Generator(device=self.device).manual_seed(cfg.seed * 1000 + self.rank + 1)
        self.stop = False

    # -- checkpoints ---------------------------------------------------------
    @property
    def ckpt_path(self) -> str:
        return os.path.join(self.out, "checkpoint.pt")

    def save(self) -> None:
        if self.rank != 0:
            return
        state = {
            "model": self.model.state_dict(),
            "ema": self.ema,
            "opt": self.opt.state_dict(),
            "step": self.step,
            "images_seen": self.images_seen,
            "train_seconds": self.train_seconds,
            "history": self.history,
            "gen": self.gen.get_state(),
            "config": as_dict(self.cfg),
            "config_name": self.config_name,
            "model_config": self.mcfg.__dict__,
            "snapshot_id": self.snapshot_id,
            "init": self.parent_id,
        }
        tmp = self.ckpt_path + ".tmp"
        torch.save(state, tmp)
        os.replace(tmp, self.ckpt_path)  # never a half-written checkpoint

    def load(self) -> bool:
        if not os.path.exists(self.ckpt_path):
            return False
        s = torch.load(self.ckpt_path, map_location="cpu", weights_only=False)
        if s.get("init") != self.parent_id:
            raise SystemExit(f"{self.ckpt_path}: started from {s.get('init') or 'random weights'}, not "
                             f"{self.parent_id or 'random weights'}; use another --out")
        if s["snapshot_id"] != self.snapshot_id:
            raise SystemExit(f"{self.ckpt_path}: trained on {s['snapshot_id']}, not {self.snapshot_id}; use another --out")
        changed = {k for k, v in as_dict(self.cfg).items() if s["config"].get(k) != v}
        if changed - RESUMABLE_CHANGES:
            raise SystemExit(f"{self.ckpt_path}: saved with another config ({', '.join(sorted(changed - RESUMABLE_CHANGES))} changed);"
                             " use the same config or another --out")
        if changed:
            emit("config-changed", keys=sorted(changed), was={k: s["config"][k] for k in sorted(changed)})
        self.model.load_state_dict(s["model"])
        self.ema = s["ema"]
        self.opt.load_state_dict(s["opt"])
        self.step, self.images_seen, self.train_seconds = s["step"], s["images_seen"], s["train_seconds"]
        self.history = s["history"]
        self.gen.set_state(s["gen"])
        return True

    # -- one step ------------------------------------------------------------
    def batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Images and caption ids of one batch, drawn on the training device."""
        cfg = self.cfg
        idx = torch.randint(0, len(self.corpus), (cfg.batch_size,), generator=self.gen, device=self.device)
        return self.images[idx], self.captions.draw(idx, self.gen, cfg.caption_dropout, cfg.word_drop)

    def train_step(self) -> torch.Tensor:
        """One optimisation step; returns the loss as a tensor on the device (reading it would
        make the CPU wait for the GPU every step)."""
        cfg = self.cfg
        x, ids = self.batch()
        if cfg.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        for g in self.opt.param_groups:
            g["lr"] = lr_at(cfg, self.step)
        autocast = torch.autocast(device_type=self.device.type, dtype=torch.bfloat16, enabled=self.precision == "bf16")

        def velocity(xt: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
            with autocast:
                return self.net(xt, t.to(self.device), ids)

        loss = flow.loss(velocity, x, self.gen)
        apply_step(self.model, self.opt, self.ema, loss, cfg.grad_clip, cfg.ema_decay, self.step)
        return loss.detach().float()

    def mean_loss(self, window: list[torch.Tensor]) -> float:
        value = torch.stack(window).mean()
        if self.world > 1:
            dist.all_reduce(value)
            value /= self.world
        return float(value)

    # -- samples -------------------------------------------------------------
    def ema_model(self) -> TextToImage:
        m = TextToImage(self.mcfg)
        m.load_state_dict(self.ema)
        return m.eval()

    def write_samples(self, name: str) -> str:
        # On the training device: on a GPU machine the CPU threads are busy feeding the GPU, and a
        # CPU sample grid there once took minutes.
        m = self.ema_model().to(self.device)
        cfg = self.cfg
        picks = list(range(0, len(self.corpus), max(1, len(self.corpus) // 8)))[:8]
        rows = []
        g = torch.Generator().manual_seed(1234)
        for i in picks:
            # The caption and the empty caption are encoded once; every step runs both in one batch.
            ids = torch.tensor([self.tok.encode(self.corpus.captions[i][0])] * 4 + [self.tok.encode("")] * 4).to(self.device)
            with torch.no_grad():
                tokens, pooled = m.encoder(ids)
            both = lambda x, t: m.unet(x, t.to(self.device), tokens, pooled, ids)  # noqa: E731
            noise = torch.randn(4, 3, cfg.image_size, cfg.image_size, generator=g).to(self.device)
            imgs = flow.sample(flow.guided(both, cfg.sample_guidance), noise, cfg.sample_steps).cpu()
            real = torch.from_numpy(self.corpus.images[i : i + 1])
            rows.append(torch.cat([real, imgs], 0))
        path = os.path.join(self.out, name)
        with open(path, "wb") as f:
            f.write(sample_grid_png(torch.stack(rows)))
        return path

    # -- the loop ------------------------------------------------------------
    def fit_steps(self, seconds: float, elapsed: float, spent: float, probe_steps: int) -> None:
        """--fit-seconds: sets the run's length so that training ends within `seconds` of its start,
        from the pace of the steps run so far (the first ones, slowed by warm-up, excluded by the
        caller). The learning-rate schedule then follows the new length, as on a resume with
        another `steps`. `elapsed`: seconds since the run started; `spent`: on the probe steps."""
        per_step = spent / max(1, probe_steps)
        left = max(0.0, seconds - elapsed)
        steps = self.step + int(left * 0.97 / per_step)  # 3 % for checkpoints, samples and the export
        if self.world > 1:
            t = torch.tensor([float(steps)])
            dist.all_reduce(t, op=dist.ReduceOp.MIN)
            steps = int(t.item())
        self.cfg.steps = max(self.step + 1, steps)
        if self.rank == 0:
            emit("fit", steps=self.cfg.steps, secondsPerStep=round(per_step, 5), seconds=seconds)

    def run(self, max_seconds: float | None, stop_after: int | None = None, fit_seconds: float | None = None) -> None:
        cfg = self.cfg
        resumed = self.load()
        if self.world > 1:
            # Every rank starts from rank 0's weights (identical anyway when fresh).
            for p in self.model.state_dict().values():
                dist.broadcast(p, 0)
        if self.rank == 0:
            emit("start", step=self.step, steps=cfg.steps, resumed=resumed, params=count_params(self.model), init=self.parent_id,
                 world=self.world, threads=torch.get_num_threads(), precision=self.precision, snapshot=self.snapshot_id, config=self.config_name)
        started, first = time.time(), self.step
        last_t, last_images, window = time.time(), self.images_seen, []
        # --fit-seconds: the pace is measured over steps 20..70 of this run (the first ones pay for warm-up).
        probe_from, probe_to, probe_t0 = first + 20, first + 70, 0.0
        while self.step < cfg.steps:
            t0 = time.time()
            loss = self.train_step()
            self.step += 1
            self.images_seen += cfg.batch_size * self.world
            self.train_seconds += time.time() - t0
            window.append(loss)
            if fit_seconds is not None and self.step in (probe_from, probe_to):
                if self.device.type == "cuda":
                    torch.cuda.synchronize()
                if self.step == probe_from:
                    probe_t0 = time.time()
                else:
                    now = time.time()
                    self.fit_steps(fit_seconds, now - started, now - probe_t0, probe_to - probe_from)
            if self.step % cfg.log_every == 0 or self.step == cfg.steps:
                now = time.time()
                ips = (self.images_seen - last_images) / max(1e-9, now - last_t)
                rec = {"step": self.step, "loss": self.mean_loss(window), "lr": lr_at(cfg, self.step - 1),
                       "images": self.images_seen, "imagesPerSecond": ips, "seconds": self.train_seconds}
                self.history.append(rec)
                window = []
                last_t, last_images = now, self.images_seen
                eta = (cfg.steps - self.step) * cfg.batch_size * self.world / max(ips, 1e-9)
                if self.rank == 0:
                    emit("progress", steps=cfg.steps, eta=eta, **rec)
                    with open(os.path.join(self.out, "metrics.jsonl"), "a", encoding="utf-8") as f:
                        f.write(json.dumps(rec) + "\n")
            if self.step % cfg.checkpoint_every == 0:
                self.save()
            if self.rank == 0 and self.step % cfg.sample_every == 0:
                emit("samples", path=self.write_samples(f"samples-{self.step:07d}.png"))
            stop = self.stop or (max_seconds is not None and time.time() - started > max_seconds)
            stop = stop or (stop_after is not None and self.step - first >= stop_after)  # tests of exact resume
            if self.world > 1:
                # Every rank stops at the same step, or the others would wait forever in all_reduce.
                flag = torch.tensor([1.0 if stop else 0.0])
                dist.all_reduce(flag, op=dist.ReduceOp.MAX)
                stop = bool(flag.item())
            if stop:
                break
        self.save()
        if self.rank == 0:
            with open(os.path.join(self.out, "loss.png"), "wb") as f:
                f.write(loss_plot_png([(h["images"], h["loss"]) for h in self.history]))
            if self.step >= cfg.steps:
                self.finish()
            emit("stopped" if self.step < cfg.steps else "done", step=self.step, steps=cfg.steps)

    def finish(self) -> None:
        final = self.write_samples("samples-final.png")
        torch.save({"ema": self.ema, "model_config": self.mcfg.__dict__, "config": as_dict(self.cfg)},
                   os.path.join(self.out, "final.pt"))
        info = {
            "snapshot": self.snapshot_id,
            "config": self.config_name,
            "configValues": as_dict(self.cfg),
            "init": self.parent_id,
            "imagesSeenTotal": self.parent_images + self.images_seen,
            "steps": self.step,
            "imagesSeen": self.images_seen,
            "trainSeconds": round(self.train_seconds, 1),
            "finalLoss": self.history[-1]["loss"] if self.history else None,
            "params": count_params(self.model),
            "hardware": {"machine": platform.machine(), "processor": platform.processor() or platform.machine(),
                         "cpus": os.cpu_count(), "threads": torch.get_num_threads(), "world": self.world,
                         "device": self.cfg.device, "precision": self.precision, "torch": torch.__version__,
                         **({"gpu": torch.cuda.get_device_name(self.device)} if self.device.type == "cuda" else {})},
            "samples": os.path.basename(final),
        }
        with open(os.path.join(self.out, "training.json"), "w", encoding="utf-8") as f:
            json.dump(info, f, indent=2)


def parse_overrides(pairs: list[str]) -> dict:
    out = {}
    for p in pairs:
        k, sep, v = p.partition("=")
        if not sep:
            raise SystemExit(f"--set {p!r}: expected KEY=VALUE")
        try:
            out[k] = json.loads(v)
        except json.JSONDecodeError:
            out[k] = v
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--snapshot", required=True, help="snapshot folder (with datasheet.json and shards)")
    ap.add_argument("--out", required=True, help="run folder: checkpoint, samples, tokenizer, metrics")
    ap.add_argument("--config", default="default", help="configs/NAME.json or a path")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override one config value")
    ap.add_argument("--max-seconds", type=float, default=None, help="stop (resumable) after this long")
    ap.add_argument("--stop-after", type=int, default=None, help="stop (resumable) after this many steps")
    ap.add_argument("--fit-seconds", type=float, default=None,
                    help="set the number of steps, from the measured pace, so that the run ends within this long")
    ap.add_argument("--init", default=None, metavar="MODEL_DIR", help="start from an exported model's weights")
    a = ap.parse_args(argv)
    cfg, name = load_config(a.config, parse_overrides(a.set))
    tr = Trainer(cfg, name, a.snapshot, a.out, a.init)

    def on_signal(signum: int, _frame: object) -> None:
        tr.stop = True  # finish the step, checkpoint, exit

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    tr.run(a.max_seconds, a.stop_after, a.fit_seconds)
    if dist.is_initialized():
        # Rank 0 may still be writing its samples and final weights: a rank that tears gloo down before
        # the others reach this point aborts ("terminate called without an active exception").
        dist.barrier()
        dist.destroy_process_group()
    return 0 if tr.step >= cfg.steps else 3


if __name__ == "__main__":
    sys.exit(main())
