"""A robot read from its MJCF (compiled by MuJoCo, so defaults and classes resolve as MuJoCo resolves them)
plus our per-robot YAML: motor gains and limits, the anchor and contact bodies.

Bodies are given at the MJCF's rest pose (every joint at 0, the root where the MJCF puts it) in world
coordinates; geoms, inertials and joints in their body's frame. Quaternions are (x, y, z, w).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.resources
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import mujoco
import numpy as np
import trimesh
import yaml
from scipy.spatial.transform import Rotation

from ..hsi.errors import CaseError
from ..hsi.smpl_layout import SMPL_JOINT_NAMES

ROBOTS_DIR = Path(__file__).parent / "robots"
_HINGE = int(mujoco.mjtJoint.mjJNT_HINGE)
_FREE = int(mujoco.mjtJoint.mjJNT_FREE)
_GEOM_KINDS = {
    int(mujoco.mjtGeom.mjGEOM_MESH): "mesh",
    int(mujoco.mjtGeom.mjGEOM_CAPSULE): "capsule",
    int(mujoco.mjtGeom.mjGEOM_SPHERE): "sphere",
    int(mujoco.mjtGeom.mjGEOM_BOX): "box",
    int(mujoco.mjtGeom.mjGEOM_CYLINDER): "cylinder",
}


@dataclass(frozen=True)
class Motor:
    """What drives a joint: PD gains (per radian) and the limits the controller must respect."""

    name: str
    stiffness: float
    damping: float
    armature: float
    effort: float
    velocity: float


@dataclass(frozen=True)
class RobotGeom:
    """A shape on a body. `size` follows MuJoCo: sphere (r,), capsule/cylinder (r, half length), box half sizes."""

    kind: str
    collision: bool
    pos: np.ndarray
    quat: np.ndarray
    size: np.ndarray
    rgba: np.ndarray
    vertices: np.ndarray | None = None
    faces: np.ndarray | None = None

    @cached_property
    def hull(self) -> trimesh.Trimesh:
        """A mesh geom's convex hull (geom frame): what MuJoCo collides with, so what the USD and the judge use."""
        return trimesh.Trimesh(self.vertices, self.faces, process=False).convex_hull

    @property
    def pose(self) -> np.ndarray:
        """(4, 4) the geom in its body's frame."""
        return pose_matrix(self.pos, self.quat)


@dataclass(frozen=True)
class RobotBody:
    name: str
    parent: int  # index into Robot.bodies; -1 for the root
    pos: np.ndarray  # world, at rest
    quat: np.ndarray  # world, at rest
    mass: float
    com: np.ndarray  # body frame
    inertia_diagonal: np.ndarray  # about the principal axes
    inertia_axes: np.ndarray  # quaternion of the principal axes in the body frame
    geoms: tuple[RobotGeom, ...]

    @property
    def pose(self) -> np.ndarray:
        """(4, 4) the body in the world at rest."""
        return pose_matrix(self.pos, self.quat)


@dataclass(frozen=True)
class RobotJoint:
    """A hinge between `bodies[body].parent` and `bodies[body]`, at `pos` along `axis` (child body frame)."""

    name: str
    body: int
    pos: np.ndarray
    axis: np.ndarray
    lower: float
    upper: float
    motor: Motor


@dataclass(frozen=True)
class LinkTarget:
    """An IK target: robot `link` follows the SMPL body `human` with these weights."""

    link: str
    human: str
    position: float
    orientation: float


@dataclass(frozen=True)
class RetargetMap:
    targets: tuple[LinkTarget, ...]
    contacts: dict[str, tuple[str, ...]]  # SMPL contact-label body -> robot links taking over its contacts
    feet: dict[str, str]  # robot foot link -> SMPL foot body


@dataclass(frozen=True)
class Robot:
    name: str
    description: str
    bodies: tuple[RobotBody, ...]
    joints: tuple[RobotJoint, ...]  # in MJCF order, the order of the robot's joint vector
    anchor_body: str
    contact_bodies: tuple[str, ...]
    mjcf: Path
    licence_files: tuple[Path, ...]
    provenance: dict[str, Any]
    retarget: RetargetMap
    config_file: Path  # the robot YAML it was loaded from

    @property
    def joint_names(self) -> list[str]:
        return [joint.name for joint in self.joints]

    @property
    def body_names(self) -> list[str]:
        return [body.name for body in self.bodies]

    @property
    def mass(self) -> float:
        return float(sum(body.mass for body in self.bodies))

    def mujoco_model(self) -> mujoco.MjModel:
        return mujoco.MjModel.from_xml_path(str(self.mjcf))


def robot_names() -> list[str]:
    return sorted(path.stem for path in ROBOTS_DIR.glob("*.yaml"))


