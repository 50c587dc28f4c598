"""Scene reconstructions from DUSt3R / MASt3R global alignment, and scene point clouds, as a `Capture`'s scene.

The tool's frame becomes the capture frame as it is (units unknown: `Capture.metric = False`); cameras are
DUSt3R's camera-to-world poses, OpenCV axes. Layouts read:

- plain `.npz` (DUSt3R's global aligner outputs stacked: `get_pts3d`, `im_conf`, `get_im_poses`,
  `get_intrinsics` or `get_focals` + `get_principal_points`): `pts3d` (V, H, W, 3), `conf` (V, H, W),
  `cam2world` (V, 4, 4), `intrinsics` (V, 3, 3) or `focals` (V,) / (V, 1) with `pp` (V, 2); optional
  `images` (V, H, W, 3; RGB in [0, 1] or 0-255), `names` (V,) camera names (default "view<i>"; a name at
  several frames is one moving camera, a video's), `frames` (V,) capture frames (default 0) and
  `affine_matrix` (V, 2, 3) as in HSfM's dump.
- HSfM's dump `dust3r_reconstruction_results_<name>.pkl` (get_world_env_dust3r_for_hsfm.py): a pickle
  {"dust3r_network_output": ..., "dust3r_ga_output": {image stem: {"rgbimg" (H, W, 3) in [0, 1],
  "intrinsic" (3, 3), "cam2world" (4, 4), "pts3d" (H, W, 3), "depths" (H, W), "msk" (H, W), "conf" (H, W),
  "affine_matrix" (2, 3)}}}; older dumps keep the per-image entries at the top level beside
  "non_img_specific". The image stem names the camera; all views are capture frame 0. The pickle is read by
  `hsi.safe_pickle` (the network output's torch tensors rebuilt through `torch.load(weights_only=True)`).
- `.glb` / `.ply` point clouds (DUSt3R's demo export, any tool's cloud): reference geometry in the file's own
  frame, no cameras, no point maps, confidence 1. A glb's point clouds are read, or, when it has none, its
  largest mesh (DUSt3R's camera cones are small meshes beside the scene). DUSt3R's demo glb frame is its
  first camera with x left, y up, z forward.

Pixels: DUSt3R puts pixel centres at integer coordinates, this project at +0.5 (pixel i covers [i, i + 1)),
so principal points move by +0.5 px. `affine_matrix` maps DUSt3R's resized-and-cropped pixels to the original
image's, where the 2D keypoints and masks live: with it the cameras are imported at the original size
(focal * a00, principal point * a00 + a02), the point maps stay at DUSt3R's and the map of their pixels to the
camera's is kept in the scene's provenance (`point_map_to_image`).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import trimesh

from ...hsi.errors import CaseError
from ...hsi.safe_pickle import load_npz, load_pickle
from ..importers.common import numbers, source_record
from ..importers.point_clouds import read_points
from .model import CameraTrack, Capture, PointMap, SceneGeometry

DEFAULT_MIN_CONFIDENCE = 1.5  # HSfM's viewer keeps conf > 1.5; DUSt3R's confidences start at 1
PIXEL_CENTRE_SHIFT = 0.5


def import_dust3r_npz(path: Path, min_confidence: float = DEFAULT_MIN_CONFIDENCE, fps: float = 30.0) -> Capture:
    """A plain DUSt3R/MASt3R `.npz` as a capture with a scene and one fixed camera per view."""
    arrays = load_npz(path)
    for key in ("pts3d", "conf", "cam2world"):
        if key not in arrays:
            raise CaseError(path, key, "missing")
    pts3d = numbers(arrays["pts3d"], path, "pts3d")
    if pts3d.ndim != 4 or pts3d.shape[-1] != 3:
        raise CaseError(path, "pts3d", f"expected (V, H, W, 3), got {pts3d.shape}")
    views = len(pts3d)
    names = [f"view{i}" for i in range(views)]
    if "names" in arrays:
        names = [str(name) for name in np.asarray(arrays["names"]).reshape(-1)]
        if len(names) != views:
            raise CaseError(path, "names", f"expected {views} camera names, got {len(names)}")
    frames = _optional(arrays, "frames", (views,), path, np.zeros(views)).astype(np.int64)
    if len(set(zip(names, frames.tolist(), strict=True))) != views:
        raise CaseError(path, "names", "a camera name repeats at one frame: each view is one camera at one frame")
    affines = _optional(arrays, "affine_matrix", (views, 2, 3), path, np.tile(_IDENTITY_AFFINE, (views, 1, 1)))
    conf, cam2world = (_per_view(arrays, key, views, path) for key in ("conf", "cam2world"))
    images = _per_view(arrays, "images", views, path) if "images" in arrays else [None] * views
    entries = [
        {"pts3d": pts3d[i], "conf": conf[i], "cam2world": cam2world[i], "affine_matrix": affines[i],
         "intrinsic": _intrinsics(arrays, i, views, path), "rgbimg": images[i]}
        for i in range(views)
    ]  # fmt: skip
    return _capture(path, "dust3r_npz", list(zip(names, entries, strict=True)), [int(f) for f in frames],
                    min_confidence, fps)  # fmt: skip


def import_hsfm_dust3r(path: Path, min_confidence: float = DEFAULT_MIN_CONFIDENCE, fps: float = 30.0) -> Capture:
    """HSfM's DUSt3R dump (a pickle of arrays) as a capture with a scene and one fixed camera per image."""
    raw = load_pickle(path)
    if not isinstance(raw, dict):
        raise CaseError(path, "file", f"expected a dictionary, got {type(raw).__name__}")
    views = raw.get("dust3r_ga_output", {k: v for k, v in raw.items() if k != "non_img_specific"})
    if not isinstance(views, dict) or not views or not all(isinstance(v, dict) for v in views.values()):
        raise CaseError(path, "dust3r_ga_output", "expected {image name: {pts3d, conf, cam2world, intrinsic, ...}}")
    entries = {}
    for name in sorted(views):
        entry = views[name]
        for key in ("pts3d", "conf", "cam2world", "intrinsic"):
            if key not in entry:
                raise CaseError(path, f"{name}.{key}", "missing")
        entries[str(name)] = {
            "pts3d": numbers(entry["pts3d"], path, f"{name}.pts3d"),
            "conf": numbers(entry["conf"], path, f"{name}.conf"),
            "cam2world": numbers(entry["cam2world"], path, f"{name}.cam2world"),
            "intrinsic": numbers(entry["intrinsic"], path, f"{name}.intrinsic"),
            "affine_matrix": numbers(entry.get("affine_matrix", _IDENTITY_AFFINE), path, f"{name}.affine_matrix"),
            "rgbimg": entry.get("rgbimg"),
        }
    return _capture(path, "hsfm_dust3r", list(entries.items()), [0] * len(entries), min_confidence, fps)


