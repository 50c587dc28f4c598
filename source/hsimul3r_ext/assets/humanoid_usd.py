"""The humanoid as a USD articulation in plain UsdPhysics, for Isaac Sim, Isaac Lab and Newton.

Bodies are flat siblings under `/Humanoid` (ArticulationRootAPI); each joint is three revolute joints
between the same two bodies, which Newton merges into one D6 joint composing them in the order of their
paths: the names carry the hinge's place in the joint's order (`left_hip_0_y`, `left_hip_1_x`, ...).
USD angular drives take stiffness and damping per degree, so the per-radian gains are scaled.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pxr import Gf, Sdf, Usd, UsdGeom, UsdPhysics, Vt

from ..body.humanoid import Capsule, HumanoidSpec
from .usd_object import new_stage

ROOT_PATH = "/Humanoid"
_PER_DEGREE = np.pi / 180.0


def write_humanoid_usd(spec: HumanoidSpec, path: Path) -> Path:
    """Write `spec` standing on z = 0 (pelvis at its rest height above the soles)."""
    stage = new_stage(path)
    root = UsdGeom.Xform.Define(stage, ROOT_PATH)
    stage.SetDefaultPrim(root.GetPrim())
    UsdPhysics.ArticulationRootAPI.Apply(root.GetPrim())
    root.GetPrim().CreateAttribute("hsimul3r:betas", Sdf.ValueTypeNames.FloatArray).Set(Vt.FloatArray(list(spec.betas)))
    root.GetPrim().CreateAttribute("hsimul3r:bodyModel", Sdf.ValueTypeNames.String).Set(spec.source)
    origins = spec.rest_joints - spec.rest_joints[0] + [0.0, 0.0, spec.pelvis_height]
    prims = []
    for body, origin in zip(spec.bodies, origins, strict=True):
        prim = _define_body(stage, body, origin, body.name in spec.contact_bodies)
        prims.append(prim)
    by_name = {body.name: prim for body, prim in zip(spec.bodies, prims, strict=True)}
    for first, second in spec.filtered_pairs:
        UsdPhysics.FilteredPairsAPI.Apply(by_name[second]).CreateFilteredPairsRel().AddTarget(by_name[first].GetPath())
    UsdGeom.Scope.Define(stage, f"{ROOT_PATH}/joints")
    for joint, body in zip(spec.joints, spec.bodies[1:], strict=True):
        parent, child = prims[body.parent], prims[spec.bodies.index(body)]
        for hinge, (axis_index, axis) in enumerate(zip(joint.axes, joint.order, strict=True)):
            revolute = UsdPhysics.RevoluteJoint.Define(
                stage, f"{ROOT_PATH}/joints/{joint_prim_name(joint.body, hinge, axis)}"
            )
            revolute.CreateBody0Rel().SetTargets([parent.GetPath()])
            revolute.CreateBody1Rel().SetTargets([child.GetPath()])
            revolute.CreateLocalPos0Attr().Set(Gf.Vec3f(*body.offset))
            revolute.CreateLocalRot0Attr().Set(Gf.Quatf(1.0))
            revolute.CreateLocalPos1Attr().Set(Gf.Vec3f(0.0))
            revolute.CreateLocalRot1Attr().Set(Gf.Quatf(1.0))
            revolute.CreateAxisAttr().Set(axis.upper())
            revolute.CreateLowerLimitAttr().Set(float(np.degrees(joint.lower[axis_index])))
            revolute.CreateUpperLimitAttr().Set(float(np.degrees(joint.upper[axis_index])))
            drive = UsdPhysics.DriveAPI.Apply(revolute.GetPrim(), "angular")
            drive.CreateTypeAttr().Set("force")
            drive.CreateStiffnessAttr().Set(float(joint.stiffness[axis_index] * _PER_DEGREE))
            drive.CreateDampingAttr().Set(float(joint.damping[axis_index] * _PER_DEGREE))
            drive.CreateMaxForceAttr().Set(float(joint.effort[axis_index]))
            drive.CreateTargetPositionAttr().Set(0.0)
            revolute.GetPrim().CreateAttribute("newton:armature", Sdf.ValueTypeNames.Float).Set(spec.armature)
    stage.GetRootLayer().Save()
    return path


def joint_prim_name(body: str, hinge: int, axis: str) -> str:
    """`<body>_<place in the composition order>_<axis>`: sorting the names gives the composition order."""
    return f"{body}_{hinge}_{axis}"


def _define_body(stage: Usd.Stage, body, origin: np.ndarray, is_contact_body: bool) -> Usd.Prim:
    xform = UsdGeom.Xform.Define(stage, f"{ROOT_PATH}/{body.name}")
    xform.AddTranslateOp().Set(Gf.Vec3d(*origin))
    prim = xform.GetPrim()
    UsdPhysics.RigidBodyAPI.Apply(prim)
    mass = UsdPhysics.MassAPI.Apply(prim)
    mass.CreateMassAttr().Set(float(body.mass))
    mass.CreateCenterOfMassAttr().Set(Gf.Vec3f(*body.com))
    moments, axes = np.linalg.eigh(body.inertia)
    if np.linalg.det(axes) < 0:
        axes[:, 0] = -axes[:, 0]
    mass.CreateDiagonalInertiaAttr().Set(Gf.Vec3f(*moments))
    mass.CreatePrincipalAxesAttr().Set(_quat(axes))
    prim.CreateAttribute("hsimul3r:contactBody", Sdf.ValueTypeNames.Bool).Set(is_contact_body)
    if body.visual is not None and len(body.visual.faces):
        visual = UsdGeom.Mesh.Define(stage, f"{xform.GetPath()}/visual")
        _set_mesh(visual, body.visual.vertices, body.visual.faces)
        visual.CreateDisplayColorAttr().Set(Vt.Vec3fArray([Gf.Vec3f(0.75, 0.62, 0.52)]))
    if body.capsule is not None:
        _define_capsule(stage, f"{xform.GetPath()}/collision", body.capsule)
    else:
        hull = UsdGeom.Mesh.Define(stage, f"{xform.GetPath()}/collision")
        _set_mesh(hull, body.hull.vertices, body.hull.faces)
        hull.CreatePurposeAttr().Set(UsdGeom.Tokens.guide)
        UsdPhysics.CollisionAPI.Apply(hull.GetPrim())
        UsdPhysics.MeshCollisionAPI.Apply(hull.GetPrim()).CreateApproximationAttr().Set("convexHull")
    return prim


def _define_capsule(stage: Usd.Stage, path: str, capsule: Capsule) -> None:
    """A Z-axis capsule turned and moved onto the fitted segment."""
    shape = UsdGeom.Capsule.Define(stage, path)
    shape.CreateAxisAttr().Set(UsdGeom.Tokens.z)
    shape.CreateRadiusAttr().Set(float(capsule.radius))
    shape.CreateHeightAttr().Set(float(capsule.length))
    shape.CreatePurposeAttr().Set(UsdGeom.Tokens.guide)
    direction = (capsule.end - capsule.start) / max(capsule.length, 1e-12)
    rotation = Gf.Rotation(Gf.Vec3d(0, 0, 1), Gf.Vec3d(*direction)).GetQuat()
    shape.AddTranslateOp().Set(Gf.Vec3d(*((capsule.start + capsule.end) / 2)))
    shape.AddOrientOp().Set(Gf.Quatf(rotation))
    UsdPhysics.CollisionAPI.Apply(shape.GetPrim())


def _set_mesh(mesh: UsdGeom.Mesh, vertices: np.ndarray, faces: np.ndarray) -> None:
    mesh.CreatePointsAttr().Set(Vt.Vec3fArray.FromNumpy(np.asarray(vertices, dtype=np.float32)))
    mesh.CreateFaceVertexCountsAttr().Set(Vt.IntArray([3] * len(faces)))
    mesh.CreateFaceVertexIndicesAttr().Set(Vt.IntArray.FromNumpy(np.asarray(faces, dtype=np.int32).reshape(-1)))
    mesh.CreateSubdivisionSchemeAttr().Set(UsdGeom.Tokens.none)


def _quat(matrix: np.ndarray) -> Gf.Quatf:
    from scipy.spatial.transform import Rotation

    x, y, z, w = Rotation.from_matrix(matrix).as_quat()
    return Gf.Quatf(float(w), float(x), float(y), float(z))
