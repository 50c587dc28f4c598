"""Masks read at a point map's pixels: which pixels of a reconstruction are a person, which an object."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .model import Capture, PointMap


def _ids_at(capture: Capture, point_map: PointMap) -> tuple[np.ndarray, dict[int, str]] | None:
    """The id map of the point map's camera at its frame, read at the point map's pixels (nearest pixel: DUSt3R
    works on downsized images), and the labels; None without one."""
    masks = capture.masks.get(point_map.camera)
    hit = [] if masks is None else np.flatnonzero(masks.frames == point_map.frame)
    if not len(hit):
        return None
    id_map = masks.ids[hit[0]]
    height, width = point_map.points.shape[:2]
    rows = np.arange(height) * id_map.shape[0] // height
    cols = np.arange(width) * id_map.shape[1] // width
    return id_map[np.ix_(rows, cols)], masks.labels


def labelled(capture: Capture, point_map: PointMap, wanted: Callable[[str], bool]) -> np.ndarray | None:
    """(H, W) bool at the point map's pixels: where the mask carries a label `wanted` accepts; None without a
    mask of that camera at that frame."""
    found = _ids_at(capture, point_map)
    if found is None:
        return None
    ids, labels = found
    return np.isin(ids, [i for i, label in labels.items() if wanted(label)])


def is_person(label: str) -> bool:
    return label.startswith("person:")
