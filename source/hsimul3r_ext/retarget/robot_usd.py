"""A robot as a USD articulation in plain UsdPhysics, for Isaac Sim, Isaac Lab and Newton.

Bodies are flat siblings under `/<name>` at their rest pose relative to the root body, which sits at the
prim's origin as in Isaac Lab's robot assets: the init state's position puts it at its standing height
(ArticulationRootAPI on that prim, a floating root). Each hinge is a RevoluteJoint about X of a joint frame
whose X is the MJCF axis. Collision shapes are what MuJoCo collides with: primitives as they are, meshes as
their convex hulls. Drives carry the motor's
gains (USD angular drives take them per degree), effort, armature and velocity limit, in the attribute names
Newton and PhysX read. The file is binary crate (`.usd`): the visual meshes are 200k vertices.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import trimesh
from pxr import Gf, Sdf, Usd, UsdGeom, UsdPhysics, Vt
from scipy.spatial.transform import Rotation

from ..assets.usd_object import define_mesh, new_stage
from .robot_model import Robot, RobotBody, RobotGeom, pose_matrix

_PER_DEGREE = np.pi / 180.0


def write_robot_usd(robot: Robot, path: Path) -> Path:
    stage = new_stage(path)
    root_path = f"/{robot.name}"
    root = UsdGeom.Xform.Define(stage, root_path)
    stage.SetDefaultPrim(root.GetPrim())
    UsdPhysics.ArticulationRootAPI.Apply(root.GetPrim())
    root.GetPrim().CreateAttribute("hsimul3r:robot", Sdf.ValueTypeNames.String).Set(robot.name)
    root.GetPrim().CreateAttribute("hsimul3r:anchorBody", Sdf.ValueTypeNames.String).Set(robot.anchor_body)
    to_root = np.linalg.inv(robot.bodies[0].pose)
    prims = [
        _define_body(stage, root_path, body, to_root @ body.pose, body.name in robot.contact_bodies)
        for body in robot.bodies
    ]
    UsdGeom.Scope.Define(stage, f"{root_path}/joints")
    for joint in robot.joints:
        child = robot.bodies[joint.body]
        parent = robot.bodies[child.parent]
        frame_in_child = pose_matrix(joint.pos, _x_onto(joint.axis))
        child_in_parent = np.linalg.inv(parent.pose) @ child.pose
        frame_in_parent = child_in_parent @ frame_in_child
        revolute = UsdPhysics.RevoluteJoint.Define(stage, f"{root_path}/joints/{joint.name}")
        revolute.CreateBody0Rel().SetTargets([prims[child.parent].GetPath()])
        revolute.CreateBody1Rel().SetTargets([prims[joint.body].GetPath()])
        revolute.CreateLocalPos0Attr().Set(Gf.Vec3f(*frame_in_parent[:3, 3]))
        revolute.CreateLocalRot0Attr().Set(_quatf(Rotation.from_matrix(frame_in_parent[:3, :3]).as_quat()))
        revolute.CreateLocalPos1Attr().Set(Gf.Vec3f(*joint.pos))
        revolute.CreateLocalRot1Attr().Set(_quatf(_x_onto(joint.axis)))
        revolute.CreateAxisAttr().Set("X")
        revolute.CreateLowerLimitAttr().Set(float(np.degrees(joint.lower)))
        revolute.CreateUpperLimitAttr().Set(float(np.degrees(joint.upper)))
        motor = joint.motor
        drive = UsdPhysics.DriveAPI.Apply(revolute.GetPrim(), "angular")
        drive.CreateTypeAttr().Set("force")
        drive.CreateStiffnessAttr().Set(float(motor.stiffness * _PER_DEGREE))
        drive.CreateDampingAttr().Set(float(motor.damping * _PER_DEGREE))
        drive.CreateMaxForceAttr().Set(float(motor.effort))
        drive.CreateTargetPositionAttr().Set(0.0)
        prim = revolute.GetPrim()
        prim.AddAppliedSchema("PhysxJointAPI")
        for name, value in (
            ("newton:armature", motor.armature),
            ("physxJoint:armature", motor.armature),
            ("newton:velocityLimit", np.degrees(motor.velocity)),
            ("physxJoint:maxJointVelocity", np.degrees(motor.velocity)),
        ):
            prim.CreateAttribute(name, Sdf.ValueTypeNames.Float).Set(float(value))
        prim.CreateAttribute("hsimul3r:motor", Sdf.ValueTypeNames.String).Set(motor.name)
    stage.GetRootLayer().Save()
    return path


def _define_body(
    stage: Usd.Stage, root_path: str, body: RobotBody, pose: np.ndarray, is_contact_body: bool
) -> Usd.Prim:
    xform = UsdGeom.Xform.Define(stage, f"{root_path}/{body.name}")
    xform.AddTranslateOp().Set(Gf.Vec3d(*pose[:3, 3]))
    xform.AddOrientOp().Set(_quatf(Rotation.from_matrix(pose[:3, :3]).as_quat()))
    prim = xform.GetPrim()
    UsdPhysics.RigidBodyAPI.Apply(prim)
    mass = UsdPhysics.MassAPI.Apply(prim)
    mass.CreateMassAttr().Set(body.mass)
    mass.CreateCenterOfMassAttr().Set(Gf.Vec3f(*body.com))
    mass.CreateDiagonalInertiaAttr().Set(Gf.Vec3f(*body.inertia_diagonal))
    mass.CreatePrincipalAxesAttr().Set(_quatf(body.inertia_axes))
    prim.CreateAttribute("hsimul3r:contactBody", Sdf.ValueTypeNames.Bool).Set(is_contact_body)
    visuals = [geom for geom in body.geoms if not geom.collision]
    if visuals:  # one `visual` prim per body, as the humanoid has: recordings reference it whole
        UsdGeom.Xform.Define(stage, f"{xform.GetPath()}/visual")
    for index, geom in enumerate(visuals):
        _define_geom(stage, f"{xform.GetPath()}/visual/mesh_{index}", geom, collision=False)
    for index, geom in enumerate(geom for geom in body.geoms if geom.collision):
        _define_geom(stage, f"{xform.GetPath()}/collision_{index}", geom, collision=True)
    return prim


def _define_geom(stage: Usd.Stage, path: str, geom: RobotGeom, collision: bool) -> None:
    if geom.kind == "mesh":
        mesh = geom.hull if collision else trimesh.Trimesh(geom.vertices, geom.faces, process=False)
        shape = define_mesh(stage, path, mesh)
    elif geom.kind == "sphere":
        shape = UsdGeom.Sphere.Define(stage, path)
        shape.CreateRadiusAttr().Set(float(geom.size[0]))
    elif geom.kind in ("capsule", "cylinder"):
        shape = (UsdGeom.Capsule if geom.kind == "capsule" else UsdGeom.Cylinder).Define(stage, path)
        shape.CreateAxisAttr().Set(UsdGeom.Tokens.z)
        shape.CreateRadiusAttr().Set(float(geom.size[0]))
        shape.CreateHeightAttr().Set(float(2.0 * geom.size[1]))
    else:  # box: a unit cube scaled to the half sizes
        shape = UsdGeom.Cube.Define(stage, path)
        shape.CreateSizeAttr().Set(2.0)
    shape.AddTranslateOp().Set(Gf.Vec3d(*geom.pos))
    shape.AddOrientOp().Set(_quatf(geom.quat))
    if geom.kind == "box":
        shape.AddScaleOp().Set(Gf.Vec3f(*geom.size))
    if collision:
        shape.CreatePurposeAttr().Set(UsdGeom.Tokens.guide)
        UsdPhysics.CollisionAPI.Apply(shape.GetPrim())
        if geom.kind == "mesh":
            UsdPhysics.MeshCollisionAPI.Apply(shape.GetPrim()).CreateApproximationAttr().Set("convexHull")
    else:
        shape.CreateDisplayColorAttr().Set(Vt.Vec3fArray([Gf.Vec3f(*geom.rgba[:3])]))


def _x_onto(axis: np.ndarray) -> np.ndarray:
    """The quaternion (x, y, z, w) of the shortest rotation taking +X onto `axis`."""
    rotation, _ = Rotation.align_vectors([axis], [[1.0, 0.0, 0.0]])
    return rotation.as_quat()


def _quatf(quat_xyzw: np.ndarray) -> Gf.Quatf:
    x, y, z, w = (float(value) for value in quat_xyzw)
    return Gf.Quatf(w, x, y, z)
