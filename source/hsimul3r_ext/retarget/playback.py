"""`retarget.usda`: the robot motion playing beside the human it came from, among the scene's objects.

Visual meshes only, by relative references (the robot's from `robot/<robot>.usd`, the human's and the
objects' from the converted scene), so pressing play in Isaac Sim or usdview replays the retarget instead of
simulating it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
from pxr import Sdf, Usd, UsdGeom

from ..assets.convert_case import REPORT
from ..assets.humanoid_files import HUMANOID_MOTION, HUMANOID_USD
from ..stability.recording import animated_reference
from .robot_model import Robot


def write_playback(path: Path, robot: Robot, robot_usd: Path, motion: dict[str, np.ndarray], converted: Path) -> Path:
    """`motion`: the arrays of `robot_motion.npz`; every reference is relative to the file's folder."""
    link_root = path.parent
    frames = len(motion["joint_pos"])
    stage = Usd.Stage.CreateNew(str(path))
    UsdGeom.SetStageUpAxis(stage, UsdGeom.Tokens.z)
    UsdGeom.SetStageMetersPerUnit(stage, 1.0)
    stage.SetTimeCodesPerSecond(float(motion["fps"]))
    stage.SetStartTimeCode(0.0)
    stage.SetEndTimeCode(float(frames - 1))
    stage.SetDefaultPrim(UsdGeom.Xform.Define(stage, "/World").GetPrim())
    robot_asset = os.path.relpath(robot_usd, link_root)
    robot_stage = Usd.Stage.Open(str(robot_usd))
    poses = np.concatenate([motion["body_pos_w"], motion["body_quat_w"]], axis=-1)
    for index, body in enumerate(robot.body_names):
        visual = Sdf.Path(f"/{robot.name}/{body}/visual")
        if robot_stage.GetPrimAtPath(visual):
            animated_reference(stage, f"/World/Robot/{body}", poses[:, index], robot_asset, visual)
    _human(stage, converted, link_root)
    report = json.loads((converted / REPORT).read_text(encoding="utf-8"))
    for name, entry in report["objects"].items():
        pose = np.array([[*entry["position_m"], *entry["orientation_xyzw"]]])
        asset = os.path.relpath(converted / entry["usd"], link_root)
        animated_reference(stage, f"/World/Objects/{name}", pose, asset, Sdf.Path(f"/{name}/visual"))
    stage.GetRootLayer().Save()
    return path


def _human(stage: Usd.Stage, converted: Path, link_root: Path) -> None:
    """The human the robot follows, body by body from the converted humanoid's visuals."""
    with np.load(converted / HUMANOID_MOTION, allow_pickle=False) as arrays:
        names = [str(name) for name in arrays["body_names"]]
        poses = np.concatenate([arrays["body_pos_w"], arrays["body_quat_w"]], axis=-1)
    humanoid_usd = converted / HUMANOID_USD
    humanoid = Usd.Stage.Open(str(humanoid_usd))
    root = humanoid.GetDefaultPrim().GetPath()
    asset = os.path.relpath(humanoid_usd, link_root)
    for index, name in enumerate(names):
        visual = root.AppendChild(name).AppendChild("visual")
        if humanoid.GetPrimAtPath(visual):
            animated_reference(stage, f"/World/Human/{name}", poses[:, index], asset, visual)
