"""The capture alignment as a pipeline stage: a case that came from a capture (its `capture` folder holds the
cameras and the person's 2D keypoints) fitted to those keypoints, written as a new case.

The capture stage already put the case in a metric world (floor z = 0, scale from the person's bones); the
alignment refines that scale about the world origin, which lies on the floor, so the floor stays z = 0:
objects and scene points scale with it, and the cameras and the person take the aligned values.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ..hsi.case_io import load_case, object_world_mesh
from ..hsi.errors import CaseError
from ..ingest.capture.store import load_evidence
from ..ingest.capture.to_case import write_capture_case
from ..ingest.importers.common import ImportedMotion
from .capture import CaptureAlignConfig, align_capture
from .capture_plots import plot_capture_alignment

PICTURE = "capture_alignment.png"


def align_capture_case(
    case_dir: Path, folder: Path, config: CaptureAlignConfig, models_dir: Path | None = None
) -> dict[str, Any]:
    """Align the case at `case_dir` to its capture's keypoints; the result goes to `folder / "case"`."""
    scene = load_case(case_dir)
    if scene.capture is None or scene.motion is None:
        raise CaseError(case_dir, "capture", "the case has no capture folder or no motion: nothing to align")
    evidence = load_evidence(case_dir / scene.capture)
    person = replace(evidence.people[0], motion=scene.motion, frame_of_reference="capture")
    # metric already (the capture stage's scale from the bones); refined where two viewpoints see the person at once
    capture = replace(evidence, people=[person], metric=True)
    result = align_capture(capture, config, source=case_dir / scene.capture, models_dir=models_dir)
    aligned = result.apply(capture)
    picture = plot_capture_alignment(folder / PICTURE, scene.name, capture, result)
    meshes = {obj.name: object_world_mesh(obj, case_dir).apply_scale(result.scale) for obj in scene.objects}
    details = {
        obj.name: {"category": obj.category, "mass_kg": obj.mass_kg, "density_kg_m3": obj.density_kg_m3,
                   "static": obj.static}
        for obj in scene.objects
    }  # fmt: skip
    clouds = []
    for cloud in scene.point_clouds:
        with np.load(case_dir / cloud.file, allow_pickle=False) as stored:
            clouds.append(stored["points"] * result.scale)
    record = {"step": "capture_align", **result.to_json()}
    motion = ImportedMotion(aligned.people[0].motion, {**scene.provenance[0], "capture_align": record})
    write_capture_case(folder / "case", case_dir, motion, meshes, clouds, scene.name, (aligned, aligned.people[0]),
                       details=details)  # fmt: skip
    return {**result.to_json(), "picture": picture.name}
