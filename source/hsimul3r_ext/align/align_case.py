"""`align` stage: a case in, a new case out with the objects and the human placed by the 3D structural
prior, plus `align.json` saying what moved and the metrics before and after."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import trimesh

from ..atomic_dir import atomic_output_dir
from ..body.posed_surface import sample_frames
from ..hsi.case_io import MANIFEST, load_case, load_mesh, manifest_json, write_case_files
from ..hsi.scene import HSIScene
from .config import AlignConfig
from .metrics import measure_alignment
from .optimise import AlignmentResult, optimise
from .plots import plot_alignment, plot_losses
from .problem import AlignmentProblem, build_problem

RECORD = "align.json"
PICTURE = "align.png"
LOSSES = "align_losses.png"


def align_case(
    case_dir: str | Path,
    out_dir: str | Path,
    config: AlignConfig,
    *,
    models_dir: str | Path | None = None,
    overwrite: bool = False,
    progress: bool | None = None,
) -> dict[str, Any]:
    """Align the case in `case_dir` and write the aligned case (with align.json and pictures) to `out_dir`."""
    start = time.perf_counter()
    scene = load_case(case_dir)
    problem = build_problem(scene, config, models_dir)
    optimised = sample_frames(len(problem.surface.frames), config.max_frames)
    subset = AlignmentProblem(problem.surface.at(optimised), problem.objects, problem.contacts.at_frames(optimised))
    result = optimise(subset, config, progress)
    before = measure_alignment(problem.surface, problem.objects, problem.contacts)
    after = measure_alignment(problem.surface, result.objects, problem.contacts, result.human_translation)
    record = {
        "case": scene.name,
        "moved": {
            "human": {"translation_m": [float(v) for v in result.human_translation]},
            "objects": {
                obj.name: {**move, "on_floor": obj.on_floor}
                for obj, move in zip(problem.objects, result.moves, strict=True)
            },
        },
        "metrics": {"before": before, "after": after},
        "contact_source": problem.contacts.source,
        "contact_pairs": len(problem.contacts),
        "frames": {"measured": len(problem.surface.frames), "optimised": len(optimised)},
        "losses": {key: values[-1] for key, values in result.losses.items()},
        "config": config.to_json(),
        "files": {"picture": PICTURE, "losses": LOSSES},
    }
    aligned = _aligned_scene(scene, result)
    with atomic_output_dir(out_dir, overwrite=overwrite) as stage:
        write_case_files(aligned, stage)
        _write_scaled_meshes(aligned, scene, result, stage)
        load_case(stage)  # the result is a valid case
        plot_alignment(stage / PICTURE, scene.name, problem, result)
        plot_losses(stage / LOSSES, scene.name, result.losses)
        record["seconds"] = time.perf_counter() - start
        (stage / RECORD).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return record


def measure_case(case_dir: str | Path, config: AlignConfig, *, models_dir: str | Path | None = None) -> dict[str, Any]:
    """The alignment's metrics of a case as it stands (any stage's case: input, aligned, refined by a pass)."""
    problem = build_problem(load_case(case_dir), config, models_dir)
    return measure_alignment(problem.surface, problem.objects, problem.contacts)


def _aligned_scene(scene: HSIScene, result: AlignmentResult) -> HSIScene:
    """The input case with moved object poses and the human's translation shifted (joints too)."""
    motion = scene.motion
    offset = result.human_translation
    joints = None if motion.joints is None else motion.joints + offset
    moved_motion = replace(motion, transl=motion.transl + offset, joints=joints)
    objects = [
        replace(obj, position=geometry.position, orientation=geometry.orientation)
        for obj, geometry in zip(scene.objects, result.objects, strict=True)
    ]
    provenance = [*scene.provenance, {"step": "align", "human_translation_m": [float(v) for v in offset]}]
    return HSIScene(scene.name, moved_motion, objects, scene.point_clouds, provenance, root=scene.root)


def _write_scaled_meshes(aligned: HSIScene, original: HSIScene, result: AlignmentResult, stage: Path) -> None:
    """Objects the alignment rescaled get their own mesh file; the manifest points to it."""
    scaled = False
    for obj, geometry in zip(aligned.objects, result.objects, strict=True):
        if np.isclose(geometry.scale, 1.0, rtol=0.0, atol=1e-6):
            continue
        mesh: trimesh.Trimesh = load_mesh(Path(original.root) / obj.mesh)
        mesh.apply_scale(geometry.scale)
        obj.mesh = str(Path(obj.mesh).with_name(f"{obj.name}_aligned.obj"))
        mesh.export(stage / obj.mesh)
        scaled = True
    if scaled:
        (stage / MANIFEST).write_text(json.dumps(manifest_json(aligned), indent=2) + "\n", encoding="utf-8")
