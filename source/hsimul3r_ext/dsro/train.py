"""The DSRO fine-tuning step (paper Sec. 3.4 with DSO's losses): the generator learns from the judge's labels.

Every kept condition of `label.py`'s output gives a pair (winner k, loser k') for each winning and each losing
sample. Per step a batch of pairs is drawn; each pair draws one t (logit-normal) and one eps, shared by the
winner, the loser and the frozen reference (DPO), so the loss compares like with like.
Conditions are the encoder's outputs c stored with the labels (DSO keeps the image encoder frozen too); what
learns is what the generator's `prepare_finetuning` leaves trainable (LoRA adapters, or a chosen subset when
`lora_rank` is 0). Writes the fine-tuned generator, checkpoints, TensorBoard logs and `train.json`.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from ..atomic_dir import atomic_output_dir
from ..hsi.errors import CaseError
from .config import DsroConfig, check_dsro_config, config_file, load_dsro_config
from .generator import FlowGenerator, generator_identity, load_generator
from .label import LABELS_JSON, LABELS_NPZ, file_sha256
from .losses import dpo_loss, dro_loss, flow_loss, sample_times

GENERATOR_FILE, TRAIN_JSON = "generator.pt", "train.json"
CHECKPOINTS_DIR, TENSORBOARD_DIR = "checkpoints", "tensorboard"
_ARRAYS = ("conditions", "latents", "win", "kept")


def read_labels(labels_dir: str | Path) -> dict[str, np.ndarray]:
    """The arrays of `labels.npz`, their shapes checked against each other."""
    file = Path(labels_dir) / LABELS_NPZ
    if not file.is_file():
        raise CaseError(file, "file", "missing: make labels first (dsro.label.label_conditions)")
    try:
        with np.load(file, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except (OSError, ValueError) as err:
        raise CaseError(file, "file", f"not a readable .npz ({err})") from None
    for name in _ARRAYS:
        if name not in arrays:
            raise CaseError(file, name, "missing array")
    latents, win = arrays["latents"], arrays["win"]
    if latents.ndim != 3:
        raise CaseError(file, "latents", f"expected (conditions, samples, latent), got shape {latents.shape}")
    count, samples = latents.shape[:2]
    expected = {"win": (count, samples), "kept": (count,), "conditions": (count, *arrays["conditions"].shape[1:])}
    for name, shape in expected.items():
        if arrays[name].shape != shape:
            raise CaseError(file, name, f"expected shape {shape} (from latents), got {arrays[name].shape}")
    if not np.isfinite(latents).all():
        raise CaseError(file, "latents", "contains NaN or infinite values")
    arrays["win"], arrays["kept"] = win.astype(bool), arrays["kept"].astype(bool)
    return arrays


def label_pairs(win: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """(P, 3) rows (condition, winner sample, loser sample): every winner with every loser of each kept condition."""
    rows = [(i, k, j) for i in np.flatnonzero(kept) for k in np.flatnonzero(win[i]) for j in np.flatnonzero(~win[i])]
    return np.array(rows, dtype=np.int64).reshape(-1, 3)


class _PairDraws:
    """Batches of pair indices: shuffled passes over all pairs, so every pair is seen equally often."""

    def __init__(self, count: int, generator: torch.Generator) -> None:
        self.count, self.generator = count, generator
        self.queue = torch.empty(0, dtype=torch.long)

    def take(self, size: int) -> torch.Tensor:
        while len(self.queue) < size:
            self.queue = torch.cat([self.queue, torch.randperm(self.count, generator=self.generator)])
        batch, self.queue = self.queue[:size], self.queue[size:]
        return batch


def pair_losses(
    policy: FlowGenerator,
    reference: FlowGenerator | None,
    winners: torch.Tensor,
    losers: torch.Tensor,
    conditions: torch.Tensor,
    t: torch.Tensor,
    noise: torch.Tensor,
) -> dict[str, torch.Tensor]:
    """Per-pair flow losses of the policy (and the reference) on winners and losers with one shared t and eps."""
    x0 = torch.cat([winners, losers])
    shared = (torch.cat([conditions, conditions]), torch.cat([t, t]), torch.cat([noise, noise]))
    out = dict(zip(("win", "lose"), flow_loss(policy, x0, *shared).chunk(2), strict=True))
    if reference is not None:
        with torch.no_grad():
            out["ref_win"], out["ref_lose"] = flow_loss(reference, x0, *shared).chunk(2)
    return out


def objective(config: DsroConfig, losses: dict[str, torch.Tensor]) -> torch.Tensor:
    """The configured per-pair loss (DPO or DRO)."""
    if config.loss == "dpo":
        return dpo_loss(losses["win"], losses["lose"], losses["ref_win"], losses["ref_lose"], config.beta)
    return dro_loss(losses["win"], losses["lose"])


def finetune(
    labels_dir: str | Path,
    out_dir: str | Path,
    generator_path: str | Path,
    config: DsroConfig | None = None,
    progress: bool | None = None,
    *,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Fine-tune the generator at `generator_path` on the labels in `labels_dir`; write `out_dir` atomically.

    `config`: the `dsro` section (`load_dsro_config()` when None). Returns what `train.json` holds.
    """
    config = check_dsro_config(config if config is not None else load_dsro_config())
    labels_dir, generator_path = Path(labels_dir), Path(generator_path)
    arrays = read_labels(labels_dir)
    pairs = label_pairs(arrays["win"], arrays["kept"])
    if len(pairs) == 0:
        raise CaseError(
            labels_dir / LABELS_JSON,
            "pairs",
            "no kept condition with a winning and a losing sample: nothing to learn from "
            "(label more conditions or more samples per condition)",
        )
    if not generator_path.is_file():
        raise CaseError(generator_path, "generator", "missing file")
    start = time.perf_counter()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)  # the adapters' initialisation
        policy = load_generator(generator_path)
        policy.prepare_finetuning(config.lora_rank)
    latent_shape = tuple(policy.latent_shape)
    if tuple(arrays["latents"].shape[2:]) != latent_shape:
        raise CaseError(
            labels_dir / LABELS_NPZ,
            "latents",
            f"latent shape {arrays['latents'].shape[2:]} does not fit the generator's {latent_shape}",
        )
    reference = None
    if config.loss == "dpo":
        reference = load_generator(generator_path).eval()
        reference.requires_grad_(False)

    used = np.unique(pairs[:, 0])
    encoded = torch.as_tensor(arrays["conditions"][used], dtype=torch.float32)  # c from the frozen encoder
    try:
        with torch.no_grad():
            policy.velocity(torch.zeros(1, *latent_shape), torch.zeros(1), encoded[:1])
    except RuntimeError as err:
        message = f"shape {tuple(encoded.shape[1:])} do not fit the generator ({str(err).splitlines()[0]})"
        raise CaseError(labels_dir / LABELS_NPZ, "conditions", message) from None
    latents = torch.as_tensor(arrays["latents"], dtype=torch.float32)
    data = _Pairs(
        winners=latents[pairs[:, 0], pairs[:, 1]],
        losers=latents[pairs[:, 0], pairs[:, 2]],
        conditions=encoded[np.searchsorted(used, pairs[:, 0])],
    )
    parameters = [p for p in policy.trainable_parameters() if p.requires_grad]
    batch = min(config.batch_pairs, len(pairs))

    from torch.utils.tensorboard import SummaryWriter

    with atomic_output_dir(out_dir, overwrite=overwrite) as stage:
        with SummaryWriter(log_dir=str(stage / TENSORBOARD_DIR)) as writer:
            train_start = time.perf_counter()
            history, curve = _train(policy, reference, parameters, data, batch, config, stage, writer, progress)
            train_seconds = time.perf_counter() - train_start

        summary = {
            "loss": config.loss,
            "config": config.to_json(),
            "labels": str(labels_dir),
            "labels_sha256": file_sha256(labels_dir / LABELS_NPZ),
            "base_generator": str(generator_path),
            "base_generator_sha256": generator_identity(generator_path),
            "steps": config.steps,
            "seconds": time.perf_counter() - start,
        }
        policy.eval()
        policy.save(stage / GENERATOR_FILE, **summary)
        tail = max(1, config.steps // 10)
        payload = {
            **summary,
            "pairs": len(pairs),
            "kept_conditions": len(used),
            "conditions": len(arrays["latents"]),
            "batch_pairs": batch,
            "trainable_parameters": sum(p.numel() for p in parameters),
            "seconds_per_step": train_seconds / config.steps,
            "loss_curve": {
                "first": _mean(history["loss"][:tail]),
                "last": _mean(history["loss"][-tail:]),
                "min": min(history["loss"]),
                "win_minus_lose_first": _mean(np.subtract(history["win"], history["lose"])[:tail]),
                "win_minus_lose_last": _mean(np.subtract(history["win"], history["lose"])[-tail:]),
                "averaged_over_steps": tail,
                "points": curve,
            },
        }
        (stage / TRAIN_JSON).write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return payload


@dataclass
class _Pairs:
    """Every training pair's winner latent, loser latent and encoded condition, row by row."""

    winners: torch.Tensor
    losers: torch.Tensor
    conditions: torch.Tensor


def _train(
    policy: FlowGenerator,
    reference: FlowGenerator | None,
    parameters: list[torch.nn.Parameter],
    data: _Pairs,
    batch: int,
    config: DsroConfig,
    stage: Path,
    writer: Any,
    progress: bool | None,
) -> tuple[dict[str, list[float]], list[dict[str, Any]]]:
    """The optimisation loop: per-step values (history) and the logged points (curve); checkpoints into `stage`."""
    optimiser = torch.optim.AdamW(parameters, lr=config.lr, weight_decay=config.weight_decay)
    warmup = max(1, config.warmup_steps)  # linear from lr / warmup to lr, then constant
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda step: min(1.0, (step + 1) / warmup))
    draws = torch.Generator().manual_seed(config.seed)
    picker = _PairDraws(len(data.winners), draws)
    latent_shape = tuple(data.winners.shape[1:])
    history: dict[str, list[float]] = {"loss": [], "win": [], "lose": [], "accuracy": [], "winner_lower": []}
    curve: list[dict[str, Any]] = []
    policy.train()
    bar = tqdm(
        range(1, config.steps + 1),
        desc=f"DSRO {config.loss}",
        unit="step",
        disable=None if progress is None else not progress,
    )
    for step in bar:
        index = picker.take(batch)
        t = sample_times(batch, draws, config.time_mean, config.time_std)
        noise = torch.randn((batch, *latent_shape), generator=draws)
        losses = pair_losses(
            policy, reference, data.winners[index], data.losers[index], data.conditions[index], t, noise
        )
        loss = objective(config, losses).mean()
        if not torch.isfinite(loss):
            raise CaseError(config_file(), "dsro.lr", f"the loss is not finite at step {step}: lower lr or beta")
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(parameters, config.grad_clip)
        lr = optimiser.param_groups[0]["lr"]
        optimiser.step()
        schedule.step()

        with torch.no_grad():
            history["loss"].append(float(loss))
            history["win"].append(float(losses["win"].mean()))
            history["lose"].append(float(losses["lose"].mean()))
            history["winner_lower"].append(float((losses["win"] < losses["lose"]).float().mean()))
            if reference is not None:  # DPO's implicit accuracy: the policy's margin below the reference's
                margin = losses["win"] - losses["lose"]
                ref_margin = losses["ref_win"] - losses["ref_lose"]
                history["accuracy"].append(float((margin < ref_margin).float().mean()))
        if step % config.log_every == 0 or step == config.steps:
            point = _window(history, step, config.log_every, lr)
            curve.append(point)
            _log(writer, point, step)
            bar.set_postfix(loss=f"{point['loss']:.4g}", win_minus_lose=f"{point['win_minus_lose']:.3g}")
        if config.checkpoint_every and step % config.checkpoint_every == 0:
            policy.save(stage / CHECKPOINTS_DIR / f"step_{step}.pt", step=step, loss=config.loss)
    return history, curve


