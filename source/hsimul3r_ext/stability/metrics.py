"""Measurements over time of a simulated object, and the stability verdict they support."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial.transform import Rotation

from .config import StableConfig


@dataclass
class ObjectTrack:
    """An object's simulated centre of mass and orientation, sampled at `time`."""

    time: np.ndarray  # (F,) s
    com: np.ndarray  # (F, 3) world
    quat: np.ndarray  # (F, 4) xyzw, body orientation
    linear_speed: np.ndarray  # (F,) m/s
    angular_speed: np.ndarray  # (F,) rad/s

    def tilt_deg(self) -> np.ndarray:
        """Angle between the world's up and the body axis that pointed up at the start (DSO's tilt)."""
        up = np.array([0.0, 0.0, 1.0])
        rotations = Rotation.from_quat(self.quat)
        initial_up_in_body = rotations[0].inv().apply(up)
        current = rotations.apply(initial_up_in_body)
        return np.degrees(np.arccos(np.clip(current @ up, -1.0, 1.0)))

    def displacement_m(self) -> np.ndarray:
        """Horizontal drift of the centre of mass from where it started."""
        return np.linalg.norm(self.com[:, :2] - self.com[0, :2], axis=1)


@dataclass
class StabilityVerdict:
    stable: bool
    tilt_deg: float
    displacement_m: float
    linear_speed_m_s: float
    angular_speed_rad_s: float
    reasons: list[str]

    def to_json(self) -> dict:
        return {
            "stable": self.stable,
            "tilt_deg": self.tilt_deg,
            "displacement_m": self.displacement_m,
            "linear_speed_m_s": self.linear_speed_m_s,
            "angular_speed_rad_s": self.angular_speed_rad_s,
            "reasons": self.reasons,
        }


def judge_stability(track: ObjectTrack, config: StableConfig) -> StabilityVerdict:
    """Stable = small final tilt, small drift, and at rest over the last `rest_window_s`."""
    if not (np.isfinite(track.com).all() and np.isfinite(track.quat).all()):
        return StabilityVerdict(False, float("nan"), float("nan"), float("nan"), float("nan"), ["simulation diverged"])
    tilt, drift = float(track.tilt_deg()[-1]), float(track.displacement_m()[-1])
    window = track.time >= track.time[-1] - config.rest_window_s
    linear, angular = float(track.linear_speed[window].mean()), float(track.angular_speed[window].mean())
    reasons = []
    if tilt >= config.max_tilt_deg:
        reasons.append(f"tilted {tilt:.1f} deg >= {config.max_tilt_deg:g}")
    if drift >= config.max_displacement_m:
        reasons.append(f"drifted {drift:.3f} m >= {config.max_displacement_m:g}")
    if linear >= config.max_linear_speed_m_s or angular >= config.max_angular_speed_rad_s:
        reasons.append(f"still moving ({linear:.3f} m/s, {angular:.2f} rad/s)")
    return StabilityVerdict(not reasons, tilt, drift, linear, angular, reasons)
