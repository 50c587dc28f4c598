"""`retarget.png`: the human and the robot side by side on key frames, seen from the side, over the objects."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import mujoco
import numpy as np

from ..hsi.smpl_layout import SMPL_PARENTS
from .human import HumanMotion
from .ik import HumanToRobot, RobotMotion
from .robot_model import Robot
from .scene_model import RetargetScene


def key_frames(human: HumanMotion, count: int = 3) -> list[int]:
    """The first frame, the frame with the most labelled contacts, the last."""
    touching = human.contact_labels.sum(axis=1) if human.contact_labels.size else np.zeros(human.num_frames)
    return sorted({0, int(np.argmax(touching)), human.num_frames - 1})[:count]


def draw_retarget(
    robot: Robot,
    scene: RetargetScene,
    human: HumanMotion,
    motion: RobotMotion,
    path: Path,
    scaled_human: HumanToRobot | None = None,
) -> Path:
    """`scaled_human`: draw the human scaled with the objects (`IKSettings.scale_objects`), not at its size."""
    model, data = scene.model, mujoco.MjData(scene.model)
    bodies = [mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, name) for name in robot.body_names]
    parents = [body.parent for body in robot.bodies]
    mujoco.mj_kinematics(model, data)  # the objects are static: their pieces sit where any pose puts them
    pieces = [_piece_points(model, data, geom) for geoms in scene.object_geoms.values() for geom in geoms]
    frames = key_frames(human)
    figure, axes = plt.subplots(1, len(frames), figsize=(4.2 * len(frames), 4.2), squeeze=False)
    for axis, frame in zip(axes[0], frames, strict=True):
        data.qpos[:] = motion.qpos[frame]
        mujoco.mj_kinematics(model, data)
        for points in pieces:
            axis.fill(*_outline(points[:, [0, 2]]), color="0.85", zorder=0)
        human_pos = human.body_pos[frame]
        if scaled_human is not None:
            human_pos = scaled_human.place(human_pos, human_pos[0, :2])
        for child, parent in enumerate(SMPL_PARENTS):
            if parent >= 0:
                axis.plot(*human_pos[[parent, child]][:, [0, 2]].T, color="tab:blue", lw=2, alpha=0.6)
        robot_pos = data.xpos[bodies]
        for child, parent in enumerate(parents):
            if parent >= 0:
                axis.plot(*robot_pos[[parent, child]][:, [0, 2]].T, color="tab:red", lw=2)
        axis.axhline(0.0, color="0.3", lw=1)
        axis.set_aspect("equal")
        axis.set_title(f"frame {frame}")
        axis.set_xlabel("x (m)")
    axes[0][0].set_ylabel("z (m)")
    axes[0][0].plot([], [], color="tab:blue", label="human")
    axes[0][0].plot([], [], color="tab:red", label=robot.name)
    axes[0][0].legend(loc="upper left")
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return path


def _piece_points(model: mujoco.MjModel, data: mujoco.MjData, geom: int) -> np.ndarray:
    mesh = model.geom_dataid[geom]
    start, count = model.mesh_vertadr[mesh], model.mesh_vertnum[mesh]
    local = model.mesh_vert[start : start + count]
    return local @ data.geom_xmat[geom].reshape(3, 3).T + data.geom_xpos[geom]


def _outline(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from scipy.spatial import ConvexHull

    hull = ConvexHull(points)
    return points[hull.vertices, 0], points[hull.vertices, 1]
