"""Object geometry for simulation: repair to a solid, mass rules and inertia, decomposition cache and fallback."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import trimesh
from native_failures import no_convergence
from scipy.spatial.transform import Rotation

from hsimul3r_ext.assets.config import CACHE_ENV, CoacdConfig, ConvertConfig, MassConfig, load_convert_config
from hsimul3r_ext.assets.decompose import decompose
from hsimul3r_ext.assets.mass import object_mass, object_mass_properties, principal_frame
from hsimul3r_ext.assets.repair import repair_solid
from hsimul3r_ext.assets.simplify import coarse_solid, decimated
from hsimul3r_ext.hsi import CaseError, SceneObject

CHAIR = Path(__file__).resolve().parents[1] / "examples" / "raw" / "sit_chair" / "chair.obj"


def box(size: tuple[float, float, float], centre: tuple[float, float, float]) -> trimesh.Trimesh:
    mesh = trimesh.creation.box(size)
    mesh.apply_translation(centre)
    return mesh


def test_cube_mass_inertia_and_centre_are_exact() -> None:
    side, density = 0.5, 1000.0
    solid, report = repair_solid(box((side,) * 3, (0.1, -0.2, side / 2)), Path("cube.obj"))
    props = object_mass_properties(solid, SceneObject("cube", "cube.obj", density_kg_m3=density), MassConfig())
    assert report.watertight_after and report.repairs == []
    assert props.mass_kg == pytest.approx(125.0, rel=1e-6)
    assert props.source == "case density_kg_m3 x solid volume"
    np.testing.assert_allclose(np.diag(props.inertia), 125.0 * side**2 / 6.0, rtol=1e-6)
    np.testing.assert_allclose(props.inertia - np.diag(np.diag(props.inertia)), 0.0, atol=1e-12)
    np.testing.assert_allclose(props.center_of_mass, [0.1, -0.2, side / 2], atol=1e-12)
    np.testing.assert_allclose(props.principal_axes_xyzw, [0, 0, 0, 1])


def test_mass_rules_case_mass_then_case_density_then_category_then_default_density() -> None:
    config = MassConfig(default_density_kg_m3=500.0, category_mass_kg={"chair": 6.0})
    volume = 0.02
    given = SceneObject("a", "a.obj", category="chair", mass_kg=9.0)
    assert object_mass(given, volume, config) == (9.0, "case mass_kg")
    by_density = object_mass(SceneObject("a", "a.obj", category="chair", density_kg_m3=700.0), volume, config)
    assert by_density[0] == pytest.approx(14.0)
    assert object_mass(SceneObject("a", "a.obj", category="chair"), volume, config)[0] == 6.0
    assert object_mass(SceneObject("a", "a.obj", category="bed"), volume, config)[0] == pytest.approx(10.0)
    assert object_mass(SceneObject("a", "a.obj"), volume, config)[1] == "default density x solid volume"


def test_principal_frame_rebuilds_a_rotated_inertia() -> None:
    rotation = Rotation.from_euler("xyz", [20, -35, 70], degrees=True)
    inertia = rotation.as_matrix() @ np.diag([0.2, 0.5, 0.9]) @ rotation.as_matrix().T
    moments, axes = principal_frame(inertia)
    matrix = Rotation.from_quat(axes).as_matrix()
    np.testing.assert_allclose(matrix @ np.diag(moments) @ matrix.T, inertia, atol=1e-12)
    np.testing.assert_allclose(sorted(moments), [0.2, 0.5, 0.9], atol=1e-12)


def test_open_box_shell_becomes_a_closed_solid() -> None:
    closed = box((0.4, 0.4, 0.4), (0, 0, 0.2))
    shell = trimesh.Trimesh(closed.vertices, closed.faces[:-2], process=False)  # one side missing
    solid, report = repair_solid(shell, Path("shell.obj"))
    assert not report.watertight_before and report.watertight_after
    assert report.parts_closed == 1 and report.repairs == ["closed 1 open or non-manifold part(s)"]
    assert (report.faces_before, report.faces_after) == (10, 12)
    assert solid.is_watertight and solid.volume == pytest.approx(0.064, rel=1e-9)


def test_inside_out_part_is_turned_outward() -> None:
    mesh = box((0.3, 0.3, 0.3), (0, 0, 0.15))
    mesh.invert()
    solid, report = repair_solid(mesh, Path("inverted.obj"))
    assert report.parts_reoriented == 1 and solid.volume == pytest.approx(0.027, rel=1e-9)


def test_overlapping_parts_unite_into_one_solid_counted_once() -> None:
    seat = box((0.46, 0.46, 0.05), (0, 0, 0.44))
    legs = [box((0.04, 0.04, 0.44), (x, y, 0.22)) for x in (-0.2, 0.2) for y in (-0.2, 0.2)]  # 1.5 cm into the seat
    parts = [seat, *legs]
    solid, report = repair_solid(trimesh.util.concatenate(parts), Path("chair.obj"))
    overlap = 4 * 0.04 * 0.04 * 0.025
    assert report.parts_merged == 5 and report.pieces_after == 1 and report.watertight_after
    assert solid.volume == pytest.approx(sum(p.volume for p in parts) - overlap, rel=1e-9)


def test_example_chair_of_touching_boxes_is_one_solid() -> None:
    solid, report = repair_solid(trimesh.load(CHAIR, force="mesh", process=False), CHAIR)
    assert report.parts_before == 6 and report.pieces_after == 1 and report.watertight_after
    assert len(solid.split(only_watertight=False)) == 1


def test_flat_mesh_is_refused() -> None:
    square = trimesh.Trimesh([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], [[0, 1, 2], [0, 2, 3]], process=False)
    with pytest.raises(CaseError, match="encloses no volume") as err:
        repair_solid(square, Path("flat.obj"))
    assert err.value.file == "flat.obj" and err.value.field == "mesh"


def test_simplification_keeps_the_solid_closed_and_the_visual_within_budget() -> None:
    sphere = trimesh.creation.icosphere(subdivisions=6, radius=0.3)  # 81,920 faces
    coarse = coarse_solid(sphere, 3000)
    assert len(coarse.faces) <= 3000 and coarse.is_watertight
    assert coarse.volume == pytest.approx(sphere.volume, rel=0.02)
    assert len(decimated(sphere, 5000).faces) <= 5000


def test_decomposition_is_cached_by_content_and_parameters(tmp_path: Path) -> None:
    solid, _ = repair_solid(trimesh.load(CHAIR, force="mesh", process=False), CHAIR)
    config = CoacdConfig(cache_dir=str(tmp_path))
    first, second = decompose(solid, config), decompose(solid, config)
    assert (first.cache_hit, second.cache_hit) == (False, True) and first.method == "coacd"
    assert len(first.hulls) >= 2 and [len(h.vertices) for h in first.hulls] == [len(h.vertices) for h in second.hulls]
    config.threshold = 0.1
    assert not decompose(solid, config).cache_hit  # other parameters, other entry


def test_cache_folder_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    assert CoacdConfig().cache_path() == tmp_path / "coacd"
    assert CoacdConfig(cache_dir=str(tmp_path / "mine")).cache_path() == tmp_path / "mine"
    monkeypatch.delenv(CACHE_ENV)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert CoacdConfig().cache_path() == tmp_path / ".cache" / "hsimul3r" / "coacd"


def test_failed_decomposition_falls_back_to_convex_parts_and_says_so(tmp_path: Path) -> None:
    solid, _ = repair_solid(trimesh.load(CHAIR, force="mesh", process=False), CHAIR)
    disabled = decompose(solid, CoacdConfig(enabled=False, cache_dir=str(tmp_path)))
    assert disabled.method == "convex_hull" and len(disabled.hulls) == 1
    assert "disabled" in disabled.fallback_reason

    failed = decompose(solid, CoacdConfig(cache_dir=str(tmp_path)), coacd_step=no_convergence)  # raises in the child
    assert failed.method == "convex_parts" and len(failed.hulls) >= 2
    assert failed.fallback_reason.startswith("CoACD failed on all 4 attempt(s) (last: RuntimeError: no convergence)")
    assert failed.to_json()["fallback_reason"] == failed.fallback_reason


def test_yaml_defaults_equal_the_schema_and_bad_values_name_their_key() -> None:
    assert load_convert_config() == ConvertConfig()
    assert load_convert_config(["convert.coacd.threshold=0.1"]).coacd.threshold == 0.1
    with pytest.raises(CaseError, match=r"convert\.coacd\.threshold: must be positive"):
        load_convert_config(["convert.coacd.threshold=-1"])
    with pytest.raises(
        CaseError, match=r"convert\.coacd\.treshold: no such setting \(did you mean convert\.coacd\.threshold\?\)"
    ):
        load_convert_config(["convert.coacd.treshold=0.1"])
