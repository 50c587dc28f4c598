"""A capture folder as users have it on disk, read into one `Capture`.

What is where (each tool's own file names; see docs/capture.md):
- the scene: a DUSt3R/MASt3R `.npz` (keys `pts3d`, `conf`, `cam2world`) or HSfM's
  `dust3r_reconstruction_results*.pkl`, whose views name the cameras;
- people: any file or folder a people importer recognises (`hmr4d_results.pt`, `wham_output*.pkl`, a TRAM
  folder, `hsfm_output_smpl*.pkl`, `gravity_calibrated_megahunter.h5`, a 4DHumans/PHALP `.pkl`);
- `vitpose/<camera>/pose_*.json` and `sam2/<camera>/` (Grounded-SAM-2's mask and json folders): the 2D
  evidence of each camera, the folder named as the scene names that camera;
- `objects/*.glb`: generated objects: a multi-instance (MIDI) glb when it has several meshes or its name
  starts with "midi", its instances named by their nodes; else one object per file, named by the file.
  An object's name is the SAM2 class of its mask.

A `capture.yaml` may name the sources and their formats instead (`_named_sources`). The 2D tracks are
matched to the reconstructed people by projecting each person into the camera.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.spatial.transform import Rotation

from ...body.posed_surface import posed_keypoints
from ...hsi.errors import CaseError
from ..importers.common import MotionImportOptions, npz_keys
from .evidence import import_sam2_masks, import_vitpose
from .keypoint_layouts import correspondence
from .masks import is_person, labelled
from .model import CameraTrack, Capture, GeneratedObject, Person
from .object_fit import similarity_from_pairs
from .objects import import_multi_instance_glb, import_single_object_glb
from .people import PEOPLE_IMPORTERS, detect_people_format
from .people.smpl_frames import motion_pelvis_rest, moved_motion
from .scene_points import import_dust3r_npz, import_hsfm_dust3r, import_scene_cloud
from .world import Similarity

KEYPOINTS_FOLDER, MASKS_FOLDER, OBJECTS_FOLDER = "vitpose", "sam2", "objects"
CAPTURE_MANIFEST = "capture.yaml"  # optional: names the sources instead of detecting them
MATCH_WITHIN = 0.15  # a 2D track belongs to a person whose projection stays this close (share of the image diagonal)


@dataclass
class CaptureSources:
    """The files of a capture folder, by role."""

    scene: tuple[str, Path] | None = None  # (importer, file)
    people: list[tuple[str, Path]] = field(default_factory=list)
    keypoints: dict[str, Path] = field(default_factory=dict)  # camera -> folder
    masks: dict[str, Path] = field(default_factory=dict)
    objects: list[Path] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.scene is not None or bool(self.people)


SCENE_IMPORTERS = {
    "dust3r_npz": import_dust3r_npz,
    "hsfm_dust3r": import_hsfm_dust3r,
    "scene_cloud": import_scene_cloud,
}


def detect_capture(folder: Path) -> CaptureSources:
    """What a capture folder holds (named in its `capture.yaml`, else detected); empty when nothing in it is a
    perception tool's output."""
    if (folder / CAPTURE_MANIFEST).is_file():
        return _named_sources(folder)
    sources = CaptureSources()
    for path in sorted(folder.iterdir()):
        if path.name in (KEYPOINTS_FOLDER, MASKS_FOLDER, OBJECTS_FOLDER):
            continue
        scene = _scene_format(path)
        if scene is not None:
            if sources.scene is not None:
                raise CaseError(path, "scene", f"a second scene reconstruction beside {sources.scene[1].name}")
            sources.scene = (scene, path)
            continue
        people = detect_people_format(path) if path.is_file() or path.is_dir() else None
        if people is not None:
            sources.people.append((people, path))
    for role, target in ((KEYPOINTS_FOLDER, sources.keypoints), (MASKS_FOLDER, sources.masks)):
        if (folder / role).is_dir():
            target.update({p.name: p for p in sorted((folder / role).iterdir()) if p.is_dir()})
    if (folder / OBJECTS_FOLDER).is_dir():
        sources.objects = sorted(p for p in (folder / OBJECTS_FOLDER).iterdir() if p.suffix.lower() == ".glb")
    return sources