def import_scene_cloud(path: Path, fps: float = 30.0) -> Capture:
    """A `.glb` / `.ply` scene point cloud as reference geometry (no cameras, no point maps)."""
    if path.suffix.lower() not in (".glb", ".ply"):
        raise CaseError(path, "file", f"unsupported scene cloud format {path.suffix!r}; use .glb or .ply")
    if not path.is_file():
        raise CaseError(path, "file", "missing")
    points, colors = _glb_points(path) if path.suffix.lower() == ".glb" else read_points(path)
    record = source_record(path, "scene_cloud")
    record["notes"].append("points kept in the file's own frame and units; no confidences (all 1)")
    record["num_points"] = len(points)
    scene = SceneGeometry(points=points, confidence=np.ones(len(points)), colors=colors, provenance=record)
    return Capture(fps=fps, scene=scene, metric=False, provenance=[record])


_IDENTITY_AFFINE = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def _capture(
    path: Path, importer: str, entries: list[tuple[str, dict[str, Any]]], frames: list[int], min_confidence: float,
    fps: float,
) -> Capture:  # fmt: skip
    """The views' cameras, point maps and confident points, with the record of what was converted. Views of
    one camera name at several frames (a video's) make one moving camera."""
    record = source_record(path, importer)
    record["notes"] += [
        "the tool's frame kept as the capture frame; units unknown (metric: false)",
        "cameras: camera-to-world with OpenCV axes, as DUSt3R writes them",
        f"principal points +{PIXEL_CENTRE_SHIFT} px: DUSt3R's pixel centres are at integer coordinates",
    ]
    cameras, point_maps, to_image = {}, [], {}
    points, confidence, colors = [], [], []
    for (name, entry), frame in zip(entries, frames, strict=True):
        pts3d, conf = entry["pts3d"], entry["conf"]
        if pts3d.ndim != 3 or pts3d.shape[-1] != 3:
            raise CaseError(path, f"{name}.pts3d", f"expected (H, W, 3), got {pts3d.shape}")
        if conf.shape != pts3d.shape[:2]:
            raise CaseError(path, f"{name}.conf", f"expected {pts3d.shape[:2]} like pts3d, got {conf.shape}")
        if not np.isfinite(pts3d).all() or not np.isfinite(conf).all():
            raise CaseError(path, f"{name}.pts3d", "pts3d or conf contains NaN or inf")
        affine = entry["affine_matrix"]
        if affine.shape != (2, 3) or not np.isfinite(affine).all() or affine[0, 0] <= 0 or affine[1, 1] <= 0:
            raise CaseError(path, f"{name}.affine_matrix", "expected a (2, 3) scale-and-shift with positive scales")
        camera = _camera(name, entry["intrinsic"], entry["cam2world"], affine, pts3d.shape[:2], frame, path)
        cameras[name] = camera if name not in cameras else _joined(cameras[name], camera, path)
        point_maps.append(PointMap(name, frame, pts3d, conf))
        to_image[name] = affine.tolist()
        keep = conf > min_confidence
        points.append(pts3d[keep])
        confidence.append(conf[keep])
        colors.append(None if entry["rgbimg"] is None else _colors(entry["rgbimg"], pts3d.shape, path, name)[keep])
    total = sum(m.confidence.size for m in point_maps)
    kept = sum(len(p) for p in points)
    if kept == 0:
        raise CaseError(path, "conf", f"no point has a confidence above {min_confidence}")
    record["notes"].append(f"points with conf > {min_confidence}: {kept} of {total}")
    record["min_confidence"] = min_confidence
    record["point_map_to_image"] = to_image
    scene = SceneGeometry(
        points=np.concatenate(points), confidence=np.concatenate(confidence), point_maps=point_maps,
        colors=None if any(c is None for c in colors) else np.concatenate(colors), provenance=record,
    )  # fmt: skip
    return Capture(fps=fps, cameras=cameras, scene=scene, metric=False, provenance=[record])


