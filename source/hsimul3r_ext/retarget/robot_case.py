"""A retarget folder read back as the scene the robot acts in: the converted scene's objects (or their copy
scaled to the robot, `objects_scene`) with the robot in the human's place (its USD, its motion, the case's
contact labels carried over to its links), as the judge and the robot HSI tasks read a case."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..hsi.errors import CaseError
from ..stability.scene import ConvertedScene, load_converted
from .human import human_motion
from .job import RETARGET_JSON, ROBOT_MOTION
from .robot_files import ROBOT_JSON, robot_usd_name
from .robot_judge import robot_scene
from .robot_model import load_robot


def load_retargeted(folder: str | Path) -> ConvertedScene:
    """Read a folder written by `hsimul3r retarget` (or a run's `robot/`)."""
    folder = Path(folder).absolute()
    report_file = folder / RETARGET_JSON
    if not report_file.is_file():
        raise CaseError(folder, RETARGET_JSON, "missing: not a folder written by `hsimul3r retarget`")
    report = json.loads(report_file.read_text(encoding="utf-8"))
    for field in ("robot_config", "scene"):
        if field not in report:
            raise CaseError(report_file, field, "missing: written by an older version, retarget the case again")
    robot = load_robot(report["robot_config"])
    converted = load_converted(report["scene"])
    objects = converted if not report.get("objects_scene") else load_converted(folder / report["objects_scene"])
    with np.load(folder / ROBOT_MOTION) as data:
        motion = {key: data[key] for key in data.files}
    if [str(n) for n in motion["joint_names"]] != robot.joint_names:
        raise CaseError(folder / ROBOT_MOTION, "joint_names", f"not the joints of {robot.config_file.name}")
    return robot_scene(objects, robot, folder / "robot" / robot_usd_name(robot), motion, human_motion(converted))


def robot_summary_file(folder: str | Path) -> Path:
    """The robot's `robot.json` (joint order, gains, contact bodies) in a retarget folder."""
    return Path(folder) / "robot" / ROBOT_JSON
