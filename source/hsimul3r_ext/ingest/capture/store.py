"""A case's capture folder: the cameras and one person's 2D evidence, kept for the capture alignment.

`capture.json` holds what is small (fps, units, camera intrinsics and sizes, keypoint layouts, mask labels,
provenance); `evidence.npz` the arrays (camera poses and their frames, the person's capture frame per motion
frame, keypoints, mask id maps), plain arrays only. The person's motion is the case's motion.
"""

from __future__ import annotations

import json
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from ...hsi.case_io import CAPTURE_MANIFEST
from ...hsi.errors import CaseError
from .keypoint_layouts import LAYOUTS
from .model import CameraTrack, Capture, Keypoints2D, MaskTrack, Person

FORMAT = "hsimul3r-capture"
FORMAT_VERSION = 1
EVIDENCE_FILE = "evidence.npz"
CAPTURE_FOLDER = "capture"  # where a case keeps it


def save_evidence(capture: Capture, person: Person, folder: Path) -> None:
    """Write the cameras, `person`'s keypoints and the masks into `folder` (created)."""
    folder.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {"person/frames": np.asarray(person.frames, dtype=np.int64)}
    for name, camera in capture.cameras.items():
        arrays[f"camera/{name}/frames"] = np.asarray(camera.frames, dtype=np.int64)
        arrays[f"camera/{name}/camera_to_world"] = np.asarray(camera.camera_to_world, dtype=np.float64)
    for name, points in person.keypoints.items():
        arrays[f"keypoints/{name}/frames"] = np.asarray(points.frames, dtype=np.int64)
        arrays[f"keypoints/{name}/pixels"] = np.asarray(points.pixels, dtype=np.float32)
        arrays[f"keypoints/{name}/confidence"] = np.asarray(points.confidence, dtype=np.float32)
    for name, masks in capture.masks.items():
        arrays[f"masks/{name}/frames"] = np.asarray(masks.frames, dtype=np.int64)
        arrays[f"masks/{name}/ids"] = np.asarray(masks.ids, dtype=np.int32)
    np.savez_compressed(folder / EVIDENCE_FILE, **arrays)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "fps": capture.fps,
        "metric": capture.metric,
        "person": person.person_id,
        "cameras": [
            {"name": c.name, "width": c.width, "height": c.height, "intrinsics": np.asarray(c.intrinsics).tolist()}
            for c in capture.cameras.values()
        ],
        "keypoints": [{"camera": name, "layout": points.layout} for name, points in person.keypoints.items()],
        "masks": [
            {"camera": name, "labels": {str(k): v for k, v in m.labels.items()}} for name, m in capture.masks.items()
        ],
        "provenance": capture.provenance,
    }
    (folder / CAPTURE_MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def load_evidence(folder: Path) -> Capture:
    """The capture folder of a case: cameras, masks and one `Person` (motion None: it is the case's)."""
    manifest_path = folder / CAPTURE_MANIFEST
    try:
        data = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as err:
        raise CaseError(manifest_path, "file", f"not readable JSON ({err})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("format_version") != FORMAT_VERSION:
        raise CaseError(manifest_path, "format", f"expected {FORMAT!r} version {FORMAT_VERSION}")
    arrays = _arrays(folder / EVIDENCE_FILE)
    fps = _number(data, "fps", manifest_path)
    cameras = {}
    for i, item in enumerate(_items(data, "cameras", manifest_path)):
        name = _text(item, "name", manifest_path, f"cameras[{i}]")
        k = _array(arrays, f"camera/{name}/camera_to_world", folder)
        frames = _array(arrays, f"camera/{name}/frames", folder).astype(np.int64)
        intrinsics = np.asarray(item.get("intrinsics"), dtype=np.float64)
        if intrinsics.shape != (3, 3) or k.ndim != 3 or k.shape[1:] != (4, 4) or len(frames) != len(k):
            raise CaseError(manifest_path, f"cameras[{i}]", "expected 3x3 intrinsics and one 4x4 pose per frame")
        width, height = (int(_number(item, key, manifest_path)) for key in ("width", "height"))
        cameras[name] = CameraTrack(name, intrinsics, width, height, frames, k)
    person = Person(
        person_id=_text(data, "person", manifest_path, "person"), motion=None,
        frames=_array(arrays, "person/frames", folder).astype(np.int64),
    )  # fmt: skip
    for i, item in enumerate(_items(data, "keypoints", manifest_path)):
        camera = _text(item, "camera", manifest_path, f"keypoints[{i}]")
        layout = _text(item, "layout", manifest_path, f"keypoints[{i}]")
        if layout not in LAYOUTS or camera not in cameras:
            raise CaseError(manifest_path, f"keypoints[{i}]", f"unknown layout {layout!r} or camera {camera!r}")
        frames, pixels, confidence = (_array(arrays, f"keypoints/{camera}/{key}", folder)
                                      for key in ("frames", "pixels", "confidence"))  # fmt: skip
        if pixels.shape != (len(frames), len(LAYOUTS[layout]), 2) or confidence.shape != pixels.shape[:2]:
            raise CaseError(folder / EVIDENCE_FILE, f"keypoints/{camera}", f"shapes do not fit layout {layout}")
        person.keypoints[camera] = Keypoints2D(layout, frames.astype(np.int64), pixels, confidence)
    masks = {}
    for i, item in enumerate(_items(data, "masks", manifest_path)):
        camera = _text(item, "camera", manifest_path, f"masks[{i}]")
        labels = item.get("labels")
        if not isinstance(labels, dict) or not all(isinstance(v, str) and k.isdigit() for k, v in labels.items()):
            raise CaseError(manifest_path, f"masks[{i}].labels", "expected {id: label} with integer ids")
        frames, ids = (_array(arrays, f"masks/{camera}/{key}", folder) for key in ("frames", "ids"))
        masks[camera] = MaskTrack(camera, frames.astype(np.int64), ids, {int(k): v for k, v in labels.items()})
    provenance = data.get("provenance", [])
    return Capture(fps=fps, cameras=cameras, people=[person], masks=masks, metric=bool(data.get("metric")),
                   provenance=provenance if isinstance(provenance, list) else [])  # fmt: skip


def _arrays(path: Path) -> dict[str, np.ndarray]:
    try:
        with path.open("rb") as stream, np.load(stream, allow_pickle=False) as npz:
            return {key: npz[key] for key in npz.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as err:
        raise CaseError(path, "file", f"not a plain-array .npz ({err})") from None


def _array(arrays: dict[str, np.ndarray], key: str, folder: Path) -> np.ndarray:
    if key not in arrays:
        raise CaseError(folder / EVIDENCE_FILE, key, "missing")
    return arrays[key]


def _items(data: dict[str, Any], key: str, file: Path) -> list[dict[str, Any]]:
    items = data.get(key, [])
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise CaseError(file, key, "expected a list of objects")
    return items


def _text(data: dict[str, Any], key: str, file: Path, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise CaseError(file, where if where.endswith(key) else f"{where}.{key}", "expected a non-empty string")
    return value


def _number(data: dict[str, Any], key: str, file: Path) -> float:
    value = data.get(key)
    if not isinstance(value, int | float) or isinstance(value, bool) or not np.isfinite(value) or value <= 0:
        raise CaseError(file, key, f"expected a positive number, got {value!r}")
    return float(value)
