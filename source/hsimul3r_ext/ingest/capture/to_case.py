"""A capture folder becomes a case: the scene's floor z = 0 with Z up in metres (scale from the people),
people placed in that world, generated objects fitted to the scene points under their masks, and the
cameras and 2D evidence kept in the case for the capture alignment."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import trimesh
from omegaconf import MISSING
from scipy.spatial.transform import Rotation

from ...hsi.errors import CaseError
from ..importers.common import ImportedMotion, MotionImportOptions
from ..importers.meshes import ObjectSpec
from ..ingest_case import ingest
from .folder import import_capture
from .model import Capture, Person
from .object_fit import PlacedObject, fit_objects, masked_points
from .people.smpl_frames import motion_pelvis_rest, moved_motion
from .plots import plot_capture_world
from .world import ScaleFit, fit_floor, metric_scale, world_capture


@dataclass
class CaptureConfig:
    person: str | None = None
    fps: float = MISSING
    objects_gravity_aligned: bool = MISSING
    floor_snap_m: float = MISSING


def load_capture_config(overrides: Sequence[str] = ()) -> CaptureConfig:
    """The `capture` section, checked."""
    from ...settings import CONFIG_DIR, stage_config

    config = stage_config("capture", CaptureConfig, overrides)
    if not 0 < config.fps <= 1000:
        raise CaseError(
            CONFIG_DIR / "capture" / "default.yaml", "capture.fps", f"must be in (0, 1000], got {config.fps}"
        )
    return config


def capture_case(
    capture_dir: Path, out: Path, config: CaptureConfig, models_dir: Path | None = None, overwrite: bool = False,
    picture: Path | None = None, imported: Capture | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Write the case of the capture's person (`config.person`, else the first with a body and 2D evidence)
    to `out`, and a picture of its world to `picture`; returns the record of every step (floor, scale, people,
    objects). `imported`: the capture already imported from `capture_dir` (one import for several people)."""
    options = MotionImportOptions(body_models=models_dir)
    capture = imported or import_capture(capture_dir, options, fps=config.fps)
    person = _chosen(capture, config.person, capture_dir)
    if capture.scene is None:
        raise CaseError(capture_dir, "scene", "no scene reconstruction: the floor and the objects come from it")
    poses = np.concatenate([camera.camera_to_world for camera in capture.cameras.values()])
    floor = fit_floor(capture.scene.points, capture.scene.confidence, cameras=poses)
    scale = None if capture.metric else _scale(capture, person, models_dir)
    world, _ = world_capture(capture, floor, scale, models_dir)
    person = _in_world(next(p for p in world.people if p.person_id == person.person_id), world, models_dir)
    placed = _placed_objects(world, config.objects_gravity_aligned)
    rested = [_rested(obj, config.floor_snap_m) for obj in placed]
    record = {
        "capture": str(capture_dir),
        "person": person.person_id,
        "people": [
            {
                "id": p.person_id,
                "frame": p.frame_of_reference,
                "views": sorted(p.keypoints),
                "body": p.motion is not None,
            }
            for p in capture.people
        ],
        "cameras": sorted(world.cameras),
        "world": world.provenance[-1],
        "objects": [
            {
                "name": p.name,
                "residual_m": p.residual,
                "kept_share": p.kept_share,
                "points": p.points,
                "scale": p.similarity.scale,
                "rested_on_floor_m": shift,
            }
            for p, shift in zip(placed, rested, strict=True)
        ],
    }
    if picture is not None:
        meshes = {obj.name: obj.mesh for obj in placed}
        record["picture"] = plot_capture_world(
            picture, f"{capture_dir.name}, person {person.person_id}", world, meshes, person
        ).name
    points = [] if world.scene is None or not len(world.scene.points) else [world.scene.points]
    provenance = {**person.provenance, "capture": {key: record[key] for key in ("person", "cameras", "world")}}
    write_capture_case(
        out, capture_dir, ImportedMotion(person.motion, provenance), {obj.name: obj.mesh for obj in placed}, points,
        f"{capture_dir.name}_{person.person_id}", (world, person), overwrite=overwrite,
    )  # fmt: skip
    return record


