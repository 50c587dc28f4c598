"""A converted scene's objects scaled to the robot: what `--scale-objects` retargets onto instead of the real
furniture.

The same similarity as the human's targets (scale s, then a shift) applied to every object: its pose, its
visual mesh and collision hulls (uniform scaling keeps a convex hull convex, so no new decomposition), its
mass at the same density (s^3) and its inertia (s^5). Objects keep standing on the floor (no vertical
shift). The folder is one `load_converted` reads (convert.json, objects/); the human stays in the scene it
was scaled from.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from pxr import Gf, Sdf, Usd, UsdGeom, UsdPhysics, Vt

from ..assets.convert_case import REPORT
from ..stability.scene import ConvertedScene


def write_scaled_scene(converted: ConvertedScene, folder: Path, scale: float, shift_xy: np.ndarray) -> Path:
    """Objects of `converted` at x -> scale * x + (shift_xy, 0), written into the new folder `folder`."""
    report = json.loads((converted.folder / REPORT).read_text(encoding="utf-8"))
    shift = np.array([*shift_xy, 0.0])
    (folder / "objects").mkdir(parents=True)
    objects = {}
    for name, entry in report["objects"].items():
        _write_scaled_usd(converted.folder / entry["usd"], folder / entry["usd"], scale)
        objects[name] = _scaled_entry(entry, scale, shift)
    scaled = {
        "case": report["case"],
        "case_dir": report.get("case_dir"),  # the case's contact labels
        "objects": objects,
        "humanoid": {"built": False, "reason": f"objects scaled for a robot: the human is in {converted.folder}"},
        "scaled_from": str(converted.folder),
        "scale": scale,
        "shift_m": shift.tolist(),
        "warnings": report.get("warnings", []),
    }
    (folder / REPORT).write_text(json.dumps(scaled, indent=2) + "\n", encoding="utf-8")
    return folder


def _scaled_entry(entry: dict[str, Any], scale: float, shift: np.ndarray) -> dict[str, Any]:
    scaled = dict(entry)
    for key in ("position_m", "case_position_m"):
        if key in entry:
            scaled[key] = (scale * np.asarray(entry[key], float) + shift).tolist()
    scaled["ground_shift_m"] = scale * float(entry.get("ground_shift_m", 0.0))
    if "extents_m" in entry:
        scaled["extents_m"] = [scale * float(v) for v in entry["extents_m"]]
    mass = dict(entry["mass"])
    mass["mass_kg"] = scale**3 * float(mass["mass_kg"])
    for key, power in (("volume_m3", 3), ("center_of_mass_m", 1), ("inertia_kg_m2", 5), ("principal_moments_kg_m2", 5)):
        if key in mass:
            mass[key] = (scale**power * np.asarray(mass[key], float)).tolist()
    scaled["mass"] = mass
    return scaled


def _write_scaled_usd(source: Path, target: Path, scale: float) -> None:
    """A scaled copy of an object USD; the source file is only read (an anonymous copy of its layer is edited)."""
    layer = Sdf.Layer.OpenAsAnonymous(str(source))
    stage = Usd.Stage.Open(layer)
    for prim in stage.Traverse():
        if prim.IsA(UsdGeom.Mesh):
            mesh = UsdGeom.Mesh(prim)
            for attribute in (mesh.GetPointsAttr(), mesh.GetExtentAttr()):
                if attribute.HasAuthoredValue():
                    attribute.Set(Vt.Vec3fArray.FromNumpy(np.asarray(attribute.Get(), np.float32) * np.float32(scale)))
    root = stage.GetDefaultPrim()
    if root.HasAPI(UsdPhysics.MassAPI):
        mass = UsdPhysics.MassAPI(root)
        if mass.GetMassAttr().HasAuthoredValue():
            mass.GetMassAttr().Set(float(mass.GetMassAttr().Get()) * scale**3)
        for attribute, power in ((mass.GetCenterOfMassAttr(), 1), (mass.GetDiagonalInertiaAttr(), 5)):
            if attribute.HasAuthoredValue():
                attribute.Set(Gf.Vec3f(*(float(v) * scale**power for v in attribute.Get())))
    layer.Export(str(target))
