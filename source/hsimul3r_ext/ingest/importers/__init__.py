"""Importers: each brings one outside format into the case format, converting axes and units once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ...hsi.errors import CaseError
from .amass import import_amass
from .beyondmimic import import_beyondmimic
from .common import ImportedMotion, MotionImportOptions, npz_keys
from .protomotions import import_protomotions
from .smpl_params import import_smpl_params

MOTION_IMPORTERS: dict[str, Callable[[Path, MotionImportOptions], ImportedMotion]] = {
    "amass": import_amass,
    "smpl": import_smpl_params,
    "protomotions": import_protomotions,
    "beyondmimic": import_beyondmimic,
}


def detect_motion_format(path: Path) -> str:
    """The format of a motion file from its suffix and, for `.npz`, its keys."""
    suffix = path.suffix.lower()
    if suffix == ".motion":
        return "protomotions"
    if suffix == ".pkl":
        return "smpl"
    if suffix == ".npz":
        keys = npz_keys(path)
        if keys is None:
            raise CaseError(path, "file", "not a readable .npz archive")
        for key, fmt in (("poses", "amass"), ("body_pos_w", "beyondmimic"), ("global_orient", "smpl")):
            if key in keys:
                return fmt
    raise CaseError(
        path, "motion format", f"cannot tell from the file; pass --motion-format ({', '.join(MOTION_IMPORTERS)})"
    )


def import_motion(path: Path, motion_format: str | None, options: MotionImportOptions) -> ImportedMotion:
    """Run the importer for `motion_format` (detected when None)."""
    if not path.is_file():
        raise CaseError(path, "file", "does not exist")
    fmt = motion_format or detect_motion_format(path)
    if fmt not in MOTION_IMPORTERS:
        raise CaseError(path, "motion format", f"unknown {fmt!r}; known: {', '.join(MOTION_IMPORTERS)}")
    return MOTION_IMPORTERS[fmt](path, options)
