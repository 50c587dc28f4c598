"""What every motion importer shares: options, the result type, and the one Y-up -> Z-up conversion."""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.spatial.transform import Rotation

from ...body.model_files import body_models_dir, rest_pelvis
from ...hsi.axes import rotation_matrix_list, to_z_up
from ...hsi.errors import CaseError
from ...hsi.motion import Motion


@dataclass
class MotionImportOptions:
    """Choices a user can make at import; None means "the format's documented default"."""

    up_axis: str | None = None
    gender: str | None = None
    body_models: Path | None = None
    pelvis_offset: np.ndarray | None = None  # the body model's rest pelvis, when the user knows it
    body_names: tuple[str, ...] | None = None  # order of bodies in body-transform files
    quat_order: str | None = None  # "xyzw" or "wxyz" for body-transform files


@dataclass
class ImportedMotion:
    """A canonical motion and the record of what the importer did to get it."""

    motion: Motion
    provenance: dict[str, Any] = field(default_factory=dict)


def source_record(path: Path, importer: str) -> dict[str, Any]:
    """Provenance head shared by all importers: which file, which importer, its content hash."""
    return {
        "step": "import",
        "importer": importer,
        "source": path.name,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "notes": [],
    }


def as_str(value: Any, file: Path, field_name: str) -> str:
    """A scalar string from npz / pickle values (0-d arrays, bytes); anything else is a CaseError."""
    if isinstance(value, np.ndarray):
        if value.size != 1:
            raise CaseError(file, field_name, f"expected one string, got an array of shape {value.shape}")
        value = value.reshape(-1)[0]
    if isinstance(value, bytes):
        try:
            return value.decode()
        except UnicodeDecodeError:
            raise CaseError(file, field_name, f"not UTF-8 text: {value[:40]!r}") from None
    if not isinstance(value, str):
        raise CaseError(file, field_name, f"expected a string, got {value!r}")
    return value


def as_float(value: Any, file: Path, field_name: str) -> float:
    """One number (a scalar or a one-element array); text, booleans and empty arrays are a CaseError."""
    array = np.array([]) if isinstance(value, bool) else numbers(value, file, field_name)
    if array.size != 1:
        raise CaseError(file, field_name, f"expected one number, got {value!r}")
    return float(array.reshape(-1)[0])


def numbers(value: Any, file: Path, field_name: str) -> np.ndarray:
    """`value` (an array, nested lists or a torch tensor) as float64; text, booleans, objects, complex
    numbers and ragged lists are a CaseError naming the field, not a conversion that fails later."""
    try:
        array = value.detach().cpu().numpy() if hasattr(value, "detach") else np.asarray(value)
    except (TypeError, ValueError):
        raise CaseError(file, field_name, "expected an array of numbers (ragged or mixed nested lists?)") from None
    if array.dtype.kind not in "fiu":
        raise CaseError(file, field_name, f"expected numbers, got {array.dtype} values: {_preview(array)}")
    return array.astype(np.float64)


def _preview(array: np.ndarray) -> str:
    text = repr(array.reshape(-1)[:3].tolist())
    return text if len(text) <= 60 else text[:57] + "..."


def resolve_pelvis_rest(
    options: MotionImportOptions, model_type: str, gender: str, betas: np.ndarray, record: dict[str, Any]
) -> np.ndarray | None:
    """The body model's rest pelvis position: user value, else from licensed model files, else None."""
    if options.pelvis_offset is not None:
        record["pelvis_rest_source"] = "user (--pelvis-offset)"
        return np.asarray(options.pelvis_offset, dtype=np.float64)
    models = body_models_dir(options.body_models)
    if models is not None:
        pelvis, path = rest_pelvis(model_type, gender, betas, models)
        record["pelvis_rest_source"] = f"body model file {path.name}"
        return pelvis
    return None


def smpl_world_to_z_up(
    up_axis: str, global_orient: np.ndarray, transl: np.ndarray, pelvis_rest: np.ndarray | None,
    joints: np.ndarray | None, file: Path, record: dict[str, Any],
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:  # fmt: skip
    """Rotate SMPL world data to Z-up.

    SMPL rotates the body about its rest pelvis J, so the pelvis sits at J + transl. Turning the world
    by R keeps the body intact only with transl' = R (J + transl) - J: this needs J, which depends on
    the body model and the shape, and is why this conversion asks for it instead of guessing.
    """
    if global_orient.ndim != 2 or global_orient.shape[1] != 3:
        raise CaseError(file, "global_orient", f"expected (T, 3) axis-angle, got shape {global_orient.shape}")
    if transl.shape != global_orient.shape:
        raise CaseError(file, "transl", f"expected {global_orient.shape} like global_orient, got {transl.shape}")
    rotation = to_z_up(up_axis)
    record["up_axis"] = up_axis
    record["world_rotation_to_z_up"] = rotation_matrix_list(rotation)
    if up_axis == "z":
        return global_orient, transl, joints
    if pelvis_rest is None:
        raise CaseError(
            file, "up_axis",
            "turning Y-up SMPL parameters to Z-up needs the body model's rest pelvis position: pass "
            "--body-models DIR (or set HSIMUL3R_BODY_MODELS) or --pelvis-offset X,Y,Z, or give the file joints",
        )  # fmt: skip
    record["pelvis_rest_m"] = [float(v) for v in pelvis_rest]
    orient = (rotation * Rotation.from_rotvec(global_orient)).as_rotvec()
    moved = rotation.apply(pelvis_rest + transl) - pelvis_rest
    turned_joints = None if joints is None else rotation.apply(joints.reshape(-1, 3)).reshape(joints.shape)
    return orient, moved, turned_joints


def npz_keys(path: Path) -> set[str] | None:
    """The array names of an `.npz` (read from its zip directory, nothing loaded); None when not a zip."""
    try:
        with zipfile.ZipFile(path) as archive:
            return {name.removesuffix(".npy") for name in archive.namelist()}
    except (OSError, zipfile.BadZipFile):
        return None
