"""What the judge reads from a converted folder: objects (USD, pose, geometry), humanoid files, contact labels.

Geometry comes from the converted files themselves (object visual mesh and the humanoid's skin for
penetration, collision hulls for the lowest point), so the judge measures exactly what the simulator was given.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import trimesh
from pxr import Gf, Usd, UsdGeom, UsdPhysics

from ..assets.usd_object import MATERIAL
from ..body.skin import Skin
from ..hsi.errors import CaseError

CONVERT_REPORT = "convert.json"


@dataclass
class JudgedObject:
    name: str
    usd_file: Path  # absolute
    usd_relative: str  # relative to the converted folder, for recordings that reference it
    position: np.ndarray  # (3,) where the converted scene starts it (the case pose, lifted out of the floor)
    orientation: np.ndarray  # (4,) xyzw
    static: bool
    mass_kg: float
    visual: trimesh.Trimesh  # object frame
    hulls: list[np.ndarray]  # (N_k, 3) vertices of each collision hull, object frame
    center_of_mass: np.ndarray  # (3,) object frame, as in the USD's MassAPI
    principal_moments: np.ndarray  # (3,) kg m^2
    principal_axes_xyzw: np.ndarray  # (4,)
    friction: float | None  # the physics material's dynamic friction (what Newton passes to MuJoCo); None: no material
    lifted_m: float = 0.0  # how far convert lifted it out of the floor (the case pose is `position` minus this)

    @property
    def hull_points(self) -> np.ndarray:
        """(N, 3) all collision hull vertices, object frame."""
        return np.concatenate(self.hulls)


@dataclass
class JudgedHumanoid:
    usd_file: Path
    fps: float
    body_names: list[str]
    dof_names: list[str]
    joint_pos: np.ndarray  # (T, 69) hinge angles in `dof_names` order
    joint_vel: np.ndarray  # (T, 69)
    root_pos: np.ndarray  # (T, 3)
    root_quat: np.ndarray  # (T, 4) xyzw
    body_pos: np.ndarray  # (T, B, 3)
    body_quat: np.ndarray  # (T, B, 4)
    body_lin_vel: np.ndarray  # (T, B, 3)
    body_ang_vel: np.ndarray  # (T, B, 3)
    visuals: dict[str, trimesh.Trimesh]  # body frame
    skin: Skin | None  # None: converted before the skin was written
    visuals_are_colliders: bool = False  # a robot: `visuals` are its links' colliders (no skin to bend)


@dataclass
class ConvertedScene:
    folder: Path
    name: str
    objects: list[JudgedObject]
    humanoid: JudgedHumanoid | None
    contact_labels: np.ndarray | None  # (T, K) bool, from the case motion
    contact_body_names: list[str]


def load_converted(folder: str | Path) -> ConvertedScene:
    """Read a folder written by `hsimul3r convert` (with or without a humanoid)."""
    folder = Path(folder).absolute()
    report_file = folder / CONVERT_REPORT
    if not report_file.is_file():
        raise CaseError(report_file, "convert.json", "missing: not a converted folder (run `hsimul3r convert`)")
    try:
        report = json.loads(report_file.read_text(encoding="utf-8"))
        entries = report["objects"]
    except (json.JSONDecodeError, KeyError, TypeError) as err:
        raise CaseError(report_file, "objects", f"unreadable: {err}") from None
    objects = [_load_object(folder, name, entry) for name, entry in entries.items()]
    if not objects:
        raise CaseError(report_file, "objects", "the scene has no objects to judge")
    humanoid = None
    if report.get("humanoid", {}).get("built"):
        humanoid = _load_humanoid(folder, report["humanoid"]["usd"])
    labels, label_names = _contact_labels(report.get("case_dir"))
    return ConvertedScene(folder, str(report.get("case", folder.name)), objects, humanoid, labels, label_names)


def _load_object(folder: Path, name: str, entry: dict) -> JudgedObject:
    usd = folder / entry["usd"]
    stage = Usd.Stage.Open(str(usd)) if usd.is_file() else None
    if stage is None:
        raise CaseError(usd, f"objects.{name}.usd", "missing or unreadable object USD")
    root = stage.GetDefaultPrim()
    visual = _mesh(root.GetChild("visual"))
    hulls = [_mesh(p) for p in root.GetChild("collision").GetChildren() if p.IsA(UsdGeom.Mesh)]
    if visual is None or not hulls:
        raise CaseError(usd, f"objects.{name}", "needs a visual mesh and collision hulls")
    mass = UsdPhysics.MassAPI(root)
    axes = mass.GetPrincipalAxesAttr().Get() or Gf.Quatf(1.0)
    material = UsdPhysics.MaterialAPI(root.GetChild(MATERIAL))
    return JudgedObject(
        name=name, usd_file=usd, usd_relative=entry["usd"],
        position=np.asarray(entry["position_m"], float), orientation=np.asarray(entry["orientation_xyzw"], float),
        static=bool(entry["static"]), mass_kg=float(entry["mass"]["mass_kg"]), visual=visual,
        hulls=[np.asarray(h.vertices) for h in hulls],
        center_of_mass=np.asarray(mass.GetCenterOfMassAttr().Get() or (0, 0, 0), float),
        principal_moments=np.asarray(mass.GetDiagonalInertiaAttr().Get() or (0, 0, 0), float),
        principal_axes_xyzw=np.array([*axes.GetImaginary(), axes.GetReal()], float),
        friction=float(material.GetDynamicFrictionAttr().Get()) if material else None,
        lifted_m=float(entry.get("ground_shift_m", 0.0)),
    )  # fmt: skip


def _mesh(prim: Usd.Prim) -> trimesh.Trimesh | None:
    if not prim or not prim.IsA(UsdGeom.Mesh):
        return None
    mesh = UsdGeom.Mesh(prim)
    points = np.asarray(mesh.GetPointsAttr().Get(), float)
    faces = np.asarray(mesh.GetFaceVertexIndicesAttr().Get(), np.int64).reshape(-1, 3)
    return trimesh.Trimesh(points, faces, process=False)


def _load_humanoid(folder: Path, usd_name: str) -> JudgedHumanoid:
    from ..assets.humanoid_files import HUMANOID_MOTION, HUMANOID_SKIN

    usd, motion_file = folder / usd_name, folder / HUMANOID_MOTION
    if not usd.is_file() or not motion_file.is_file():
        raise CaseError(folder, "humanoid", f"convert.json says built but {usd.name} / {HUMANOID_MOTION} are missing")
    data = np.load(motion_file)
    body_names = [str(n) for n in data["body_names"]]
    stage = Usd.Stage.Open(str(usd))
    root = stage.GetDefaultPrim()
    visuals = {}
    for name in body_names:
        prim = next((p for p in Usd.PrimRange(root) if p.GetName() == name), None)
        mesh = _mesh(prim.GetChild("visual")) if prim else None
        if mesh is not None:
            visuals[name] = mesh
    as_float = {k: np.asarray(data[k], np.float64) for k in data.files if data[k].dtype.kind == "f"}
    skin_file = folder / HUMANOID_SKIN
    return JudgedHumanoid(
        usd_file=usd, fps=float(data["fps"]), body_names=body_names, dof_names=[str(n) for n in data["joint_names"]],
        joint_pos=as_float["joint_pos"], joint_vel=as_float["joint_vel"], root_pos=as_float["root_pos_w"],
        root_quat=as_float["root_quat_w"], body_pos=as_float["body_pos_w"], body_quat=as_float["body_quat_w"],
        body_lin_vel=as_float["body_lin_vel_w"], body_ang_vel=as_float["body_ang_vel_w"], visuals=visuals,
        skin=Skin.load(skin_file) if skin_file.is_file() else None,
    )  # fmt: skip


def _contact_labels(case_dir: str | None) -> tuple[np.ndarray | None, list[str]]:
    """The case motion's contact labels, when the case is still where it was converted from."""
    if not case_dir or not Path(case_dir).is_dir():
        return None, []
    from ..hsi.case_io import load_case

    motion = load_case(case_dir).motion
    if motion is None or getattr(motion, "contact_labels", None) is None:
        return None, []
    return np.asarray(motion.contact_labels, bool), list(motion.contact_body_names)
