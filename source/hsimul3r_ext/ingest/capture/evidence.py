"""2D evidence from one camera's video: ViTPose keypoints and SAM2 masks, as `Capture` fragments.

Layouts read (HSfM and VideoMimic write them per camera folder; the number in a file name is the frame):
- ViTPose (HSfM's get_pose2d_vitpose_for_hsfm.py): `pose_<frame:05d>.json` per image,
  {"<person id>": {"bbox": [x1, y1, x2, y2, score], "keypoints": [[x, y, score], ...]}} with 17 (COCO) or
  133 (COCO-WholeBody) keypoints; the layout is told by the count. Person ids are Grounded-SAM-2's instance
  ids, so the same person is "<id>" here and "person:<id>" in the masks.
- Grounded-SAM-2 (its video tracking demo, and HSfM's get_sam2_for_hsfm.py): `mask_data/mask_<frame>.npy`
  (HSfM: `sam2_mask_data/`), an (H, W) integer id map, 0 = background, and `json_data/mask_<frame>.json`
  (HSfM: `sam2_json_data/`), {"mask_name", "mask_height", "mask_width", "promote_type", "labels":
  {"<id>": {"instance_id", "class_name", "x1", "y1", "x2", "y2", "logit"}}}. Class "person" becomes
  "person:<instance id>", any other class (the text prompt, e.g. "chair") "object:<class>", or
  "object:<class>_<instance id>" where several instances share the class.
Pixels are in the original image, as the tools write them; a frame a person is not detected in is left out.
"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from ...hsi.errors import CaseError
from ..importers.common import numbers
from .keypoint_layouts import LAYOUTS
from .model import Capture, Keypoints2D, MaskTrack, Person

_LAYOUT_BY_COUNT = {len(names): layout for layout, names in LAYOUTS.items()}
_MASK_FOLDERS = (("mask_data", "json_data"), ("sam2_mask_data", "sam2_json_data"))


def import_vitpose(folder: Path, camera: str, fps: float = 30.0) -> Capture:
    """The people ViTPose found in `camera`'s images, each with its keypoints (no body: motion None)."""
    files = _numbered(folder, "pose_", ".json")
    record = _folder_record(folder, [path for _, path in files], "vitpose", camera)
    tracks: dict[str, dict[str, Any]] = {}
    for frame, path in files:
        data = _json(path)
        for person_id, entry in data.items():
            where = f"{person_id}.keypoints"
            if not isinstance(entry, dict) or "keypoints" not in entry:
                raise CaseError(path, where, "missing")
            triples = numbers(entry["keypoints"], path, where)
            if triples.ndim != 2 or triples.shape[1] != 3 or len(triples) not in _LAYOUT_BY_COUNT:
                raise CaseError(path, where, f"expected 17 or 133 [x, y, score], got shape {triples.shape}")
            if not np.isfinite(triples).all():
                raise CaseError(path, where, "contains NaN or inf")
            track = tracks.setdefault(person_id, {"layout": _LAYOUT_BY_COUNT[len(triples)], "frames": [], "kp": []})
            if track["layout"] != _LAYOUT_BY_COUNT[len(triples)]:
                raise CaseError(path, where, f"{len(triples)} keypoints, earlier files had another count")
            track["frames"].append(frame)
            track["kp"].append(triples)
    people = []
    for person_id in sorted(tracks, key=_natural):
        track = tracks[person_id]
        triples = np.stack(track["kp"])
        frames = np.array(track["frames"], dtype=np.int64)
        keypoints = Keypoints2D(track["layout"], frames, triples[..., :2], np.clip(triples[..., 2], 0.0, 1.0))
        people.append(Person(person_id, None, frames.copy(), keypoints={camera: keypoints}, provenance=record))
    record["notes"].append(f"people: {', '.join(p.person_id for p in people)}; scores clipped to [0, 1]")
    return Capture(fps=fps, people=people, provenance=[record])


