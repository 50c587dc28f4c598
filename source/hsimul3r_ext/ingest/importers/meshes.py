"""Object meshes (`.obj/.ply/.glb/.gltf/.stl`) into a case: scaled, turned Z-up and placed by a pose."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.spatial.transform import Rotation

from ...hsi.axes import rotation_matrix_list, to_z_up
from ...hsi.case_io import check_object_size, load_mesh
from ...hsi.errors import CaseError
from ...hsi.limits import DEFAULT_LIMITS, ValidationLimits
from ...hsi.placement import check_floor_placement
from ...hsi.scene import SceneObject

_GLTF = (".glb", ".gltf")


@dataclass
class ObjectSpec:
    """One `--object` on the command line: the file and how to bring it into the case."""

    path: Path
    name: str | None = None
    scale: float = 1.0
    up_axis: str | None = None  # None: glTF files are Y-up by their specification, the others Z-up
    position: np.ndarray = field(default_factory=lambda: np.zeros(3))
    orientation: np.ndarray = field(default_factory=lambda: np.array([0.0, 0.0, 0.0, 1.0]))  # xyzw
    category: str | None = None
    mass_kg: float | None = None
    density_kg_m3: float | None = None
    static: bool = False
    keep_origin: bool = False


def object_name(text: str, taken: set[str]) -> str:
    """A case object name from `text` (a file's stem, a glb node): letters, digits, _ and -, not starting with a
    digit, unique among `taken`."""
    base = re.sub(r"[^A-Za-z0-9_\-]", "_", text) or "object"
    base = base if re.match(r"[A-Za-z_]", base) else f"obj_{base}"
    name, counter = base, 1
    while name in taken:
        counter += 1
        name = f"{base}_{counter}"
    return name


def import_object(
    spec: ObjectSpec, name: str, case_dir: Path, limits: ValidationLimits = DEFAULT_LIMITS
) -> tuple[SceneObject, dict[str, Any]]:
    """Bake scale and axes into the mesh once, re-centre it on its footprint, write it into the case.

    Re-centring puts the object's origin at the centre of its base, so the pose (what alignment later
    optimises) turns the object about itself; the world placement of every vertex is unchanged. An object
    off the floor is accepted with a warning in its provenance record (`warnings`); an absurd placement
    is a CaseError naming the source file and `position`.
    """
    if not (np.isfinite(spec.scale) and spec.scale > 0):
        raise CaseError(spec.path, "scale", f"must be a positive number, got {spec.scale!r}")
    suffix = spec.path.suffix.lower()
    obj = SceneObject(
        name=name,
        mesh=f"objects/{name}{'.glb' if suffix in _GLTF else suffix}",
        position=np.asarray(spec.position, dtype=np.float64),
        orientation=np.asarray(spec.orientation, dtype=np.float64),
        category=spec.category,
        mass_kg=spec.mass_kg,
        density_kg_m3=spec.density_kg_m3,
        static=spec.static,
    )
    obj.validate(spec.path, "object", limits)
    mesh = load_mesh(spec.path)
    up_axis = spec.up_axis or ("y" if suffix in _GLTF else "z")
    axes = to_z_up(up_axis)
    mesh.vertices = axes.apply(np.asarray(mesh.vertices, dtype=np.float64) * spec.scale)
    check_object_size(mesh, spec.path, "scale", limits)
    centre = np.zeros(3)
    if not spec.keep_origin:
        low, high = mesh.bounds
        centre = np.array([(low[0] + high[0]) / 2, (low[1] + high[1]) / 2, low[2]])
        mesh.vertices = mesh.vertices - centre
    obj.position = obj.position + Rotation.from_quat(obj.orientation).apply(centre)
    warning = check_floor_placement(mesh.vertices, obj, spec.path, "position", limits)
    target = case_dir / obj.mesh
    target.parent.mkdir(parents=True, exist_ok=True)
    mesh.export(target)
    record = {
        "step": "import_object",
        "object": name,
        "source": spec.path.name,
        "sha256": hashlib.sha256(spec.path.read_bytes()).hexdigest(),
        "scale": spec.scale,
        "up_axis": up_axis,
        "world_rotation_to_z_up": rotation_matrix_list(axes),
        "origin_moved_to_base_centre_m": [float(v) for v in centre],
        "faces": len(mesh.faces),
        "warnings": [] if warning is None else [warning.problem],
    }
    return obj, record
