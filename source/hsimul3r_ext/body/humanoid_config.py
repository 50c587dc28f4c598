"""Schema of `config/humanoid/default.yaml`: mass density, collision shapes, gains and joint limits."""

from __future__ import annotations

from dataclasses import dataclass, field

from omegaconf import MISSING


@dataclass
class GainsConfig:
    stiffness: float = MISSING  # N m / rad
    damping: float = MISSING  # N m s / rad
    effort: float = MISSING  # N m


@dataclass
class JointConfig(GainsConfig):
    order: str = MISSING  # hinge composition order, a permutation of "xyz"
    limits_deg: list[list[float]] = MISSING  # [[x_lo, x_hi], [y_lo, y_hi], [z_lo, z_hi]]


@dataclass
class HumanoidConfig:
    density_kg_m3: float = MISSING
    collision: str = MISSING  # capsule | convex
    volume_grid_m: float = MISSING  # grid spacing that splits the body's volume among its parts
    armature: float = MISSING
    default_order: str = MISSING
    default_gains: GainsConfig = field(default_factory=GainsConfig)
    joints: dict[str, JointConfig] = field(default_factory=dict)
    contact_bodies: list[str] = MISSING