def import_sam2_masks(folder: Path, camera: str, fps: float = 30.0) -> Capture:
    """`camera`'s Grounded-SAM-2 id maps and what each id is."""
    mask_folder, json_folder = _mask_folders(folder)
    files = _numbered(mask_folder, "mask_", ".npy")
    classes: dict[int, str] = {}
    maps = []
    for _, path in files:
        ids = _id_map(path)
        if maps and ids.shape != maps[0].shape:
            raise CaseError(path, "mask", f"shape {ids.shape}, earlier frames are {maps[0].shape}")
        json_path = json_folder / f"{path.stem}.json"
        frame_labels = _json(json_path).get("labels", {})
        if not isinstance(frame_labels, dict):
            raise CaseError(json_path, "labels", "expected {id: {instance_id, class_name, ...}}")
        for key, info in frame_labels.items():
            if not isinstance(info, dict) or not isinstance(info.get("class_name"), str) or not key.isdigit():
                raise CaseError(json_path, f"labels.{key}", "expected an integer id with a class_name")
            name = info["class_name"]
            if classes.setdefault(int(key), name) != name:
                raise CaseError(json_path, f"labels.{key}", f"class {name!r}, earlier files say {classes[int(key)]!r}")
        unknown = set(np.unique(ids).tolist()) - {int(key) for key in frame_labels} - {0}
        if unknown:
            raise CaseError(path, "ids", f"ids {sorted(unknown)} have no label in {json_path.name}")
        maps.append(ids)
    frames = np.array([frame for frame, _ in files], dtype=np.int64)
    labels = _labels(classes)
    paths = [file for _, path in files for file in (path, json_folder / f"{path.stem}.json")]
    record = _folder_record(folder, paths, "sam2", camera)
    record["notes"].append(f"labels: {labels}")
    masks = MaskTrack(camera, frames, np.stack(maps).astype(np.int32), labels)
    return Capture(fps=fps, masks={camera: masks}, provenance=[record])


def _folder_record(folder: Path, files: list[Path], importer: str, camera: str) -> dict[str, Any]:
    """Provenance of a folder of per-frame files: one hash over all of them, in frame order."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return {"step": "import", "importer": importer, "source": folder.name, "camera": camera, "files": len(files),
            "sha256": digest.hexdigest(), "notes": []}  # fmt: skip


def _labels(classes: dict[int, str]) -> dict[int, str]:
    """Our labels for SAM2's classes: people by instance id, objects by class (and id where it repeats)."""
    counts: dict[str, int] = {}
    for name in classes.values():
        counts[name] = counts.get(name, 0) + 1
    return {
        i: f"person:{i}" if name == "person" else f"object:{name}" if counts[name] == 1 else f"object:{name}_{i}"
        for i, name in sorted(classes.items())
    }


def _mask_folders(folder: Path) -> tuple[Path, Path]:
    for masks, labels in _MASK_FOLDERS:
        if (folder / masks).is_dir() and (folder / labels).is_dir():
            return folder / masks, folder / labels
    layouts = " or ".join(f"{m}/ + {j}/" for m, j in _MASK_FOLDERS)
    raise CaseError(folder, "mask_data", f"expected Grounded-SAM-2's folders {layouts}")


def _numbered(folder: Path, prefix: str, suffix: str) -> list[tuple[int, Path]]:
    """(frame, file) of `<prefix><number><suffix>` files, by frame; the number is the name's last digits."""
    files = []
    for path in folder.glob(f"{prefix}*{suffix}"):
        match = re.search(r"(\d+)$", path.stem)
        if match is None:
            raise CaseError(path, "file", f"expected {prefix}<frame number>{suffix}")
        files.append((int(match.group(1)), path))
    if not files:
        raise CaseError(folder, f"{prefix}*{suffix}", "no such files")
    files.sort()
    return files


def _json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as err:
        raise CaseError(path, "file", f"not readable JSON ({err})") from None
    if not isinstance(data, dict):
        raise CaseError(path, "file", f"expected a JSON object, got {type(data).__name__}")
    return data


def _id_map(path: Path) -> np.ndarray:
    try:
        ids = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
        raise CaseError(path, "mask", f"not a plain .npy array ({err})") from None
    if not isinstance(ids, np.ndarray) or ids.ndim != 2 or ids.dtype.kind not in "iub":
        raise CaseError(path, "mask", f"expected an (H, W) integer id map, got {getattr(ids, 'dtype', '?')}")
    if ids.dtype.kind == "i" and (ids < 0).any():
        raise CaseError(path, "mask", "negative ids")
    return ids


def _natural(text: str) -> tuple[int, str]:
    return (int(text), text) if text.isdigit() else (1 << 62, text)
