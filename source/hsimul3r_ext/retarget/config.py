"""The `robot` section of the pipeline configuration (`config/robot/default.yaml`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from omegaconf import MISSING

from .ik import IKSettings


@dataclass
class RobotStageConfig:
    enabled: bool = MISSING
    name: str = MISSING
    baseline: bool = MISSING
    judge: bool = MISSING
    ik: IKSettings = field(default_factory=IKSettings)


def load_robot_config(overrides: Sequence[str] = ()) -> RobotStageConfig:
    """The section, checked: the robot must load (its YAML, its MJCF) before any stage runs."""
    from ..settings import stage_config
    from .robot_model import load_robot

    config = stage_config("robot", RobotStageConfig, overrides)
    if config.enabled:
        load_robot(config.name)
    return config
