"""The bundled examples (`scripts/make_examples.py`): valid cases, clean geometry where clean, the recorded
errors where not, a chair that lost a leg falls, every object observed as it really is with the person hiding
part of it, and the script rebuilds them identically."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import trimesh
from PIL import Image
from scipy.spatial.transform import Rotation

from hsimul3r_ext.body.model_files import BODY_MODELS_ENV
from hsimul3r_ext.body.posed_surface import posed_surface
from hsimul3r_ext.hsi.case_io import load_case, load_mesh
from hsimul3r_ext.hsi.observation import load_observation
from hsimul3r_ext.hsi.scene import HSIScene, SceneObject
from hsimul3r_ext.ingest.importers.meshes import ObjectSpec
from hsimul3r_ext.ingest.ingest_case import ingest
from hsimul3r_ext.kernels.mesh_distance import MeshDistance
from hsimul3r_ext.kernels.raycast import render
from hsimul3r_ext.stability import judge, load_judge_config

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
SCRIPTS = ROOT / "scripts"
INTERACTIONS = ("sit_chair", "sit_armchair", "lie_sofa", "lean_table")
CASES = (*INTERACTIONS, *(f"{name}_clean" for name in INTERACTIONS), "sit_chair_missing_leg")
TOUCH_M = 0.005  # labelled parts are at most this far from the object (the labelling distance)
PENETRATION_M = 0.005
FLOAT32_SLACK_M = 1e-6  # the motion file stores float32 parameters
EDGE_PIXELS = 2  # silhouette pixels that may flip between renderings (another CPU's float rounding)


@pytest.fixture(autouse=True)
def open_body_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """The examples are posed with the shipped open model, as the script does."""
    monkeypatch.delenv(BODY_MODELS_ENV, raising=False)


def world_mesh(scene: HSIScene, obj: SceneObject) -> trimesh.Trimesh:
    mesh = load_mesh(scene.root / obj.mesh)
    mesh.vertices = Rotation.from_quat(obj.orientation).apply(mesh.vertices) + obj.position
    return mesh


def make_examples_record(scene: HSIScene) -> dict:
    return next(record for record in scene.provenance if record["step"] == "make_examples")


@pytest.mark.parametrize("name", CASES)
def test_every_example_is_a_valid_case(name: str) -> None:
    scene = load_case(EXAMPLES / name)
    assert scene.motion is not None and scene.objects and make_examples_record(scene)["synthetic"]
    assert scene.motion.contact_labels.any()


@pytest.mark.parametrize("name", INTERACTIONS)
def test_clean_examples_touch_where_labelled_and_never_penetrate(name: str) -> None:
    scene = load_case(EXAMPLES / f"{name}_clean")
    motion = scene.motion
    surface = posed_surface(motion)
    meshes = [world_mesh(scene, obj) for obj in scene.objects]
    for mesh in meshes:
        assert mesh.bounds[0, 2] == pytest.approx(0.0, abs=1e-3), "objects stand on the floor"
    support = trimesh.util.concatenate(meshes)
    field = MeshDistance(support.vertices, support.faces)
    distance = np.stack([field.query(frame)[0] for frame in surface.vertices])
    assert distance.min() >= -PENETRATION_M, f"skin {-distance.min() * 1000:.1f} mm inside the furniture"
    assert surface.vertices[:, :, 2].min() >= -PENETRATION_M, "skin below the floor"
    for column, body in enumerate(motion.contact_body_names):
        labelled = motion.contact_labels[:, column]
        gaps = distance[labelled][:, surface.part_mask([body])].min(axis=1)
        assert gaps.max(initial=0.0) <= TOUCH_M + FLOAT32_SLACK_M, (
            f"{body} labelled but {gaps.max() * 1000:.1f} mm away"
        )
    assert make_examples_record(scene)["injected_errors"] is None


@pytest.mark.parametrize("name", [*INTERACTIONS, "sit_chair_missing_leg"])
def test_error_versions_differ_from_the_clean_ones_by_the_recorded_errors(name: str) -> None:
    broken = load_case(EXAMPLES / name)
    record = make_examples_record(broken)
    clean = load_case(EXAMPLES / record["clean_case"])
    errors = record["injected_errors"]
    human = np.asarray(errors["human_offset_m"])
    for key in ("transl", "joints"):  # float32 in the file
        moved = getattr(broken.motion, key) - getattr(clean.motion, key)
        np.testing.assert_allclose(moved, np.broadcast_to(human, moved.shape), atol=1e-5, err_msg=key)
    np.testing.assert_array_equal(broken.motion.contact_labels, clean.motion.contact_labels)
    for obj_name, error in errors["objects"].items():
        before, after = clean.object(obj_name), broken.object(obj_name)
        assert 0.05 <= np.linalg.norm(error["offset_m"][:2]) <= 0.10 and abs(error["yaw_deg"]) <= 5.0
        np.testing.assert_allclose(after.position - before.position, error["offset_m"], atol=1e-9)
        turn = Rotation.from_quat(after.orientation) * Rotation.from_quat(before.orientation).inv()
        np.testing.assert_allclose(turn.as_euler("xyz", degrees=True), [0.0, 0.0, error["yaw_deg"]], atol=1e-6)
    assert 0.02 <= abs(human[2]) <= 0.04


def test_the_sit_chair_errors_open_a_gap_at_the_backrest() -> None:
    """The chair moved back: the labelled upper back no longer reaches the backrest (alignment has work to do)."""
    scene = load_case(EXAMPLES / "sit_chair")
    motion = scene.motion
    labelled = motion.contact_labels[:, list(motion.contact_body_names).index("spine3")]
    surface = posed_surface(motion, np.flatnonzero(labelled))
    chair = world_mesh(scene, scene.object("chair"))
    field = MeshDistance(chair.vertices, chair.faces)
    upper_back = surface.part_mask(["spine3"])
    gaps = [field.query(frame[upper_back])[0].min() for frame in surface.vertices]
    assert min(gaps) > 0.05


@pytest.mark.parametrize("name", CASES)
def test_every_object_is_observed_as_it_really_is_with_the_person_hiding_part_of_it(name: str) -> None:
    """The observation shows the true (clean) object, the error versions keep the clean case's files, and the
    person's skin hides a real part of the object: rendered alone, the object covers pixels the mask lacks."""
    scene = load_case(EXAMPLES / name)
    truth = load_case(EXAMPLES / (make_examples_record(scene)["clean_case"] or name))
    for obj in scene.objects:
        assert obj.observation == f"observations/{obj.name}"
        folder = scene.root / obj.observation
        if truth.name != scene.name:
            for file in sorted((truth.root / obj.observation).iterdir()):
                assert (folder / file.name).read_bytes() == file.read_bytes(), f"{name}: {file.name}"
        observation = load_observation(folder)
        assert observation.occluder is not None
        mesh = world_mesh(truth, truth.object(obj.name))
        _, face = render(mesh.vertices, mesh.faces, observation.camera)
        alone = face >= 0
        assert (observation.mask & ~alone).sum() <= EDGE_PIXELS
        hidden = alone & ~observation.mask
        assert hidden.sum() >= 0.15 * alone.sum(), f"{name}: the person hides only {hidden.sum()} px"
        assert (hidden & ~observation.occluder).sum() <= EDGE_PIXELS, "only the person hides the object"
        assert not (observation.mask & observation.occluder).any()
        points = observation.camera.world_points(observation.depth, observation.mask)
        distance, _ = MeshDistance(mesh.vertices, mesh.faces).query(points)
        assert np.abs(distance).max() < 1e-3, "the depth puts the seen pixels on the true object's surface"


