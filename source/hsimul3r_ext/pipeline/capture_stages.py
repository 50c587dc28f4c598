"""The stages a capture folder runs before the case stages: bring it in as a case in a metric, gravity-aligned
world (`capture`), then the joint human–scene–camera alignment on the 2D evidence (`capture_align`, switchable).
The case stages (validate, align, convert, judge, ...) then take the last one's case as their input."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..hsi.case_io import MANIFEST
from .stages import Stage, StageInputs

CASE = "case"  # the case a capture stage writes inside its folder
WORLD_PICTURE = "capture_world.png"


def is_capture_folder(path: Path) -> bool:
    """A folder of perception tools' outputs (no case manifest, something a capture importer knows)."""
    from ..ingest.capture.folder import detect_capture

    return path.is_dir() and not (path / MANIFEST).is_file() and bool(detect_capture(path))


def captured_case(folders: Mapping[str, Path]) -> Path:
    """The case the capture stages ended with: aligned when the alignment ran."""
    return folders.get("capture_align", folders["capture"]) / CASE


def _capture(inputs: StageInputs, folder: Path, config: Mapping[str, Any]) -> dict[str, Any]:
    from ..ingest.capture.to_case import capture_case

    return capture_case(inputs.case, folder / CASE, config["capture"], models_dir=inputs.options.models_dir,
                        picture=folder / WORLD_PICTURE)  # fmt: skip


def _capture_align(inputs: StageInputs, folder: Path, config: Mapping[str, Any]) -> dict[str, Any]:
    from ..align.capture_case import align_capture_case

    source = inputs.upstream["capture"] / CASE
    return align_capture_case(source, folder, config["capture_align"], models_dir=inputs.options.models_dir)


CAPTURE_STAGES: dict[str, Stage] = {
    "capture": Stage("capture", ("capture",), (), _capture, options=("models_dir",)),
    "capture_align": Stage(
        "capture_align",
        ("capture_align",),
        ("capture",),
        _capture_align,
        options=("models_dir",),
        switch="capture_align.enabled",
    ),
}
