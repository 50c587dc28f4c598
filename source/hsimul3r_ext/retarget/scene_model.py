"""The robot and a converted scene in one MuJoCo model: what the IK measures distances and contacts in.

Objects keep their real size and their pose in the case; they are static here (the retarget follows the
refined human motion, whose objects do not move). Their colliders are the convex pieces `hsimul3r convert`
made (the same `scene.xml` hulls the judge collides with), and the floor is the plane z = 0.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import mujoco
import numpy as np
import trimesh

from ..assets.convert_case import REPORT
from ..hsi.errors import CaseError
from .robot_model import Robot

FLOOR = "floor"


@dataclass(frozen=True)
class RetargetScene:
    model: mujoco.MjModel
    link_geoms: dict[str, tuple[int, ...]]  # robot link -> its collision geoms
    object_geoms: dict[str, tuple[int, ...]]  # object -> its collision pieces
    floor_geom: int

    @property
    def robot_geoms(self) -> tuple[int, ...]:
        return tuple(geom for geoms in self.link_geoms.values() for geom in geoms)

    @property
    def scene_geoms(self) -> tuple[int, ...]:
        return (*(geom for geoms in self.object_geoms.values() for geom in geoms), self.floor_geom)


def retarget_scene(robot: Robot, converted: Path) -> RetargetScene:
    """`converted`: a folder written by `hsimul3r convert` (or a run's `convert/`)."""
    spec = mujoco.MjSpec.from_file(str(robot.mjcf))
    spec.worldbody.add_geom(name=FLOOR, type=mujoco.mjtGeom.mjGEOM_PLANE, size=[0.0, 0.0, 1.0])
    objects = _object_hulls(converted)
    for name, (pos, quat_wxyz, hulls) in objects.items():
        frame = spec.worldbody.add_frame(name=f"object_{name}", pos=pos, quat=quat_wxyz)
        for index, hull in enumerate(hulls):
            mesh = spec.add_mesh(name=f"{name}_hull_{index:03d}")
            mesh.uservert = np.asarray(hull.vertices, dtype=np.float32).ravel()
            mesh.userface = np.asarray(hull.faces, dtype=np.int32).ravel()
            frame.add_geom(name=mesh.name, type=mujoco.mjtGeom.mjGEOM_MESH, meshname=mesh.name)
    _robot_against_scene_only(spec, {body.name for body in robot.bodies})
    model = spec.compile()
    link_geoms = {}
    for body in robot.bodies:
        body_id = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, body.name)
        geoms = np.flatnonzero(model.geom_bodyid == body_id)
        link_geoms[body.name] = tuple(int(g) for g in geoms if model.geom_contype[g] or model.geom_conaffinity[g])
    object_geoms = {
        name: tuple(mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_GEOM, f"{name}_hull_{i:03d}") for i in range(len(h)))
        for name, (_, _, h) in objects.items()
    }
    floor = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_GEOM, FLOOR)
    return RetargetScene(model, link_geoms, object_geoms, floor)


def _robot_against_scene_only(spec: mujoco.MjSpec, robot_bodies: set[str]) -> None:
    """Collision bits so that only robot-scene pairs collide: the retarget's questions are about the scene,
    and MuJoCo's collision pass then skips the robot's self pairs."""
    for geom in spec.geoms:
        if geom.contype == 0 and geom.conaffinity == 0:
            continue  # visual
        body = geom.parent.name if hasattr(geom.parent, "name") else ""
        if body in robot_bodies:
            geom.contype, geom.conaffinity = 1, 0
        else:
            geom.contype, geom.conaffinity = 0, 1


def _object_hulls(converted: Path) -> dict[str, tuple[np.ndarray, np.ndarray, list[trimesh.Trimesh]]]:
    """Per object: position, orientation (w, x, y, z) and convex pieces, read from the folder's `scene.xml`."""
    report = converted / REPORT
    try:
        scene_file = converted / json.loads(report.read_text(encoding="utf-8"))["scene_mjcf"]
    except FileNotFoundError:
        raise CaseError(report, "file", "missing: not a folder written by `hsimul3r convert`") from None
    except (json.JSONDecodeError, KeyError, TypeError) as err:
        raise CaseError(report, "scene_mjcf", f"unreadable conversion report ({err})") from None
    try:
        root = ET.parse(scene_file).getroot()
    except (OSError, ET.ParseError) as err:
        raise CaseError(scene_file, "file", f"unreadable MJCF ({err})") from None
    mesh_files = {mesh.get("name"): scene_file.parent / mesh.get("file", "") for mesh in root.iter("mesh")}
    objects = {}
    for element in root.find("worldbody") or []:
        if element.tag not in ("body", "frame"):
            continue
        hulls = [
            trimesh.load(mesh_files[geom.get("mesh")], force="mesh", process=False)
            for geom in element.iter("geom")
            if geom.get("class") == "collision" and geom.get("mesh") in mesh_files
        ]
        pos = np.array(element.get("pos", "0 0 0").split(), dtype=float)
        quat = np.array(element.get("quat", "1 0 0 0").split(), dtype=float)
        objects[element.get("name")] = (pos, quat, hulls)
    return objects