def test_the_chair_that_lost_a_leg_was_observed_with_all_four() -> None:
    """Its observation is of the real chair: some seen pixels lie where the case's three-legged chair has nothing."""
    scene = load_case(EXAMPLES / "sit_chair_missing_leg")
    # The case's chair is displaced by the injected errors: put the three-legged mesh at the clean pose.
    sound = load_case(EXAMPLES / "sit_chair_clean").object("chair")
    chair = load_mesh(scene.root / scene.object("chair").mesh)
    chair.vertices = Rotation.from_quat(sound.orientation).apply(chair.vertices) + sound.position
    observation = load_observation(scene.root / scene.object("chair").observation)
    points = observation.camera.world_points(observation.depth, observation.mask)
    distance, _ = MeshDistance(chair.vertices, chair.faces).query(points)
    assert (np.abs(distance) > 0.02).sum() >= 20, "the lost leg is in view"


def test_the_chair_that_lost_a_leg_falls_and_the_clean_one_stands(tmp_path: Path) -> None:
    specs = []
    for label, case in (("sound", "sit_chair_clean"), ("three_legged", "sit_chair_missing_leg")):
        scene = load_case(EXAMPLES / case)
        obj = scene.object("chair")
        offset = np.array([0.0, 2.0, 0.0]) if label == "three_legged" else np.zeros(3)  # apart, not touching
        specs.append(ObjectSpec(path=scene.root / obj.mesh, name=label, position=obj.position + offset,
                                orientation=obj.orientation, category="chair", keep_origin=True))  # fmt: skip
    ingest(tmp_path / "chairs", objects=specs)
    report = judge(tmp_path / "chairs", tmp_path / "report", load_judge_config(["judge.gravity.seconds=4.0"]),
                   gravity_only=True)  # fmt: skip
    verdicts = {obj["name"]: obj for obj in report["objects"]}
    assert verdicts["sound"]["gravity"]["stable"] and verdicts["sound"]["gravity"]["tilt_deg"] < 1.0
    assert verdicts["three_legged"]["type"] == 1 and verdicts["three_legged"]["gravity"]["tilt_deg"] > 20.0


