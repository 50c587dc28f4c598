"""The synthetic benchmark set (`scripts/make_benchmark.py`) at the tests' size: every case loads, the index
describes the folders, every error kind is there with its parameters and does what it says to the geometry, the
clean cases touch where labelled, and the same seed writes the same bytes."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import trimesh

from hsimul3r_ext.body.model_files import BODY_MODELS_ENV
from hsimul3r_ext.body.posed_surface import posed_surface
from hsimul3r_ext.hsi.case_io import load_case, object_world_mesh
from hsimul3r_ext.hsi.scene import HSIScene
from hsimul3r_ext.kernels.mesh_distance import MeshDistance

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
CASES = 20
SEED = 0
PARAMS = {  # what each error kind records besides its kind
    "object_offset": {"offset_m", "yaw_deg", "about"},
    "body_sunk": {"depth_m"},
    "floating_object": {"height_m"},
    "missing_leg": {"leg", "leg_height_m"},
    "short_leg": {"leg", "shortened_by_m", "leg_height_m"},
    "seat_bump": {"offset_from_buttocks_m", "size_m", "height_m", "top_m"},
    "object_scale": {"factor", "about"},
}
TOUCH_M = 0.005 + 1e-6  # the labelling distance, with float32 slack
PENETRATION_M = 0.005


@pytest.fixture(scope="module")
def make_benchmark() -> ModuleType:
    sys.path.insert(0, str(SCRIPTS))
    try:
        return importlib.import_module("make_benchmark")
    finally:
        sys.path.remove(str(SCRIPTS))


@pytest.fixture(scope="module")
def bench(make_benchmark: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The set as the tests use it, made once for the module with the shipped open body model."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(BODY_MODELS_ENV, raising=False)
        out = tmp_path_factory.mktemp("bench") / "set"
        make_benchmark.main(["--out", str(out), "--cases", str(CASES), "--seed", str(SEED)])
    return out


@pytest.fixture(scope="module")
def index(bench: Path) -> dict:
    return json.loads((bench / "index.json").read_text(encoding="utf-8"))


def benchmark_record(scene: HSIScene) -> dict:
    return next(record for record in scene.provenance if record["step"] == "benchmark")


def cases_with(index: dict, kind: str) -> list[dict]:
    return [row for row in index["cases"] if kind in row["errors"]]


def world_mesh(scene: HSIScene) -> trimesh.Trimesh:
    return object_world_mesh(scene.objects[0], scene.root)


def legs_in_a_cut(mesh: trimesh.Trimesh) -> int:
    """Closed outlines of a horizontal cut 5 cm above the object's lowest point: one per leg."""
    section = mesh.section(plane_origin=[0.0, 0.0, mesh.bounds[0, 2] + 0.05], plane_normal=[0.0, 0.0, 1.0])
    return sum(np.allclose(line[0], line[-1]) for line in section.discrete)


def test_index_lists_every_folder_with_its_metadata(bench: Path, index: dict) -> None:
    folders = sorted(path.name for path in bench.iterdir() if path.is_dir())
    assert sorted(row["case"] for row in index["cases"]) == folders
    assert len(folders) == CASES and index["seed"] == SEED and index["script"] == "scripts/make_benchmark.py"
    for row in index["cases"]:
        scene = load_case(bench / row["case"])
        record = benchmark_record(scene)
        assert record["interaction"] == row["interaction"] and record["clean_case"] == row["clean_case"]
        assert [error["kind"] for error in record["errors"]] == row["errors"]
        assert record["subject"]["name"] == row["subject"] and record["seed"] == SEED
        assert scene.objects[0].category == row["category"] == record["object"]["category"]
        assert scene.objects[0].observation is not None
        assert scene.motion is not None and scene.motion.contact_labels.any()


def test_the_set_has_every_interaction_clean_and_every_error_kind(make_benchmark: ModuleType, index: dict) -> None:
    clean = [row for row in index["cases"] if not row["errors"]]
    assert {row["interaction"] for row in clean} == {"sit", "lie", "lean"}
    assert {row["category"] for row in clean} == {"chair", "table", "sofa"}
    assert len(cases_with(index, "missing_leg")) >= 2
    assert set(make_benchmark.ERROR_KINDS) == set(PARAMS)
    for kind in PARAMS:
        assert cases_with(index, kind), f"no {kind} case"
    names = {row["case"] for row in index["cases"]}
    assert all(row["clean_case"] in names for row in index["cases"] if row["errors"])


