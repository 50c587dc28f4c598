"""`retarget.usda`: the robot motion playing beside the human it came from, among the scene's objects.

The judge's recording of the converted scene (the human body by body, the objects where they stand), with the
robot's links added from `robot/<robot>.usd`: visual meshes only, by references relative to the file's folder,
so pressing play in Isaac Sim or usdview replays the retarget instead of simulating it.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from pxr import Gf, Sdf, Usd, UsdGeom

from ..stability.recording import HUMANOID_PRIM, animated_reference, write_recording
from ..stability.scene import ConvertedScene
from .ik import HumanToRobot
from .robot_model import Robot


def write_playback(
    path: Path,
    robot: Robot,
    robot_usd: Path,
    motion: dict[str, np.ndarray],
    converted: ConvertedScene,
    scaled_human: HumanToRobot | None = None,
) -> Path:
    """`motion`: the arrays of `robot_motion.npz`; `converted` holds the human and the objects.
    `scaled_human`: the human is shown scaled with the objects (`IKSettings.scale_objects`)."""
    fps, frames = float(motion["fps"]), len(motion["joint_pos"])
    human = converted.humanoid
    write_recording(
        path, converted, np.arange(frames) / fps,
        {obj.name: np.array([[*obj.position, *obj.orientation]]) for obj in converted.objects},
        human.body_names, np.concatenate([human.body_pos, human.body_quat], axis=-1), link_root=path.parent,
    )  # fmt: skip
    stage = Usd.Stage.Open(str(path))
    if scaled_human is not None:
        matrix = Gf.Matrix4d().SetScale(scaled_human.scale).SetTranslateOnly(Gf.Vec3d(*scaled_human.shift))
        UsdGeom.Xform.Define(stage, HUMANOID_PRIM).AddTransformOp().Set(matrix)
    robot_asset = os.path.relpath(robot_usd, path.parent)
    robot_stage = Usd.Stage.Open(str(robot_usd))
    poses = np.concatenate([motion["body_pos_w"], motion["body_quat_w"]], axis=-1)
    for index, body in enumerate(robot.body_names):
        visual = Sdf.Path(f"/{robot.name}/{body}/visual")
        if robot_stage.GetPrimAtPath(visual):
            animated_reference(stage, f"/World/Robot/{body}", poses[:, index], robot_asset, visual)
    stage.GetRootLayer().Save()
    return path
