"""Schema of `config/dsro/default.yaml`: the DSRO fine-tuning step (DSO's DPO / DRO losses, optimiser, logging)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from omegaconf import MISSING

LOSSES = ("dpo", "dro")


@dataclass
class DsroConfig:
    loss: str = MISSING
    beta: float = MISSING
    steps: int = MISSING
    batch_pairs: int = MISSING
    lr: float = MISSING
    warmup_steps: int = MISSING
    weight_decay: float = MISSING
    grad_clip: float = MISSING
    lora_rank: int = MISSING
    time_mean: float = MISSING
    time_std: float = MISSING
    seed: int = MISSING
    checkpoint_every: int = MISSING
    log_every: int = MISSING

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def config_file() -> Path:
    from ..settings import CONFIG_DIR

    return CONFIG_DIR / "dsro" / "default.yaml"


def check_dsro_config(config: DsroConfig) -> DsroConfig:
    """`config` unchanged when every value is usable; a CaseError naming the file and the key otherwise."""
    from ..hsi.errors import CaseError

    file = config_file()
    if config.loss not in LOSSES:
        raise CaseError(file, "dsro.loss", f"must be one of {', '.join(LOSSES)}, got {config.loss!r}")
    positive = {
        "beta": config.beta,
        "steps": config.steps,
        "batch_pairs": config.batch_pairs,
        "lr": config.lr,
        "grad_clip": config.grad_clip,
        "time_std": config.time_std,
        "log_every": config.log_every,
    }
    for key, value in positive.items():
        if not value > 0:
            raise CaseError(file, f"dsro.{key}", f"must be positive, got {value!r}")
    not_negative = {
        "warmup_steps": config.warmup_steps,
        "weight_decay": config.weight_decay,
        "lora_rank": config.lora_rank,
        "checkpoint_every": config.checkpoint_every,
    }
    for key, value in not_negative.items():
        if not value >= 0:
            raise CaseError(file, f"dsro.{key}", f"must be 0 or more, got {value!r}")
    if not -10.0 <= config.time_mean <= 10.0:
        raise CaseError(file, "dsro.time_mean", f"must be in [-10, 10] (t = sigmoid(n)), got {config.time_mean!r}")
    return config


def load_dsro_config(overrides: Sequence[str] = ()) -> DsroConfig:
    """The `dsro` section of the pipeline configuration, checked."""
    from ..settings import stage_config

    return check_dsro_config(stage_config("dsro", DsroConfig, overrides))
