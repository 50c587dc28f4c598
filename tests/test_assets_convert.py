"""`hsimul3r convert`: furniture meshes to simulation-ready USD and MJCF that Newton and MuJoCo load.

Everything runs through `hsimul3r_ext.cli.main` in-process, on meshes the tests build. Each test gets its
own decomposition cache folder, so cache hits are never inherited from an earlier run.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mujoco
import newton
import numpy as np
import pytest
import trimesh
from pxr import Sdf, Usd, UsdGeom, UsdPhysics, UsdShade
from scipy.spatial.transform import Rotation

from hsimul3r_ext.assets import SceneHumanoid, convert_case, load_convert_config
from hsimul3r_ext.cli import EXIT_BAD_INPUT, main
from hsimul3r_ext.hsi import HSIScene, SceneObject, save_case
from hsimul3r_ext.hsi.case_io import manifest_json

CHAIR = Path(__file__).resolve().parents[1] / "examples" / "raw" / "sit_chair" / "chair.obj"
MAX_SECONDS_PER_OBJECT = 60.0  # the budget on a 2-core laptop CPU


# --- meshes the tests build: ShapeNet-style furniture of loose, overlapping, partly open parts -----------------


def box(size: tuple[float, ...], centre: tuple[float, ...]) -> trimesh.Trimesh:
    mesh = trimesh.creation.box(size)
    mesh.apply_translation(centre)
    return mesh


def rod(radius: float, height: float, centre: tuple[float, ...]) -> trimesh.Trimesh:
    mesh = trimesh.creation.cylinder(radius=radius, height=height, sections=24)
    mesh.apply_translation(centre)
    return mesh


def open_below(mesh: trimesh.Trimesh) -> trimesh.Trimesh:
    """The part without its downward faces, as modelled surfaces often are where nobody looks."""
    return trimesh.Trimesh(mesh.vertices, mesh.faces[mesh.face_normals[:, 2] > -0.99], process=False)


def chair_parts() -> list[trimesh.Trimesh]:
    legs = [box((0.04, 0.04, 0.44), (x, y, 0.22)) for x in (-0.2, 0.2) for y in (-0.2, 0.2)]
    return [
        open_below(box((0.46, 0.46, 0.05), (0, 0, 0.44))),
        open_below(box((0.46, 0.04, 0.45), (0, 0.21, 0.68))),
        *legs,
    ]


def sofa_parts() -> list[trimesh.Trimesh]:
    return [
        box((1.8, 0.8, 0.4), (0, 0, 0.2)),
        open_below(box((1.8, 0.2, 0.5), (0, 0.32, 0.6))),
        box((0.2, 0.8, 0.3), (-0.82, 0, 0.5)),
        box((0.2, 0.8, 0.3), (0.82, 0, 0.5)),
        box((0.8, 0.6, 0.12), (-0.42, -0.08, 0.44)),
        box((0.8, 0.6, 0.12), (0.42, -0.08, 0.44)),
    ]


def table_parts() -> list[trimesh.Trimesh]:
    legs = [rod(0.03, 0.74, (x, y, 0.37)) for x in (-0.55, 0.55) for y in (-0.3, 0.3)]
    return [open_below(box((1.2, 0.7, 0.04), (0, 0, 0.73))), *legs]


def stool_parts() -> list[trimesh.Trimesh]:
    angles = np.linspace(0, 2 * np.pi, 4, endpoint=False)
    legs = [rod(0.02, 0.47, (0.13 * np.cos(a), 0.13 * np.sin(a), 0.235)) for a in angles]
    return [open_below(rod(0.18, 0.04, (0, 0, 0.46))), *legs]


def dense(parts: list[trimesh.Trimesh], max_edge: float, seed: int = 0) -> trimesh.Trimesh:
    """Parts concatenated unwelded, subdivided and jittered (0.3 mm) like a scan-derived mesh."""
    mesh = trimesh.util.concatenate(parts)
    vertices, faces = trimesh.remesh.subdivide_to_size(mesh.vertices, mesh.faces, max_edge=max_edge)
    vertices = vertices + np.random.default_rng(seed).normal(0.0, 3e-4, vertices.shape)
    return trimesh.Trimesh(vertices, faces, process=False)


FURNITURE: dict[str, tuple[Callable[[], list[trimesh.Trimesh]], float]] = {
    "chair": (chair_parts, 0.02),  # ~31k faces
    "sofa": (sofa_parts, 0.05),  # ~52k faces
    "table": (table_parts, 0.05),  # ~20k faces
    "stool": (stool_parts, 0.025),  # ~49k faces
}


# --- cases and the command ---------------------------------------------------------------------------------------


def write_case(folder: Path, objects: list[tuple[SceneObject, trimesh.Trimesh]], name: str = "scene") -> Path:
    source = folder / f"{name}_source"
    (source / "objects").mkdir(parents=True)
    for obj, mesh in objects:
        mesh.export(source / obj.mesh)
    return save_case(HSIScene(name, objects=[obj for obj, _ in objects], root=source), folder / name)


def write_unchecked_case(folder: Path, mesh_name: str, mesh_bytes: bytes) -> Path:
    """A case folder whose mesh `save_case` would refuse: written by hand."""
    (folder / "objects").mkdir(parents=True)
    (folder / "objects" / mesh_name).write_bytes(mesh_bytes)
    scene = HSIScene("bad", objects=[SceneObject("thing", f"objects/{mesh_name}", category="box")])
    (folder / "hsi.json").write_text(json.dumps(manifest_json(scene)))
    return folder


def convert(
    capsys: pytest.CaptureFixture[str], case: Path, out: Path, cache: Path, *overrides: str
) -> tuple[int, str, str]:
    code = main(["convert", str(case), "-o", str(out), f"convert.coacd.cache_dir={cache}", *overrides])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def report_of(out: Path) -> dict[str, Any]:
    return json.loads((out / "convert.json").read_text())


def newton_builder(usd_file: Path) -> newton.ModelBuilder:
    builder = newton.ModelBuilder()
    builder.add_usd(str(usd_file))
    return builder


def colliders(builder: newton.ModelBuilder) -> list[int]:
    return [i for i, flags in enumerate(builder.shape_flags) if int(flags) & int(newton.ShapeFlags.COLLIDE_SHAPES)]


# --- furniture ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind",
    [
        "chair",  # ~6 s here
        "table",  # ~3 s
        pytest.param("sofa", marks=pytest.mark.slow),  # ~12 s
        pytest.param("stool", marks=pytest.mark.slow),  # ~17 s
    ],
)
def test_furniture_converts_without_manual_steps(kind: str, tmp_path: Path, capsys) -> None:
    parts, max_edge = FURNITURE[kind]
    mesh = dense(parts(), max_edge)
    assert 10_000 < len(mesh.faces) < 100_000 and not mesh.is_watertight
    case = write_case(tmp_path, [(SceneObject(kind, f"objects/{kind}.obj", category=kind), mesh)])
    code, stdout, _ = convert(capsys, case, tmp_path / "out", tmp_path / "cache")
    assert code == 0, stdout
    entry = report_of(tmp_path / "out")["objects"][kind]
    assert entry["seconds"] < MAX_SECONDS_PER_OBJECT
    assert entry["repair"]["watertight_after"] and not entry["repair"]["watertight_before"]
    assert entry["repair"]["parts_merged"] == len(parts()) and entry["repair"]["pieces_after"] == 1
    assert entry["collision"]["method"] == "coacd" and entry["collision"]["fallback_reason"] is None
    assert entry["collision"]["hull_count"] >= 2
    assert entry["mass"]["mass_kg"] == load_convert_config().mass.category_mass_kg[kind]
    assert all(0 < count <= 64 for count in entry["collision"]["hull_vertices"])  # Newton's hull limit

    builder = newton_builder(tmp_path / "out" / "objects" / f"{kind}.usda")
    assert builder.body_count == 1 and builder.body_mass[0] == pytest.approx(entry["mass"]["mass_kg"], rel=1e-6)
    assert len(colliders(builder)) == entry["collision"]["hull_count"]


# --- the cache ---------------------------------------------------------------------------------------------------


def test_second_conversion_hits_the_decomposition_cache(tmp_path: Path, capsys) -> None:
    case = write_case(tmp_path, [(SceneObject("chair", "objects/chair.obj"), dense(chair_parts(), 0.04))])
    assert convert(capsys, case, tmp_path / "first", tmp_path / "cache")[0] == 0
    code, stdout, _ = convert(capsys, case, tmp_path / "second", tmp_path / "cache")
    assert code == 0 and "cached" in stdout
    first, second = (report_of(tmp_path / name)["objects"]["chair"] for name in ("first", "second"))
    assert (first["collision"]["cache_hit"], second["collision"]["cache_hit"]) == (False, True)
    assert first["collision"]["hull_vertices"] == second["collision"]["hull_vertices"]
    assert second["collision"]["seconds"] < first["collision"]["seconds"] / 5
    hulls = lambda name: (tmp_path / name / "objects" / "chair.usda").read_text()  # noqa: E731
    assert hulls("first") == hulls("second")


def test_disabled_decomposition_falls_back_to_one_hull_and_says_so(tmp_path: Path, capsys) -> None:
    case = write_case(tmp_path, [(SceneObject("chair", "objects/chair.obj"), trimesh.load(CHAIR, force="mesh"))])
    code, _, stderr = convert(capsys, case, tmp_path / "out", tmp_path / "cache", "convert.coacd.enabled=false")
    assert code == 0 and "convex-hull fallback" in stderr and "disabled" in stderr
    collision = report_of(tmp_path / "out")["objects"]["chair"]["collision"]
    assert collision["method"] == "convex_hull" and collision["hull_count"] == 1


# --- bad input ---------------------------------------------------------------------------------------------------


def _cube_obj(side: float) -> bytes:
    mesh = trimesh.creation.box((side, side, side))
    mesh.apply_translation((0, 0, side / 2))
    return trimesh.exchange.obj.export_obj(mesh).encode()


@pytest.mark.parametrize(
    ("mesh_name", "content", "message"),
    [
        ("thing.obj", b"\x00\x01garbage\xff" * 50, "mesh is empty"),
        ("thing.ply", b"ply\nformat binary_little_endian 1.0\nelement vertex 99\nend_header\n\x01\x02", "cannot read"),
        ("thing.obj", b"# no geometry\n", "mesh is empty"),
        ("thing.obj", _cube_obj(50.0), "wrong units or scale"),  # a 0.5 m box written in centimetres
    ],
    ids=["garbage-obj", "garbage-ply", "empty", "100x-too-large"],
)
def test_bad_mesh_exits_2_with_one_line_and_no_output(
    mesh_name: str, content: bytes, message: str, tmp_path: Path, capsys
) -> None:
    case = write_unchecked_case(tmp_path / "case", mesh_name, content)
    out_parent = tmp_path / "out"
    out_parent.mkdir()
    code, _, stderr = convert(capsys, case, out_parent / "converted", tmp_path / "cache")
    assert code == EXIT_BAD_INPUT
    assert stderr.count("\n") == 1 and stderr.startswith("hsimul3r: error: ")
    assert message in stderr and mesh_name in stderr and "mesh" in stderr
    assert list(out_parent.iterdir()) == []


def test_object_sunk_into_the_ground_is_lifted_and_bad_overrides_are_refused(tmp_path: Path, capsys) -> None:
    sunk = SceneObject("chair", "objects/chair.obj", position=np.array([0.0, 0.0, -0.3]))
    case = write_case(tmp_path, [(sunk, trimesh.load(CHAIR, force="mesh"))])
    code, _, stderr = convert(capsys, case, tmp_path / "bad", tmp_path / "cache", "convert.material.restitution=3")
    assert code == EXIT_BAD_INPUT and "convert.material" in stderr
    assert not (tmp_path / "bad").exists()
    code, _, _ = convert(capsys, case, tmp_path / "out", tmp_path / "cache")
    entry = json.loads((tmp_path / "out" / "convert.json").read_text())["objects"]["chair"]
    assert code == 0 and entry["ground_shift_m"] == pytest.approx(0.3, abs=0.005)
    assert entry["position_m"][2] == pytest.approx(entry["case_position_m"][2] + entry["ground_shift_m"])


# --- the written scene -------------------------------------------------------------------------------------------

CHAIR_POSE = (np.array([0.4, -0.2, 0.0]), Rotation.from_euler("z", 30, degrees=True).as_quat())
CRATE_POSE = (np.array([-0.6, 0.5, 0.0]), np.array([0.0, 0.0, 0.0, 1.0]))


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A dynamic chair and a static crate, converted once; the folder is then moved elsewhere."""
    folder = tmp_path_factory.mktemp("scene")
    chair = SceneObject("chair", "objects/chair.obj", *CHAIR_POSE, category="chair", mass_kg=7.5)
    crate = SceneObject("crate", "objects/crate.obj", *CRATE_POSE, category="box", static=True)
    case = write_case(folder, [(chair, dense(chair_parts(), 0.04)), (crate, box((0.5, 0.4, 0.3), (0, 0, 0.15)))])
    config = load_convert_config([f"convert.coacd.cache_dir={folder / 'cache'}"])
    convert_case(case, folder / "out", config)
    moved = folder / "elsewhere" / "moved"
    shutil.copytree(folder / "out", moved)
    shutil.rmtree(folder / "out")  # nothing may still point into the original folder
    return moved


