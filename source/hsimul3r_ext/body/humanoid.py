"""The simulated SMPL humanoid: 24 rigid bodies named after SMPL's joints, 23 joints x 3 hinges + free root.

Built from a body model and betas: body origins at the shaped rest joints, collision geometry fitted to
each body part's skinned vertices, masses from that geometry's volume. Frames follow PHC / ProtoMotions:
at rest every body frame is the world's (x forward, y left, z up), which is SMPL's rest frame turned by
HUMANOID_FROM_SMPL.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import trimesh
from scipy.spatial.transform import Rotation

from ..hsi.errors import CaseError
from ..hsi.smpl_layout import HUMANOID_FROM_SMPL, SMPL_JOINT_NAMES, SMPL_PARENTS, smpl_body_weights
from .humanoid_config import HumanoidConfig, JointConfig
from .skin import Skin

HINGE_AXES = ("x", "y", "z")  # limits and gains are stored per axis in this order; `order` says how they compose
_CHILDREN = {i: [c for c, p in enumerate(SMPL_PARENTS) if p == i] for i in range(len(SMPL_PARENTS))}


@dataclass
class Capsule:
    """A capsule in its body's frame: the segment `start`-`end` swept by a sphere of `radius`."""

    start: np.ndarray
    end: np.ndarray
    radius: float

    @property
    def length(self) -> float:
        return float(np.linalg.norm(self.end - self.start))

    @property
    def volume(self) -> float:
        return float(np.pi * self.radius**2 * self.length + 4.0 / 3.0 * np.pi * self.radius**3)

    def inertia(self, density: float) -> np.ndarray:
        """Inertia tensor (3, 3) about the capsule's centre, in the body frame."""
        r, h = self.radius, self.length
        cylinder = density * np.pi * r**2 * h
        cap = density * 2.0 / 3.0 * np.pi * r**3  # one hemisphere
        axial = cylinder * r**2 / 2 + 2 * cap * 2 * r**2 / 5
        across = cylinder * (h**2 / 12 + r**2 / 4) + 2 * cap * (2 * r**2 / 5 + h**2 / 4 + 3 * h * r / 8)
        axis = (self.end - self.start) / h if h > 0 else np.array([0.0, 0.0, 1.0])
        return across * np.eye(3) + (axial - across) * np.outer(axis, axis)


@dataclass
class HumanoidBody:
    """One rigid body; positions are in the body frame (origin at its joint)."""

    name: str
    parent: int  # -1 for the root
    offset: np.ndarray  # rest position of this body's origin in the parent's frame
    mass: float
    com: np.ndarray
    inertia: np.ndarray  # (3, 3) about the centre of mass
    capsule: Capsule | None = None
    hull: trimesh.Trimesh | None = None
    visual: trimesh.Trimesh | None = None


@dataclass
class HumanoidJoint:
    """The three hinges that attach a body to its parent, composed intrinsically in `order`."""

    body: str
    order: str  # e.g. "yxz": R = Ry(a) Rx(b) Rz(c); the DOFs come in this order
    lower: np.ndarray  # (3,) rad, about x, y, z
    upper: np.ndarray
    stiffness: np.ndarray  # (3,) N m / rad
    damping: np.ndarray
    effort: np.ndarray

    @property
    def axes(self) -> list[int]:
        """Indices into x, y, z of the hinges in composition order."""
        return [HINGE_AXES.index(axis) for axis in self.order]

    def dof_names(self) -> list[str]:
        return [f"{self.body}_{axis}" for axis in self.order]


@dataclass
class HumanoidSpec:
    bodies: list[HumanoidBody]
    joints: list[HumanoidJoint]  # joints[i] attaches bodies[i + 1]
    armature: float
    contact_bodies: tuple[str, ...]
    betas: np.ndarray
    rest_joints: np.ndarray  # (24, 3) body origins at rest, humanoid frame (SMPL's rest frame turned)
    pelvis_height: float  # pelvis above the soles at rest: where the assets put it to stand on z = 0
    skin: Skin  # the whole body surface, for measuring what the rigid bodies cannot show (penetration)
    source: str = ""  # which body model
    body_mesh_volume: float = 0.0  # m^3 of the shaped body surface, for the mass check
    filtered_pairs: list[tuple[str, str]] = field(default_factory=list)  # never collide with each other
    notes: list[str] = field(default_factory=list)

    @property
    def dof_names(self) -> list[str]:
        return [name for joint in self.joints for name in joint.dof_names()]

    @property
    def hinge_orders(self) -> list[str]:
        return [joint.order for joint in self.joints]

    @property
    def total_mass(self) -> float:
        return float(sum(body.mass for body in self.bodies))


