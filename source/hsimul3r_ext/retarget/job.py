"""`hsimul3r retarget`: a converted scene's human motion onto a robot, with the scene terms and, in the same
run, plain IK (the GMR-like baseline), each measured; everything written atomically into a new folder."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import mujoco
import numpy as np
from scipy.spatial.transform import Rotation

from ..assets.convert_case import REPORT
from ..atomic_dir import atomic_output_dir
from ..hsi.errors import CaseError
from ..hsi.motion import per_second
from ..stability.config import JudgeConfig, load_judge_config
from ..stability.scene import load_converted
from .human import human_motion
from .ik import DEFAULT_SETTINGS, IKSettings, RobotMotion, human_to_robot, retarget_motion
from .metrics import retarget_metrics
from .picture import draw_retarget
from .playback import write_playback
from .robot_files import robot_usd_name, write_robot_assets
from .robot_judge import judge_robot, robot_scene
from .robot_model import Robot, load_robot
from .scaled_scene import write_scaled_scene
from .scene_model import RetargetScene, retarget_scene

ROBOT_MOTION = "robot_motion.npz"
BASELINE_MOTION = "robot_motion_plain_ik.npz"
RETARGET_JSON = "retarget.json"
RETARGET_PNG = "retarget.png"
RETARGET_USD = "retarget.usda"
JUDGE_DIR = "judge"
SCALED_SCENE = "scene"  # the objects scaled to the robot (IKSettings.scale_objects)


def converted_scene_dir(folder: Path) -> Path:
    """A folder written by `hsimul3r convert`, or a run folder (its `convert/`: the final case)."""
    for candidate in (folder, folder / "convert"):
        if (candidate / REPORT).is_file():
            return candidate
    raise CaseError(folder, "scene", f"neither a converted scene ({REPORT}) nor a run folder with convert/{REPORT}")


def retarget_job(
    scene_dir: str | Path,
    robot_name: str | Path,
    out_dir: str | Path,
    settings: IKSettings = DEFAULT_SETTINGS,
    *,
    baseline: bool = True,
    judge: bool = True,
    overwrite: bool = False,
    progress: bool = True,
) -> dict[str, Any]:
    converted = converted_scene_dir(Path(scene_dir))
    robot = load_robot(robot_name)
    with atomic_output_dir(out_dir, overwrite=overwrite) as stage:
        return write_retarget(converted, robot, stage, settings, baseline=baseline, judge=judge, progress=progress)


def write_retarget(
    converted: Path,
    robot: Robot,
    folder: Path,
    settings: IKSettings = DEFAULT_SETTINGS,
    *,
    baseline: bool = True,
    judge: bool = True,
    judge_config: JudgeConfig | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Retarget, measure, judge and write everything into `folder` (an existing, empty staging folder, a
    sibling of where it will end up: relative references hold after the rename); returns retarget.json."""
    loaded = load_converted(converted)  # the judge's reading of the folder: objects, humanoid, contact labels
    human = human_motion(loaded)
    objects, scaled_human = loaded, None  # with `scale_objects`: the objects, drawn and played, scaled with the human
    if settings.scale_objects:
        scaled_human = human_to_robot(robot, human, scale_objects=True)
        scaled = write_scaled_scene(loaded, folder / SCALED_SCENE, scaled_human.scale, scaled_human.shift[:2])
        objects = load_converted(scaled)
    scene = retarget_scene(robot, objects)
    motion = retarget_motion(robot, scene, human, settings, progress=progress)
    report: dict[str, Any] = {
        "robot": robot.name,
        "robot_config": str(robot.config_file),
        "scene": str(converted.resolve()),
        "objects_scene": SCALED_SCENE if scaled_human is not None else None,  # relative to this folder
        "frames": human.num_frames,
        "fps": human.fps,
        "scale": motion.scale,
        "settings": dataclasses.asdict(settings),
        "scene_terms": retarget_metrics(robot, scene, human, motion),
        "files": {"motion": ROBOT_MOTION, "picture": RETARGET_PNG, "usd": RETARGET_USD, "robot": "robot/"},
    }
    arrays = motion_arrays(robot, scene, motion)
    np.savez_compressed(folder / ROBOT_MOTION, **arrays)
    if baseline:
        plain = retarget_motion(robot, scene, human, dataclasses.replace(settings, scene_terms=False), progress=False)
        report["plain_ik"] = retarget_metrics(robot, scene, human, plain)
        report["speed_vs_plain_ik"] = report["scene_terms"]["seconds"] / report["plain_ik"]["seconds"]
        report["files"]["plain_ik_motion"] = BASELINE_MOTION
        np.savez_compressed(folder / BASELINE_MOTION, **motion_arrays(robot, scene, plain))
    draw_retarget(robot, scene, human, motion, folder / RETARGET_PNG, scaled_human)
    write_robot_assets(robot, folder / "robot")
    robot_usd = folder / "robot" / robot_usd_name(robot)
    with_human = dataclasses.replace(objects, humanoid=loaded.humanoid)
    write_playback(folder / RETARGET_USD, robot, robot_usd, arrays, with_human, scaled_human)
    if judge:  # the robot among the dynamic objects, driven kinematically along its motion
        judged = folder / JUDGE_DIR
        judged.mkdir()
        scene_with_robot = robot_scene(objects, robot, robot_usd, arrays, human)
        verdict = judge_robot(scene_with_robot, judged, judge_config or load_judge_config(), judged)
        report["judge"] = {
            "type": verdict["type"],
            "objects": {entry["name"]: entry["type"] for entry in verdict["objects"]},
            "report": f"{JUDGE_DIR}/report.md",
        }
    (folder / RETARGET_JSON).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