def test_report_records_repairs_mass_and_the_missing_humanoid(converted: Path) -> None:
    report = report_of(converted)
    chair = report["objects"]["chair"]
    assert chair["mass"]["mass_kg"] == 7.5 and chair["mass"]["mass_source"] == "case mass_kg"
    assert chair["repair"]["repairs"][0].startswith("closed 2 open or non-manifold part(s)")
    assert set(chair) >= {"repair", "collision", "mass", "seconds", "usd"}
    assert report["objects"]["crate"]["static"] is True
    assert report["humanoid"]["built"] is False
    assert report["config"]["coacd"]["threshold"] == 0.05


def test_scene_usd_has_bodies_colliders_mass_and_gravity(converted: Path) -> None:
    stage = Usd.Stage.Open(str(converted / "scene.usda"))
    assert UsdGeom.GetStageUpAxis(stage) == UsdGeom.Tokens.z and UsdGeom.GetStageMetersPerUnit(stage) == 1.0
    assert UsdPhysics.GetStageKilogramsPerUnit(stage) == 1.0
    physics = UsdPhysics.Scene(stage.GetPrimAtPath("/World/PhysicsScene"))
    assert tuple(physics.GetGravityDirectionAttr().Get()) == (0, 0, -1)
    assert physics.GetGravityMagnitudeAttr().Get() == pytest.approx(9.81)

    ground = stage.GetPrimAtPath("/World/Ground")
    assert ground.HasAPI(UsdPhysics.CollisionAPI) and not ground.HasAPI(UsdPhysics.RigidBodyAPI)
    top = UsdGeom.BBoxCache(Usd.TimeCode.Default(), ["default"]).ComputeWorldBound(ground).ComputeAlignedRange()
    assert top.GetMax()[2] == pytest.approx(0.0, abs=1e-6)  # float32 scale

    mass = report_of(converted)["objects"]["chair"]["mass"]
    chair = stage.GetPrimAtPath("/World/Objects/chair")
    assert chair.HasAPI(UsdPhysics.RigidBodyAPI) and chair.HasAPI(UsdPhysics.MassAPI)
    mass_api = UsdPhysics.MassAPI(chair)
    assert mass_api.GetMassAttr().Get() == pytest.approx(7.5)
    np.testing.assert_allclose(mass_api.GetCenterOfMassAttr().Get(), mass["center_of_mass_m"], rtol=1e-6)
    np.testing.assert_allclose(mass_api.GetDiagonalInertiaAttr().Get(), mass["principal_moments_kg_m2"], rtol=1e-6)
    axes = mass_api.GetPrincipalAxesAttr().Get()
    rotation = Rotation.from_quat([*axes.GetImaginary(), axes.GetReal()]).as_matrix()
    np.testing.assert_allclose(
        rotation @ np.diag(mass["principal_moments_kg_m2"]) @ rotation.T, mass["inertia_kg_m2"], atol=1e-6
    )
    world = np.array(UsdGeom.Xformable(chair).ComputeLocalToWorldTransform(Usd.TimeCode.Default())).T
    np.testing.assert_allclose(world[:3, 3], CHAIR_POSE[0], atol=1e-9)
    np.testing.assert_allclose(world[:3, :3], Rotation.from_quat(CHAIR_POSE[1]).as_matrix(), atol=1e-9)

    hulls = stage.GetPrimAtPath("/World/Objects/chair/collision").GetChildren()
    assert len(hulls) == report_of(converted)["objects"]["chair"]["collision"]["hull_count"] >= 2
    for hull in hulls:
        assert hull.HasAPI(UsdPhysics.CollisionAPI) and hull.HasAPI(UsdPhysics.MeshCollisionAPI)
        assert UsdPhysics.MeshCollisionAPI(hull).GetApproximationAttr().Get() == UsdPhysics.Tokens.convexHull
        assert UsdGeom.Imageable(hull).GetPurposeAttr().Get() == UsdGeom.Tokens.guide
        material, _ = UsdShade.MaterialBindingAPI(hull).ComputeBoundMaterial("physics")
        assert UsdPhysics.MaterialAPI(material.GetPrim()).GetDynamicFrictionAttr().Get() == pytest.approx(0.6)
    visual = stage.GetPrimAtPath("/World/Objects/chair/visual")
    assert not visual.HasAPI(UsdPhysics.CollisionAPI)

    crate = stage.GetPrimAtPath("/World/Objects/crate")
    assert not crate.HasAPI(UsdPhysics.RigidBodyAPI)
    assert all(h.HasAPI(UsdPhysics.CollisionAPI) for h in crate.GetChild("collision").GetChildren())


