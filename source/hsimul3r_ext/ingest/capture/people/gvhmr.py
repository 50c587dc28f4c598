"""GVHMR's `hmr4d_results.pt`: one person, SMPL-X parameters in GVHMR's gravity world and in the camera.

Layout (GVHMR `tools/demo/demo.py`, a `torch.save`d dict of tensors): `smpl_params_global` and
`smpl_params_incam`, each with `global_orient` (F, 3), `body_pose` (F, 63: SMPL-X's 21 body joints),
`betas` (F, 10) and `transl` (F, 3) in SMPL's meaning; `K_fullimg` (F, 3, 3) the full-image intrinsics.
The global world is Y-up with GVHMR's own heading and origin; it is turned to Z-up once ("gravity"). The file
keeps no image size: GVHMR puts the principal point at the image centre, so the size is taken as twice it.
Every video frame is a motion frame. Where the camera is follows from the two root poses of the same frame.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from scipy.spatial.transform import Rotation

from ....hsi.axes import rotation_matrix_list, to_z_up
from ....hsi.errors import CaseError
from ...importers.common import MotionImportOptions, source_record
from ..model import CameraTrack, Capture
from .smpl_frames import VIDEO_FPS, array, average_betas, camera_poses, move_body, rest_pelvis
from .tracks import tracked_person

CAMERA = "gvhmr"
_WIDTHS = {"global_orient": 3, "body_pose": 63, "betas": 10, "transl": 3}


def import_gvhmr(path: Path, options: MotionImportOptions) -> Capture:
    """The person in GVHMR's gravity world (Z-up) and the camera that saw them, in the same world."""
    raw = _load(path)
    world = _params(raw, "smpl_params_global", path)
    incam = _params(raw, "smpl_params_incam", path)
    count = len(world["transl"])
    if len(incam["transl"]) != count:
        raise CaseError(path, "smpl_params_incam.transl", f"has {len(incam['transl'])} frames, global has {count}")
    intrinsics = array(raw, "K_fullimg", path, "K_fullimg", (count, 3, 3))
    record = source_record(path, "gvhmr")
    betas = average_betas(world["betas"], record)
    pelvis = rest_pelvis("smplx", betas, options, record)
    z_up = to_z_up("y")
    orient, transl = move_body(z_up, np.zeros(3), world["global_orient"], world["transl"], pelvis)
    record["up_axis"] = "y"
    record["world_rotation_to_z_up"] = rotation_matrix_list(z_up)
    record["translation"] = "SMPL transl (pelvis = transl + J_pelvis(betas)), kept through the axis change"
    params = {"betas": betas, "global_orient": orient, "body_pose": world["body_pose"], "transl": transl}
    person = tracked_person(path, "0", np.arange(count), params, "smplx", "gravity", record)
    camera = _camera(world, incam, pelvis, intrinsics, z_up, path)
    record["camera"] = (
        f"camera '{CAMERA}': rotation = R_root_world R_root_camera^T, position = pelvis_world - rotation "
        "pelvis_camera, per frame; intrinsics K_fullimg of frame 0; image size = twice the principal point"
    )
    return Capture(fps=VIDEO_FPS, cameras={CAMERA: camera}, people=[person], metric=True, provenance=[record])


def _load(path: Path) -> dict[str, Any]:
    try:
        raw = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise CaseError(path, "file", "does not exist") from None
    except Exception as err:  # torch raises UnpicklingError, RuntimeError, ... for unsafe or broken files
        raise CaseError(path, "file", f"not a tensor-only torch file ({type(err).__name__}: {err})") from None
    if not isinstance(raw, dict):
        raise CaseError(path, "file", f"expected a dictionary, got {type(raw).__name__}")
    return raw


def _params(raw: dict[str, Any], key: str, path: Path) -> dict[str, np.ndarray]:
    group = raw.get(key)
    if not isinstance(group, dict):
        raise CaseError(path, key, "missing (expected a dictionary of SMPL-X parameters)")
    count = None if "transl" not in group else len(group["transl"])
    return {name: array(group, name, path, f"{key}.{name}", (count, width)) for name, width in _WIDTHS.items()}


def _camera(
    world: dict[str, np.ndarray], incam: dict[str, np.ndarray], pelvis: np.ndarray, intrinsics: np.ndarray,
    z_up: Rotation, path: Path,
) -> CameraTrack:  # fmt: skip
    """Camera-to-world poses from the root seen in the world and in the camera at the same instant."""
    rotation = Rotation.from_rotvec(world["global_orient"]) * Rotation.from_rotvec(incam["global_orient"]).inv()
    position = world["transl"] + pelvis - rotation.apply(incam["transl"] + pelvis)
    k = intrinsics[0]
    if k[0, 0] <= 0 or k[1, 1] <= 0 or k[0, 2] <= 0 or k[1, 2] <= 0:
        raise CaseError(path, "K_fullimg", "expected positive focal lengths and principal point")
    poses = camera_poses((z_up * rotation).as_matrix(), z_up.apply(position))
    width, height = round(2 * k[0, 2]), round(2 * k[1, 2])
    return CameraTrack(CAMERA, k, width, height, np.arange(len(poses)), poses)
