"""The judge on the robot: the retargeted motion drives the robot kinematically among the scene's dynamic
objects, and each object gets its Type (2-4) as for the human.

The robot takes the human's place in the converted scene: its USD, its motion (BeyondMimic layout), its
colliders as the surface penetration is measured on, and the case's contact labels carried over to the links
that took each part's contacts (`retarget.contacts`).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import trimesh

from ..stability.config import JudgeConfig
from ..stability.judge import judge_scene
from ..stability.scene import ConvertedScene, JudgedHumanoid
from .human import HumanMotion
from .robot_model import Robot, RobotGeom


def robot_scene(
    scene: ConvertedScene, robot: Robot, robot_usd: Path, motion: dict[str, np.ndarray], human: HumanMotion
) -> ConvertedScene:
    links, labels = link_contact_labels(robot, human)
    return dataclasses.replace(  # no labels: the judge falls back on proximity, as it does for the human
        scene, name=f"{scene.name} ({robot.name})", humanoid=robot_humanoid(robot, robot_usd, motion),
        contact_labels=labels if links else None, contact_body_names=links,
    )  # fmt: skip


def robot_humanoid(robot: Robot, robot_usd: Path, motion: dict[str, np.ndarray]) -> JudgedHumanoid:
    """A robot motion (BeyondMimic layout) as the judge's humanoid: the robot's USD, its colliders as its surface."""
    as_float = {key: np.asarray(value, np.float64) for key, value in motion.items() if value.dtype.kind == "f"}
    surfaces = {body.name: _collider_surface(body.geoms) for body in robot.bodies}
    return JudgedHumanoid(
        usd_file=robot_usd, fps=float(motion["fps"]), body_names=robot.body_names, dof_names=robot.joint_names,
        joint_pos=as_float["joint_pos"], joint_vel=as_float["joint_vel"], root_pos=as_float["body_pos_w"][:, 0],
        root_quat=as_float["body_quat_w"][:, 0], body_pos=as_float["body_pos_w"], body_quat=as_float["body_quat_w"],
        body_lin_vel=as_float["body_lin_vel_w"], body_ang_vel=as_float["body_ang_vel_w"],
        visuals={name: mesh for name, mesh in surfaces.items() if mesh is not None}, skin=None,
        visuals_are_colliders=True,
    )  # fmt: skip


def link_contact_labels(robot: Robot, human: HumanMotion) -> tuple[list[str], np.ndarray]:
    """The human's contact labels carried over to the links that take over each part's contacts."""
    links = sorted({link for part in human.contact_parts for link in robot.retarget.contacts.get(part, ())})
    labels = np.zeros((human.num_frames, len(links)), dtype=bool)
    for part, column in zip(human.contact_parts, human.contact_labels.T, strict=True):
        for link in robot.retarget.contacts.get(part, ()):
            labels[:, links.index(link)] |= column
    return links, labels


def judge_robot(scene: ConvertedScene, stage: Path, config: JudgeConfig, link_root: Path) -> dict[str, Any]:
    """Judge the robot's interaction (kinematic mode) into `stage`; returns the judge's report."""
    return judge_scene(scene, stage, config, "kinematic", False, link_root, str(scene.folder))


def _collider_surface(geoms: tuple[RobotGeom, ...]) -> trimesh.Trimesh | None:
    """The body's colliders as one mesh in the body frame: what the simulator touches the objects with."""
    pieces = []
    for geom in geoms:
        if not geom.collision:
            continue
        if geom.kind == "mesh":
            piece = geom.hull.copy()
        elif geom.kind == "sphere":
            piece = trimesh.creation.icosphere(subdivisions=1, radius=geom.size[0])
        elif geom.kind == "capsule":
            piece = trimesh.creation.capsule(height=2 * geom.size[1], radius=geom.size[0], count=[8, 8])
        elif geom.kind == "cylinder":
            piece = trimesh.creation.cylinder(radius=geom.size[0], height=2 * geom.size[1], sections=12)
        else:
            piece = trimesh.creation.box(extents=2 * geom.size[:3])
        pieces.append(piece.apply_transform(geom.pose))
    return trimesh.util.concatenate(pieces) if pieces else None