@dataclass
class RestBody:
    """A shaped body at rest in SMPL's frame: what the builder needs from any body model."""

    vertices: np.ndarray  # (V, 3)
    faces: np.ndarray  # (F, 3)
    joints: np.ndarray  # (24, 3)
    weights: np.ndarray  # (V, 24) skinning weights on SMPL's bodies


def rest_body(model, betas: np.ndarray) -> RestBody:
    """Shaped rest vertices and joints from an `smplx` model (no pose, no translation)."""
    import torch

    with torch.no_grad():
        count = int(model.num_betas)
        padded = np.zeros(count)
        padded[: min(count, len(betas))] = betas[:count]
        out = model(betas=torch.tensor(padded[None], dtype=torch.float32), return_verts=True)
    return RestBody(
        vertices=out.vertices[0].double().numpy(),
        faces=np.asarray(model.faces, dtype=np.int64),
        joints=out.joints[0, :24].double().numpy(),
        weights=smpl_body_weights(model.lbs_weights.double().numpy()),
    )


def joint_config(name: str, cfg: HumanoidConfig) -> tuple[np.ndarray, np.ndarray, JointConfig | None]:
    """Hinge limits (rad) for a joint; right-side joints mirror the left (x and z negate)."""
    mirrored = name.startswith("right_")
    entry = cfg.joints.get(name.replace("right_", "left_", 1) if mirrored else name)
    if entry is None:
        return np.full(3, -np.pi), np.full(3, np.pi), None
    if sorted(entry.order) != list(HINGE_AXES):
        raise CaseError("config/humanoid", f"joints.{name}.order", f"must be a permutation of xyz, got {entry.order!r}")
    limits = np.radians(np.asarray(entry.limits_deg, dtype=np.float64))
    if limits.shape != (3, 2) or (limits[:, 0] > limits[:, 1]).any():
        raise CaseError("config/humanoid", f"joints.{name}.limits_deg", "expected [[lo, hi]] x 3 with lo <= hi")
    if mirrored:
        limits[[0, 2]] = -limits[[0, 2]][:, ::-1]
    return limits[:, 0], limits[:, 1], entry


def build_humanoid(rest: RestBody, betas: np.ndarray, cfg: HumanoidConfig, source: str = "") -> HumanoidSpec:
    """Fit geometry per body part, derive masses and inertias, attach gains and limits from `cfg`."""
    if cfg.collision not in ("capsule", "convex"):
        raise CaseError("config/humanoid", "collision", f"must be capsule or convex, got {cfg.collision!r}")
    turn = HUMANOID_FROM_SMPL
    vertices = turn.apply(rest.vertices)
    joints = turn.apply(rest.joints)
    part = np.argmax(rest.weights, axis=1)
    body_mesh = trimesh.Trimesh(vertices, rest.faces, process=False)
    interior, interior_part = _interior_points(body_mesh, part, cfg.volume_grid_m)
    cell = cfg.volume_grid_m**3
    bodies = []
    for index, name in enumerate(SMPL_JOINT_NAMES):
        parent = SMPL_PARENTS[index]
        origin = joints[index]
        points = interior[interior_part == index] - origin
        if len(points) < 4:
            raise CaseError(source or "body model", name, f"only {len(points)} grid cells inside this body part")
        children = [joints[child] - origin for child in _CHILDREN[index]]
        offset = origin - (joints[parent] if parent >= 0 else origin)
        body = _fit_body(name, parent, offset, points, len(points) * cell, children, cfg)
        body.visual = _visual_piece(body_mesh, part, index, origin)
        bodies.append(body)
    joints_spec = []
    for index in range(1, len(SMPL_JOINT_NAMES)):
        name = SMPL_JOINT_NAMES[index]
        lower, upper, entry = joint_config(name, cfg)
        gains = entry or cfg.default_gains
        joints_spec.append(
            HumanoidJoint(
                body=name, order=entry.order if entry else cfg.default_order, lower=lower, upper=upper,
                stiffness=np.full(3, gains.stiffness),
                damping=np.full(3, gains.damping), effort=np.full(3, gains.effort),
            )
        )  # fmt: skip
    unknown = [b for b in cfg.contact_bodies if b not in SMPL_JOINT_NAMES]
    if unknown:
        raise CaseError("config/humanoid", "contact_bodies", f"unknown bodies {unknown}")
    return HumanoidSpec(
        bodies=bodies, joints=joints_spec, armature=cfg.armature, contact_bodies=tuple(cfg.contact_bodies),
        betas=np.asarray(betas, dtype=np.float64), rest_joints=joints, source=source,
        pelvis_height=float(joints[0, 2] - vertices[:, 2].min()),
        skin=Skin(vertices, rest.faces, joints, rest.weights, SMPL_JOINT_NAMES),
        body_mesh_volume=float(abs(body_mesh.volume)), filtered_pairs=_filtered_pairs(bodies, joints_spec, joints),
    )  # fmt: skip


