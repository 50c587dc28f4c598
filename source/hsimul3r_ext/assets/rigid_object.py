"""One case object made simulation-ready: repaired solid, visual mesh, collision hulls, inertia, contact material."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import trimesh

from ..hsi.case_io import load_mesh
from ..hsi.errors import CaseWarning
from ..hsi.placement import height_range
from ..hsi.scene import SceneObject
from .config import ConvertConfig, MaterialConfig
from .decompose import Decomposition, decompose
from .mass import MassProperties, object_mass_properties
from .repair import RepairReport, repair_solid
from .simplify import decimated


@dataclass
class ObjectAsset:
    """Everything the USD and MJCF writers need about one object; geometry is in the object's frame."""

    obj: SceneObject  # name, pose where the scene starts it (x_world = R(q) x + position), static flag
    case_position: np.ndarray  # (3,) the case's position; differs from obj.position by the lift below
    ground_shift_m: float  # how far convert lifted the object out of the floor (0: it was not in it)
    visual: trimesh.Trimesh
    decomposition: Decomposition
    mass: MassProperties
    material: MaterialConfig
    repair: RepairReport
    warning: CaseWarning | None  # the lift, said to the user
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
            "case_position_m": [float(v) for v in self.case_position],
            "ground_shift_m": self.ground_shift_m,
            "extents_m": [float(v) for v in self.visual.extents],
            "visual_faces": len(self.visual.faces),
            "repair": self.repair.to_json(),
            "collision": self.decomposition.to_json(),
            "mass": self.mass.to_json(),
            "seconds": self.seconds,
        }


def convert_object(obj: SceneObject, case_dir: Path, manifest: Path, config: ConvertConfig) -> ObjectAsset:
    """Repair, simplify, decompose and weigh `obj` (already validated by `load_case`); lift it out of the floor."""
    start = time.perf_counter()
    mesh_path = case_dir / obj.mesh
    mesh = load_mesh(mesh_path)
    solid, repair = repair_solid(mesh, mesh_path, config.repair.min_piece_volume_fraction)
    decomposition = decompose(solid, config.coacd)
    shift = floor_lift(obj, decomposition.hulls, config.scene.max_ground_penetration_m)
    warning = None
    if shift:
        warning = CaseWarning(
            str(manifest), f"objects[{obj.name}].position",
            f"lifted {shift:.3f} m onto the floor: its collision hulls started that deep in it",
        )  # fmt: skip
    return ObjectAsset(
        obj=replace(obj, position=obj.position + np.array([0.0, 0.0, shift])),
        case_position=np.asarray(obj.position, dtype=float),
        ground_shift_m=shift,
        visual=decimated(solid, config.visual_max_faces),
        decomposition=decomposition,
        mass=object_mass_properties(solid, obj, config.mass),
        material=config.material,
        repair=repair,
        warning=warning,
        seconds=time.perf_counter() - start,
    )


def floor_lift(obj: SceneObject, hulls: list[trimesh.Trimesh], tolerance_m: float) -> float:
    """How far to lift a dynamic object whose collision hulls start more than `tolerance_m` inside the floor.

    A solver pushes such an object out with a jolt (or keeps it stuck): the scene starts it with its lowest
    hull point on the floor instead, so physics and the judge see the object the case meant, not a launch.
    Static objects are colliders that never move and stay where the case put them."""
    if obj.static:
        return 0.0
    lowest = min(height_range(hull.vertices, obj)[0] for hull in hulls)
    return -lowest if lowest < -tolerance_m else 0.0
