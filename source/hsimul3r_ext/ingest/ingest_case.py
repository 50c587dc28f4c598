"""Build a new case folder from outside files, atomically."""

from __future__ import annotations

from pathlib import Path

from ..atomic_dir import atomic_output_dir
from ..hsi.case_io import load_case, write_case_files
from ..hsi.errors import CaseError, CaseWarning
from ..hsi.scene import HSIScene
from .capture.model import Capture, Person
from .capture.store import CAPTURE_FOLDER, save_evidence
from .checks import check_stature_from_betas
from .importers import ImportedMotion, MotionImportOptions, import_motion
from .importers.meshes import ObjectSpec, import_object, object_name
from .importers.point_clouds import import_point_cloud


def ingest(
    out_dir: str | Path,
    *,
    motion: Path | None = None,
    motion_format: str | None = None,
    motion_options: MotionImportOptions | None = None,
    objects: list[ObjectSpec] | None = None,
    point_clouds: list[tuple[Path, float, str]] | None = None,
    name: str | None = None,
    overwrite: bool = False,
    imported: tuple[ImportedMotion, Path] | None = None,
    capture: tuple[Capture, Person] | None = None,
) -> HSIScene:
    """Import a motion, object meshes and point clouds into `out_dir`; nothing is left on failure.

    A motion another importer already brought in comes as `imported` (with the file it came from, for
    errors); a capture's cameras and one person's 2D evidence as `capture`, kept in the case's capture
    folder. The scene returned carries the importers' warnings (objects off the floor), named on the input files.
    """
    if motion is None and imported is None and not objects:
        raise CaseError(out_dir, "inputs", "nothing to ingest: give --motion and/or --object")
    out = Path(out_dir)
    with atomic_output_dir(out, overwrite=overwrite) as stage:
        scene = HSIScene(name=name or out.name, root=stage)
        if motion is not None:
            imported = import_motion(Path(motion), motion_format, motion_options or MotionImportOptions()), motion
        if imported is not None:
            result, source = imported
            result.motion.validate(source)
            check_stature_from_betas(source, result.motion)
            scene.motion = result.motion
            scene.provenance.append(result.provenance)
        if capture is not None:
            save_evidence(*capture, stage / CAPTURE_FOLDER)
            scene.capture = CAPTURE_FOLDER
        taken: set[str] = set()
        for spec in objects or []:
            obj_name = spec.name or object_name(spec.path.stem, taken)
            if obj_name in taken:
                raise CaseError(spec.path, "name", f"object name {obj_name!r} is used twice")
            taken.add(obj_name)
            obj, record = import_object(spec, obj_name, stage)
            scene.objects.append(obj)
            scene.provenance.append(record)
            scene.warnings += [CaseWarning(str(spec.path), "position", problem) for problem in record["warnings"]]
        for index, (path, scale, up_axis) in enumerate(point_clouds or []):
            ref, record = import_point_cloud(Path(path), f"scene_points_{index}", stage, scale, up_axis)
            scene.point_clouds.append(ref)
            scene.provenance.append(record)
        write_case_files(scene, stage)
        load_case(stage)
    scene.root = out
    return scene
