"""A robot's asset folder: the USD, the licence files that travel with the model, and `robot.json`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from ..atomic_dir import atomic_output_dir
from .robot_model import Robot
from .robot_usd import write_robot_usd

ROBOT_JSON = "robot.json"


def write_robot_assets(robot: Robot, out_dir: str | Path, *, overwrite: bool = False) -> Path:
    """Write `out_dir` (a new folder, or replace it with `overwrite`) all at once; returns it."""
    with atomic_output_dir(out_dir, overwrite=overwrite) as stage:
        write_robot_usd(robot, stage / robot_usd_name(robot))
        (stage / "licences").mkdir()
        for licence in robot.licence_files:
            shutil.copyfile(licence, stage / "licences" / licence.name)
        (stage / ROBOT_JSON).write_text(json.dumps(robot_summary(robot), indent=2) + "\n", encoding="utf-8")
    return Path(out_dir)


def robot_usd_name(robot: Robot) -> str:
    return f"{robot.name}.usd"


def robot_summary(robot: Robot) -> dict[str, Any]:
    """What deployment and retargeting read: joint order, gains and limits, bodies, where it came from."""
    return {
        "robot": robot.name,
        "description": robot.description,
        "usd": robot_usd_name(robot),
        "mass_kg": robot.mass,
        "root_height_m": float(robot.bodies[0].pos[2]),
        "anchor_body": robot.anchor_body,
        "contact_bodies": list(robot.contact_bodies),
        "bodies": robot.body_names,
        "joints": [
            {
                "name": joint.name,
                "motor": joint.motor.name,
                "lower_rad": joint.lower,
                "upper_rad": joint.upper,
                "stiffness_nm_per_rad": joint.motor.stiffness,
                "damping_nms_per_rad": joint.motor.damping,
                "armature_kgm2": joint.motor.armature,
                "effort_nm": joint.motor.effort,
                "velocity_rad_per_s": joint.motor.velocity,
            }
            for joint in robot.joints
        ],
        "licences": [f"licences/{licence.name}" for licence in robot.licence_files],
        "provenance": robot.provenance,
    }
