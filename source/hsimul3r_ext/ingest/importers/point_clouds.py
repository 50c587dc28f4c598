"""Scene point clouds (`.ply` or `.npz` with `points` / `colors`) kept as reference geometry."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import trimesh

from ...hsi.axes import rotation_matrix_list, to_z_up
from ...hsi.errors import CaseError
from ...hsi.safe_pickle import load_npz
from ...hsi.scene import PointCloudRef
from .common import numbers


def read_points(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    """Points (N, 3) and optional uint8 colours (N, 3) from a PLY or NPZ file."""
    suffix = path.suffix.lower()
    if suffix == ".npz":
        arrays = load_npz(path)
        if "points" not in arrays:
            raise CaseError(path, "points", "missing")
        points = numbers(arrays["points"], path, "points")
        colors = arrays.get("colors")
    elif suffix == ".ply":
        try:
            cloud = trimesh.load(path, process=False)
        except Exception as err:  # trimesh raises many types for corrupt files
            raise CaseError(path, "file", f"cannot read point cloud ({type(err).__name__}: {err})") from None
        points = np.asarray(getattr(cloud, "vertices", np.empty((0, 3))), dtype=np.float64)
        rgba = getattr(getattr(cloud, "visual", None), "vertex_colors", None)
        colors = None if rgba is None or len(rgba) != len(points) else np.asarray(rgba)[:, :3]
    else:
        raise CaseError(path, "file", f"unsupported point cloud format {suffix!r}; use .ply or .npz")
    if points.ndim != 2 or points.shape[1:] != (3,) or len(points) == 0:
        raise CaseError(path, "points", f"expected a non-empty (N, 3) array, got {points.shape}")
    if not np.isfinite(points).all():
        raise CaseError(path, "points", "contains NaN or inf")
    if colors is not None:
        colors = np.asarray(colors)
        if colors.dtype.kind not in "fiu" or colors.shape != points.shape:
            raise CaseError(path, "colors", f"expected {points.shape} numbers, got {colors.dtype} {colors.shape}")
        if not np.isfinite(colors).all():
            raise CaseError(path, "colors", "contains NaN or inf")
        colors = (colors * 255).round() if colors.dtype.kind == "f" and colors.max() <= 1.0 else colors
        colors = np.clip(colors, 0, 255).astype(np.uint8)
    return points, colors


def import_point_cloud(
    path: Path, name: str, case_dir: Path, scale: float = 1.0, up_axis: str = "z"
) -> tuple[PointCloudRef, dict[str, Any]]:
    """Write the cloud Z-up in metres to `reference/<name>.npz`."""
    points, colors = read_points(path)
    axes = to_z_up(up_axis)
    points = axes.apply(points * scale)
    relative = f"reference/{name}.npz"
    (case_dir / "reference").mkdir(parents=True, exist_ok=True)
    payload = {"points": points.astype(np.float32)}
    if colors is not None:
        payload["colors"] = colors
    np.savez_compressed(case_dir / relative, **payload)
    record = {
        "step": "import_point_cloud",
        "point_cloud": name,
        "source": path.name,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "scale": scale,
        "up_axis": up_axis,
        "world_rotation_to_z_up": rotation_matrix_list(axes),
    }
    return PointCloudRef(name=name, file=relative, num_points=len(points)), record
