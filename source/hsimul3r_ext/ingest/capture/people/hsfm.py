"""HSfM's `hsfm_output_smpl.pkl` / `hsfm_output_smplx.pkl`: people, cameras and places of one instant.

Layout (HSfM demo, a `pickle.dump`ed dict): `hsfm_people(smplx_params)` person id -> `global_orient`,
`body_pose`, `betas` (1, 10) and `root_transl` (1, 3), the pelvis position in the world (not SMPL `transl`):
rotation matrices ((1, 3, 3), (1, 23, 3, 3)) in the SMPL file, axis-angle ((1, 3), (1, 63), SMPL-X's 21 body
joints) in the SMPL-X one; `hsfm_places_cameras` image name -> `cam2world` (4, 4), `intrinsic` (3, 3),
`rgbimg` (H, W, 3), `pts3d`, `conf`, ... The world is the one HSfM reconstructed the scene in, so people and
cameras are in the capture frame ("capture"); a camera without `rgbimg` is taken to have its principal point
at the image centre. Other entries (DUSt3R's and HMR2's initial estimates) are not read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ....hsi.errors import CaseError
from ....hsi.safe_pickle import load_pickle
from ...importers.common import MotionImportOptions, source_record
from ..model import CameraTrack, Capture, Person
from .smpl_frames import VIDEO_FPS, array, rest_pelvis, rotvec_from_matrices
from .tracks import tracked_person

PEOPLE = "hsfm_people(smplx_params)"
CAMERAS = "hsfm_places_cameras"
_BODY_JOINTS = {21: "smplx", 23: "smpl"}


def import_hsfm(path: Path, options: MotionImportOptions) -> Capture:
    """Every person as a one-frame Person in HSfM's world, and every view's camera."""
    raw = load_pickle(path)
    if not isinstance(raw, dict):
        raise CaseError(path, "file", f"expected a dictionary, got {type(raw).__name__}")
    people, cameras = raw.get(PEOPLE), raw.get(CAMERAS)
    if not isinstance(people, dict) or not people:
        raise CaseError(path, PEOPLE, "missing or empty (expected person id -> SMPL parameters)")
    if not isinstance(cameras, dict) or not cameras:
        raise CaseError(path, CAMERAS, "missing or empty (expected image name -> camera)")
    tracks = {str(camera): _camera(path, str(camera), data) for camera, data in sorted(cameras.items(), key=_order)}
    persons = [_person(path, str(pid), data, options) for pid, data in sorted(people.items(), key=_order)]
    return Capture(fps=VIDEO_FPS, cameras=tracks, people=persons, metric=True,
                   provenance=[p.provenance for p in persons])  # fmt: skip


def _order(item: tuple[Any, Any]) -> tuple[int, str]:
    return len(str(item[0])), str(item[0])


def _rotvecs(data: dict[str, Any], key: str, path: Path, where: str) -> np.ndarray:
    """(N, 3) axis-angle from axis-angle or rotation matrices of any leading shape."""
    values = array(data, key, path, where, (None,) * np.ndim(data.get(key)))
    if values.size % 9 == 0 and values.shape[-2:] == (3, 3):
        return rotvec_from_matrices(values.reshape(-1, 3, 3), path, where)
    if values.size % 3 == 0:
        return values.reshape(-1, 3)
    raise CaseError(path, where, f"expected axis-angle or rotation matrices, got shape {values.shape}")


def _person(path: Path, pid: str, data: Any, options: MotionImportOptions) -> Person:
    where = f"{PEOPLE}[{pid}]"
    if not isinstance(data, dict):
        raise CaseError(path, where, "expected a dictionary of SMPL parameters")
    orient = _rotvecs(data, "global_orient", path, f"{where}.global_orient")
    pose = _rotvecs(data, "body_pose", path, f"{where}.body_pose")
    if len(orient) != 1 or len(pose) not in _BODY_JOINTS:
        raise CaseError(path, f"{where}.body_pose", f"expected one root and 21 or 23 body joints, got {len(pose)}")
    model_type = _BODY_JOINTS[len(pose)]
    betas = array(data, "betas", path, f"{where}.betas", (None,) * np.ndim(data.get("betas"))).reshape(-1)
    root = array(data, "root_transl", path, f"{where}.root_transl", (None,) * np.ndim(data.get("root_transl")))
    if root.size != 3 or betas.size < 1:
        raise CaseError(path, f"{where}.root_transl", f"expected one position (3 numbers), got shape {root.shape}")
    record = source_record(path, "hsfm")
    pelvis = rest_pelvis(model_type, betas, options, record)
    record["translation"] = "root_transl is the pelvis position: transl = root_transl - J_pelvis(betas)"
    record["rotations"] = "rotation matrices -> axis-angle" if np.ndim(data["body_pose"]) >= 3 else "axis-angle kept"
    params = {"betas": betas, "global_orient": orient, "body_pose": pose.reshape(1, -1),
              "transl": root.reshape(1, 3) - pelvis}  # fmt: skip
    return tracked_person(path, pid, np.zeros(1, dtype=np.int64), params, model_type, "capture", record)


def _camera(path: Path, name: str, data: Any) -> CameraTrack:
    where = f"{CAMERAS}[{name}]"
    if not isinstance(data, dict):
        raise CaseError(path, where, "expected a dictionary with cam2world and intrinsic")
    pose = array(data, "cam2world", path, f"{where}.cam2world", (4, 4))
    k = array(data, "intrinsic", path, f"{where}.intrinsic", (3, 3))
    rotvec_from_matrices(pose[:3, :3], path, f"{where}.cam2world")  # checks the rotation
    if "rgbimg" in data and np.ndim(data["rgbimg"]) == 3:
        height, width = np.shape(data["rgbimg"])[:2]
    else:
        width, height = round(2 * k[0, 2]), round(2 * k[1, 2])
    return CameraTrack(name, k, int(width), int(height), np.zeros(1, dtype=np.int64), pose[None])
