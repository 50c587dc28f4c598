"""Schema of `config/judge/default.yaml`: simulation settings and the thresholds behind every verdict."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from omegaconf import MISSING

BACKENDS = ("mujoco_cpu", "mujoco_warp")
POLICY_MODE = "policy"
"""A configured mode the judge itself does not run: `pipeline.policy_judge` rolls the policy out (task code,
above the judge) and hands the judge the refined case, judged kinematically."""
MODES = ("kinematic", "pd", POLICY_MODE)


@dataclass
class StableConfig:
    max_tilt_deg: float = MISSING
    max_displacement_m: float = MISSING
    max_linear_speed_m_s: float = MISSING
    max_angular_speed_rad_s: float = MISSING
    rest_window_s: float = MISSING


@dataclass
class GravityConfig:
    seconds: float = MISSING
    max_ground_gap_m: float = MISSING


@dataclass
class InteractionConfig:
    settle_seconds: float = MISSING
    min_contact_ratio: float = MISSING
    contact_distance_m: float = MISSING
    proximity_m: float = MISSING
    assist_stiffness: float = MISSING
    assist_damping: float = MISSING
    assist_max_force_body_weights: float = MISSING
    assist_torque_stiffness: float = MISSING
    assist_torque_damping: float = MISSING
    assist_max_torque_nm: float = MISSING
    fall_error_m: float = MISSING


@dataclass
class JudgeConfig:
    mode: str = MISSING
    backend: str = MISSING
    sim_dt: float = MISSING
    record_hz: float = MISSING
    stable: StableConfig = field(default_factory=StableConfig)
    gravity: GravityConfig = field(default_factory=GravityConfig)
    interaction: InteractionConfig = field(default_factory=InteractionConfig)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def load_judge_config(overrides: Sequence[str] = ()) -> JudgeConfig:
    """The `judge` section of the pipeline configuration, checked."""
    from ..hsi.errors import CaseError
    from ..settings import CONFIG_DIR, stage_config

    config = stage_config("judge", JudgeConfig, overrides)
    file = CONFIG_DIR / "judge" / "default.yaml"
    if config.backend not in BACKENDS:
        raise CaseError(file, "judge.backend", f"must be one of {', '.join(BACKENDS)}, got {config.backend!r}")
    if config.mode not in MODES:
        raise CaseError(file, "judge.mode", f"must be one of {', '.join(MODES)}, got {config.mode!r}")
    if not 0.0 < config.sim_dt <= 0.02 or config.record_hz <= 0.0:
        raise CaseError(file, "judge.sim_dt", "sim_dt must be in (0, 0.02] s and record_hz positive")
    return config
