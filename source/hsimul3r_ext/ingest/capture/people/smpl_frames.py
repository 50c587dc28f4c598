"""SMPL parameters between the frames people trackers use: the one place that knows what `transl` means.

SMPL turns the body about its rest pelvis J(betas), so the pelvis sits at `transl + J`. Tools that report
the pelvis (mid-hip) position instead, and every change of frame (Y-up -> Z-up, camera -> world), need J of
the body model that will pose the motion: the user's `--pelvis-offset`, else the model files
`locate_motion_body` picks (licensed files of the tool's model type, else our open SMPL model).
"""

from __future__ import annotations

import functools
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from scipy.spatial.transform import Rotation

from ....body.model_files import read_model_arrays, rest_joints
from ....body.models import locate_motion_body
from ....hsi.errors import CaseError
from ....hsi.motion import Motion
from ...importers.common import MotionImportOptions, numbers

VIDEO_FPS = 30.0  # trackers keep no frame rate; video frame indices are what they give

_model_arrays = functools.lru_cache(maxsize=4)(read_model_arrays)


def rest_pelvis(model_type: str, betas: np.ndarray, options: MotionImportOptions, record: dict[str, Any]) -> np.ndarray:
    """J_pelvis(betas) of the body that will pose the motion, with where it came from in `record`."""
    if options.pelvis_offset is not None:
        record["pelvis_rest_source"] = "user (--pelvis-offset)"
        pelvis = np.asarray(options.pelvis_offset, dtype=np.float64)
    else:
        source = locate_motion_body(model_type, options.gender or "neutral", options.body_models)
        record["pelvis_rest_source"] = source.describe()
        pelvis = rest_joints(_model_arrays(source.path), betas)[0]
    record["pelvis_rest_m"] = [round(float(v), 6) for v in pelvis]
    return pelvis


def array(raw: dict[str, Any], key: str, file: Path, where: str, shape: tuple[int | None, ...]) -> np.ndarray:
    """`raw[key]` as finite float64 numbers of `shape` (None: any length), else a CaseError naming `where`."""
    if key not in raw:
        raise CaseError(file, where, "missing")
    return shaped(raw[key], file, where, shape)


def shaped(value: Any, file: Path, where: str, shape: tuple[int | None, ...]) -> np.ndarray:
    """`value` as finite float64 numbers of `shape` (None: any length), else a CaseError naming `where`."""
    values = numbers(value, file, where)
    if values.ndim != len(shape) or any(n is not None and n != m for n, m in zip(shape, values.shape, strict=True)):
        wanted = "(" + ", ".join("N" if n is None else str(n) for n in shape) + ")"
        raise CaseError(file, where, f"expected shape {wanted}, got {values.shape}")
    if not np.isfinite(values).all():
        raise CaseError(file, where, "contains NaN or inf")
    return values


def rotvec_from_matrices(matrices: np.ndarray, file: Path, where: str) -> np.ndarray:
    """(..., 3, 3) rotation matrices as (..., 3) axis-angle; a mirroring or degenerate matrix is a CaseError."""
    flat = matrices.reshape(-1, 3, 3)
    dets = np.linalg.det(flat)
    if not np.allclose(dets, 1.0, atol=1e-3) or not np.allclose(flat @ flat.transpose(0, 2, 1), np.eye(3), atol=1e-3):
        raise CaseError(file, where, "not rotation matrices (determinant 1, orthonormal)")
    return Rotation.from_matrix(flat).as_rotvec().reshape(*matrices.shape[:-2], 3)


def move_body(
    rotation: Rotation, offset: np.ndarray, global_orient: np.ndarray, transl: np.ndarray, pelvis_rest: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """SMPL root parameters after moving the world by x -> rotation(x) + offset (per frame or fixed)."""
    orient = (rotation * Rotation.from_rotvec(global_orient)).as_rotvec()
    return orient, rotation.apply(transl + pelvis_rest) + offset - pelvis_rest


def moved_motion(
    motion: Motion, rotation: Rotation, offset: np.ndarray, pelvis_rest: np.ndarray, scale: float = 1.0
) -> Motion:
    """The motion after its world moved by x -> scale * rotation(x) + offset (per frame or fixed): the pelvis
    moves with the world, the body keeps its metric size (a scene up to scale does not shrink people)."""
    orient, transl = move_body(rotation, offset, motion.global_orient, motion.transl, pelvis_rest)
    pelvis_before, pelvis_after = motion.transl + pelvis_rest, transl + pelvis_rest
    pelvis_after += (scale - 1.0) * rotation.apply(pelvis_before)
    joints = None
    if motion.joints is not None:  # rigid about the pelvis
        local = motion.joints - pelvis_before[:, None]
        frames, count = local.shape[:2]
        turn = rotation if rotation.single else rotation[np.repeat(np.arange(frames), count)]
        joints = turn.apply(local.reshape(-1, 3)).reshape(local.shape) + pelvis_after[:, None]
    return replace(motion, global_orient=orient, transl=pelvis_after - pelvis_rest, joints=joints)


def motion_pelvis_rest(motion: Motion, options: MotionImportOptions) -> np.ndarray:
    """J_pelvis of the body posing `motion`: the rest pelvis it was anchored to, else the body model's."""
    if motion.pelvis_rest is not None:
        return np.asarray(motion.pelvis_rest, dtype=np.float64)
    return rest_pelvis(motion.model_type, motion.betas, options, {})


def average_betas(betas: np.ndarray, record: dict[str, Any]) -> np.ndarray:
    """One body shape for a track: per-frame estimates are averaged (and the spread recorded)."""
    if betas.ndim == 1:
        return betas
    spread = float(np.abs(betas - betas.mean(axis=0)).max())
    record["notes"].append(f"per-frame betas averaged over {len(betas)} frames (largest deviation {spread:.3g})")
    return betas.mean(axis=0)


def camera_poses(rotations: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """(F, 4, 4) camera-to-world poses from (F, 3, 3) rotations and (F, 3) positions."""
    poses = np.tile(np.eye(4), (len(rotations), 1, 1))
    poses[:, :3, :3] = rotations
    poses[:, :3, 3] = positions
    return poses
