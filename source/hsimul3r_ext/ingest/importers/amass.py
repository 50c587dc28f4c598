"""AMASS-style `.npz`: `poses`, `trans`, `betas`, `mocap_framerate` / `mocap_frame_rate`, `gender`."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...hsi.errors import CaseError
from ...hsi.motion import Motion
from ...hsi.safe_pickle import load_npz
from .common import (
    ImportedMotion,
    MotionImportOptions,
    as_float,
    as_str,
    numbers,
    resolve_pelvis_rest,
    smpl_world_to_z_up,
    source_record,
)

# Width of `poses` -> model type and the slices of each parameter inside it.
_LAYOUTS: dict[int, tuple[str, dict[str, slice]]] = {
    72: ("smpl", {"global_orient": slice(0, 3), "body_pose": slice(3, 72)}),
    156: ("smplh", {
        "global_orient": slice(0, 3), "body_pose": slice(3, 66),
        "left_hand_pose": slice(66, 111), "right_hand_pose": slice(111, 156),
    }),
    165: ("smplx", {
        "global_orient": slice(0, 3), "body_pose": slice(3, 66), "jaw_pose": slice(66, 69),
        "leye_pose": slice(69, 72), "reye_pose": slice(72, 75),
        "left_hand_pose": slice(75, 120), "right_hand_pose": slice(120, 165),
    }),
}  # fmt: skip


def import_amass(path: Path, options: MotionImportOptions) -> ImportedMotion:
    """AMASS data is Z-up as published; `options.up_axis="y"` converts re-exported Y-up files."""
    arrays = load_npz(path)
    record = source_record(path, "amass")
    for key in ("poses", "trans", "betas"):
        if key not in arrays:
            raise CaseError(path, key, "missing (AMASS files have poses, trans, betas and a frame rate)")
    rate_key = next((k for k in ("mocap_framerate", "mocap_frame_rate") if k in arrays), None)
    if rate_key is None:
        raise CaseError(path, "mocap_framerate", "missing (also looked for mocap_frame_rate)")
    poses, transl, betas = (numbers(arrays[key], path, key) for key in ("poses", "trans", "betas"))
    if poses.ndim != 2 or poses.shape[1] not in _LAYOUTS:
        raise CaseError(path, "poses", f"expected (T, 72 | 156 | 165) for SMPL / SMPL-H / SMPL-X, got {poses.shape}")
    for key, values in (("poses", poses), ("trans", transl), ("betas", betas)):
        if not np.isfinite(values).all():
            raise CaseError(path, key, "contains NaN or inf")
    model_type, layout = _LAYOUTS[poses.shape[1]]
    params = {name: poses[:, part] for name, part in layout.items()}
    if transl.shape != (poses.shape[0], 3):
        raise CaseError(path, "trans", f"expected ({poses.shape[0]}, 3), got {transl.shape}")
    betas = betas.reshape(-1)
    gender = options.gender or (as_str(arrays["gender"], path, "gender").lower() if "gender" in arrays else "neutral")
    record["model_type"] = model_type
    up_axis = options.up_axis or "z"
    pelvis = resolve_pelvis_rest(options, model_type, gender, betas, record) if up_axis != "z" else None
    orient, transl, _ = smpl_world_to_z_up(up_axis, params.pop("global_orient"), transl, pelvis, None, path, record)
    motion = Motion(
        fps=as_float(arrays[rate_key], path, rate_key),
        betas=betas,
        global_orient=orient,
        body_pose=params.pop("body_pose"),
        transl=transl,
        model_type=model_type,
        gender=gender,
        hand_face=params,
    )
    return ImportedMotion(motion, record)
