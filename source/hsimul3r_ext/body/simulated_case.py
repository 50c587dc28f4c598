"""A refined case from a simulation: the humanoid's simulated motion back in SMPL parameters, the objects
where they ended. The forward pass writes one after playing a policy; the judge and `hsimul3r run` read it
like any other case."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ..hsi.case_io import load_case, save_case
from ..hsi.motion import Motion
from ..hsi.smpl_layout import SMPL_JOINT_NAMES
from .humanoid_motion import HumanoidMotion, humanoid_to_smpl


def simulated_motion(
    reference: Motion,
    simulated: HumanoidMotion,
    orders: Sequence[str],
    pelvis_rest: np.ndarray,
    body_pos: np.ndarray | None = None,
) -> Motion:
    """The reference's body (betas, gender) moving as simulated; `body_pos` (T, 24, 3), SMPL joint order, become
    the reference joints. Contact labels are carried over at the nearest reference time."""
    global_orient, body_pose = humanoid_to_smpl(simulated, orders)
    frames = len(simulated.root_pos)
    labels = None
    if reference.contact_labels is not None:
        times = np.arange(frames) / simulated.fps
        nearest = np.clip(np.round(times * reference.fps).astype(int), 0, reference.num_frames - 1)
        labels = reference.contact_labels[nearest]
    return replace(
        reference,
        fps=float(simulated.fps),
        global_orient=global_orient,
        body_pose=body_pose,
        transl=np.asarray(simulated.root_pos) - np.asarray(pelvis_rest),
        model_type="smpl",  # the humanoid has SMPL's 24 joints; hands and face were not simulated
        hand_face={},
        joints=None if body_pos is None else np.asarray(body_pos, dtype=np.float64),
        joint_names=None if body_pos is None else SMPL_JOINT_NAMES,
        contact_labels=labels,
        pelvis_rest=None if reference.pelvis_rest is None else np.asarray(pelvis_rest, dtype=np.float64),
    )


def write_simulated_case(
    case_dir: str | Path,
    out_dir: str | Path,
    motion: Motion,
    final_object_poses: Mapping[str, tuple[np.ndarray, np.ndarray]],
    note: dict[str, Any],
    *,
    overwrite: bool = False,
) -> Path:
    """The case in `case_dir` with `motion` and each named object at its final (position, xyzw quaternion)."""
    scene = load_case(case_dir)
    unknown = set(final_object_poses) - {obj.name for obj in scene.objects}
    if unknown:
        raise KeyError(f"objects not in {case_dir}: {', '.join(sorted(unknown))}")
    objects = [
        replace(obj, position=np.asarray(final_object_poses[obj.name][0], dtype=np.float64),
                orientation=np.asarray(final_object_poses[obj.name][1], dtype=np.float64))
        if obj.name in final_object_poses else obj
        for obj in scene.objects
    ]  # fmt: skip
    scene = replace(scene, motion=motion, objects=objects, provenance=[*scene.provenance, note])
    return save_case(scene, out_dir, overwrite=overwrite)