def _joined(track: CameraTrack, view: CameraTrack, path: Path) -> CameraTrack:
    """A moving camera's track with one more frame's pose (its intrinsics must not change)."""
    if not np.allclose(track.intrinsics, view.intrinsics, rtol=1e-6) or (track.width, track.height) != (
        view.width,
        view.height,
    ):
        raise CaseError(path, f"{view.name}.intrinsic", "a camera's intrinsics and image size change between frames")
    order = np.argsort(np.concatenate([track.frames, view.frames]), kind="stable")
    frames = np.concatenate([track.frames, view.frames])[order]
    poses = np.concatenate([track.camera_to_world, view.camera_to_world])[order]
    return replace(track, frames=frames, camera_to_world=poses)


def _camera(
    name: str, intrinsic: np.ndarray, pose: np.ndarray, affine: np.ndarray, shape: tuple[int, int], frame: int,
    path: Path,
) -> CameraTrack:  # fmt: skip
    """One fixed camera at the original image's size, in this project's pixel convention."""
    if intrinsic.shape != (3, 3) or not np.isfinite(intrinsic).all() or intrinsic[0, 0] <= 0 or intrinsic[1, 1] <= 0:
        raise CaseError(path, f"{name}.intrinsic", "expected a 3x3 K with positive focal lengths")
    if pose.shape != (4, 4) or not np.isfinite(pose).all():
        raise CaseError(path, f"{name}.cam2world", f"expected a finite 4x4 matrix, got shape {pose.shape}")
    rotation = pose[:3, :3]
    if not np.allclose(rotation @ rotation.T, np.eye(3), atol=1e-4) or np.linalg.det(rotation) < 0:
        raise CaseError(path, f"{name}.cam2world", "the upper-left 3x3 is not a rotation")
    k = np.eye(3)
    k[0, 0], k[1, 1] = intrinsic[0, 0] * affine[0, 0], intrinsic[1, 1] * affine[1, 1]
    k[0, 2] = (intrinsic[0, 2] + PIXEL_CENTRE_SHIFT) * affine[0, 0] + affine[0, 2]
    k[1, 2] = (intrinsic[1, 2] + PIXEL_CENTRE_SHIFT) * affine[1, 1] + affine[1, 2]
    height, width = shape
    size = (round(width * affine[0, 0] + 2 * affine[0, 2]), round(height * affine[1, 1] + 2 * affine[1, 2]))
    return CameraTrack(name, k, size[0], size[1], np.array([frame]), pose[None].copy())


