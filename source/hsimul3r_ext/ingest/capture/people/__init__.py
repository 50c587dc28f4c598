"""Importers of people trackers' outputs (4DHumans/PHALP, GVHMR, WHAM, TRAM, HSfM, VideoMimic): each track
becomes a `Person` with a canonical motion, the frame it lives in, and the record of every conversion made."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ...importers.common import MotionImportOptions
from ..model import Capture
from .fourdhumans import import_fourdhumans, looks_like_phalp
from .gvhmr import import_gvhmr
from .hsfm import import_hsfm
from .pickles import load_joblib
from .tram import import_tram, track_files
from .videomimic import import_videomimic
from .wham import import_wham

PEOPLE_IMPORTERS: dict[str, Callable[[Path, MotionImportOptions], Capture]] = {
    "4dhumans": import_fourdhumans,
    "gvhmr": import_gvhmr,
    "wham": import_wham,
    "tram": import_tram,
    "hsfm": import_hsfm,
    "videomimic": import_videomimic,
}


def detect_people_format(path: Path) -> str | None:
    """The tool that wrote `path`, from its name (and, for a PHALP `.pkl`, its keys: an unsafe pickle is a
    CaseError); None when it is not a people file."""
    name = path.name
    if path.is_dir():
        return "tram" if track_files(path) else None
    if name == "hmr4d_results.pt":
        return "gvhmr"
    if name.startswith("wham_output") and name.endswith(".pkl"):
        return "wham"
    if name.startswith("hsfm_output_smpl") and name.endswith(".pkl"):
        return "hsfm"
    if name == "gravity_calibrated_megahunter.h5":
        return "videomimic"
    if path.parent.name == "hps" and track_files(path.parent.parent):
        return "tram"
    if path.suffix.lower() == ".pkl" and looks_like_phalp(load_joblib(path)):
        return "4dhumans"
    return None
