"""The robot and a converted scene in one MuJoCo model: what the IK measures distances and contacts in.

Objects keep their real size and their pose in the case; they are static here (the retarget follows the
refined human motion, whose objects do not move). Their colliders are the convex pieces `hsimul3r convert`
made (the hulls the judge collides with, read by the judge's own loader), and the floor is the plane z = 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import mujoco
import numpy as np

from ..stability.scene import ConvertedScene
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


def retarget_scene(robot: Robot, converted: ConvertedScene) -> RetargetScene:
    """`converted`: a folder written by `hsimul3r convert` (or a run's `convert/`), as the judge loads it."""
    spec = mujoco.MjSpec.from_file(str(robot.mjcf))
    spec.worldbody.add_geom(name=FLOOR, type=mujoco.mjtGeom.mjGEOM_PLANE, size=[0.0, 0.0, 1.0])
    for obj in converted.objects:
        x, y, z, w = obj.orientation
        frame = spec.worldbody.add_frame(name=f"object_{obj.name}", pos=obj.position, quat=[w, x, y, z])
        for index, hull in enumerate(obj.hulls):
            mesh = spec.add_mesh(name=_piece_name(obj.name, index))
            mesh.uservert = np.asarray(hull, dtype=np.float32).ravel()  # MuJoCo takes the points' convex hull
            frame.add_geom(name=mesh.name, type=mujoco.mjtGeom.mjGEOM_MESH, meshname=mesh.name)
    _robot_against_scene_only(spec, {body.name for body in robot.bodies})
    model = spec.compile()
    link_geoms = {}
    for body in robot.bodies:
        body_id = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, body.name)
        geoms = np.flatnonzero(model.geom_bodyid == body_id)
        link_geoms[body.name] = tuple(int(g) for g in geoms if model.geom_contype[g] or model.geom_conaffinity[g])
    object_geoms = {
        obj.name: tuple(
            mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_GEOM, _piece_name(obj.name, i)) for i in range(len(obj.hulls))
        )
        for obj in converted.objects
    }
    floor = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_GEOM, FLOOR)
    return RetargetScene(model, link_geoms, object_geoms, floor)


def _piece_name(obj: str, index: int) -> str:
    return f"{obj}_hull_{index:03d}"


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
