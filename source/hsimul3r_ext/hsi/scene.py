"""Scene objects, reference geometry and the whole case (`HSIScene`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import CaseError, CaseWarning
from .limits import DEFAULT_LIMITS, ValidationLimits
from .motion import Motion

CATEGORIES: tuple[str, ...] = ("chair", "armchair", "sofa", "table", "stool", "bed", "box", "other")
MESH_SUFFIXES: tuple[str, ...] = (".obj", ".ply", ".glb", ".gltf", ".stl")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")


@dataclass
class SceneObject:
    """A rigid object: a Z-up metre mesh in its own frame, placed in the world by a pose."""

    name: str
    mesh: str  # path relative to the case folder
    position: np.ndarray = field(default_factory=lambda: np.zeros(3))
    orientation: np.ndarray = field(default_factory=lambda: np.array([0.0, 0.0, 0.0, 1.0]))  # xyzw
    category: str | None = None
    mass_kg: float | None = None
    density_kg_m3: float | None = None
    static: bool = False
    observation: str | None = None  # folder relative to the case: what a camera saw of it (hsi/observation.py)

    def to_json(self) -> dict[str, Any]:
        data = {
            "name": self.name,
            "mesh": self.mesh,
            "position": [float(v) for v in self.position],
            "orientation_xyzw": [float(v) for v in self.orientation],
            "category": self.category,
            "mass_kg": self.mass_kg,
            "density_kg_m3": self.density_kg_m3,
            "static": self.static,
        }
        if self.observation is not None:  # written only when there is one: older manifests stay as they were
            data["observation"] = self.observation
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any], file: str | Path, where: str) -> SceneObject:
        known = {
            "name", "mesh", "position", "orientation_xyzw", "category", "mass_kg", "density_kg_m3", "static",
            "observation",
        }  # fmt: skip
        reject_unknown_fields(data, known, file, where)
        for key in ("name", "mesh"):
            if not isinstance(data.get(key), str):
                raise CaseError(file, f"{where}.{key}", "missing or not a string")
        return cls(
            name=data["name"],
            mesh=data["mesh"],
            position=_vector(data.get("position", [0.0, 0.0, 0.0]), 3, file, f"{where}.position"),
            orientation=_vector(
                data.get("orientation_xyzw", [0.0, 0.0, 0.0, 1.0]), 4, file, f"{where}.orientation_xyzw"
            ),
            category=data.get("category"),
            mass_kg=data.get("mass_kg"),
            density_kg_m3=data.get("density_kg_m3"),
            static=data.get("static", False),
            observation=data.get("observation"),
        )

    def validate(self, file: str | Path, where: str, limits: ValidationLimits = DEFAULT_LIMITS) -> None:
        """Checks that need no file access; the mesh itself is checked by the case loader."""
        if not _NAME.match(self.name):
            raise CaseError(file, f"{where}.name", f"{self.name!r} must be an identifier (letters, digits, _ -)")
        if self.category is not None and self.category not in CATEGORIES:
            raise CaseError(file, f"{where}.category", f"must be one of {', '.join(CATEGORIES)}, got {self.category!r}")
        position = np.asarray(self.position, dtype=float)
        if position.shape != (3,) or not np.isfinite(position).all():
            raise CaseError(file, f"{where}.position", "expected 3 finite numbers")
        if np.abs(position).max() > limits.max_abs_position_m:
            raise CaseError(
                file, f"{where}.position", f"{np.abs(position).max():.3g} m from the origin, over "
                f"{limits.max_abs_position_m:g} m: garbage or wrong units?",
            )  # fmt: skip
        quat = np.asarray(self.orientation, dtype=float)
        if quat.shape != (4,) or not np.isfinite(quat).all():
            raise CaseError(file, f"{where}.orientation_xyzw", "expected 4 finite numbers (x, y, z, w)")
        norm = float(np.linalg.norm(quat))
        if abs(norm - 1.0) > limits.quat_norm_tolerance:
            raise CaseError(file, f"{where}.orientation_xyzw", f"quaternion norm is {norm:.6f}, expected 1")
        for key in ("mass_kg", "density_kg_m3"):
            value = getattr(self, key)
            number = isinstance(value, int | float) and not isinstance(value, bool)
            if value is not None and not (number and np.isfinite(value) and value > 0):
                raise CaseError(file, f"{where}.{key}", f"must be a positive number, got {value!r}")
        if self.mass_kg is not None and self.density_kg_m3 is not None:
            raise CaseError(file, f"{where}.mass_kg", "give mass_kg or density_kg_m3, not both")
        if not isinstance(self.static, bool):
            raise CaseError(file, f"{where}.static", f"must be true or false, got {self.static!r}")
        if self.observation is not None and not (isinstance(self.observation, str) and self.observation):
            raise CaseError(
                file, f"{where}.observation", f"must be a folder relative to the case or null, got {self.observation!r}"
            )


@dataclass
class PointCloudRef:
    """Reference scene geometry (e.g. a DUSt3R point cloud) kept for alignment and for the eye."""

    name: str
    file: str  # relative .npz with `points` (N, 3) float32 and optional `colors` (N, 3) uint8
    num_points: int

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "kind": "point_cloud", "file": self.file, "num_points": self.num_points}

    @classmethod
    def from_json(cls, data: dict[str, Any], file: str | Path, where: str) -> PointCloudRef:
        reject_unknown_fields(data, {"name", "kind", "file", "num_points"}, file, where)
        if data.get("kind") != "point_cloud":
            raise CaseError(file, f"{where}.kind", f"only 'point_cloud' is supported, got {data.get('kind')!r}")
        if not isinstance(data.get("file"), str) or not isinstance(data.get("name"), str):
            raise CaseError(file, f"{where}.file", "name and file must be strings")
        if not isinstance(data.get("num_points"), int):
            raise CaseError(file, f"{where}.num_points", "missing or not an integer")
        return cls(name=data["name"], file=data["file"], num_points=data["num_points"])


@dataclass
class HSIScene:
    """One human-scene interaction case: a motion (optional), objects, reference geometry, provenance."""

    name: str
    motion: Motion | None = None
    objects: list[SceneObject] = field(default_factory=list)
    point_clouds: list[PointCloudRef] = field(default_factory=list)
    provenance: list[dict[str, Any]] = field(default_factory=list)
    root: Path | None = None  # the folder the relative asset paths refer to
    warnings: list[CaseWarning] = field(default_factory=list)  # found when loaded; not part of the manifest
    capture: str | None = None  # folder (relative) of the capture's cameras and 2D evidence, when it came from one

    def object(self, name: str) -> SceneObject:
        for obj in self.objects:
            if obj.name == name:
                return obj
        raise KeyError(name)


def reject_unknown_fields(data: dict[str, Any], known: set[str], file: str | Path, where: str) -> None:
    if not isinstance(data, dict):
        raise CaseError(file, where, "expected an object")
    for key in data:
        if key not in known:
            raise CaseError(file, f"{where}.{key}", f"unknown field; known: {', '.join(sorted(known))}")


def _vector(value: Any, size: int, file: str | Path, where: str) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise CaseError(file, where, f"expected {size} numbers, got {value!r}") from None
    if array.shape != (size,):
        raise CaseError(file, where, f"expected {size} numbers, got {value!r}")
    return array