def motion_arrays(robot: Robot, scene: RetargetScene, motion: RobotMotion) -> dict[str, np.ndarray]:
    """BeyondMimic's motion layout, quaternions (x, y, z, w) as everywhere in the project (`quat_order`)."""
    model, data = scene.model, mujoco.MjData(scene.model)
    bodies = [mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, name) for name in robot.body_names]
    frames = len(motion.qpos)
    body_pos = np.empty((frames, len(bodies), 3))
    body_wxyz = np.empty((frames, len(bodies), 4))
    for frame in range(frames):
        data.qpos[:] = motion.qpos[frame]
        mujoco.mj_kinematics(model, data)
        body_pos[frame], body_wxyz[frame] = data.xpos[bodies], data.xquat[bodies]
    body_xyzw = np.roll(body_wxyz, -1, axis=-1)
    joint_pos = motion.qpos[:, 7:]
    rotations = Rotation.from_quat(body_xyzw.reshape(-1, 4)).as_matrix().reshape(frames, len(bodies), 3, 3)
    angular = np.zeros((frames, len(bodies), 3))
    if frames > 1:
        step = np.einsum("tbij,tbkj->tbik", rotations[1:], rotations[:-1])  # R(t+1) R(t)^T, world frame
        angular[:-1] = Rotation.from_matrix(step.reshape(-1, 3, 3)).as_rotvec().reshape(frames - 1, -1, 3) * motion.fps
        angular[-1] = angular[-2]
    return {
        "fps": np.array(motion.fps),
        "quat_order": np.array("xyzw"),
        "joint_names": np.array(robot.joint_names),
        "body_names": np.array(robot.body_names),
        "joint_pos": joint_pos.astype(np.float32),
        "joint_vel": per_second(joint_pos, motion.fps).astype(np.float32),
        "body_pos_w": body_pos.astype(np.float32),
        "body_quat_w": body_xyzw.astype(np.float32),
        "body_lin_vel_w": per_second(body_pos, motion.fps).astype(np.float32),
        "body_ang_vel_w": angular.astype(np.float32),
    }
