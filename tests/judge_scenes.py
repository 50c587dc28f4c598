"""Meshes and converted scenes the judge tests build themselves: chairs from boxes, a box, the sit motion."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import trimesh
from scipy.spatial.transform import Rotation

from hsimul3r_ext.ingest.importers.meshes import ObjectSpec
from hsimul3r_ext.ingest.ingest_case import ingest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "raw" / "sit_chair"


def chair_mesh(seat_height: float = 0.45, legs: tuple[str, ...] = ("fl", "fr", "bl", "br")) -> trimesh.Trimesh:
    """A 0.44 x 0.44 chair (seat, back, legs) as one watertight solid, origin at the base centre."""
    parts = [
        trimesh.creation.box([0.44, 0.44, 0.04], trimesh.transformations.translation_matrix([0, 0, seat_height - 0.02]))
    ]
    parts.append(
        trimesh.creation.box(
            [0.04, 0.44, 0.45], trimesh.transformations.translation_matrix([-0.2, 0, seat_height + 0.2])
        )
    )
    corners = {"fl": (0.2, 0.2), "fr": (0.2, -0.2), "bl": (-0.2, 0.2), "br": (-0.2, -0.2)}
    for leg in legs:
        x, y = corners[leg]
        height = seat_height - 0.04
        parts.append(
            trimesh.creation.box([0.04, 0.04, height], trimesh.transformations.translation_matrix([x, y, height / 2]))
        )
    return trimesh.boolean.union(parts, engine="manifold")


def make_case(folder: Path, objects: list[tuple[str, trimesh.Trimesh, dict]], motion: bool) -> Path:
    """A case with `objects` (name, mesh, ObjectSpec fields) and optionally the example's sit-down motion."""
    specs = []
    for name, mesh, fields in objects:
        path = folder.parent / f"{folder.name}_{name}.obj"
        mesh.export(path)
        specs.append(ObjectSpec(path=path, name=name, keep_origin=True, **fields))
    ingest(folder, motion=EXAMPLE / "sit_down.npz" if motion else None, objects=specs)
    return folder


def tilted(degrees: float) -> np.ndarray:
    return Rotation.from_euler("x", degrees, degrees=True).as_quat()


def newton_cpu_mj_model(obj):
    """The MuJoCo model the judge's Newton solver (CPU engine, midphase refit) makes of one object on the ground."""
    import newton

    from hsimul3r_ext.stability import load_judge_config
    from hsimul3r_ext.stability.simulation import add_object, grounded_position, make_solver

    builder = newton.ModelBuilder()
    builder.begin_world()
    add_object(builder, obj, grounded_position(obj, 0.002)[0])
    builder.end_world()
    builder.add_ground_plane()
    return make_solver(builder.finalize(device="cpu"), load_judge_config()).mj_model
