"""VideoMimic's `gravity_calibrated_megahunter.h5`: people and cameras in its gravity-calibrated world (Z up).

Layout (VideoMimic stage 3, nested HDF5 groups written from dicts): `our_pred_humans_smplx_params/<person>/`
with `global_orient` (T, 1, 3, 3) and `body_pose` (T, 23, 3, 3) rotation matrices (SMPL), `betas` (T, 10)
and `root_transl` (T, 1, 3), the pelvis position (not SMPL `transl`); `person_frame_info_list/<person>` the
image name of each motion frame; `our_pred_world_cameras_and_structure/<image>/` with `cam2world` (4, 4),
`pts3d`, ... Assumed, as in HSfM (same authors): each image's intrinsics as `intrinsic` (3, 3); without it no
camera is made. The capture frame of an image is its place in the sorted image names. People, cameras and
points share the world, so people are in the capture frame ("capture"), already Z-up and metric.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import h5py
import numpy as np

from ....hsi.errors import CaseError
from ...importers.common import MotionImportOptions, source_record
from ..model import CameraTrack, Capture, Person
from .smpl_frames import VIDEO_FPS, average_betas, rest_pelvis, rotvec_from_matrices, shaped
from .tracks import tracked_person

PEOPLE = "our_pred_humans_smplx_params"
FRAMES = "person_frame_info_list"
WORLD = "our_pred_world_cameras_and_structure"
_BODY_JOINTS = {21: "smplx", 23: "smpl"}


def import_videomimic(path: Path, options: MotionImportOptions) -> Capture:
    """Every person of the file, and the camera of every image that has intrinsics."""
    try:
        with h5py.File(path, "r") as file:
            if not isinstance(file.get(WORLD), h5py.Group) or not len(file[WORLD]):
                raise CaseError(path, WORLD, "missing or empty (expected image name -> camera and points)")
            images = sorted(file[WORLD])
            cameras = _cameras(path, file[WORLD], images)
            if not isinstance(file.get(PEOPLE), h5py.Group) or not len(file[PEOPLE]):
                raise CaseError(path, PEOPLE, "missing or empty (expected person id -> SMPL parameters)")
            people = [
                _person(path, file, pid, images, options) for pid in sorted(file[PEOPLE], key=lambda p: (len(p), p))
            ]
    except OSError as err:
        raise CaseError(path, "file", f"not a readable HDF5 file ({err})") from None
    return Capture(fps=VIDEO_FPS, cameras=cameras, people=people, metric=True,
                   provenance=[p.provenance for p in people])  # fmt: skip


def _dataset(group: Any, key: str, path: Path, where: str, shape: tuple[int | None, ...]) -> np.ndarray:
    if not isinstance(group.get(key), h5py.Dataset):
        raise CaseError(path, where, "missing")
    return shaped(group[key][()], path, where, shape)


def _person(path: Path, file: h5py.File, pid: str, images: list[str], options: MotionImportOptions) -> Person:
    where = f"{PEOPLE}/{pid}"
    group = file[PEOPLE][pid]
    if not isinstance(group, h5py.Group):
        raise CaseError(path, where, "expected a group of SMPL parameters")
    orient = _dataset(group, "global_orient", path, f"{where}/global_orient", (None, 1, 3, 3))
    count = len(orient)
    pose = _dataset(group, "body_pose", path, f"{where}/body_pose", (count, None, 3, 3))
    if pose.shape[1] not in _BODY_JOINTS:
        raise CaseError(path, f"{where}/body_pose", f"expected 21 or 23 body joints, got {pose.shape[1]}")
    betas = _dataset(group, "betas", path, f"{where}/betas", (None, 10))
    root = _dataset(group, "root_transl", path, f"{where}/root_transl", (count, 1, 3))[:, 0]
    names = file.get(f"{FRAMES}/{pid}")
    if not isinstance(names, h5py.Dataset) or names.shape != (count,):
        raise CaseError(path, f"{FRAMES}/{pid}", f"missing or not {count} image names")
    missing = [n for n in _names(names) if n not in images]
    if missing:
        raise CaseError(path, f"{FRAMES}/{pid}", f"images not in {WORLD}: {', '.join(missing[:3])}")
    record = source_record(path, "videomimic")
    model_type = _BODY_JOINTS[pose.shape[1]]
    betas = average_betas(betas, record)
    pelvis = rest_pelvis(model_type, betas, options, record)
    record["world"] = "VideoMimic's gravity-calibrated world (Z up, metres), shared with its cameras and points"
    record["translation"] = "root_transl is the pelvis position: transl = root_transl - J_pelvis(betas)"
    record["rotations"] = "rotation matrices -> axis-angle"
    params = {
        "betas": betas,
        "global_orient": rotvec_from_matrices(orient[:, 0], path, f"{where}/global_orient"),
        "body_pose": rotvec_from_matrices(pose, path, f"{where}/body_pose").reshape(count, -1),
        "transl": root - pelvis,
    }
    frames = np.array([images.index(n) for n in _names(names)])
    return tracked_person(path, pid, frames, params, model_type, "capture", record)


def _names(dataset: h5py.Dataset) -> list[str]:
    return [n.decode() if isinstance(n, bytes) else str(n) for n in dataset[()]]


def _cameras(path: Path, world: h5py.Group, images: list[str]) -> dict[str, CameraTrack]:
    """One moving camera through the images that have intrinsics (VideoMimic films with one camera)."""
    have = [name for name in images if isinstance(world[name], h5py.Group) and "intrinsic" in world[name]]
    if not have:
        return {}
    poses = np.stack([_dataset(world[n], "cam2world", path, f"{WORLD}/{n}/cam2world", (4, 4)) for n in have])
    rotvec_from_matrices(poses[:, :3, :3], path, f"{WORLD}/cam2world")
    k = _dataset(world[have[0]], "intrinsic", path, f"{WORLD}/{have[0]}/intrinsic", (3, 3))
    frames = np.array([images.index(n) for n in have])
    first = world[have[0]]
    if isinstance(first.get("rgbimg"), h5py.Dataset) and first["rgbimg"].ndim == 3:
        height, width = first["rgbimg"].shape[:2]
    else:  # no image kept: the principal point is taken as the image centre
        width, height = round(2 * k[0, 2]), round(2 * k[1, 2])
    return {"videomimic": CameraTrack("videomimic", k, int(width), int(height), frames, poses)}
