"""The humanoid of a case: the case's body (model + betas) and its motion as hinge angles."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..hsi.errors import CaseError
from ..hsi.scene import HSIScene
from .humanoid import HumanoidSpec, build_humanoid, rest_body
from .humanoid_config import HumanoidConfig
from .humanoid_motion import HumanoidMotion, smpl_to_humanoid
from .models import BodyModelSource, create_body_model, locate_motion_body


@dataclass
class CaseHumanoid:
    spec: HumanoidSpec
    motion: HumanoidMotion
    source: BodyModelSource
    pelvis_rest: np.ndarray  # (3,) the pelvis is at transl + pelvis_rest (SMPL's meaning of transl)
    notes: list[str] = field(default_factory=list)


def humanoid_config(overrides: Sequence[str] = ()) -> HumanoidConfig:
    from ..settings import stage_config

    return stage_config("humanoid", HumanoidConfig, overrides)


def humanoid_for_case(
    scene: HSIScene, models_dir: str | Path | None = None, config: HumanoidConfig | None = None
) -> CaseHumanoid:
    """Build the humanoid for the case's body and convert its motion.

    The humanoid has SMPL's 24 joints. SMPL-H / SMPL-X motions drive it through their first 21 body
    joints (hands and face are dropped) with the SMPL-family model of their own type when licensed
    files are there, else with the open model; either way the notes say what happened.
    """
    motion = scene.motion
    if motion is None:
        raise CaseError(scene.root or scene.name, "motion", "the case has no motion, so no humanoid to build")
    notes: list[str] = []
    source = locate_motion_body(motion.model_type, motion.gender, models_dir)
    if source.is_open_model:
        notes.append("body: the shipped open SMPL-compatible model (no licensed SMPL files given)")
        if motion.gender != "neutral":
            notes.append(f"the open model is gender-neutral; the case's gender {motion.gender!r} is not modelled")
        if motion.model_type != "smpl":
            notes.append(f"{motion.model_type} betas applied to an SMPL-topology body: the shape is approximate")
    if motion.model_type != "smpl":
        notes.append(f"{motion.model_type} hand and face parameters are not simulated (24-joint humanoid)")
    cfg = config or humanoid_config()
    model = create_body_model(source, num_betas=len(motion.betas))
    rest = rest_body(model, motion.betas)
    spec = build_humanoid(rest, motion.betas, cfg, source.describe())
    spec.notes.extend(notes)
    pelvis_rest = rest.joints[0] if motion.pelvis_rest is None else motion.pelvis_rest
    body_pose = np.zeros((motion.num_frames, 69))
    body_pose[:, : motion.body_pose.shape[1]] = motion.body_pose  # SMPL-H/X: the two hand joints stay at rest
    humanoid_motion = smpl_to_humanoid(
        np.asarray(motion.global_orient, np.float64),
        body_pose,
        motion.transl + pelvis_rest,
        motion.fps,
        spec.hinge_orders,
    )
    return CaseHumanoid(spec, humanoid_motion, source, np.asarray(pelvis_rest, dtype=np.float64), notes)
