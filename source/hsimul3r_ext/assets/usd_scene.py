"""`scene.usda`: ground, physics scene and every object referenced at its case pose (+ the humanoid).

Objects are referenced from `objects/<name>.usda` by relative paths, so the output folder can be moved
or shared and still opens with every reference resolved.
"""

from __future__ import annotations

from pathlib import Path

from pxr import Gf, Usd, UsdGeom, UsdPhysics

from .config import MaterialConfig, SceneConfig
from .rigid_object import ObjectAsset
from .scene_humanoid import SceneHumanoid
from .usd_object import define_physics_material, make_collider, new_stage

WORLD = "/World"
OBJECTS = f"{WORLD}/Objects"
GROUND = f"{WORLD}/Ground"
PHYSICS_SCENE = f"{WORLD}/PhysicsScene"
HUMANOID = f"{WORLD}/Humanoid"
LOOKS = f"{WORLD}/Looks"


def object_usd_file(name: str) -> str:
    """Where an object's USD lives, relative to the output folder."""
    return f"objects/{name}.usda"


def write_scene_usd(
    path: Path,
    assets: list[ObjectAsset],
    scene: SceneConfig,
    material: MaterialConfig,
    humanoid: SceneHumanoid | None = None,
) -> Path:
    """Write `scene.usda` into the output folder `path.parent`, next to the object USDs it references."""
    stage = new_stage(path)
    world = UsdGeom.Xform.Define(stage, WORLD).GetPrim()
    stage.SetDefaultPrim(world)
    physics = UsdPhysics.Scene.Define(stage, PHYSICS_SCENE)
    physics.CreateGravityDirectionAttr(Gf.Vec3f(0.0, 0.0, -1.0))
    physics.CreateGravityMagnitudeAttr(scene.gravity_m_s2)
    _define_ground(stage, scene, material)
    UsdGeom.Scope.Define(stage, OBJECTS)
    for asset in assets:
        prim = UsdGeom.Xform.Define(stage, f"{OBJECTS}/{asset.obj.name}")
        prim.GetPrim().GetReferences().AddReference(f"./{object_usd_file(asset.obj.name)}")
        _set_pose(prim, asset.obj.position, asset.obj.orientation)
    if humanoid is not None:
        prim = UsdGeom.Xform.Define(stage, HUMANOID).GetPrim()
        prim.GetReferences().AddReference(f"./{Path(humanoid.usd_file).as_posix()}")
        stage.SetTimeCodesPerSecond(humanoid.fps)
        stage.SetStartTimeCode(0)
        stage.SetEndTimeCode(max(humanoid.num_frames - 1, 0))
        if humanoid.author_reference_motion is not None:
            humanoid.author_reference_motion(prim)
    stage.GetRootLayer().Save()
    return path


def _define_ground(stage: Usd.Stage, scene: SceneConfig, material: MaterialConfig) -> None:
    """A static box whose top face is z = 0: a collider without a rigid body is static in UsdPhysics."""
    ground = UsdGeom.Cube.Define(stage, GROUND)
    ground.CreateSizeAttr(1.0)
    ground.CreateExtentAttr([Gf.Vec3f(-0.5), Gf.Vec3f(0.5)])
    ground.CreateDisplayColorAttr([Gf.Vec3f(0.35, 0.37, 0.4)])
    ground.AddTranslateOp().Set(Gf.Vec3d(0.0, 0.0, -scene.ground_thickness_m / 2.0))
    ground.AddScaleOp().Set(Gf.Vec3f(scene.ground_size_m, scene.ground_size_m, scene.ground_thickness_m))
    UsdGeom.Scope.Define(stage, LOOKS)
    ground_material = define_physics_material(stage, f"{LOOKS}/ground_material", material)
    make_collider(ground.GetPrim(), ground_material)


def _set_pose(prim: UsdGeom.Xform, position, orientation_xyzw) -> None:
    x, y, z, w = (float(v) for v in orientation_xyzw)
    prim.AddTranslateOp().Set(Gf.Vec3d(*(float(v) for v in position)))
    prim.AddOrientOp(UsdGeom.XformOp.PrecisionDouble).Set(Gf.Quatd(w, x, y, z))
