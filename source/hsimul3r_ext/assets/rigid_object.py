"""One case object made simulation-ready: repaired solid, visual mesh, collision hulls, inertia, contact material."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trimesh
from scipy.spatial.transform import Rotation

from ..hsi.case_io import load_mesh
from ..hsi.errors import CaseError
from ..hsi.scene import SceneObject
from .config import ConvertConfig, MaterialConfig
from .decompose import Decomposition, decompose
from .mass import MassProperties, object_mass_properties
from .repair import RepairReport, repair_solid
from .simplify import decimated


@dataclass
class ObjectAsset:
    """Everything the USD and MJCF writers need about one object; geometry is in the object's frame."""

    obj: SceneObject  # name, pose (x_world = R(q) x + position), static flag
    visual: trimesh.Trimesh
    decomposition: Decomposition
    mass: MassProperties
    material: MaterialConfig
    repair: RepairReport
    seconds: float

    @property
    def hulls(self) -> list[trimesh.Trimesh]:
        return self.decomposition.hulls

    def report(self) -> dict[str, Any]:
        """This object's entry in `convert.json`."""
        return {
            "mesh": self.obj.mesh,
            "static": self.obj.static,
            "position_m": [float(v) for v in self.obj.position],
            "orientation_xyzw": [float(v) for v in self.obj.orientation],
            "extents_m": [float(v) for v in self.visual.extents],
            "visual_faces": len(self.visual.faces),
            "repair": self.repair.to_json(),
            "collision": self.decomposition.to_json(),
            "mass": self.mass.to_json(),
            "seconds": self.seconds,
        }


def convert_object(obj: SceneObject, case_dir: Path, manifest: Path, config: ConvertConfig) -> ObjectAsset:
    """Repair, simplify, decompose and weigh `obj` (already validated by `load_case`)."""
    start = time.perf_counter()
    mesh_path = case_dir / obj.mesh
    mesh = load_mesh(mesh_path)
    _check_above_ground(mesh, obj, manifest, config.scene.max_ground_penetration_m)
    solid, repair = repair_solid(mesh, mesh_path, config.repair.min_piece_volume_fraction)
    decomposition = decompose(solid, config.coacd)
    return ObjectAsset(
        obj=obj,
        visual=decimated(solid, config.visual_max_faces),
        decomposition=decomposition,
        mass=object_mass_properties(solid, obj, config.mass),
        material=config.material,
        repair=repair,
        seconds=time.perf_counter() - start,
    )


def _check_above_ground(mesh: trimesh.Trimesh, obj: SceneObject, manifest: Path, tolerance_m: float) -> None:
    """An object placed deep in the floor is a pose or up-axis error; the solver would fling it out."""
    lowest = float((Rotation.from_quat(obj.orientation).apply(mesh.vertices)[:, 2] + obj.position[2]).min())
    if lowest < -tolerance_m:
        raise CaseError(
            manifest,
            f"objects[{obj.name}].position",
            f"the object reaches {-lowest:.3g} m below the ground (z = 0; tolerance {tolerance_m:g} m): "
            "wrong pose or up axis?",
        )