def test_every_error_is_recorded_with_its_parameters(bench: Path, index: dict) -> None:
    for row in index["cases"]:
        for error in benchmark_record(load_case(bench / row["case"]))["errors"]:
            missing = PARAMS[error["kind"]] - set(error)
            assert not missing, f"{row['case']}: {error['kind']} lacks {missing}"


def test_a_missing_leg_object_has_one_leg_fewer_than_its_clean_twin(bench: Path, index: dict) -> None:
    for row in cases_with(index, "missing_leg"):
        broken, clean = (world_mesh(load_case(bench / name)) for name in (row["case"], row["clean_case"]))
        assert legs_in_a_cut(clean) == 4
        assert legs_in_a_cut(broken) == 3, row["case"]


def test_a_floating_object_is_above_the_floor(bench: Path, index: dict) -> None:
    for row in cases_with(index, "floating_object"):
        scene = load_case(bench / row["case"])
        height = benchmark_record(scene)["errors"][0]["height_m"]
        assert world_mesh(scene).bounds[0, 2] == pytest.approx(height, abs=1e-6)
        assert world_mesh(load_case(bench / row["clean_case"])).bounds[0, 2] == pytest.approx(0.0, abs=1e-6)


def test_a_sunk_body_is_lower_than_its_clean_twin(bench: Path, index: dict) -> None:
    for row in cases_with(index, "body_sunk"):
        scene, clean = load_case(bench / row["case"]), load_case(bench / row["clean_case"])
        depth = next(e for e in benchmark_record(scene)["errors"] if e["kind"] == "body_sunk")["depth_m"]
        drop = clean.motion.transl[:, 2] - scene.motion.transl[:, 2]
        np.testing.assert_allclose(drop, depth, atol=1e-6)


def test_shape_errors_change_the_object_as_recorded(bench: Path, index: dict) -> None:
    for kind in ("short_leg", "seat_bump", "object_scale"):
        for row in cases_with(index, kind):
            scene, clean = load_case(bench / row["case"]), load_case(bench / row["clean_case"])
            error = next(e for e in benchmark_record(scene)["errors"] if e["kind"] == kind)
            mesh, reference = world_mesh(scene), world_mesh(clean)
            if kind == "object_scale":
                np.testing.assert_allclose(mesh.extents / reference.extents, error["factor"], rtol=1e-4)
            elif kind == "seat_bump":
                assert mesh.bounds[1, 2] >= error["top_m"][2] - 1e-6 > reference.bounds[0, 2]
                assert len(mesh.faces) > len(reference.faces)
            else:  # the short leg no longer reaches the floor: the cut 5 cm up still meets four legs
                assert legs_in_a_cut(mesh) == 4 and not np.allclose(mesh.vertices, reference.vertices)


def test_clean_cases_touch_where_labelled_and_never_penetrate(bench: Path, index: dict) -> None:
    for row in (row for row in index["cases"] if not row["errors"]):
        scene = load_case(bench / row["case"])
        surface = posed_surface(scene.motion)
        mesh = world_mesh(scene)
        assert mesh.bounds[0, 2] == pytest.approx(0.0, abs=1e-3), "objects stand on the floor"
        field = MeshDistance(mesh.vertices, mesh.faces)
        distance = np.stack([field.query(frame)[0] for frame in surface.vertices])
        assert distance.min() >= -PENETRATION_M, f"{row['case']}: skin {-distance.min() * 1000:.1f} mm inside"
        assert surface.vertices[:, :, 2].min() >= -PENETRATION_M, f"{row['case']}: skin below the floor"
        for column, body in enumerate(scene.motion.contact_body_names):
            gaps = distance[scene.motion.contact_labels[:, column]][:, surface.part_mask([body])].min(axis=1)
            assert gaps.max(initial=0.0) <= TOUCH_M, f"{row['case']}: {body} labelled, {gaps.max() * 1000:.1f} mm off"


def test_the_same_seed_writes_the_same_bytes(make_benchmark: ModuleType, bench: Path, tmp_path: Path) -> None:
    """One clean interaction (the quickest to author: leaning on a table) rebuilt alone gives identical cases."""
    groups = make_benchmark.plan(CASES, SEED)
    group = next(group for group in groups if group.interaction == "lean")
    make_benchmark.build_group(group, SEED, tmp_path)
    for case in group.cases:
        for name in ("hsi.json", "motion.npz"):
            assert (tmp_path / case.name / name).read_bytes() == (bench / case.name / name).read_bytes()


def test_an_existing_folder_with_files_is_refused(make_benchmark: ModuleType, tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(SystemExit, match="not an empty folder"):
        make_benchmark.main(["--out", str(tmp_path), "--cases", "3"])
    assert (tmp_path / "keep.txt").read_text() == "mine"