def _mean(values: Any) -> float | None:
    values = list(values)
    return float(np.mean(values)) if values else None


def _window(history: dict[str, list[float]], step: int, width: int, lr: float) -> dict[str, Any]:
    """Means over the last `width` steps (the TensorBoard point and one entry of the loss curve)."""
    recent = {key: values[-width:] for key, values in history.items()}
    point: dict[str, Any] = {
        "step": step,
        "loss": _mean(recent["loss"]),
        "flow_loss_winner": _mean(recent["win"]),
        "flow_loss_loser": _mean(recent["lose"]),
        "win_minus_lose": _mean(np.subtract(recent["win"], recent["lose"])),
        "winner_lower_share": _mean(recent["winner_lower"]),
        "lr": lr,
    }
    if recent["accuracy"]:
        point["implicit_accuracy"] = _mean(recent["accuracy"])
    return point


_TAGS = {
    "loss": "loss",
    "flow_loss_winner": "flow_loss/winner",
    "flow_loss_loser": "flow_loss/loser",
    "win_minus_lose": "flow_loss/winner_minus_loser",
    "winner_lower_share": "pairs/winner_lower_share",
    "implicit_accuracy": "pairs/implicit_accuracy",
    "lr": "lr",
}


def _log(writer: Any, point: dict[str, Any], step: int) -> None:
    for key, tag in _TAGS.items():
        value = point.get(key)
        if value is not None and math.isfinite(value):
            writer.add_scalar(tag, value, step)
