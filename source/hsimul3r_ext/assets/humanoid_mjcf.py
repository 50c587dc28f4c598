"""The humanoid as MJCF for MuJoCo users: nested bodies, three hinges per joint, PD position actuators.

Hinge angle 0 is the rest pose, as in `humanoid_motion.npz`, so a converted folder places only the root
where its motion starts (qpos0: the rest pose there); the whole first frame is `scene.xml`'s keyframe.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from ..body.humanoid import HumanoidSpec
from ..hsi.smpl_layout import SMPL_PARENTS
from .scene_humanoid import MjcfStart

_AXIS_VECTORS = {"x": "1 0 0", "y": "0 1 0", "z": "0 0 1"}


def _vec(values: np.ndarray) -> str:
    return " ".join(f"{float(v):.6g}" for v in values)


def humanoid_mjcf_element(
    spec: HumanoidSpec, mesh_dir: str, name: str = "humanoid", root_pose: tuple[np.ndarray, np.ndarray] | None = None
) -> tuple[ET.Element, ET.Element, ET.Element, ET.Element]:
    """(asset, worldbody pelvis body, actuator, contact) elements, to write alone or inside a scene's MJCF.

    `root_pose`: the pelvis's (position, quaternion xyzw) at qpos0; None: standing at the origin.
    Visual meshes are referenced as `<mesh_dir>/<body>.stl` relative to the MJCF file.
    """
    asset, actuator = ET.Element("asset"), ET.Element("actuator")
    elements: list[ET.Element] = []
    root_pos, (x, y, z, w) = root_pose or ((0.0, 0.0, spec.pelvis_height), (0.0, 0.0, 0.0, 1.0))
    for index, body in enumerate(spec.bodies):
        parent = elements[SMPL_PARENTS[index]] if index else None
        if parent is not None:
            element = ET.SubElement(parent, "body", name=body.name, pos=_vec(body.offset))
        else:
            element = ET.Element("body", name=body.name, pos=_vec(root_pos), quat=_vec((w, x, y, z)))
            ET.SubElement(element, "freejoint", name=root_joint_name(name))
        full = body.inertia[[0, 1, 2, 0, 0, 1], [0, 1, 2, 1, 2, 2]]  # ixx iyy izz ixy ixz iyz
        ET.SubElement(element, "inertial", pos=_vec(body.com), mass=f"{body.mass:.6g}", fullinertia=_vec(full))
        if index:
            joint = spec.joints[index - 1]
            for k, axis in zip(joint.axes, joint.order, strict=True):  # MuJoCo composes hinges in listed order
                dof = f"{body.name}_{axis}"
                ET.SubElement(
                    element, "joint", name=dof, type="hinge", axis=_AXIS_VECTORS[axis], armature=f"{spec.armature:g}",
                    range=f"{joint.lower[k]:.6g} {joint.upper[k]:.6g}",
                )  # fmt: skip
                ET.SubElement(
                    actuator, "position", name=dof, joint=dof, kp=f"{joint.stiffness[k]:g}",
                    kv=f"{joint.damping[k]:g}", forcerange=f"{-joint.effort[k]:g} {joint.effort[k]:g}",
                    ctrlrange=f"{joint.lower[k]:.6g} {joint.upper[k]:.6g}",
                )  # fmt: skip
        if body.capsule is not None and body.capsule.length < 1e-4:  # MuJoCo wants distinct ends: a sphere
            centre = (body.capsule.start + body.capsule.end) / 2
            ET.SubElement(element, "geom", name=f"{body.name}_collision", type="sphere", pos=_vec(centre),
                          size=f"{body.capsule.radius:.6g}", density="0", group="3")  # fmt: skip
        elif body.capsule is not None:
            ET.SubElement(
                element, "geom", name=f"{body.name}_collision", type="capsule",
                fromto=_vec(np.concatenate([body.capsule.start, body.capsule.end])), size=f"{body.capsule.radius:.6g}",
                density="0", group="3",
            )  # fmt: skip
        else:
            ET.SubElement(asset, "mesh", name=f"{body.name}_hull", file=f"{mesh_dir}/{body.name}_hull.stl")
            ET.SubElement(element, "geom", name=f"{body.name}_collision", type="mesh", mesh=f"{body.name}_hull",
                          density="0", group="3")  # fmt: skip
        if body.visual is not None and len(body.visual.faces):
            ET.SubElement(asset, "mesh", name=f"{body.name}_visual", file=f"{mesh_dir}/{body.name}.stl")
            ET.SubElement(element, "geom", name=f"{body.name}_visual", type="mesh", mesh=f"{body.name}_visual",
                          contype="0", conaffinity="0", density="0", group="1", rgba="0.75 0.62 0.52 1")  # fmt: skip
        elements.append(element)
    contact = ET.Element("contact")
    for first, second in spec.filtered_pairs:
        ET.SubElement(contact, "exclude", body1=first, body2=second)
    return asset, elements[0], actuator, contact


def root_joint_name(name: str = "humanoid") -> str:
    return f"{name}_root"


def humanoid_mjcf_start(
    spec: HumanoidSpec,
    root_pos: np.ndarray,
    root_quat_xyzw: np.ndarray,
    root_lin_vel_w: np.ndarray,
    root_ang_vel_w: np.ndarray,
    joint_pos: np.ndarray,
    joint_vel: np.ndarray,
    name: str = "humanoid",
) -> MjcfStart:
    """One frame of a motion (root state in the world, hinge angles in `spec.dof_names` order) in MJCF terms.

    MuJoCo's free joint wants (w, x, y, z) and its angular velocity in the body frame; actuators are named
    after their hinges and hold the frame's angles.
    """
    x, y, z, w = (float(v) for v in root_quat_xyzw)
    body_ang_vel = Rotation.from_quat(root_quat_xyzw).inv().apply(root_ang_vel_w)
    root = root_joint_name(name)
    qpos: dict[str, tuple[float, ...]] = {root: (*map(float, root_pos), w, x, y, z)}
    qvel: dict[str, tuple[float, ...]] = {root: (*map(float, root_lin_vel_w), *map(float, body_ang_vel))}
    ctrl: dict[str, float] = {}
    for dof, angle, rate in zip(spec.dof_names, joint_pos, joint_vel, strict=True):
        qpos[dof], qvel[dof], ctrl[dof] = (float(angle),), (float(rate),), float(angle)
    return MjcfStart(qpos=qpos, qvel=qvel, ctrl=ctrl)


def write_humanoid_meshes(spec: HumanoidSpec, folder: Path) -> None:
    """The per-body visual meshes (and hulls) the MJCF refers to."""
    folder.mkdir(parents=True, exist_ok=True)
    for body in spec.bodies:
        if body.visual is not None and len(body.visual.faces):
            body.visual.export(folder / f"{body.name}.stl")
        if body.hull is not None:
            body.hull.export(folder / f"{body.name}_hull.stl")


def write_humanoid_mjcf(
    spec: HumanoidSpec,
    path: Path,
    mesh_dir: str = "humanoid_meshes",
    with_ground: bool = True,
    root_pose: tuple[np.ndarray, np.ndarray] | None = None,
) -> Path:
    """An MJCF document of the humanoid; without ground it is meant for a scene's `<include>`.

    `root_pose` as in `humanoid_mjcf_element`."""
    write_humanoid_meshes(spec, path.parent / mesh_dir)
    root = ET.Element("mujoco", model="hsimul3r_humanoid")
    ET.SubElement(root, "compiler", angle="radian", autolimits="true")
    asset, pelvis, actuator, contact = humanoid_mjcf_element(spec, mesh_dir, root_pose=root_pose)
    root.append(asset)
    world = ET.SubElement(root, "worldbody")
    if with_ground:
        ET.SubElement(world, "geom", name="ground", type="plane", size="0 0 0.05")
    world.append(pelvis)
    root.extend([contact, actuator])
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding="unicode", xml_declaration=False)
    return path
