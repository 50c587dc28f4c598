"""The synthetic truth written as scene-reconstruction and 2D-evidence tools leave it (layouts: see
`capture/scene_points.py` and `capture/evidence.py`), so their importers are tested against known truth.

A reconstruction knows neither metres nor where the world is: DUSt3R's global alignment puts everything in its
first camera's OpenCV frame at a scale of its own. `tool_frame` draws that similarity (camera 0's inverse
pose, then a random scale in [0.3, 3]); the DUSt3R writers move the truth's point maps and cameras by it,
add Gaussian noise (given in metres, before scaling) to the points, and a test undoes it to compare.
Needs a truth with a scene and masks (`capture.render.add_scene`). Person ids in the tools' files are the
mask ids (1 + the person's index, `render.py`'s convention), as Grounded-SAM-2 and ViTPose share them.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from ..model import Capture
from ..scene_points import PIXEL_CENTRE_SHIFT
from ..world import Similarity

SCALE_RANGE = (0.3, 3.0)


def tool_frame(truth: Capture, rng: np.random.Generator) -> Similarity:
    """World -> the tool's frame: the first camera's inverse pose, then a log-uniform scale in SCALE_RANGE."""
    pose = next(iter(truth.cameras.values())).camera_to_world[0]
    scale = float(np.exp(rng.uniform(*np.log(SCALE_RANGE))))
    rotation = pose[:3, :3].T
    return Similarity(scale, rotation, -scale * rotation @ pose[:3, 3])


def write_dust3r_npz(
    truth: Capture, path: str | Path, similarity: Similarity, noise_m: float, rng: np.random.Generator
) -> None:
    """The point maps as a plain DUSt3R `.npz` (views stacked; camera names, frames and affine matrices included:
    a moving camera's views share its name)."""
    views = _views(truth, similarity, noise_m, rng)
    stacked = {key: np.stack([view[key] for view in views]) for key in ("pts3d", "conf", "cam2world", "intrinsic")}
    np.savez_compressed(
        path, pts3d=stacked["pts3d"], conf=stacked["conf"], cam2world=stacked["cam2world"],
        intrinsics=stacked["intrinsic"], names=np.array([view["camera"] for view in views]),
        frames=np.array([view["frame"] for view in views]),
        affine_matrix=np.stack([view["affine_matrix"] for view in views]),
    )  # fmt: skip


def write_hsfm_dust3r(
    truth: Capture, path: str | Path, similarity: Similarity, noise_m: float, rng: np.random.Generator
) -> None:
    """The point maps as HSfM's DUSt3R dump (a pickle of plain arrays; the network output is left out)."""
    results = {}
    for view in _views(truth, similarity, noise_m, rng):
        pose = view["cam2world"]
        depths = ((view["pts3d"] - pose[:3, 3]) @ pose[:3, :3])[..., 2]
        grey = (view["conf"] / max(float(view["conf"].max()), 1.0))[..., None].repeat(3, axis=-1)
        results[view["name"]] = {
            "rgbimg": grey.astype(np.float32), "intrinsic": view["intrinsic"], "cam2world": pose,
            "pts3d": view["pts3d"], "depths": depths.astype(np.float32), "msk": view["conf"] > 1.5,
            "conf": view["conf"], "affine_matrix": view["affine_matrix"],
        }  # fmt: skip
    with Path(path).open("wb") as stream:
        pickle.dump({"dust3r_ga_output": results}, stream)


def write_vitpose(truth: Capture, folder: str | Path) -> None:
    """Each camera's detections as `<folder>/<camera>/pose_<frame:05d>.json`, all keypoints with their scores."""
    for camera in truth.cameras:
        detections: dict[int, dict[str, Any]] = {}
        for index, person in enumerate(truth.people):
            keypoints = person.keypoints.get(camera)
            if keypoints is None:
                continue
            for t, frame in enumerate(keypoints.frames):
                pixels, score = keypoints.pixels[t], keypoints.confidence[t]
                seen = pixels[score > 0] if (score > 0).any() else pixels
                box = [*seen.min(axis=0).tolist(), *seen.max(axis=0).tolist(), 1.0]
                triples = np.concatenate([pixels, score[:, None]], axis=1)
                detections.setdefault(int(frame), {})[str(index + 1)] = {"bbox": box, "keypoints": triples.tolist()}
        target = Path(folder) / camera
        target.mkdir(parents=True, exist_ok=True)
        for frame, people in detections.items():
            (target / f"pose_{frame:05d}.json").write_text(json.dumps(people), encoding="utf-8")


def write_sam2_masks(truth: Capture, folder: str | Path) -> None:
    """Each camera's masks as Grounded-SAM-2 writes them: `<folder>/<camera>/mask_data/mask_<frame:05d>.npy`
    (uint16 id maps) and `json_data/mask_<frame:05d>.json` (per id: class, box; zeros where it is not seen)."""
    for camera, masks in truth.masks.items():
        mask_folder, json_folder = Path(folder) / camera / "mask_data", Path(folder) / camera / "json_data"
        mask_folder.mkdir(parents=True, exist_ok=True)
        json_folder.mkdir(parents=True, exist_ok=True)
        classes = {i: label.split(":", 1)[0] if label.startswith("person:") else label.split(":", 1)[1]
                   for i, label in masks.labels.items()}  # fmt: skip
        for frame, ids in zip(masks.frames, masks.ids, strict=True):
            name = f"mask_{int(frame):05d}"
            np.save(mask_folder / f"{name}.npy", ids.astype(np.uint16))
            labels = {str(i): {"instance_id": i, "class_name": class_name, **_box(ids == i), "logit": 0.0}
                      for i, class_name in classes.items()}  # fmt: skip
            info = {"mask_name": f"{name}.npy", "mask_height": ids.shape[0], "mask_width": ids.shape[1],
                    "promote_type": "mask", "labels": labels}  # fmt: skip
            (json_folder / f"{name}.json").write_text(json.dumps(info), encoding="utf-8")


def _views(truth: Capture, similarity: Similarity, noise_m: float, rng: np.random.Generator) -> list[dict[str, Any]]:
    """Per point map, in the tool's frame: points (noisy), confidence, pose, DUSt3R-convention K, pixel affine."""
    if truth.scene is None:
        raise ValueError("the truth has no scene: run capture.render.add_scene first")
    to_image = truth.scene.provenance["point_map_to_image"]
    per_camera = {name: sum(m.camera == name for m in truth.scene.point_maps) for name in truth.cameras}
    views = []
    for point_map in truth.scene.point_maps:
        camera = truth.cameras[point_map.camera]
        affine = np.asarray(to_image[camera.name], dtype=np.float64)
        k = camera.intrinsics / affine[0, 0]
        k[2, 2] = 1.0
        k[:2, 2] -= PIXEL_CENTRE_SHIFT
        noisy = point_map.points + rng.normal(0.0, noise_m, point_map.points.shape)
        name = camera.name if per_camera[camera.name] == 1 else f"{camera.name}_{point_map.frame:05d}"
        views.append({
            "name": name, "camera": camera.name, "frame": point_map.frame,
            "pts3d": similarity.apply(noisy).astype(np.float32),
            "conf": point_map.confidence.astype(np.float32), "intrinsic": k, "affine_matrix": affine,
            "cam2world": similarity.apply_pose(camera.pose(point_map.frame)),
        })  # fmt: skip
    return views


def _box(mask: np.ndarray) -> dict[str, int]:
    rows, cols = np.nonzero(mask)
    if not len(rows):
        return {"x1": 0, "y1": 0, "x2": 0, "y2": 0}
    return {"x1": int(cols.min()), "y1": int(rows.min()), "x2": int(cols.max()), "y2": int(rows.max())}
