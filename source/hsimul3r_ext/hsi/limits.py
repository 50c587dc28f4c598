"""Plausibility bounds applied by validation. Values outside them are almost always unit or axis errors."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ValidationLimits:
    """Bounds a case must satisfy; every rejection message quotes the bound it broke."""

    person_height_m: tuple[float, float] = (1.0, 2.3)
    object_size_m: tuple[float, float] = (0.05, 5.0)
    max_abs_beta: float = 10.0
    max_root_speed_m_s: float = 15.0
    fps: tuple[float, float] = (1e-3, 1000.0)
    quat_norm_tolerance: float = 1e-3


DEFAULT_LIMITS = ValidationLimits()