def assert_same_manifest(shipped: object, rebuilt: object, where: str = "") -> None:
    """Equal manifests; numbers to 1e-6 and file hashes skipped (another CPU may round float32 differently)."""
    if isinstance(shipped, dict):
        assert shipped.keys() == rebuilt.keys(), where
        for key in shipped:
            if key != "sha256":
                assert_same_manifest(shipped[key], rebuilt[key], f"{where}.{key}")
    elif isinstance(shipped, list):
        assert len(shipped) == len(rebuilt), where
        for index, (a, b) in enumerate(zip(shipped, rebuilt, strict=True)):
            assert_same_manifest(a, b, f"{where}[{index}]")
    elif isinstance(shipped, float):
        assert rebuilt == pytest.approx(shipped, abs=1e-6), where
    else:
        assert shipped == rebuilt, where


def test_the_script_rebuilds_identical_examples(tmp_path: Path) -> None:
    """Same files, arrays, meshes and manifests. Floats are compared to 1e-6 (m, rad) so that another CPU's
    float32 rounding in the body model does not count as a change; on one machine the files are byte-identical."""
    sys.path.insert(0, str(SCRIPTS))
    try:
        import make_examples
    finally:
        sys.path.remove(str(SCRIPTS))
    make_examples.main(["--out", str(tmp_path)])
    shipped = sorted(p.relative_to(EXAMPLES) for p in EXAMPLES.rglob("*") if p.is_file() and p.name != "README.md")
    rebuilt = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert rebuilt == shipped
    for relative in shipped:
        old, new = EXAMPLES / relative, tmp_path / relative
        if relative.suffix == ".npz":
            with np.load(old) as a, np.load(new) as b:
                assert a.files == b.files
                for key in a.files:
                    if a[key].dtype.kind == "f":
                        np.testing.assert_allclose(a[key], b[key], rtol=0, atol=1e-6, err_msg=f"{relative}: {key}")
                    else:
                        np.testing.assert_array_equal(a[key], b[key], err_msg=f"{relative}: {key}")
        elif relative.suffix in (".png", ".npy"):  # observation masks and depth
            a, b = (np.asarray(Image.open(p)) if p.suffix == ".png" else np.load(p) for p in (old, new))
            assert a.shape == b.shape and a.dtype == b.dtype, str(relative)
            assert ((a > 0) != (b > 0)).sum() <= EDGE_PIXELS, str(relative)
            both = (a > 0) & (b > 0)
            np.testing.assert_allclose(a[both], b[both], rtol=0, atol=1e-5, err_msg=str(relative))
        elif relative.suffix == ".obj":
            a, b = (trimesh.load(path, force="mesh", process=False) for path in (old, new))
            np.testing.assert_allclose(a.vertices, b.vertices, rtol=0, atol=1e-6, err_msg=str(relative))
            np.testing.assert_array_equal(a.faces, b.faces)
        else:
            assert_same_manifest(json.loads(old.read_text()), json.loads(new.read_text()), str(relative))