def write_capture_case(
    out: Path, source: Path, motion: ImportedMotion, meshes: Mapping[str, trimesh.Trimesh],
    clouds: Sequence[np.ndarray], name: str, capture: tuple[Capture, Person], *,
    details: Mapping[str, Mapping[str, Any]] | None = None, overwrite: bool = False,
) -> None:  # fmt: skip
    """A case from world-frame meshes and points (Z up, metres) through the importers, with the capture's
    evidence; `details` are ObjectSpec fields per object (category, mass, ...)."""
    with tempfile.TemporaryDirectory() as tmp:
        specs = []
        for object_name, mesh in meshes.items():
            path = Path(tmp) / f"{object_name}.ply"
            mesh.export(path)
            specs.append(ObjectSpec(path, name=object_name, up_axis="z", **(details or {}).get(object_name, {})))
        files = []
        for index, points in enumerate(clouds):
            path = Path(tmp) / f"points_{index}.ply"
            trimesh.PointCloud(points).export(path)
            files.append((path, 1.0, "z"))
        ingest(out, imported=(motion, source), objects=specs, point_clouds=files, name=name, capture=capture,
               overwrite=overwrite)  # fmt: skip


def _scale(capture: Capture, person: Person, models_dir: Path | None) -> ScaleFit:
    """Metres per scene unit: from a tool's metric camera track registered to the scene's cameras when there
    is one (a scale measured on two or more camera positions), else from the person's bones."""
    for someone in capture.people:
        registration = someone.provenance.get("registered_to_scene", {})
        if registration.get("scale_measured"):
            poses = int(registration["poses"])
            return ScaleFit(1.0 / registration["similarity"]["scale"], registration["relative_residual"], 0, poses,
                            poses, f"cameras ({someone.provenance.get('importer')})", someone.person_id)  # fmt: skip
    return metric_scale(capture, person.person_id, models_dir=models_dir)


def _chosen(capture: Capture, person_id: str | None, folder: Path) -> Person:
    candidates = [p for p in capture.people if p.motion is not None and p.keypoints]
    if person_id is not None:
        candidates = [p for p in capture.people if p.person_id == str(person_id)]
        if not candidates or candidates[0].motion is None:
            raise CaseError(folder, "person", f"no reconstructed person {person_id!r}")
    if not candidates:
        raise CaseError(folder, "people", "no reconstructed person with 2D keypoints matched to them")
    return candidates[0]


def _in_world(person: Person, world: Capture, models_dir: Path | None) -> Person:
    """A person reconstructed in a camera's frame, moved by that camera's pose frame by frame (the world is
    metric now, as the camera-frame body always was)."""
    reference = person.frame_of_reference
    if reference == "capture":
        return person
    if not reference.startswith("camera:") or reference.removeprefix("camera:") not in world.cameras:
        raise CaseError(
            f"person {person.person_id}", "frame",
            f"{reference!r}: only people in the scene's frame or in one of its cameras' frames can be placed",
        )  # fmt: skip
    camera = world.cameras[reference.removeprefix("camera:")]
    poses = np.stack([camera.pose(int(frame)) for frame in person.frames])
    pelvis = motion_pelvis_rest(person.motion, MotionImportOptions(body_models=models_dir))
    moved = moved_motion(person.motion, Rotation.from_matrix(poses[:, :3, :3]), poses[:, :3, 3], pelvis)
    return replace(person, motion=moved, frame_of_reference="capture")


def _rested(obj: PlacedObject, within_m: float) -> float:
    """Move an object whose lowest point is within `within_m` of the floor onto it (furniture stands; a fit to
    points of one side slides a little along the up axis); returns the move (m)."""
    lowest = float(obj.mesh.vertices[:, 2].min())
    if abs(lowest) > within_m:
        return 0.0
    obj.mesh.apply_translation([0.0, 0.0, -lowest])
    return -lowest


def _placed_objects(world: Capture, gravity_aligned: bool) -> list[PlacedObject]:
    """Each generation placed by its own fit: a multi-instance file's instances jointly (their shared frame has
    any orientation), single objects on their own (upright when the generators' objects are)."""
    placed = []
    by_file: dict[str, list] = {}
    for obj in world.objects:
        by_file.setdefault(str(obj.provenance.get("source")), []).append(obj)
    for objects in by_file.values():
        points = {obj.name: masked_points(world, obj.mask_label or f"object:{obj.name}") for obj in objects}
        multi = objects[0].provenance.get("importer") == "midi_glb"
        placed += fit_objects(objects, points, shared_frame=multi and len(objects) > 1,
                              gravity_aligned=gravity_aligned and not multi)  # fmt: skip
    return placed
