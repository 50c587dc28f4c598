"""TRAM's output folder: `hps/hps_track_<i>.npy` per person and `camera.npy`, both `np.save`d dicts.

Layout (TRAM `scripts/estimate_humans.py`, `scripts/estimate_camera.py`): a track has `pred_rotmat`
(F, 24, 3, 3: root + 23 body joints, in the camera), `pred_shape` (F, 10), `pred_trans` (F, 1, 3: SMPL transl
in the camera) and `frame` (F,) the video frames; `camera.npy` has `pred_cam_R` (N, 3, 3) and `pred_cam_T`
(N, 3), camera-to-world for every video frame (world = R camera + T, TRAM's metric SLAM world: its first
camera, not gravity-aligned), `img_focal` and `img_center`. The person stays in the camera frame
("camera:tram", OpenCV axes, as TRAM's HMR gives it); the camera track carries TRAM's world. The file keeps
no image size: the principal point is taken as the image centre.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from ....hsi.errors import CaseError
from ...importers.common import MotionImportOptions, as_float, source_record
from ..model import CameraTrack, Capture
from .pickles import load_npy_object
from .smpl_frames import VIDEO_FPS, array, average_betas, camera_poses, rotvec_from_matrices
from .tracks import tracked_person

CAMERA = "tram"
TRACK_PATTERN = re.compile(r"hps_track_(\d+)\.npy")


def track_files(folder: Path) -> list[Path]:
    """The folder's `hps/hps_track_<i>.npy` files in track order."""
    hps = folder / "hps"
    found = [p for p in hps.glob("hps_track_*.npy") if TRACK_PATTERN.fullmatch(p.name)] if hps.is_dir() else []
    return sorted(found, key=lambda p: int(TRACK_PATTERN.fullmatch(p.name).group(1)))


def import_tram(path: Path, options: MotionImportOptions) -> Capture:
    """Every track as a Person in its camera's frame, and TRAM's camera-to-world track."""
    folder = path if path.is_dir() else path.parent.parent
    files = track_files(folder)
    if not files:
        raise CaseError(folder / "hps", "hps_track_*.npy", "no TRAM track files")
    camera = _camera(folder / "camera.npy")
    people = [_person(file, options) for file in files]
    for person in people:
        person.provenance["camera"] = (
            f"camera '{CAMERA}' from camera.npy: pred_cam_R, pred_cam_T camera-to-world in TRAM's SLAM world "
            "(world = R x + T); K from img_focal and img_center; image size = twice img_center"
        )
        if not np.isin(person.frames, camera.frames).all():
            raise CaseError(
                folder / "camera.npy", "pred_cam_R", f"has no pose for some frames of track {person.person_id}"
            )
    return Capture(fps=VIDEO_FPS, cameras={CAMERA: camera}, people=people, metric=True,
                   provenance=[p.provenance for p in people])  # fmt: skip


def _dict(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise CaseError(path, "file", "does not exist")
    raw = load_npy_object(path)
    if not isinstance(raw, dict):
        raise CaseError(path, "file", f"expected a dictionary saved with np.save, got {type(raw).__name__}")
    return raw


def _person(path: Path, options: MotionImportOptions):
    raw = _dict(path)
    rotmats = array(raw, "pred_rotmat", path, "pred_rotmat", (None, 24, 3, 3))
    count = len(rotmats)
    rotvecs = rotvec_from_matrices(rotmats, path, "pred_rotmat")
    shape = array(raw, "pred_shape", path, "pred_shape", (count, 10))
    transl = array(raw, "pred_trans", path, "pred_trans", (count, 1, 3))[:, 0]
    frames = array(raw, "frame", path, "frame", (count,))
    record = source_record(path, "tram")
    params = {
        "betas": average_betas(shape, record),
        "global_orient": rotvecs[:, 0],
        "body_pose": rotvecs[:, 1:].reshape(count, 69),
        "transl": transl,
    }
    record["rotations"] = "rotation matrices -> axis-angle"
    record["translation"] = "pred_trans is SMPL transl in the camera (OpenCV axes): kept"
    track = TRACK_PATTERN.fullmatch(path.name).group(1)
    return tracked_person(path, track, frames, params, "smpl", f"camera:{CAMERA}", record)


def _camera(path: Path) -> CameraTrack:
    raw = _dict(path)
    rotations = array(raw, "pred_cam_R", path, "pred_cam_R", (None, 3, 3))
    positions = array(raw, "pred_cam_T", path, "pred_cam_T", (len(rotations), 3))
    rotvec_from_matrices(rotations, path, "pred_cam_R")  # checks they are rotations
    if "img_focal" not in raw:
        raise CaseError(path, "img_focal", "missing")
    focal = as_float(raw["img_focal"], path, "img_focal")
    centre = array(raw, "img_center", path, "img_center", (2,))
    if focal <= 0 or np.any(centre <= 0):
        raise CaseError(path, "img_focal", "expected a positive focal length and principal point")
    k = np.array([[focal, 0.0, centre[0]], [0.0, focal, centre[1]], [0.0, 0.0, 1.0]])
    width, height = round(2 * centre[0]), round(2 * centre[1])
    return CameraTrack(CAMERA, k, width, height, np.arange(len(rotations)), camera_poses(rotations, positions))