def _interior_points(mesh: trimesh.Trimesh, part: np.ndarray, spacing: float) -> tuple[np.ndarray, np.ndarray]:
    """Grid points inside the body, each labelled with the part of its nearest skinned vertex.

    They split the body's volume among its parts, so masses add up to the body's own volume.
    """
    from scipy.spatial import cKDTree

    from ..kernels.mesh_distance import MeshDistance

    low, high = mesh.bounds
    axes = [np.arange(low[i] + spacing / 2, high[i], spacing) for i in range(3)]
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 3)
    distance, _ = MeshDistance(mesh.vertices, mesh.faces).query(grid, max_distance=1.0)
    inside = grid[distance < 0]
    return inside, part[cKDTree(mesh.vertices).query(inside)[1]]


def _fit_body(
    name: str, parent: int, offset: np.ndarray, points: np.ndarray, volume: float, children: list[np.ndarray],
    cfg: HumanoidConfig,
) -> HumanoidBody:  # fmt: skip
    """Collision shape from the part's interior points; mass from the part's volume."""
    density = cfg.density_kg_m3
    mass = density * volume
    if cfg.collision == "convex":
        hull = trimesh.convex.convex_hull(points)
        hull_mass = density * float(hull.volume)
        inertia = np.asarray(hull.moment_inertia) * density * mass / hull_mass  # trimesh: unit density
        return HumanoidBody(name, parent, offset, mass, np.asarray(hull.center_mass), inertia, hull=hull)
    capsule = _fit_capsule(points, volume, children)
    com = (capsule.start + capsule.end) / 2
    return HumanoidBody(name, parent, offset, mass, com, capsule.inertia(density), capsule=capsule)


def _fit_capsule(points: np.ndarray, volume: float, children: list[np.ndarray]) -> Capsule:
    """The capsule along the part (limbs: towards their only child; others: main direction) that spans
    the part's extent and holds exactly its volume."""
    centre = points.mean(axis=0)
    if len(children) == 1:
        axis = children[0] / np.linalg.norm(children[0])
    else:
        axis = np.linalg.svd(points - centre, full_matrices=False)[2][0]
    along = (points - centre) @ axis
    low, high = np.quantile(along, [0.01, 0.99])
    span = high - low
    radius = _capsule_radius(volume, span)
    middle = centre + axis * (low + high) / 2
    half = max(span / 2 - radius, 0.0)
    return Capsule(middle - axis * half, middle + axis * half, radius)


def _capsule_radius(volume: float, span: float) -> float:
    """r with pi r^2 (span - 2r) + 4/3 pi r^3 = volume, or a sphere's radius when even r = span/2 is short."""
    if volume >= np.pi * span**3 / 6:
        return float((3 * volume / (4 * np.pi)) ** (1 / 3))
    low, high = 0.0, span / 2
    for _ in range(60):  # the capsule volume grows monotonically with r on [0, span/2]
        mid = (low + high) / 2
        low, high = (mid, high) if np.pi * mid**2 * span - 2 / 3 * np.pi * mid**3 < volume else (low, mid)
    return (low + high) / 2


