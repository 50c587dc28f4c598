"""The human motion a retarget follows: the humanoid's body transforms of a converted scene, and the case's
contact labels (which body part touches an object on which frame)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..assets.convert_case import REPORT
from ..assets.humanoid_files import HUMANOID_MOTION
from ..hsi.case_io import load_case
from ..hsi.errors import CaseError
from ..hsi.smpl_layout import SMPL_JOINT_NAMES


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


def human_motion(converted: Path) -> HumanMotion:
    """Read from a folder written by `hsimul3r convert`; contact labels from the case it was converted from."""
    report_file = converted / REPORT
    motion_file = converted / HUMANOID_MOTION
    try:
        report = json.loads(report_file.read_text(encoding="utf-8"))
        case_dir = Path(report["case_dir"])
    except FileNotFoundError:
        raise CaseError(report_file, "file", "missing: not a folder written by `hsimul3r convert`") from None
    except (json.JSONDecodeError, KeyError, TypeError) as err:
        raise CaseError(report_file, "case_dir", f"unreadable conversion report ({err})") from None
    if not motion_file.is_file():
        raise CaseError(motion_file, "file", "missing: the scene was converted without a humanoid")
    with np.load(motion_file, allow_pickle=False) as arrays:
        if [str(name) for name in arrays["body_names"]] != list(SMPL_JOINT_NAMES):
            raise CaseError(motion_file, "body_names", "expected the 24 SMPL bodies in SMPL order")
        fps, body_pos, body_quat = float(arrays["fps"]), arrays["body_pos_w"], arrays["body_quat_w"]
    motion = load_case(case_dir).motion
    if motion is None or motion.contact_labels is None:
        labels, parts = np.zeros((len(body_pos), 0), dtype=bool), ()
    else:
        labels, parts = np.asarray(motion.contact_labels, dtype=bool), tuple(motion.contact_body_names)
    if len(labels) != len(body_pos):
        raise CaseError(case_dir, "contact_labels", f"{len(labels)} frames, the converted motion has {len(body_pos)}")
    return HumanMotion(fps, body_pos.astype(np.float64), body_quat.astype(np.float64), labels, parts)
