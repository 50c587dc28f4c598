"""The posed body surface of a motion: SMPL-family vertices per frame, each vertex tagged with its body part.

Alignment, contact labelling and the example builder measure the human by its skin, not by its joints or
the simulated capsules; this is the one place that poses the body model for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..hsi.motion import Motion
from ..hsi.smpl_layout import SMPL_JOINT_NAMES, smpl_body_of_joint
from .models import create_body_model, locate_motion_body


@dataclass
class PosedSurface:
    """Body vertices for some frames of a motion (world frame, Z-up metres)."""

    frames: np.ndarray  # (F,) motion frame indices
    vertices: np.ndarray  # (F, V, 3)
    faces: np.ndarray  # (M, 3)
    part: np.ndarray  # (V,) index into SMPL_JOINT_NAMES: the joint that moves the vertex most

    def part_mask(self, names: Sequence[str]) -> np.ndarray:
        """(V,) bool: vertices of the named SMPL bodies (e.g. "pelvis", "left_hand")."""
        unknown = [n for n in names if n not in SMPL_JOINT_NAMES]
        if unknown:
            raise KeyError(f"not SMPL body names: {', '.join(unknown)}")
        return np.isin(self.part, [SMPL_JOINT_NAMES.index(n) for n in names])

    def at(self, keep: np.ndarray) -> PosedSurface:
        """The same body at a subset of its frames (indices into `frames`)."""
        return PosedSurface(self.frames[keep], self.vertices[keep], self.faces, self.part)


def sample_frames(num_frames: int, max_frames: int) -> np.ndarray:
    """At most `max_frames` evenly spread frame indices, first and last included."""
    if num_frames <= max_frames:
        return np.arange(num_frames)
    return np.unique(np.round(np.linspace(0, num_frames - 1, max_frames)).astype(int))


def posed_surface(
    motion: Motion, frames: np.ndarray | None = None, models_dir: str | Path | None = None, batch: int = 64
) -> PosedSurface:
    """Pose the motion's body model (licensed files of its type, else the open model) at `frames`."""
    frames = np.arange(motion.num_frames) if frames is None else np.asarray(frames, dtype=int)
    model, source, outputs = _pose(motion, frames, models_dir, batch)
    return PosedSurface(
        frames=frames,
        vertices=np.concatenate([vertices for vertices, _ in outputs]),
        faces=np.asarray(model.faces, dtype=np.int64),
        part=_smpl_parts(model.lbs_weights.double().numpy(), source.model_type),
    )


@dataclass
class PosedKeypoints:
    """What 2D detectors see of the posed body: skeleton joints, then smplx's vertex keypoints."""

    frames: np.ndarray  # (F,) motion frame indices
    positions: np.ndarray  # (F, K, 3) world frame, Z-up metres
    names: tuple[str, ...]  # (K,)

    def index(self, name: str) -> int:
        return self.names.index(name)


# smplx appends these vertex keypoints, in this order, after the skeleton joints (face, feet, finger tips).
VERTEX_KEYPOINTS = (
    "nose", "right_eye", "left_eye", "right_ear", "left_ear",
    "left_big_toe", "left_small_toe", "left_heel", "right_big_toe", "right_small_toe", "right_heel",
    "left_thumb_tip", "left_index_tip", "left_middle_tip", "left_ring_tip", "left_pinky_tip",
    "right_thumb_tip", "right_index_tip", "right_middle_tip", "right_ring_tip", "right_pinky_tip",
)  # fmt: skip


def posed_keypoints(
    motion: Motion, frames: np.ndarray | None = None, models_dir: str | Path | None = None, batch: int = 64
) -> PosedKeypoints:
    """Pose the motion's body model at `frames` and keep its keypoints (the smplx joints output)."""
    frames = np.arange(motion.num_frames) if frames is None else np.asarray(frames, dtype=int)
    model, source, outputs = _pose(motion, frames, models_dir, batch)
    positions = np.concatenate([joints for _, joints in outputs])
    names = keypoint_names(model, source.model_type)[: positions.shape[1]]
    return PosedKeypoints(frames=frames, positions=positions[:, : len(names)], names=names)


def keypoint_names(model: object, model_type: str) -> tuple[str, ...]:
    """The names of an smplx model's `joints` output: its skeleton, then the vertex keypoints (SMPL-X's face
    landmarks after them stay unnamed)."""
    from smplx.joint_names import JOINT_NAMES

    skeleton = SMPL_JOINT_NAMES if model_type == "smpl" else tuple(JOINT_NAMES[: model.NUM_JOINTS + 1])
    return skeleton + VERTEX_KEYPOINTS


def _pose(
    motion: Motion, frames: np.ndarray, models_dir: str | Path | None, batch: int
) -> tuple[object, object, list[tuple[np.ndarray, np.ndarray]]]:
    """The smplx model, its source, and (vertices, joints) per batch of `frames`."""
    import torch

    source = locate_motion_body(motion.model_type, motion.gender, models_dir)
    model = create_body_model(source, num_betas=len(motion.betas), batch_size=1)
    betas = np.zeros(int(model.num_betas))
    betas[: min(len(betas), len(motion.betas))] = motion.betas[: len(betas)]
    width = int(model.NUM_BODY_JOINTS) * 3
    outputs = []
    with torch.no_grad():
        rest = model(betas=torch.tensor(betas[None], dtype=torch.float32)).joints[0, 0].double().numpy()
        # A body-transform import fixed its own rest pelvis: keep the pelvis where the motion put it.
        shift = np.zeros(3) if motion.pelvis_rest is None else np.asarray(motion.pelvis_rest) - rest
        for start in range(0, len(frames), batch):
            index = frames[start : start + batch]
            pose = np.zeros((len(index), width))
            count = min(width, motion.body_pose.shape[1])
            pose[:, :count] = motion.body_pose[index, :count]
            out = model(
                betas=torch.tensor(np.repeat(betas[None], len(index), 0), dtype=torch.float32),
                global_orient=torch.tensor(motion.global_orient[index], dtype=torch.float32),
                body_pose=torch.tensor(pose, dtype=torch.float32),
                transl=torch.tensor(motion.transl[index], dtype=torch.float32),
            )
            outputs.append((out.vertices.double().numpy() + shift, out.joints.double().numpy() + shift))
    return model, source, outputs


def _smpl_parts(weights: np.ndarray, model_type: str) -> np.ndarray:
    """Dominant joint per vertex on SMPL's 24 bodies: SMPL-H/X finger joints count as the hands, face as the head."""
    return smpl_body_of_joint(model_type)[weights.argmax(axis=1)]