# Poses in which the fitted shapes of neighbouring parts may touch though a real body only presses
# soft tissue together: standing at rest, sitting deeply and leaning forward (thighs against the
# belly), arms hanging at the sides. Hinge angles in degrees, by DOF name.
TOUCHING_POSES: tuple[dict[str, float], ...] = (
    {},
    {
        "left_hip_y": -110.0,
        "right_hip_y": -110.0,
        "left_knee_y": 120.0,
        "right_knee_y": 120.0,
        "spine1_y": 15.0,
        "spine2_y": 15.0,
        "spine3_y": 15.0,
    },
    {"left_shoulder_x": -80.0, "right_shoulder_x": 80.0},
)


def _filtered_pairs(
    bodies: list[HumanoidBody], joints: list[HumanoidJoint], origins: np.ndarray, margin: float = 0.03
) -> list[tuple[str, str]]:
    """Bodies at most two joints apart, and pairs whose shapes come within `margin` in a TOUCHING_POSE.

    Left to collide, such pairs would push the humanoid apart when it bends its spine, sits down or
    lets its arms hang.
    """
    from .humanoid_motion import humanoid_forward_kinematics

    pairs = {(bodies[i].name, bodies[j].name) for i, j in itertools.combinations(range(len(bodies)), 2)
             if _tree_distance(i, j) <= 2}  # fmt: skip
    names = [name for joint in joints for name in joint.dof_names()]
    orders = [joint.order for joint in joints]
    for pose in TOUCHING_POSES:
        dof = np.zeros((1, len(names)))
        for name, degrees in pose.items():
            dof[0, names.index(name)] = np.radians(degrees)
        positions, quats = humanoid_forward_kinematics(origins, origins[:1], np.array([[0.0, 0, 0, 1]]), dof, orders)
        placed = [_placed_shape(body, positions[0, i], quats[0, i]) for i, body in enumerate(bodies)]
        for i, j in itertools.combinations(range(len(bodies)), 2):
            if (bodies[i].name, bodies[j].name) not in pairs and _gap(placed[i], placed[j]) < margin:
                pairs.add((bodies[i].name, bodies[j].name))
    return sorted(pairs)


def _tree_distance(a: int, b: int) -> int:
    """Number of joints between two bodies of the SMPL tree."""
    ancestors = {}
    node, depth = a, 0
    while node >= 0:
        ancestors[node] = depth
        node, depth = SMPL_PARENTS[node], depth + 1
    node, depth = b, 0
    while node not in ancestors:
        node, depth = SMPL_PARENTS[node], depth + 1
    return depth + ancestors[node]


def _placed_shape(body: HumanoidBody, position: np.ndarray, quat: np.ndarray) -> Capsule | trimesh.Trimesh:
    turn = Rotation.from_quat(quat)
    if body.capsule is not None:
        c = body.capsule
        return Capsule(turn.apply(c.start) + position, turn.apply(c.end) + position, c.radius)
    hull = body.hull.copy()
    hull.vertices = turn.apply(hull.vertices) + position
    return hull


def _gap(a: Capsule | trimesh.Trimesh, b: Capsule | trimesh.Trimesh) -> float:
    """Distance between two placed shapes (negative when they overlap)."""
    if isinstance(a, Capsule) and isinstance(b, Capsule):
        return _segment_distance(a.start, a.end, b.start, b.end) - a.radius - b.radius
    from ..kernels.mesh_distance import MeshDistance

    return float(min(MeshDistance(b.vertices, b.faces).query(a.vertices)[0].min(),
                     MeshDistance(a.vertices, a.faces).query(b.vertices)[0].min()))  # fmt: skip


def _segment_distance(p0: np.ndarray, p1: np.ndarray, q0: np.ndarray, q1: np.ndarray) -> float:
    """Shortest distance between segments p0-p1 and q0-q1 (sampled finely enough for a 1 cm margin)."""
    t = np.linspace(0.0, 1.0, 64)
    p = p0 + t[:, None] * (p1 - p0)
    q = q0 + t[:, None] * (q1 - q0)
    return float(np.linalg.norm(p[:, None] - q[None], axis=-1).min())


def _visual_piece(mesh: trimesh.Trimesh, part: np.ndarray, index: int, origin: np.ndarray) -> trimesh.Trimesh:
    """The faces whose majority of vertices belong to this body, in the body's frame."""
    votes = part[mesh.faces]
    majority = np.where(votes[:, 1] == votes[:, 2], votes[:, 1], votes[:, 0])
    piece = mesh.submesh([np.flatnonzero(majority == index)], append=True)
    piece.apply_translation(-origin)
    return piece
