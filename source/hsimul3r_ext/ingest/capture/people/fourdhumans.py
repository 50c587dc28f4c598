"""4DHumans / PHALP tracking results: a `joblib.dump`ed dict, one entry per video frame.

Layout (PHALP's results `.pkl`, `compress=3`): frame path -> dict of per-detection lists: `smpl` (dicts of
rotation matrices `global_orient` (1, 3, 3), `body_pose` (23, 3, 3) and `betas` (10,)), `camera` ([tx, ty, tz],
SMPL `transl` in the camera, OpenCV axes), `tid` (track id of each entry), `tracked_ids` (ids seen in the frame),
`bbox`, `size` ([width, height] of the image), `time` (the frame index), `2d_joints`, `appe`, `loca`, ... (not
needed here). Assumed, as the file does not say: the camera of `camera` is PHALP's render camera, focal 5000 px
on the image padded to a square (padding split evenly on both sides) and resized to 256 px. Converted once to
the full image: focal 5000 * S / 256 px with S = max(width, height), principal point at the image centre; the
3D person does not move (only the pixel scale changes), so each track is a Person in that camera's frame.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from ....hsi.errors import CaseError
from ...importers.common import MotionImportOptions, numbers, source_record
from ..model import Capture, Person
from .pickles import load_joblib
from .smpl_frames import VIDEO_FPS, array, average_betas, rotvec_from_matrices, shaped
from .tracks import tracked_person

CAMERA = "phalp"
RENDER_FOCAL_PX = 5000.0
RENDER_SIZE_PX = 256.0


def looks_like_phalp(raw: Any) -> bool:
    """PHALP's results: a dict of per-frame dicts with `smpl` and `tid` lists."""
    if not isinstance(raw, dict) or not raw:
        return False
    first = next(iter(raw.values()))
    return isinstance(first, dict) and "smpl" in first and "tid" in first


def import_fourdhumans(path: Path, options: MotionImportOptions) -> Capture:
    """Every track of the file as a Person in the full-image camera's frame."""
    raw = load_joblib(path)
    if not looks_like_phalp(raw):
        raise CaseError(path, "file", "expected PHALP results: frame -> dict with 'smpl' and 'tid' lists")
    tracks: dict[str, list[tuple[int, dict[str, Any], np.ndarray]]] = defaultdict(list)
    image_size = None
    for key, frame in raw.items():
        where = f"[{key!r}]"
        if not isinstance(frame, dict):
            raise CaseError(path, where, "expected a dictionary of per-detection lists")
        for name in ("time", "tid", "smpl", "camera", "size"):
            if name not in frame:
                raise CaseError(path, f"{where}.{name}", "missing")
        time = int(_scalar(frame["time"], path, f"{where}.time"))
        seen = None if "tracked_ids" not in frame else {str(t) for t in np.asarray(frame["tracked_ids"]).reshape(-1)}
        ids, smpl, cams, sizes = (list(frame[k]) for k in ("tid", "smpl", "camera", "size"))
        if not len(ids) == len(smpl) == len(cams) == len(sizes):
            raise CaseError(path, where, "tid, smpl, camera and size lists differ in length")
        for i, track in enumerate(str(t) for t in ids):
            if seen is not None and track not in seen:
                continue
            size = shaped(sizes[i], path, f"{where}.size[{i}]", (2,))
            image_size = size if image_size is None else image_size
            if not np.allclose(size, image_size) or np.any(size <= 0):
                raise CaseError(path, f"{where}.size[{i}]", f"image size {size} differs from {image_size} or is empty")
            camera = shaped(cams[i], path, f"{where}.camera[{i}]", (3,))
            tracks[track].append((time, _smpl(smpl[i], path, f"{where}.smpl[{i}]"), camera))
    if not tracks:
        raise CaseError(path, "tid", "no tracked person in any frame")
    intrinsics = full_image_intrinsics(*image_size)
    people = [_person(path, track, entries, intrinsics, image_size) for track, entries in sorted(tracks.items())]
    return Capture(fps=VIDEO_FPS, people=people, metric=True, provenance=[p.provenance for p in people])


def full_image_intrinsics(width: float, height: float) -> np.ndarray:
    """K of the full image for PHALP's render camera (focal 5000 px on the padded square resized to 256 px)."""
    side = max(width, height)
    focal = RENDER_FOCAL_PX * side / RENDER_SIZE_PX
    return np.array([[focal, 0.0, width / 2], [0.0, focal, height / 2], [0.0, 0.0, 1.0]])


def _scalar(value: Any, path: Path, where: str) -> float:
    values = numbers(value, path, where).reshape(-1)
    if values.size != 1:
        raise CaseError(path, where, f"expected one number, got {values.size}")
    return float(values[0])


def _smpl(value: Any, path: Path, where: str) -> dict[str, np.ndarray]:
    if not isinstance(value, dict):
        raise CaseError(path, where, "expected a dictionary of SMPL parameters")
    return {
        "global_orient": array(value, "global_orient", path, f"{where}.global_orient", (1, 3, 3)),
        "body_pose": array(value, "body_pose", path, f"{where}.body_pose", (23, 3, 3)),
        "betas": array(value, "betas", path, f"{where}.betas", (10,)),
    }


def _person(
    path: Path, track: str, entries: list[tuple[int, dict[str, np.ndarray], np.ndarray]], intrinsics: np.ndarray,
    image_size: np.ndarray,
) -> Person:  # fmt: skip
    entries.sort(key=lambda entry: entry[0])
    frames = np.array([time for time, _, _ in entries])
    if len(np.unique(frames)) != len(frames):
        raise CaseError(path, "tid", f"track {track} appears twice in one frame")
    orient = np.stack([smpl["global_orient"][0] for _, smpl, _ in entries])
    pose = np.stack([smpl["body_pose"] for _, smpl, _ in entries])
    record = source_record(path, "4dhumans")
    record["track"] = track
    record["rotations"] = "rotation matrices -> axis-angle"
    record["translation"] = "camera is SMPL transl in the camera (OpenCV axes): kept"
    record["camera_conversion"] = {
        "from": f"PHALP render camera: focal {RENDER_FOCAL_PX:g} px on the padded square image resized to "
        f"{RENDER_SIZE_PX:g} px",
        "to": "full image",
        "image_size": [int(v) for v in image_size],
        "intrinsics": intrinsics.tolist(),
    }
    params = {
        "betas": average_betas(np.stack([smpl["betas"] for _, smpl, _ in entries]), record),
        "global_orient": rotvec_from_matrices(orient, path, "smpl.global_orient"),
        "body_pose": rotvec_from_matrices(pose, path, "smpl.body_pose").reshape(len(entries), 69),
        "transl": np.stack([camera for _, _, camera in entries]),
    }
    return tracked_person(path, track, frames, params, "smpl", f"camera:{CAMERA}", record)
