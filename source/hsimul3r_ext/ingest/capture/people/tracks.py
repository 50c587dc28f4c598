"""One tracked person as a `Person`: the motion checked like any imported motion, frames as image indices."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ....hsi.errors import CaseError
from ....hsi.limits import DEFAULT_LIMITS
from ....hsi.motion import Motion
from ..model import Person
from .smpl_frames import VIDEO_FPS


def tracked_person(
    file: Path, person_id: str, frames: np.ndarray, params: dict[str, np.ndarray], model_type: str,
    frame_of_reference: str, record: dict[str, Any],
) -> Person:  # fmt: skip
    """A `Person` from canonical SMPL parameters (`betas`, `global_orient`, `body_pose`, `transl`)."""
    frames = np.asarray(frames)
    if frames.ndim != 1 or len(frames) != len(params["transl"]) or not np.all(frames == np.round(frames)):
        raise CaseError(file, f"person {person_id}: frames", f"expected {len(params['transl'])} integer frame indices")
    if np.any(np.diff(frames) <= 0):
        raise CaseError(file, f"person {person_id}: frames", "frame indices must increase")
    record.setdefault("fps_assumed", VIDEO_FPS)
    motion = Motion(
        fps=VIDEO_FPS, betas=params["betas"], global_orient=params["global_orient"], body_pose=params["body_pose"],
        transl=params["transl"], model_type=model_type,
    )  # fmt: skip
    # In a camera's frame the root also moves as the camera does (and PHALP's depth is its focal's): no speed bound.
    camera_frame = frame_of_reference.startswith("camera:")
    motion.validate(file, replace(DEFAULT_LIMITS, max_root_speed_m_s=np.inf) if camera_frame else DEFAULT_LIMITS)
    record["person_id"] = person_id
    record["frame_of_reference"] = frame_of_reference
    return Person(
        person_id=person_id, motion=motion, frames=frames.astype(np.int64), frame_of_reference=frame_of_reference,
        provenance=record,
    )  # fmt: skip
