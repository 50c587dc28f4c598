"""Where the robot starts: clear of the scene, so that the collision limit holds from the first step.

The robot stands at rest at the human's first place. When the human starts beside furniture, that pose may
put a leg in its base; when the human starts seated or lying, the standing robot is deep inside the seat. The
collision limit only keeps colliders from going deeper, and the penetration task's way out, along each
pair's own normal, is local: from deep inside (a pelvis 9 cm in a seat) the normals disagree and the robot
stays in for the whole clip. So when the rest pose overlaps the scene, the robot first takes the human's first
pose without the scene (plain IK), then the shortest of a few rigid translations (up, up and outwards,
outwards) moves it clear; the first frame's steps then bring it onto the surfaces from outside.
"""

from __future__ import annotations

import mink
import mujoco
import numpy as np

from .qp import take_ik_step

_SEARCH_STEP_M = 0.01
_SEARCH_REACH_M = 0.6


def take_the_pose(
    configuration: mink.Configuration, tasks: list[mink.Task], dt: float, steps: int, damping: float,
    max_step: float, tolerance: float,
) -> None:  # fmt: skip
    """IK steps on `tasks` under the joint limits alone, as the frame loop takes them."""
    limits = [mink.ConfigurationLimit(configuration.model)]
    for _ in range(steps):
        if take_ik_step(configuration, tasks, dt, damping, limits, max_step) < tolerance:
            return


def clear_of_the_scene(configuration: mink.Configuration, margin_m: float) -> None:
    """Translate the whole robot by the shortest of the searched moves after which it overlaps nothing, plus
    `margin_m`; leave it where it is when none within reach clears it (the penetration task then works on it)."""
    model = configuration.model
    data = mujoco.MjData(model)
    start = configuration.q.copy()
    moved = start.copy()
    for distance in np.arange(_SEARCH_STEP_M, _SEARCH_REACH_M + 1e-9, _SEARCH_STEP_M):
        for direction in _DIRECTIONS:
            moved[:3] = start[:3] + distance * direction
            if not _overlaps(model, data, moved):
                moved[:3] += margin_m * direction
                configuration.update(moved)
                return


def _overlaps(model: mujoco.MjModel, data: mujoco.MjData, qpos: np.ndarray) -> bool:
    """Whether any robot collider touches or enters the scene at `qpos` (the model collides robot-scene
    pairs only: `scene_model`)."""
    data.qpos[:] = qpos
    mujoco.mj_kinematics(model, data)
    mujoco.mj_collision(model, data)
    return data.ncon > 0


def _directions() -> np.ndarray:
    """Up first (ties go to lifting the robot onto a seat), then up and outwards, then outwards, every 45 deg."""
    angles = np.arange(8) * np.pi / 4
    outwards = np.stack([np.cos(angles), np.sin(angles), np.zeros(8)], axis=1)
    raised = (outwards + [0.0, 0.0, 1.0]) / np.sqrt(2.0)
    return np.concatenate([[[0.0, 0.0, 1.0]], raised, outwards])


_DIRECTIONS = _directions()