def test_asset_paths_are_relative_and_resolve_after_a_move(converted: Path) -> None:
    layer = Sdf.Layer.FindOrOpen(str(converted / "scene.usda"))
    assert sorted(layer.GetCompositionAssetDependencies()) == ["./objects/chair.usda", "./objects/crate.usda"]
    for name in ("chair", "crate"):
        assert Sdf.Layer.FindOrOpen(str(converted / "objects" / f"{name}.usda")).GetCompositionAssetDependencies() == []
    stage = Usd.Stage.Open(str(converted / "scene.usda"))
    assert stage.GetCompositionErrors() == []
    assert stage.GetPrimAtPath("/World/Objects/chair/collision/hull_000").IsValid()
    assert stage.GetPrimAtPath("/World/Objects/crate/visual").IsValid()


def test_newton_loads_the_scene_with_one_body_per_dynamic_object(converted: Path) -> None:
    report = report_of(converted)["objects"]
    builder = newton_builder(converted / "scene.usda")
    assert builder.body_count == 1  # the static crate and the ground belong to the world
    hull_total = report["chair"]["collision"]["hull_count"] + report["crate"]["collision"]["hull_count"]
    shapes = colliders(builder)
    assert len(shapes) == hull_total + 1  # + the ground
    assert sum(builder.shape_body[i] == 0 for i in shapes) == report["chair"]["collision"]["hull_count"]
    assert builder.body_mass[0] == pytest.approx(7.5, rel=1e-6)
    inertia = np.array(builder.body_inertia[0]).reshape(3, 3)
    np.testing.assert_allclose(inertia, report["chair"]["mass"]["inertia_kg_m2"], rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(builder.shape_material_mu[shapes[-1]], 0.6, rtol=1e-6)


def test_mujoco_and_newton_load_the_mjcf_and_the_chair_rests(converted: Path) -> None:
    report = report_of(converted)["objects"]
    model = mujoco.MjModel.from_xml_path(str(converted / "scene.xml"))
    assert model.nbody == 2 and model.njnt == 1  # world (with the static crate's geoms) and the free chair
    assert model.geom_bodyid[model.geom("crate_hull_000").id] == 0
    chair = model.body("chair")
    assert chair.mass[0] == pytest.approx(7.5)
    np.testing.assert_allclose(
        np.sort(model.body_inertia[chair.id]), np.sort(report["chair"]["mass"]["principal_moments_kg_m2"]), rtol=1e-6
    )
    data = mujoco.MjData(model)
    start = data.qpos[:3].copy()
    for _ in range(500):  # 1 s
        mujoco.mj_step(model, data)
    assert np.abs(data.qpos[:3] - start).max() < 5e-3
    builder = newton.ModelBuilder()
    builder.add_mjcf(str(converted / "scene.xml"))
    assert builder.body_count == 1 and builder.body_mass[0] == pytest.approx(7.5)


def test_humanoid_files_join_both_scenes(tmp_path: Path) -> None:
    """The extension point the humanoid builder plugs into: its USD under /World/Humanoid, its MJCF included."""
    case = write_case(tmp_path, [(SceneObject("chair", "objects/chair.obj"), trimesh.load(CHAIR, force="mesh"))])
    authored: list[str] = []

    def build_humanoid(scene: HSIScene, folder: Path) -> SceneHumanoid:
        stage = Usd.Stage.CreateNew(str(folder / "humanoid.usda"))
        root = UsdGeom.Xform.Define(stage, "/humanoid").GetPrim()
        UsdPhysics.RigidBodyAPI.Apply(root)
        UsdPhysics.CollisionAPI.Apply(UsdGeom.Sphere.Define(stage, "/humanoid/pelvis").GetPrim())
        stage.SetDefaultPrim(root)
        stage.GetRootLayer().Save()
        (folder / "humanoid.xml").write_text(
            '<mujoco><worldbody><body name="pelvis" pos="1 0 1"><freejoint/>'
            '<geom type="sphere" size="0.1"/></body></worldbody></mujoco>'
        )

        def author(prim: Usd.Prim) -> None:
            UsdGeom.Xformable(prim).AddTranslateOp().Set((0.0, 0.0, 0.1), 5.0)
            authored.append(str(prim.GetPath()))

        return SceneHumanoid(Path("humanoid.usda"), Path("humanoid.xml"), 30.0, 60, author)

    config = load_convert_config([f"convert.coacd.cache_dir={tmp_path / 'cache'}"])
    report = convert_case(case, tmp_path / "out", config, build_humanoid=build_humanoid)
    assert report["humanoid"] == {"built": True, "usd": "humanoid.usda", "mjcf": "humanoid.xml"}
    stage = Usd.Stage.Open(str(tmp_path / "out" / "scene.usda"))
    assert stage.GetPrimAtPath("/World/Humanoid/pelvis").IsValid() and authored == ["/World/Humanoid"]
    assert (stage.GetTimeCodesPerSecond(), stage.GetEndTimeCode()) == (30.0, 59.0)
    model = mujoco.MjModel.from_xml_path(str(tmp_path / "out" / "scene.xml"))
    assert {model.body(i).name for i in range(model.nbody)} == {"world", "chair", "pelvis"}
    assert newton_builder(tmp_path / "out" / "scene.usda").body_count == 2
