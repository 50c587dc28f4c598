"""Small motions and files the tests build themselves (no outside data)."""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from hsimul3r_ext.body.kinematics import forward_kinematics
from hsimul3r_ext.body.reference_skeleton import REFERENCE_REST_JOINTS
from hsimul3r_ext.hsi.smpl_layout import HUMANOID_FROM_SMPL


def random_pose(frames: int, seed: int = 0, scale: float = 0.4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(global_orient, body_pose, transl) of a Z-up upright body with moderate random joint angles."""
    rng = np.random.default_rng(seed)
    wobble = Rotation.from_rotvec(rng.normal(0, 0.2, (frames, 3)))
    global_orient = (wobble * HUMANOID_FROM_SMPL).as_rotvec()
    body_pose = rng.normal(0, scale, (frames, 69))
    transl = np.cumsum(rng.normal(0, 0.01, (frames, 3)), axis=0) + [0.0, 0.22, 0.95]
    return global_orient, body_pose, transl


def body_transforms(frames: int, seed: int = 0) -> dict[str, np.ndarray]:
    """World body positions and SMPL-frame global rotations of the reference skeleton, SMPL joint order."""
    global_orient, body_pose, transl = random_pose(frames, seed)
    positions, rotations = forward_kinematics(REFERENCE_REST_JOINTS, global_orient, body_pose, transl)
    return {
        "global_orient": global_orient,
        "body_pose": body_pose,
        "transl": transl,
        "positions": positions,
        "smpl_rotations": rotations,
    }


def humanoid_quats(smpl_rotations: np.ndarray) -> np.ndarray:
    """xyzw quaternions of the SMPL humanoid's body frames (PHC / ProtoMotions convention)."""
    shape = smpl_rotations.shape[:2]
    humanoid = Rotation.from_matrix(smpl_rotations.reshape(-1, 3, 3)) * HUMANOID_FROM_SMPL.inv()
    return humanoid.as_quat().reshape(*shape, 4)


def rotation_angle_deg(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle between axis-angle rotations (..., 3) (so 2*pi-equivalent vectors compare equal)."""
    ra = Rotation.from_rotvec(a.reshape(-1, 3))
    rb = Rotation.from_rotvec(b.reshape(-1, 3))
    return np.degrees((ra.inv() * rb).magnitude())


def synthetic_smpl_model(seed: int = 0) -> dict[str, np.ndarray]:
    """A small body model in SMPL's file layout: a closed tube per body around the reference skeleton.

    Ring vertices centred on each joint make `J_regressor` reproduce the skeleton exactly; `betas[0]`
    stretches the body vertically (taller with positive values), the other betas are small noise.
    """
    from hsimul3r_ext.hsi.smpl_layout import SMPL_PARENTS

    rng = np.random.default_rng(seed)
    joints = REFERENCE_REST_JOINTS
    children = {i: [c for c, p in enumerate(SMPL_PARENTS) if p == i] for i in range(24)}
    vertices, faces, weights, regressor_rows = [], [], [], []
    sides = 8
    for body in range(24):
        start = joints[body]
        if len(children[body]) == 1:
            end = joints[children[body][0]]
        else:  # pelvis, spine3 and leaves: a short stub along the body's longest extent
            end = start + {0: [0.0, -0.08, 0.0], 9: [0.0, 0.1, 0.0]}.get(
                body, (start - joints[SMPL_PARENTS[body]]) * 0.5
            )
        radius = 0.05 if body not in (0, 3, 6, 9) else 0.12
        axis = (end - start) / np.linalg.norm(end - start)
        helper = np.array([1.0, 0.0, 0.0]) if abs(axis[0]) < 0.9 else np.array([0.0, 0.0, 1.0])
        u = np.cross(axis, helper)
        u /= np.linalg.norm(u)
        w = np.cross(axis, u)
        angles = np.linspace(0, 2 * np.pi, sides, endpoint=False)
        ring = np.cos(angles)[:, None] * u + np.sin(angles)[:, None] * w
        base = sum(len(v) for v in vertices)
        tube = np.vstack([start + radius * ring, end + radius * ring, [start], [end]])
        vertices.append(tube)
        for k in range(sides):
            a, b = base + k, base + (k + 1) % sides
            faces += [[a, b, b + sides], [a, b + sides, a + sides]]
            faces += [[base + 2 * sides, b, a], [base + 2 * sides + 1, a + sides, b + sides]]
        one_hot = np.zeros((len(tube), 24))
        one_hot[:, body] = 1.0
        weights.append(one_hot)
        row = np.zeros(len(tube))
        row[:sides] = 1.0 / sides
        regressor_rows.append((body, base, row))
    v_template = np.vstack(vertices)
    regressor = np.zeros((24, len(v_template)))
    for body, base, row in regressor_rows:
        regressor[body, base : base + len(row)] = row
    shapedirs = rng.normal(0, 0.002, (len(v_template), 3, 10))
    shapedirs[:, :, 0] = 0.0
    shapedirs[:, 1, 0] = 0.04 * (v_template[:, 1] - v_template[:, 1].min())
    parents = np.array(SMPL_PARENTS, dtype=np.int64)
    parents[0] = 4294967295
    tip = {body: base + 2 * sides + 1 for body, base, _ in regressor_rows}  # each tube's end centre
    keypoints = {"nose": 15, "reye": 15, "leye": 15, "rear": 15, "lear": 15, "LBigToe": 10, "LSmallToe": 10,
                 "LHeel": 7, "RBigToe": 11, "RSmallToe": 11, "RHeel": 8}  # fmt: skip
    keypoints.update({f"{side}{finger}": 22 if side == "l" else 23 for side in "lr"
                      for finger in ("thumb", "index", "middle", "ring", "pinky")})  # fmt: skip
    return {
        "landmark_names": np.array(list(keypoints)),
        "landmark_vertices": np.array([tip[body] for body in keypoints.values()], dtype=np.int64),
        "v_template": v_template,
        "f": np.array(faces, dtype=np.int64),
        "J_regressor": regressor,
        "weights": np.vstack(weights),
        "kintree_table": np.vstack([parents, np.arange(24)]),
        "shapedirs": shapedirs,
        "posedirs": np.zeros((len(v_template), 3, 207)),
    }