def _named_sources(folder: Path) -> CaptureSources:
    """The sources `capture.yaml` names: for files whose tool detection cannot tell, or a folder laid out
    otherwise. Keys: `scene` {file, format}, `people` [{file, format}], `keypoints` and `masks` {camera:
    folder}, `objects` [file]; paths relative to the capture folder."""
    import yaml

    manifest = folder / CAPTURE_MANIFEST
    try:
        data = yaml.safe_load(manifest.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as err:
        raise CaseError(manifest, "file", f"not readable YAML ({str(err).splitlines()[0]})") from None
    unknown = sorted(set(data) - {"scene", "people", "keypoints", "masks", "objects"}) if isinstance(data, dict) else []
    if not isinstance(data, dict) or unknown:
        raise CaseError(manifest, unknown[0] if unknown else "file", "expected the keys scene, people, keypoints, "
                        "masks, objects")  # fmt: skip

    def inside(relative: object, where: str, directory: bool = False) -> Path:
        path = (folder / str(relative)).resolve()
        if not isinstance(relative, str) or not path.is_relative_to(folder.resolve()):
            raise CaseError(manifest, where, f"expected a path inside the capture folder, got {relative!r}")
        if not (path.is_dir() if directory else path.exists()):
            raise CaseError(manifest, where, f"{relative} does not exist")
        return path

    def named(entry: object, where: str, known: tuple[str, ...]) -> tuple[str, Path]:
        if not isinstance(entry, dict) or entry.get("format") not in known:
            raise CaseError(manifest, f"{where}.format", f"expected one of {', '.join(known)}")
        return entry["format"], inside(entry.get("file"), f"{where}.file")

    sources = CaptureSources()
    if data.get("scene") is not None:
        sources.scene = named(data["scene"], "scene", tuple(SCENE_IMPORTERS))
    sources.people = [named(e, f"people[{i}]", tuple(PEOPLE_IMPORTERS)) for i, e in enumerate(data.get("people") or [])]
    for role, target in (("keypoints", sources.keypoints), ("masks", sources.masks)):
        cameras = data.get(role) or {}
        if not isinstance(cameras, dict):
            raise CaseError(manifest, role, "expected {camera: folder}")
        target.update(
            {str(camera): inside(path, f"{role}.{camera}", directory=True) for camera, path in cameras.items()}
        )
    sources.objects = [inside(path, f"objects[{i}]") for i, path in enumerate(data.get("objects") or [])]
    return sources


def _scene_format(path: Path) -> str | None:
    if path.is_file() and path.name.startswith("dust3r_reconstruction_results") and path.suffix == ".pkl":
        return "hsfm_dust3r"
    if path.is_file() and path.suffix.lower() == ".npz" and "pts3d" in (npz_keys(path) or set()):
        return "dust3r_npz"
    return None


def import_capture(folder: Path, options: MotionImportOptions | None = None, fps: float = 30.0) -> Capture:
    """Every source of the capture folder in one `Capture` (the scene's frame and units)."""
    sources = detect_capture(folder)
    if not sources:
        raise CaseError(folder, "capture folder", "holds no scene reconstruction and no people file a tool wrote")
    capture = Capture(fps=fps)
    if sources.scene is not None:
        importer, path = sources.scene
        scene = SCENE_IMPORTERS[importer](path, fps=fps)
        capture = replace(scene, provenance=list(scene.provenance))
    for fmt, path in sources.people:
        part = PEOPLE_IMPORTERS[fmt](path, options or MotionImportOptions())
        capture.people += _registered(capture, part, path, options or MotionImportOptions())
        capture.provenance += part.provenance
        capture.fps = part.fps
    tracks: dict[str, list[Person]] = {}
    for camera, path in sources.keypoints.items():
        _known_camera(capture, camera, path)
        part = import_vitpose(path, camera, fps=capture.fps)
        tracks[camera] = part.people
        capture.provenance += part.provenance
    for camera, path in sources.masks.items():
        _known_camera(capture, camera, path)
        part = import_sam2_masks(path, camera, fps=capture.fps)
        capture.masks.update(part.masks)
        capture.provenance += part.provenance
    _without_people(capture)
    capture.objects = _objects(sources.objects)
    _attach_tracks(capture, tracks, folder)
    return capture


def _without_people(capture: Capture) -> None:
    """The scene's points leave out the pixels the masks give to people: a reconstruction network's point maps
    hold the people too, and the floor fit and the objects want the static scene."""
    scene = capture.scene
    if scene is None or not scene.point_maps or not capture.masks:
        return
    floor = float(scene.provenance.get("min_confidence", 0.0))
    points, confidence, dropped = [], [], 0
    for point_map in scene.point_maps:
        keep = (point_map.confidence > floor) & np.isfinite(point_map.points).all(axis=-1)
        people = labelled(capture, point_map, is_person)
        if people is not None:
            person = people & keep
            dropped += int(person.sum())
            keep &= ~person
        points.append(point_map.points[keep])
        confidence.append(point_map.confidence[keep])
    scene.provenance["notes"].append(f"{dropped} points on people's masks left out of the scene's points")
    capture.scene = replace(scene, points=np.concatenate(points), confidence=np.concatenate(confidence), colors=None)


def _registered(capture: Capture, part: Capture, path: Path, options: MotionImportOptions) -> list[Person]:
    """The people of a tool's file in the capture frame.

    A tool that places its cameras in its own world (HSfM, TRAM, GVHMR, VideoMimic) is registered to the
    scene by the cameras both name: the similarity between the two sets of poses (from the camera centres
    when two or more differ, else from the one pose, at the scene's scale) moves its people, their bodies
    keeping their metric size. A person in a camera's frame is in that camera's frame in the scene too. A
    capture without a scene takes the tool's world and cameras as they are."""
    if not capture.cameras:
        capture.cameras.update(part.cameras)
        return part.people
    if len(capture.cameras) == 1 and len(part.cameras) <= 1:  # one video: the tool's camera is the scene's
        only = next(iter(capture.cameras))
        part = _renamed(part, only)
    shared = sorted(set(part.cameras) & set(capture.cameras))
    registration = _tool_to_scene(part, capture, shared) if shared else None
    people = []
    for person in part.people:
        reference = person.frame_of_reference
        if registration is not None:
            person.provenance["registered_to_scene"] = {
                **registration,
                "similarity": registration["similarity"].to_json(),
            }
        if reference.startswith("camera:") and reference.removeprefix("camera:") in capture.cameras:
            people.append(person)
        elif reference in ("capture", "gravity") and registration is not None:
            similarity = registration["similarity"]
            pelvis = motion_pelvis_rest(person.motion, options)
            moved = moved_motion(person.motion, Rotation.from_matrix(similarity.rotation), similarity.translation,
                                 pelvis, similarity.scale)  # fmt: skip
            people.append(replace(person, motion=moved, frame_of_reference="capture"))
        else:
            raise CaseError(
                path, "cameras",
                f"person {person.person_id} is in the frame {reference!r}, and the tool's cameras "
                f"({', '.join(part.cameras) or 'none'}) are not the scene's ({', '.join(capture.cameras)}): "
                "name them alike to register the two",
            )  # fmt: skip
    return people


def _renamed(part: Capture, name: str) -> Capture:
    """The tool's one camera, and the camera frames of its people, named `name`."""
    cameras = {}
    for camera in part.cameras.values():
        cameras[name] = replace(camera, name=name)
    people = [
        replace(p, frame_of_reference=f"camera:{name}") if p.frame_of_reference.startswith("camera:") else p
        for p in part.people
    ]
    return replace(part, cameras=cameras, people=people)


def _tool_to_scene(part: Capture, capture: Capture, shared: list[str]) -> dict:
    """Tool world -> capture frame, from the poses of the cameras both know (at the frames both have): the
    similarity, and whether its scale was measured (two or more camera positions) with the centres' residual."""
    tool, scene = [], []
    for name in shared:
        ours, theirs = capture.cameras[name], part.cameras[name]
        frames = theirs.frames if len(ours.frames) == 1 else np.intersect1d(ours.frames, theirs.frames)
        tool += [theirs.pose(int(f)) for f in frames]
        scene += [ours.pose(int(f)) for f in frames]
    tool_centres, scene_centres = np.stack([p[:3, 3] for p in tool]), np.stack([p[:3, 3] for p in scene])
    if np.ptp(tool_centres, axis=0).max() > 1e-6:
        similarity = similarity_from_pairs(tool_centres, scene_centres)
        residual = np.linalg.norm(similarity.apply(tool_centres) - scene_centres, axis=1)
        spread = float(
            np.sqrt(np.mean(residual**2)) / np.linalg.norm(scene_centres - scene_centres.mean(0), axis=1).mean()
        )
        return {"cameras": shared, "poses": len(tool), "similarity": similarity, "scale_measured": True,
                "relative_residual": spread}  # fmt: skip
    rotation = scene[0][:3, :3] @ tool[0][:3, :3].T
    similarity = Similarity(1.0, rotation, scene_centres[0] - rotation @ tool_centres[0])
    return {"cameras": shared, "poses": len(tool), "similarity": similarity, "scale_measured": False}


def _known_camera(capture: Capture, camera: str, path: Path) -> None:
    if camera not in capture.cameras:
        known = ", ".join(capture.cameras) or "none"
        raise CaseError(path, "camera", f"no camera named {camera!r} in the capture (cameras: {known})")


def _objects(paths: list[Path]) -> list[GeneratedObject]:
    objects: list[GeneratedObject] = []
    for path in paths:
        many = import_multi_instance_glb(path)
        multi = len(many) > 1 or path.stem.lower().startswith("midi")
        objects += many if multi else [import_single_object_glb(path)]
    names = [obj.name for obj in objects]
    if len(set(names)) != len(names):
        raise CaseError(paths[0].parent, "objects", f"object names repeat across files: {names}")
    return objects


def _attach_tracks(capture: Capture, tracks: dict[str, list[Person]], folder: Path) -> None:
    """Give each reconstructed person the 2D tracks whose keypoints its projection explains (Hungarian
    assignment per camera on the median pixel distance); a capture of keypoints only keeps them as people."""
    bodies = [p for p in capture.people if p.motion is not None]
    for camera, found in tracks.items():
        if not bodies:
            capture.people += found
            continue
        cost = np.array([[_track_distance(capture.cameras[camera], body, track, camera) for track in found]
                         for body in bodies])  # fmt: skip
        diagonal = float(np.hypot(capture.cameras[camera].width, capture.cameras[camera].height))
        for row, col in zip(*linear_sum_assignment(np.nan_to_num(cost, nan=1e9)), strict=True):
            if cost[row, col] <= MATCH_WITHIN * diagonal:
                bodies[row].keypoints[camera] = found[col].keypoints[camera]
    if bodies and not any(body.keypoints for body in bodies):
        raise CaseError(folder / KEYPOINTS_FOLDER, "people", "no 2D track matches a reconstructed person")


def _track_distance(camera: CameraTrack, body: Person, track: Person, name: str) -> float:
    """Median distance (px) between a 2D track and the person's projected keypoints on their common frames."""
    keypoints = track.keypoints[name]
    common, in_track, in_body = np.intersect1d(keypoints.frames, body.frames, return_indices=True)
    if not len(common):
        return float("nan")
    step = max(1, len(common) // 10)  # a few frames are enough to tell people apart
    posed = posed_keypoints(body.motion, in_body[::step])
    detector, model = correspondence(keypoints.layout, posed.names)
    distances = []
    for t, frame, pose in zip(in_track[::step], common[::step], posed.positions, strict=True):
        if body.frame_of_reference == f"camera:{name}":  # already in this camera's frame
            pixels, depth = replace(camera, frames=np.array([0]), camera_to_world=np.eye(4)[None]).project(
                pose[model], 0
            )
        elif body.frame_of_reference == "capture":
            pixels, depth = camera.project(pose[model], int(frame))
        else:
            return float("nan")
        seen = (keypoints.confidence[t, detector] > 0.3) & (depth > 0)
        distances += list(np.linalg.norm(pixels[seen] - keypoints.pixels[t, detector][seen], axis=1))
    return float(np.median(distances)) if distances else float("nan")