def _intrinsics(arrays: dict[str, np.ndarray], view: int, views: int, path: Path) -> np.ndarray:
    """K of one view from `intrinsics`, or from `focals` and `pp`."""
    if "intrinsics" in arrays:
        return _per_view(arrays, "intrinsics", views, path)[view]
    if "focals" not in arrays or "pp" not in arrays:
        raise CaseError(path, "intrinsics", "missing (give intrinsics (V, 3, 3) or focals (V,) with pp (V, 2))")
    focals = numbers(arrays["focals"], path, "focals").reshape(-1)
    pp = numbers(arrays["pp"], path, "pp")
    if len(focals) != views or pp.shape != (views, 2):
        raise CaseError(path, "focals", f"expected focals ({views},), pp ({views}, 2); got {focals.shape}, {pp.shape}")
    return np.array([[focals[view], 0.0, pp[view, 0]], [0.0, focals[view], pp[view, 1]], [0.0, 0.0, 1.0]])


def _per_view(arrays: dict[str, np.ndarray], key: str, views: int, path: Path) -> np.ndarray:
    values = numbers(arrays[key], path, key)
    if len(values) != views:
        raise CaseError(path, key, f"has {len(values)} views, pts3d has {views}")
    return values


def _optional(
    arrays: dict[str, np.ndarray], key: str, shape: tuple[int, ...], path: Path, default: np.ndarray
) -> np.ndarray:
    if key not in arrays:
        return default
    values = numbers(arrays[key], path, key)
    if values.shape != shape or not np.isfinite(values).all():
        raise CaseError(path, key, f"expected finite {shape}, got {values.shape}")
    return values


def _colors(image: Any, shape: tuple[int, ...], path: Path, name: str) -> np.ndarray:
    """(H, W, 3) uint8 colours of a view's image (floats in [0, 1] or 0-255)."""
    pixels = numbers(image, path, f"{name}.rgbimg")
    if pixels.shape != shape or not np.isfinite(pixels).all():
        raise CaseError(path, f"{name}.rgbimg", f"expected {shape} like pts3d, got {pixels.shape}")
    scaled = pixels * 255.0 if pixels.max(initial=0.0) <= 1.0 else pixels
    return np.clip(np.round(scaled), 0, 255).astype(np.uint8)


def _glb_points(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    """World points (and colours) of a glb's point clouds, else of its largest mesh."""
    try:
        scene = trimesh.load(path, force="scene", process=False)
        geometry = list(scene.dump()) if isinstance(scene, trimesh.Scene) else [scene]
    except Exception as err:  # trimesh raises many types for corrupt files
        raise CaseError(path, "file", f"cannot read glb ({type(err).__name__}: {err})") from None
    clouds = [g for g in geometry if isinstance(g, trimesh.PointCloud)]
    if not clouds:
        meshes = [g for g in geometry if isinstance(g, trimesh.Trimesh) and len(g.vertices)]
        if not meshes:
            raise CaseError(path, "points", "no point cloud or mesh in the file")
        clouds = [max(meshes, key=lambda m: len(m.vertices))]
    points = np.concatenate([np.asarray(c.vertices, dtype=np.float64) for c in clouds])
    if not np.isfinite(points).all():
        raise CaseError(path, "points", "contains NaN or inf")
    rgba = [getattr(c.visual, "vertex_colors", None) for c in clouds]
    if any(c is None or len(c) != len(g.vertices) for c, g in zip(rgba, clouds, strict=True)):
        return points, None
    return points, np.concatenate([np.asarray(c)[:, :3] for c in rgba]).astype(np.uint8)
