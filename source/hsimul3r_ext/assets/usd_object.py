"""One object as a self-contained rigid-body USD: visual mesh, convex colliders, mass, physics material.

Plain UsdPhysics only, so Newton, Isaac Lab and PhysX read the same file. A dynamic object's default
prim is the rigid body (RigidBodyAPI + MassAPI with explicit mass, centre of mass, diagonal inertia and
principal axes, so no engine recomputes them from the hulls). A static object gets no RigidBodyAPI:
UsdPhysics defines a collider without a body as static, Newton attaches such shapes to the world
(body -1) and MuJoCo to its world body, which is exact; a kinematic body would instead be a free body
held by a huge armature in Newton's MuJoCo solver.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import trimesh
from pxr import Gf, Sdf, Usd, UsdGeom, UsdPhysics, UsdShade, Vt

from .config import MaterialConfig
from .rigid_object import ObjectAsset

VISUAL = "visual"
COLLISION = "collision"
MATERIAL = "physics_material"
PHYSICS_PURPOSE = "physics"  # the material-binding purpose UsdPhysics reads friction from
_VISUAL_COLOR = (0.62, 0.55, 0.47)


def new_stage(path: Path) -> Usd.Stage:
    """A stage in our units: Z up, metres, kilograms."""
    stage = Usd.Stage.CreateNew(str(path))
    UsdGeom.SetStageUpAxis(stage, UsdGeom.Tokens.z)
    UsdGeom.SetStageMetersPerUnit(stage, 1.0)
    UsdPhysics.SetStageKilogramsPerUnit(stage, 1.0)
    return stage


def define_mesh(stage: Usd.Stage, path: str, mesh: trimesh.Trimesh) -> UsdGeom.Mesh:
    """A polygonal (not subdivided) triangle mesh prim."""
    usd_mesh = UsdGeom.Mesh.Define(stage, path)
    vertices = np.asarray(mesh.vertices, dtype=np.float32)
    usd_mesh.CreatePointsAttr(Vt.Vec3fArray.FromNumpy(vertices))
    usd_mesh.CreateFaceVertexCountsAttr(Vt.IntArray.FromNumpy(np.full(len(mesh.faces), 3, dtype=np.int32)))
    usd_mesh.CreateFaceVertexIndicesAttr(Vt.IntArray.FromNumpy(np.asarray(mesh.faces, dtype=np.int32).ravel()))
    usd_mesh.CreateSubdivisionSchemeAttr(UsdGeom.Tokens.none)
    usd_mesh.CreateExtentAttr(Vt.Vec3fArray.FromNumpy(np.stack([vertices.min(axis=0), vertices.max(axis=0)])))
    return usd_mesh


def define_physics_material(stage: Usd.Stage, path: str, config: MaterialConfig) -> UsdShade.Material:
    material = UsdShade.Material.Define(stage, path)
    api = UsdPhysics.MaterialAPI.Apply(material.GetPrim())
    api.CreateStaticFrictionAttr(config.static_friction)
    api.CreateDynamicFrictionAttr(config.dynamic_friction)
    api.CreateRestitutionAttr(config.restitution)
    return material


def make_collider(prim: Usd.Prim, material: UsdShade.Material, approximation: str | None = None) -> None:
    """Collision on `prim` with the physics material bound for the physics purpose."""
    UsdPhysics.CollisionAPI.Apply(prim)
    if approximation is not None:
        UsdPhysics.MeshCollisionAPI.Apply(prim).CreateApproximationAttr(approximation)
    UsdShade.MaterialBindingAPI.Apply(prim).Bind(material, UsdShade.Tokens.weakerThanDescendants, PHYSICS_PURPOSE)


def write_object_usd(asset: ObjectAsset, path: Path) -> Path:
    """Write `asset` to `path` (.usda); its default prim is the object, at the identity pose."""
    stage = new_stage(path)
    root_path = Sdf.Path(f"/{asset.obj.name}")
    root = UsdGeom.Xform.Define(stage, root_path).GetPrim()
    stage.SetDefaultPrim(root)
    if not asset.obj.static:
        _make_rigid_body(root, asset)
    material = define_physics_material(stage, str(root_path.AppendChild(MATERIAL)), asset.material)
    visual = define_mesh(stage, str(root_path.AppendChild(VISUAL)), asset.visual)
    visual.CreateDisplayColorAttr([Gf.Vec3f(*_VISUAL_COLOR)])
    UsdGeom.Xform.Define(stage, root_path.AppendChild(COLLISION))
    for index, hull in enumerate(asset.hulls):
        collider = define_mesh(stage, str(root_path.AppendChild(COLLISION).AppendChild(f"hull_{index:03d}")), hull)
        collider.CreatePurposeAttr(UsdGeom.Tokens.guide)  # drawn only on request: the visual mesh is the look
        make_collider(collider.GetPrim(), material, UsdPhysics.Tokens.convexHull)
    stage.GetRootLayer().Save()
    return path


def _make_rigid_body(prim: Usd.Prim, asset: ObjectAsset) -> None:
    UsdPhysics.RigidBodyAPI.Apply(prim)
    mass = UsdPhysics.MassAPI.Apply(prim)
    props = asset.mass
    x, y, z, w = (float(v) for v in props.principal_axes_xyzw)
    mass.CreateMassAttr(props.mass_kg)
    mass.CreateCenterOfMassAttr(Gf.Vec3f(*(float(v) for v in props.center_of_mass)))
    mass.CreateDiagonalInertiaAttr(Gf.Vec3f(*(float(v) for v in props.principal_moments)))
    mass.CreatePrincipalAxesAttr(Gf.Quatf(w, x, y, z))
