"""WHAM's `wham_output.pkl`: a `joblib.dump`ed dict, track id -> that person's SMPL parameters.

Layout (WHAM `demo.py`): per track `pose_world` (F, 72: root + 23 body joints, axis-angle) and `trans_world`
(F, 3) in WHAM's Y-up gravity world, where `trans_world` is the root (pelvis, mid-hip) position, not SMPL
`transl`; `pose` / `trans` the same in the camera; `betas` (F, 10); `frame_ids` (F,) the video frames;
`verts` and, in some versions, 2D / 3D joints we do not need. The world motion is imported: turned Y-up -> Z-up
once ("gravity"), with `transl = trans_world - J_pelvis(betas)`. The file keeps no intrinsics, so no camera.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ....hsi.axes import rotation_matrix_list, to_z_up
from ....hsi.errors import CaseError
from ...importers.common import MotionImportOptions, source_record
from ..model import Capture
from .pickles import load_joblib
from .smpl_frames import VIDEO_FPS, array, average_betas, move_body, rest_pelvis
from .tracks import tracked_person


def import_wham(path: Path, options: MotionImportOptions) -> Capture:
    """Every track of the file as a Person in WHAM's gravity world (Z-up)."""
    raw = load_joblib(path)
    if not isinstance(raw, dict) or not raw:
        raise CaseError(path, "file", "expected a non-empty dictionary of tracks")
    people = [_person(path, str(track), data, options) for track, data in sorted(raw.items(), key=_track_order)]
    return Capture(fps=VIDEO_FPS, people=people, metric=True, provenance=[p.provenance for p in people])


def _person(path: Path, track: str, data: Any, options: MotionImportOptions):
    where = f"[{track}]"
    if not isinstance(data, dict):
        raise CaseError(path, where, "expected a dictionary of arrays")
    pose = array(data, "pose_world", path, f"{where}.pose_world", (None, 72))
    count = len(pose)
    root = array(data, "trans_world", path, f"{where}.trans_world", (count, 3))
    betas = array(data, "betas", path, f"{where}.betas", (count, None) if np.ndim(data.get("betas")) == 2 else (None,))
    frames = array(data, "frame_ids", path, f"{where}.frame_ids", (count,))
    record = source_record(path, "wham")
    record["track"] = track
    betas = average_betas(betas, record)
    pelvis = rest_pelvis("smpl", betas, options, record)
    z_up = to_z_up("y")
    orient, transl = move_body(z_up, np.zeros(3), pose[:, :3], root - pelvis, pelvis)
    record["up_axis"] = "y"
    record["world_rotation_to_z_up"] = rotation_matrix_list(z_up)
    record["translation"] = "trans_world is the pelvis position: transl = trans_world - J_pelvis(betas)"
    params = {"betas": betas, "global_orient": orient, "body_pose": pose[:, 3:], "transl": transl}
    return tracked_person(path, track, frames, params, "smpl", "gravity", record)


def _track_order(item: tuple[Any, Any]) -> tuple[int, str]:
    """Track ids in numeric order (2 before 10)."""
    return len(str(item[0])), str(item[0])