def load_robot(robot: str | Path) -> Robot:
    """A shipped robot by name (`g1`, `h1`) or a robot YAML of the same layout."""
    config_file = Path(robot) if str(robot).endswith((".yaml", ".yml")) else ROBOTS_DIR / f"{robot}.yaml"
    if not config_file.is_file():
        raise CaseError(config_file, "robot", f"no such robot; shipped: {', '.join(robot_names())}")
    config = _read_config(config_file)
    mjcf = _mjcf_path(config_file, config)
    try:
        model = mujoco.MjModel.from_xml_path(str(mjcf))
    except ValueError as err:
        raise CaseError(mjcf, "mjcf", f"MuJoCo cannot compile it ({err})") from None
    motors = _motors(config_file, config, model)
    data = mujoco.MjData(model)
    mujoco.mj_kinematics(model, data)
    bodies = tuple(_body(model, data, index) for index in range(1, model.nbody))
    joints = tuple(_joint(config_file, config, model, motors, index) for index in _hinges(config_file, model))
    names = {body.name for body in bodies}
    for field in ("anchor_body", "contact_bodies"):
        for name in _as_list(config[field]):
            if name not in names:
                raise CaseError(config_file, field, f"{name!r} is not a body of {mjcf.name}")
    return Robot(
        name=config["name"], description=config.get("description", config["name"]), bodies=bodies, joints=joints,
        anchor_body=config["anchor_body"], contact_bodies=tuple(config["contact_bodies"]), mjcf=mjcf,
        licence_files=tuple(mjcf.parent / name for name in config.get("licence_files", [])),
        provenance=_provenance(config_file, config, mjcf), retarget=_retarget_map(config_file, config, names),
        config_file=config_file.absolute(),
    )  # fmt: skip


def _retarget_map(config_file: Path, config: dict[str, Any], links: set[str]) -> RetargetMap:
    section = config.get("retarget")
    if not isinstance(section, dict):
        raise CaseError(config_file, "retarget", "missing: targets, contacts and feet of the retargeting")

    def link(field: str, name: Any) -> str:
        if name not in links:
            raise CaseError(config_file, field, f"{name!r} is not a body of the robot")
        return str(name)

    def human(field: str, name: Any) -> str:
        if name not in SMPL_JOINT_NAMES:
            raise CaseError(config_file, field, f"{name!r} is not an SMPL body ({', '.join(SMPL_JOINT_NAMES)})")
        return str(name)

    targets = []
    for name, target in (section.get("targets") or {}).items():
        field = f"retarget.targets.{name}"
        if not isinstance(target, dict):
            raise CaseError(config_file, field, "a mapping with human, position and orientation")
        weights = [target.get("position", 0.0), target.get("orientation", 0.0)]
        if not all(isinstance(w, int | float) and w >= 0 for w in weights):
            raise CaseError(config_file, field, "position and orientation weights must be numbers >= 0")
        targets.append(
            LinkTarget(link(field, name), human(f"{field}.human", target.get("human")), *map(float, weights))
        )
    if not targets:
        raise CaseError(config_file, "retarget.targets", "no targets")
    contacts = {
        human(f"retarget.contacts.{part}", part): tuple(link(f"retarget.contacts.{part}", name) for name in names)
        for part, names in (section.get("contacts") or {}).items()
    }
    feet = {
        link(f"retarget.feet.{name}", name): human(f"retarget.feet.{name}", part)
        for name, part in (section.get("feet") or {}).items()
    }
    for name in feet.keys() - {target.link for target in targets}:  # a planted foot's pin replaces its target
        raise CaseError(config_file, f"retarget.feet.{name}", "a foot link must also be in retarget.targets")
    return RetargetMap(tuple(targets), contacts, feet)


def _read_config(config_file: Path) -> dict[str, Any]:
    try:
        config = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise CaseError(config_file, "file", f"unreadable robot YAML ({err})") from None
    if not isinstance(config, dict):
        raise CaseError(config_file, "file", "a robot YAML is a mapping")
    for field in ("name", "mjcf", "anchor_body", "contact_bodies", "motors", "joints"):
        if field not in config:
            raise CaseError(config_file, field, "missing")
    return config


def _mjcf_path(config_file: Path, config: dict[str, Any]) -> Path:
    """The MJCF inside an installed package (`package`), or relative to the YAML."""
    package = config.get("package")
    if package is None:
        path = config_file.parent / config["mjcf"]
    else:
        try:
            path = Path(str(importlib.resources.files(package))) / config["mjcf"]
        except ModuleNotFoundError:
            raise CaseError(config_file, "package", f"{package!r} is not installed (run `make setup`)") from None
    if not path.is_file():
        raise CaseError(config_file, "mjcf", f"{path} does not exist")
    return path


def _motors(config_file: Path, config: dict[str, Any], model: mujoco.MjModel) -> dict[str, dict[str, float]]:
    gains = config.get("gains", {})
    omega = 2.0 * np.pi * float(gains.get("natural_frequency_hz", 0.0))
    motors = {}
    for name, motor in config["motors"].items():
        for field in ("effort", "velocity"):
            if not isinstance(motor.get(field), int | float) or motor[field] <= 0:
                raise CaseError(config_file, f"motors.{name}.{field}", "must be a positive number")
        motor = {key: float(value) for key, value in motor.items()}
        if "stiffness" not in motor:
            if "armature" not in motor or omega <= 0:
                need = "give stiffness and damping, or armature and gains.natural_frequency_hz"
                raise CaseError(config_file, f"motors.{name}", need)
            motor["stiffness"] = motor["armature"] * omega**2
            motor["damping"] = 2.0 * float(gains.get("damping_ratio", 1.0)) * motor["armature"] * omega
        motors[str(name)] = motor
    return motors


