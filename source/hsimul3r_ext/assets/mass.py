"""Mass, centre of mass and inertia of an object, from its repaired solid and the case's mass rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import trimesh
from scipy.spatial.transform import Rotation

from ..hsi.scene import SceneObject
from .config import MassConfig

# Products of inertia below this fraction of the trace are rounding noise: keep the mesh's own axes.
_DIAGONAL_TOLERANCE = 1e-12


@dataclass(frozen=True)
class MassProperties:
    """Rigid-body inertia in the object's frame; `inertia` is about the centre of mass."""

    mass_kg: float
    source: str  # which rule gave the mass (see `object_mass_properties`)
    volume_m3: float
    center_of_mass: np.ndarray  # (3,)
    inertia: np.ndarray  # (3, 3), kg m^2
    principal_moments: np.ndarray  # (3,), kg m^2: the inertia in its principal frame
    principal_axes_xyzw: np.ndarray  # (4,): rotation from the principal frame to the object frame

    def to_json(self) -> dict[str, Any]:
        return {
            "mass_kg": self.mass_kg,
            "mass_source": self.source,
            "volume_m3": self.volume_m3,
            "density_kg_m3": self.mass_kg / self.volume_m3,
            "center_of_mass_m": self.center_of_mass.tolist(),
            "inertia_kg_m2": self.inertia.tolist(),
            "principal_moments_kg_m2": self.principal_moments.tolist(),
            "principal_axes_xyzw": self.principal_axes_xyzw.tolist(),
        }


def object_mass(obj: SceneObject, volume_m3: float, config: MassConfig) -> tuple[float, str]:
    """The object's mass and the rule that set it: the case's mass, the case's density, the category's
    typical mass, the default density, in that order (the case format's rule: explicit values first)."""
    if obj.mass_kg is not None:
        return float(obj.mass_kg), "case mass_kg"
    if obj.density_kg_m3 is not None:
        return float(obj.density_kg_m3) * volume_m3, "case density_kg_m3 x solid volume"
    if obj.category in config.category_mass_kg:
        return float(config.category_mass_kg[obj.category]), f"category default ({obj.category})"
    return config.default_density_kg_m3 * volume_m3, "default density x solid volume"


def object_mass_properties(solid: trimesh.Trimesh, obj: SceneObject, config: MassConfig) -> MassProperties:
    """Uniform-density inertia of the closed `solid`, scaled to the mass `object_mass` chooses."""
    unit = trimesh.triangles.mass_properties(solid.triangles, density=1.0)
    volume = float(unit.volume)
    mass, source = object_mass(obj, volume, config)
    inertia = np.asarray(unit.inertia, dtype=np.float64) * (mass / volume)
    moments, axes = principal_frame(inertia)
    return MassProperties(
        mass_kg=mass,
        source=source,
        volume_m3=volume,
        center_of_mass=np.asarray(unit.center_mass, dtype=np.float64),
        inertia=inertia,
        principal_moments=moments,
        principal_axes_xyzw=axes,
    )


def principal_frame(inertia: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Principal moments and the rotation (xyzw) whose columns are the principal axes: I = R diag R^T."""
    off_diagonal = inertia - np.diag(np.diag(inertia))
    if np.abs(off_diagonal).max() <= _DIAGONAL_TOLERANCE * np.trace(inertia):
        return np.diag(inertia).copy(), np.array([0.0, 0.0, 0.0, 1.0])
    moments, vectors = np.linalg.eigh(inertia)
    if np.linalg.det(vectors) < 0:
        vectors[:, 2] *= -1.0
    return moments, Rotation.from_matrix(vectors).as_quat()
