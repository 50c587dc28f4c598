"""The human motion a retarget follows: the body transforms of a converted scene's humanoid, and the case's
contact labels (which body part touches an object on which frame), as the judge loads them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..hsi.errors import CaseError
from ..hsi.smpl_layout import SMPL_JOINT_NAMES
from ..stability.scene import CONVERT_REPORT, ConvertedScene


@dataclass(frozen=True)
class HumanMotion:
    fps: float
    body_pos: np.ndarray  # (T, 24, 3) SMPL body origins (joints), world
    body_quat: np.ndarray  # (T, 24, 4) xyzw; identity = upright, facing +X
    contact_labels: np.ndarray  # (T, K) bool
    contact_parts: tuple[str, ...]  # the K SMPL bodies of the labels

    @property
    def num_frames(self) -> int:
        return len(self.body_pos)

    def body(self, name: str) -> int:
        return SMPL_JOINT_NAMES.index(name)


def human_motion(converted: ConvertedScene) -> HumanMotion:
    """The converted humanoid's motion; no labels when the case is not where it was converted from."""
    humanoid = converted.humanoid
    if humanoid is None:
        raise CaseError(converted.folder / CONVERT_REPORT, "humanoid", "the scene was converted without a humanoid")
    if humanoid.body_names != list(SMPL_JOINT_NAMES):
        raise CaseError(converted.folder / CONVERT_REPORT, "humanoid", "expected the 24 SMPL bodies in SMPL order")
    frames = len(humanoid.body_pos)
    labels, parts = converted.contact_labels, tuple(converted.contact_body_names)
    if labels is None:
        labels = np.zeros((frames, 0), dtype=bool)
    if len(labels) != frames:
        raise CaseError(converted.folder, "contact_labels", f"{len(labels)} frames, the converted motion has {frames}")
    return HumanMotion(humanoid.fps, humanoid.body_pos, humanoid.body_quat, np.asarray(labels, dtype=bool), parts)
