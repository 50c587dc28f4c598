"""Schema of `config/align/default.yaml`: what the alignment may move and how much each term counts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from omegaconf import MISSING

ROTATIONS = ("yaw", "full", "none")


@dataclass
class ObjectFreedom:
    rotation: str = MISSING
    scale: bool = MISSING


@dataclass
class ContactConfig:
    proximity_m: float = MISSING
    touching_m: float = MISSING
    object_region_m: float = MISSING


@dataclass
class AlignWeights:
    ground: float = MISSING
    non_contact: float = MISSING
    contact: float = MISSING
    prior: float = MISSING


@dataclass
class PriorScale:
    translation_m: float = MISSING
    rotation_deg: float = MISSING
    log_scale: float = MISSING


@dataclass
class AlignConfig:
    steps: int = MISSING
    learning_rate_m: float = MISSING
    max_frames: int = MISSING
    metric_frames: int = MISSING
    object_samples: int = MISSING
    human_translation: bool = MISSING
    on_floor_within_m: float = MISSING
    objects: ObjectFreedom = field(default_factory=ObjectFreedom)
    contact: ContactConfig = field(default_factory=ContactConfig)
    weights: AlignWeights = field(default_factory=AlignWeights)
    prior_scale: PriorScale = field(default_factory=PriorScale)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def load_align_config(overrides: Sequence[str] = ()) -> AlignConfig:
    """The `align` section of the pipeline configuration, checked."""
    from ..hsi.errors import CaseError
    from ..settings import CONFIG_DIR, stage_config

    config = stage_config("align", AlignConfig, overrides)
    file = CONFIG_DIR / "align" / "default.yaml"
    if config.objects.rotation not in ROTATIONS:
        raise CaseError(file, "align.objects.rotation", f"must be one of {', '.join(ROTATIONS)}")
    if config.steps < 0 or min(config.max_frames, config.metric_frames) < 1 or config.object_samples < 10:
        raise CaseError(
            file, "align.steps", "steps >= 0, max_frames and metric_frames >= 1 and object_samples >= 10 are needed"
        )
    if config.learning_rate_m <= 0:
        raise CaseError(file, "align.learning_rate_m", "must be positive")
    for name, value in asdict(config.weights).items():
        if value < 0:
            raise CaseError(file, f"align.weights.{name}", f"must be >= 0, got {value}")
    for name, value in asdict(config.prior_scale).items():
        if value <= 0:
            raise CaseError(file, f"align.prior_scale.{name}", f"must be positive, got {value}")
    return config