def _hinges(config_file: Path, model: mujoco.MjModel) -> list[int]:
    hinges = []
    for index in range(model.njnt):
        kind = int(model.jnt_type[index])
        if kind == _HINGE:
            hinges.append(index)
        elif not (kind == _FREE and model.jnt_bodyid[index] == 1):
            name = mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_JOINT, index)
            raise CaseError(config_file, "mjcf", f"joint {name!r}: only hinges and a free root are supported")
    return hinges


def _joint(
    config_file: Path, config: dict[str, Any], model: mujoco.MjModel, motors: dict[str, dict[str, float]], index: int
) -> RobotJoint:
    name = mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_JOINT, index)
    matches = [motor for pattern, motor in config["joints"].items() if re.fullmatch(pattern, name)]
    if len(matches) != 1:
        problem = "no pattern matches it" if not matches else f"{len(matches)} patterns match it"
        raise CaseError(config_file, "joints", f"joint {name!r}: {problem}; each joint needs exactly one motor")
    if str(matches[0]) not in motors:
        raise CaseError(config_file, "joints", f"joint {name!r}: motor {matches[0]!r} is not under motors")
    motor_name = str(matches[0])
    motor = motors[motor_name]
    lower, upper = (float(value) for value in model.jnt_range[index])
    if not model.jnt_limited[index]:
        lower, upper = -np.pi, np.pi
    armature = motor.get("armature", float(model.dof_armature[model.jnt_dofadr[index]]))
    return RobotJoint(
        name=name, body=int(model.jnt_bodyid[index]) - 1, pos=model.jnt_pos[index].copy(),
        axis=model.jnt_axis[index] / np.linalg.norm(model.jnt_axis[index]), lower=lower, upper=upper,
        motor=Motor(motor_name, motor["stiffness"], motor["damping"], armature, motor["effort"], motor["velocity"]),
    )  # fmt: skip


def _body(model: mujoco.MjModel, data: mujoco.MjData, index: int) -> RobotBody:
    geoms = tuple(_geom(model, geom) for geom in np.flatnonzero(model.geom_bodyid == index))
    return RobotBody(
        name=mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_BODY, index), parent=int(model.body_parentid[index]) - 1,
        pos=data.xpos[index].copy(), quat=_xyzw(data.xquat[index]), mass=float(model.body_mass[index]),
        com=model.body_ipos[index].copy(), inertia_diagonal=model.body_inertia[index].copy(),
        inertia_axes=_xyzw(model.body_iquat[index]), geoms=tuple(geom for geom in geoms if geom is not None),
    )  # fmt: skip


def _geom(model: mujoco.MjModel, index: int) -> RobotGeom | None:
    kind = _GEOM_KINDS.get(int(model.geom_type[index]))
    if kind is None:  # planes, height fields: not parts of a robot
        return None
    vertices = faces = None
    if kind == "mesh":
        mesh = model.geom_dataid[index]
        start, count = model.mesh_vertadr[mesh], model.mesh_vertnum[mesh]
        vertices = model.mesh_vert[start : start + count].copy()
        start, count = model.mesh_faceadr[mesh], model.mesh_facenum[mesh]
        faces = model.mesh_face[start : start + count].copy()
    rgba = model.mat_rgba[model.geom_matid[index]] if model.geom_matid[index] >= 0 else model.geom_rgba[index]
    return RobotGeom(
        kind=kind, collision=bool(model.geom_contype[index] or model.geom_conaffinity[index]),
        pos=model.geom_pos[index].copy(), quat=_xyzw(model.geom_quat[index]), size=model.geom_size[index].copy(),
        rgba=np.asarray(rgba, dtype=float).copy(), vertices=vertices, faces=faces,
    )  # fmt: skip


def _provenance(config_file: Path, config: dict[str, Any], mjcf: Path) -> dict[str, Any]:
    package = config.get("package")
    return {
        "robot_config": config_file.name,
        "package": package,
        "package_version": importlib.metadata.version(package.replace("_", "-")) if package else None,
        "mjcf": config["mjcf"],
        "mjcf_sha256": hashlib.sha256(mjcf.read_bytes()).hexdigest(),
        "gains": config.get("gains", {}),
    }


def pose_matrix(pos: np.ndarray, quat_xyzw: np.ndarray) -> np.ndarray:
    matrix = np.eye(4)
    matrix[:3, :3] = Rotation.from_quat(quat_xyzw).as_matrix()
    matrix[:3, 3] = pos
    return matrix


def _xyzw(wxyz: np.ndarray) -> np.ndarray:
    return np.array([wxyz[1], wxyz[2], wxyz[3], wxyz[0]], dtype=float)


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)
