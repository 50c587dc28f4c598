"""`scene.xml`: the same scene for MuJoCo (and Newton's `add_mjcf`), with the hulls as mesh files.

Each dynamic object is a free body with its explicit inertial (centre of mass, principal moments and
axes); a static object's geoms belong to the world body, placed by a `<frame>`, as its USD colliders
belong to the world. MuJoCo quaternions are (w, x, y, z). MuJoCo has
no restitution coefficient, so only friction carries over from the physics material.

With a humanoid, its included MJCF starts at the motion's first root pose (qpos0), and the keyframe
`motion_start` holds the whole first frame: objects where the scene starts them, the humanoid's root and
hinges, velocities and actuator targets. MuJoCo itself gives the qpos layout (the written scene is
compiled once without its meshes, ~10 ms), so the key stays right whatever the included document holds.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import mujoco
import numpy as np
import trimesh

from .config import MaterialConfig, SceneConfig
from .rigid_object import ObjectAsset
from .scene_humanoid import MjcfStart, SceneHumanoid

MESH_DIR = "mjcf"
START_KEY = "motion_start"
# MuJoCo's defaults for the torsional and rolling coefficients of its 3-part friction.
_TORSIONAL_FRICTION = 0.005
_ROLLING_FRICTION = 0.0001


def write_scene_mjcf(
    path: Path,
    assets: list[ObjectAsset],
    scene: SceneConfig,
    material: MaterialConfig,
    model_name: str,
    humanoid: SceneHumanoid | None = None,
) -> Path:
    """Write `scene.xml` and its mesh files (under `mjcf/` beside it)."""
    root = ET.Element("mujoco", model=model_name)
    ET.SubElement(root, "compiler", angle="radian", autolimits="true")
    ET.SubElement(root, "option", gravity=_vector((0.0, 0.0, -scene.gravity_m_s2)))
    default = ET.SubElement(root, "default")
    ET.SubElement(
        default, "geom", friction=_vector((material.dynamic_friction, _TORSIONAL_FRICTION, _ROLLING_FRICTION))
    )
    visual_class = ET.SubElement(default, "default", {"class": "visual"})
    ET.SubElement(visual_class, "geom", contype="0", conaffinity="0", group="1", density="0")
    collision_class = ET.SubElement(default, "default", {"class": "collision"})
    ET.SubElement(collision_class, "geom", group="3")
    asset_element = ET.SubElement(root, "asset")
    world = ET.SubElement(root, "worldbody")
    ET.SubElement(world, "geom", name="ground", type="plane", size="0 0 1", rgba="0.35 0.37 0.4 1")
    mesh_dir = path.parent / MESH_DIR
    mesh_dir.mkdir(parents=True, exist_ok=True)
    for asset in assets:
        _add_object(asset, world, asset_element, mesh_dir)
    if humanoid is not None:
        ET.SubElement(root, "include", file=Path(humanoid.mjcf_file).as_posix())
    _write(root, path)
    if humanoid is not None and humanoid.mjcf_start is not None:
        ET.SubElement(root, "keyframe").append(_start_key(path, humanoid.mjcf_start))
        _write(root, path)
    return path


def _write(root: ET.Element, path: Path) -> None:
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def _start_key(path: Path, start: MjcfStart) -> ET.Element:
    """The `motion_start` key: qpos0 (objects where the scene starts them) with the humanoid's first frame."""
    model = _layout_model(path)
    qpos, qvel, ctrl = model.qpos0.copy(), np.zeros(model.nv), np.zeros(model.nu)
    for name, values in start.qpos.items():
        joint = model.joint(name)
        qpos[joint.qposadr[0] : joint.qposadr[0] + len(values)] = values
    for name, values in start.qvel.items():
        joint = model.joint(name)
        qvel[joint.dofadr[0] : joint.dofadr[0] + len(values)] = values
    for name, value in start.ctrl.items():
        ctrl[model.actuator(name).id] = value
    return ET.Element("key", name=START_KEY, qpos=_vector(qpos), qvel=_vector(qvel), ctrl=_vector(ctrl))


def _layout_model(path: Path) -> mujoco.MjModel:
    """The written scene compiled with its mesh geoms as small spheres: the key needs joints, not shapes.

    Loading the meshes took ~85 ms instead of ~10 ms for a 20k-face object and left them in MuJoCo's
    process-wide asset cache (~10 MB per converted case, up to 500 MB in a long batch).
    """
    spec = mujoco.MjSpec.from_file(str(path))
    for geom in spec.geoms:
        if geom.type == mujoco.mjtGeom.mjGEOM_MESH:
            geom.type, geom.meshname, geom.size = mujoco.mjtGeom.mjGEOM_SPHERE, "", [0.01, 0.0, 0.0]
    for mesh in list(spec.meshes):
        spec.delete(mesh)
    return spec.compile()


def _add_object(asset: ObjectAsset, world: ET.Element, assets: ET.Element, mesh_dir: Path) -> None:
    name = asset.obj.name
    x, y, z, w = (float(v) for v in asset.obj.orientation)
    pose = {"name": name, "pos": _vector(asset.obj.position), "quat": _vector((w, x, y, z))}
    body = ET.SubElement(world, "frame" if asset.obj.static else "body", pose)
    if not asset.obj.static:
        ET.SubElement(body, "freejoint", name=f"{name}_root")
        props = asset.mass
        px, py, pz, pw = (float(v) for v in props.principal_axes_xyzw)
        ET.SubElement(
            body,
            "inertial",
            pos=_vector(props.center_of_mass),
            quat=_vector((pw, px, py, pz)),
            mass=f"{props.mass_kg:.9g}",
            diaginertia=_vector(props.principal_moments),
        )
    meshes = [(f"{name}_visual", asset.visual, "visual")]
    meshes += [(f"{name}_hull_{index:03d}", hull, "collision") for index, hull in enumerate(asset.hulls)]
    for mesh_name, mesh, geom_class in meshes:
        _write_obj(mesh, mesh_dir / f"{mesh_name}.obj")
        ET.SubElement(assets, "mesh", name=mesh_name, file=f"{MESH_DIR}/{mesh_name}.obj")
        ET.SubElement(body, "geom", {"name": mesh_name, "type": "mesh", "mesh": mesh_name, "class": geom_class})


def _write_obj(mesh: trimesh.Trimesh, path: Path) -> None:
    """Vertices and triangles only: MuJoCo needs no normals or materials for these meshes."""
    lines = [f"v {x:.9g} {y:.9g} {z:.9g}" for x, y, z in np.asarray(mesh.vertices)]
    lines += [f"f {a + 1} {b + 1} {c + 1}" for a, b, c in np.asarray(mesh.faces)]
    path.write_text("\n".join(lines) + "\n", encoding="ascii")


def _vector(values) -> str:
    return " ".join(f"{float(v):.9g}" for v in values)
