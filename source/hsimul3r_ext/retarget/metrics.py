"""How well a robot motion keeps the human's interaction with the scene, measured in the retarget's MuJoCo
model (the objects' convex pieces and the floor, the robot's colliders)."""

from __future__ import annotations

from typing import Any

import mujoco
import numpy as np

from .human import HumanMotion
from .ik import RobotMotion
from .robot_model import Robot
from .scene_model import RetargetScene

_FAR_M = 0.5
JOINT_LIMIT_TOLERANCE_RAD = 1e-4


def retarget_metrics(robot: Robot, scene: RetargetScene, human: HumanMotion, motion: RobotMotion) -> dict[str, Any]:
    model, data = scene.model, mujoco.MjData(scene.model)
    fromto = np.zeros(6)
    object_pieces = tuple(g for pieces in scene.object_geoms.values() for g in pieces)
    floor = scene.floor_geom
    gaps: list[float] = []
    into_objects = np.zeros(human.num_frames)
    into_floor = np.zeros(human.num_frames)
    feet = list(robot.retarget.feet)
    foot_bodies = [mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, foot) for foot in feet]
    foot_xy = np.zeros((human.num_frames, len(feet), 2))
    for frame in range(human.num_frames):
        data.qpos[:] = motion.qpos[frame]
        mujoco.mj_kinematics(model, data)
        foot_xy[frame] = data.xpos[foot_bodies, :2]
        mujoco.mj_collision(model, data)  # robot-scene pairs only (see scene_model)
        for contact in data.contact[: data.ncon]:
            depth = -float(contact.dist)
            if floor in (contact.geom1, contact.geom2):
                into_floor[frame] = max(into_floor[frame], depth)
            else:
                into_objects[frame] = max(into_objects[frame], depth)
        for part, touching in zip(human.contact_parts, human.contact_labels[frame], strict=True):
            if touching and part in robot.retarget.contacts and object_pieces:
                geoms = [g for link in robot.retarget.contacts[part] for g in scene.link_geoms[link]]
                distance = min(
                    mujoco.mj_geomDistance(model, data, g, p, _FAR_M, fromto) for g in geoms for p in object_pieces
                )
                gaps.append(max(distance, 0.0))
    stance = motion.foot_contact[1:] & motion.foot_contact[:-1]
    skate = np.linalg.norm(np.diff(foot_xy, axis=0), axis=-1)[stance]
    lower = np.array([joint.lower for joint in robot.joints])
    upper = np.array([joint.upper for joint in robot.joints])
    joints = motion.qpos[:, 7:]
    violations = (joints < lower - JOINT_LIMIT_TOLERANCE_RAD) | (joints > upper + JOINT_LIMIT_TOLERANCE_RAD)
    return {
        "contact_frames": len(gaps),
        "contact_gap_mm": _stats(gaps),
        "penetration_objects_mm": _stats(into_objects),
        "penetration_floor_mm": _stats(into_floor),
        "foot_skate_mm_per_frame": _stats(skate),
        "joint_limit_violations": int(violations.sum()),
        "frames_per_second": human.num_frames / motion.seconds,
        "seconds": motion.seconds,
    }


def _stats(values_m) -> dict[str, float | None]:
    values = np.asarray(values_m, dtype=float) * 1000.0
    if not values.size:
        return {"mean": None, "max": None}
    return {"mean": float(values.mean()), "max": float(values.max())}
