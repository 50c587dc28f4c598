"""The case folder (`hsi.json` + `motion.npz` + `objects/` + `reference/`): round trip and strict validation.

Every case is built here from authored data: a skeleton motion from forward kinematics on the reference
rest skeleton, trimesh boxes as objects and a random point cloud. Rejection tests start from a valid saved
case, break one thing in its files, and check that `load_case` names the file and the field at fault.
"""

from __future__ import annotations

import json
import os
import pickle
import shlex
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pytest
import trimesh
from scipy.spatial.transform import Rotation

from hsimul3r_ext.body.kinematics import forward_kinematics
from hsimul3r_ext.body.reference_skeleton import REFERENCE_REST_JOINTS
from hsimul3r_ext.hsi import CaseError, HSIScene, Motion, PointCloudRef, SceneObject, load_case, save_case
from hsimul3r_ext.hsi.case_io import FORMAT, FORMAT_VERSION, MANIFEST, MOTION_FILE
from hsimul3r_ext.hsi.smpl_layout import HUMANOID_FROM_SMPL, SMPL_JOINT_NAMES

FPS = 30.0
FRAMES = 40
WALK_SPEED = 1.0  # m/s along +X
CONTACT_BODIES = ("left_foot", "right_foot")
CLOUD_POINTS = 500
YAW_30 = Rotation.from_euler("z", 30.0, degrees=True).as_quat()
PARAMS = ("betas", "global_orient", "body_pose", "transl")
CONTACTS = ("contact_labels", "contact_body_names")
MANIFEST_KEYS = {
    "format",
    "format_version",
    "name",
    "units",
    "up_axis",
    "motion",
    "objects",
    "point_clouds",
    "provenance",
}
F32 = {"rtol": 1e-6, "atol": 1e-6}  # float32 storage of float64 inputs


# ---------------------------------------------------------------------------------------------- builders


def walking_motion(frames: int = FRAMES) -> Motion:
    """SMPL motion with reference joints (forward kinematics) and boolean foot contact labels."""
    rng = np.random.default_rng(1)
    global_orient = np.repeat(HUMANOID_FROM_SMPL.as_rotvec()[None], frames, axis=0)  # upright, facing +X
    body_pose = rng.normal(0.0, 0.15, (frames, 69))
    transl = np.zeros((frames, 3))
    transl[:, 0] = WALK_SPEED * np.arange(frames) / FPS
    transl[:, 2] = 0.95
    joints, _ = forward_kinematics(REFERENCE_REST_JOINTS, global_orient, body_pose, transl)
    return Motion(
        fps=FPS,
        betas=rng.normal(0.0, 1.0, 10),
        global_orient=global_orient,
        body_pose=body_pose,
        transl=transl,
        model_type="smpl",
        gender="male",
        joints=joints,
        joint_names=SMPL_JOINT_NAMES,
        contact_labels=rng.random((frames, len(CONTACT_BODIES))) > 0.5,
        contact_body_names=CONTACT_BODIES,
    )


def smplx_motion_without_joints(frames: int = 25) -> Motion:
    """SMPL-X parameters with hand and face parameters, a recorded rest pelvis, and no joints or contacts."""
    rng = np.random.default_rng(2)
    hand_face = {
        "left_hand_pose": rng.normal(0, 0.2, (frames, 45)),
        "right_hand_pose": rng.normal(0, 0.2, (frames, 45)),
        "jaw_pose": rng.normal(0, 0.1, (frames, 3)),
        "leye_pose": rng.normal(0, 0.1, (frames, 3)),
        "reye_pose": rng.normal(0, 0.1, (frames, 3)),
        "expression": rng.normal(0, 0.5, (frames, 10)),
    }
    return Motion(
        fps=60.0,
        betas=rng.normal(0.0, 1.0, 16),
        global_orient=rng.normal(0, 0.1, (frames, 3)),
        body_pose=rng.normal(0, 0.1, (frames, 63)),
        transl=np.cumsum(rng.normal(0, 0.005, (frames, 3)), axis=0),
        model_type="smplx",
        gender="female",
        hand_face=hand_face,
        pelvis_rest=np.array([0.001, -0.35, 0.012]),
    )


def box_at_floor(extents: tuple[float, float, float]) -> trimesh.Trimesh:
    box = trimesh.creation.box(extents)
    box.apply_translation([0.0, 0.0, extents[2] / 2])
    return box


def write_textured_obj(path: Path, mesh: trimesh.Trimesh) -> None:
    """An OBJ with a material library and a texture beside it (the sidecars a case must carry along)."""
    lines = [f"mtllib {path.stem}.mtl", "usemtl wood"]
    lines += [f"v {x:.6f} {y:.6f} {z:.6f}" for x, y, z in mesh.vertices]
    lines += [f"f {a + 1} {b + 1} {c + 1}" for a, b, c in mesh.faces]
    path.write_text("\n".join(lines) + "\n")
    path.with_suffix(".mtl").write_text("newmtl wood\nKd 0.6 0.4 0.2\nmap_Kd wood.png\n")
    plt.imsave(path.parent / "wood.png", np.random.default_rng(3).random((4, 4, 3)))


def build_scene(src: Path, motion: Motion | None) -> HSIScene:
    """Assets written under `src` (the scene root) and a scene referring to them by relative paths."""
    (src / "objects").mkdir(parents=True)
    (src / "reference").mkdir()
    box_at_floor((0.45, 0.45, 0.9)).export(src / "objects" / "chair.obj")
    box_at_floor((1.2, 0.8, 0.75)).export(src / "objects" / "table.ply")
    write_textured_obj(src / "objects" / "crate.obj", box_at_floor((0.4, 0.3, 0.3)))
    rng = np.random.default_rng(4)
    np.savez_compressed(
        src / "reference" / "room.npz",
        points=rng.uniform(-2, 2, (CLOUD_POINTS, 3)).astype(np.float32),
        colors=rng.integers(0, 256, (CLOUD_POINTS, 3), dtype=np.uint8),
    )
    objects = [
        SceneObject("chair", "objects/chair.obj", np.array([1.0, -0.5, 0.0]), YAW_30, "chair", mass_kg=7.5),
        SceneObject(
            "table", "objects/table.ply", np.array([2.0, 0.3, 0.0]), category="table", density_kg_m3=600.0, static=True
        ),
        SceneObject("crate", "objects/crate.obj", np.array([0.0, 1.5, 0.0]), category="box"),
    ]
    provenance = [
        {"step": "import", "importer": "test-authored", "notes": ["unit test"], "sha256": "0" * 64},
        {"step": "align", "residual_m": 0.0125, "params": {"iters": 3, "frozen": None, "tags": ["a", "b"]}},
    ]
    return HSIScene(
        name="walk_by_chair",
        motion=motion,
        objects=objects,
        point_clouds=[PointCloudRef("room", "reference/room.npz", CLOUD_POINTS)],
        provenance=provenance,
        root=src,
    )


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One valid saved case; tests work on copies of it."""
    base = tmp_path_factory.mktemp("template")
    return save_case(build_scene(base / "src", walking_motion()), base / "case")


@pytest.fixture
def case(template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "case"
    shutil.copytree(template, target)
    return target


# ---------------------------------------------------------------------------------------------- helpers


def read_manifest(case: Path) -> dict[str, Any]:
    return json.loads((case / MANIFEST).read_text(encoding="utf-8"))


def edit_manifest(case: Path, change: Callable[[dict[str, Any]], None]) -> None:
    data = read_manifest(case)
    change(data)
    (case / MANIFEST).write_text(json.dumps(data, indent=2), encoding="utf-8")


def motion_arrays(case: Path) -> dict[str, np.ndarray]:
    with np.load(case / MOTION_FILE, allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}


def edit_motion(case: Path, change: Callable[[dict[str, np.ndarray]], None]) -> None:
    arrays = motion_arrays(case)
    change(arrays)
    np.savez(case / MOTION_FILE, **arrays)


def rejection(case: Path) -> CaseError:
    with pytest.raises(CaseError) as info:
        load_case(case)
    return info.value


def assert_names(err: CaseError, file: Path, field: str, *words: str) -> None:
    """The error points at `file` and `field`, in its attributes and in its one-line message."""
    assert Path(err.file).resolve() == file.resolve(), str(err)
    assert err.field == field, str(err)
    text = str(err)
    assert file.name in text and f": {field}: " in text, text
    assert "\n" not in text
    for word in words:
        assert word in err.problem, text


def set_in(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    """A manifest edit that sets data[path...] = value (or deletes the key when value is DELETE)."""

    def change(data: dict[str, Any]) -> None:
        target = data
        for key in path[:-1]:
            target = target[key]
        if value is DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value

    return change


DELETE = object()


def no_leftovers(parent: Path, name: str) -> list[str]:
    """Hidden staging / backup folders `atomic_output_dir` may have left beside `parent / name`."""
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(f".{name}."))


# ---------------------------------------------------------------------------------------------- round trip


def test_round_trip_keeps_every_motion_array(template: Path) -> None:
    original = walking_motion()
    loaded = load_case(template).motion
    assert loaded is not None
    for key in ("betas", "global_orient", "body_pose", "transl", "joints"):
        np.testing.assert_allclose(getattr(loaded, key), getattr(original, key), **F32, err_msg=key)
        assert getattr(loaded, key).dtype == np.float32, key  # the documented storage precision
    assert loaded.joint_names == SMPL_JOINT_NAMES
    assert loaded.contact_labels.dtype == bool
    np.testing.assert_array_equal(loaded.contact_labels, original.contact_labels)
    assert loaded.contact_body_names == CONTACT_BODIES
    assert (loaded.fps, loaded.model_type, loaded.gender) == (FPS, "smpl", "male")
    assert loaded.hand_face == {}
    assert loaded.pelvis_rest is None
    assert loaded.num_frames == FRAMES


def test_round_trip_of_motion_without_joints_keeps_hand_face_and_pelvis_rest(tmp_path: Path) -> None:
    original = smplx_motion_without_joints()
    out = save_case(build_scene(tmp_path / "src", original), tmp_path / "case")
    loaded = load_case(out).motion
    assert loaded is not None
    assert loaded.joints is None and loaded.joint_names is None
    assert loaded.contact_labels is None and loaded.contact_body_names is None
    assert (loaded.fps, loaded.model_type, loaded.gender) == (60.0, "smplx", "female")
    for key in ("betas", "global_orient", "body_pose", "transl"):
        np.testing.assert_allclose(getattr(loaded, key), getattr(original, key), **F32, err_msg=key)
    assert set(loaded.hand_face) == set(original.hand_face)
    for key, array in original.hand_face.items():
        np.testing.assert_allclose(loaded.hand_face[key], array, **F32, err_msg=key)
    np.testing.assert_allclose(loaded.pelvis_rest, original.pelvis_rest, rtol=0, atol=1e-12)
    assert read_manifest(out)["motion"]["pelvis_rest_m"] == pytest.approx(list(original.pelvis_rest))
    assert set(motion_arrays(out)) == {"betas", "global_orient", "body_pose", "transl", *original.hand_face}


def test_round_trip_keeps_objects_point_clouds_and_provenance(template: Path, tmp_path: Path) -> None:
    expected = build_scene(tmp_path / "src", None)
    loaded = load_case(template)
    assert loaded.name == "walk_by_chair"
    assert Path(loaded.root) == template
    assert [o.name for o in loaded.objects] == ["chair", "table", "crate"]
    for got, want in zip(loaded.objects, expected.objects, strict=True):
        assert got.mesh == want.mesh
        np.testing.assert_allclose(got.position, want.position, rtol=0, atol=1e-12)
        np.testing.assert_allclose(got.orientation, want.orientation, rtol=0, atol=1e-12)
        assert (got.category, got.mass_kg, got.density_kg_m3, got.static) == (
            want.category,
            want.mass_kg,
            want.density_kg_m3,
            want.static,
        )
        assert (template / got.mesh).is_file()
    assert [(p.name, p.file, p.num_points) for p in loaded.point_clouds] == [("room", "reference/room.npz", 500)]
    with (
        np.load(template / "reference" / "room.npz", allow_pickle=False) as npz,
        np.load(tmp_path / "src" / "reference" / "room.npz", allow_pickle=False) as source,
    ):
        np.testing.assert_array_equal(npz["points"], source["points"])
        np.testing.assert_array_equal(npz["colors"], source["colors"])
    assert loaded.provenance == expected.provenance


def test_manifest_fields_written(template: Path) -> None:
    data = read_manifest(template)
    assert data["format"] == FORMAT == "hsimul3r-case"
    assert data["format_version"] == FORMAT_VERSION == 1
    assert (data["units"], data["up_axis"], data["name"]) == ("m", "z", "walk_by_chair")
    assert data["motion"] == {
        "file": "motion.npz",
        "fps": FPS,
        "num_frames": FRAMES,
        "model_type": "smpl",
        "gender": "male",
        "num_betas": 10,
        "pelvis_rest_m": None,
    }
    assert data["objects"][0] == {
        "name": "chair",
        "mesh": "objects/chair.obj",
        "position": [1.0, -0.5, 0.0],
        "orientation_xyzw": pytest.approx(list(YAW_30)),
        "category": "chair",
        "mass_kg": 7.5,
        "density_kg_m3": None,
        "static": False,
    }
    assert data["point_clouds"] == [
        {"name": "room", "kind": "point_cloud", "file": "reference/room.npz", "num_points": CLOUD_POINTS}
    ]
    assert set(data) == MANIFEST_KEYS


def test_motion_npz_is_plain_arrays(template: Path) -> None:
    with zipfile.ZipFile(template / MOTION_FILE) as archive:
        members = sorted(archive.namelist())
    assert members == sorted(f"{key}.npy" for key in (*PARAMS, "joints", "joint_names", *CONTACTS))
    arrays = motion_arrays(template)  # would raise on any object array
    assert arrays["joint_names"].dtype.kind == "U"
    assert arrays["contact_labels"].dtype == bool


def test_scene_without_motion_round_trips(tmp_path: Path) -> None:
    out = save_case(build_scene(tmp_path / "src", None), tmp_path / "case")
    assert read_manifest(out)["motion"] is None
    assert not (out / MOTION_FILE).exists()
    loaded = load_case(out)
    assert loaded.motion is None and len(loaded.objects) == 3


def test_saving_a_loaded_case_elsewhere_copies_obj_sidecars(template: Path, tmp_path: Path) -> None:
    assert (template / "objects" / "crate.mtl").is_file()  # the first save carried them along already
    copy = save_case(load_case(template), tmp_path / "copy")
    for relative in (
        "objects/crate.obj",
        "objects/crate.mtl",
        "objects/wood.png",
        "objects/chair.obj",
        "objects/table.ply",
        "reference/room.npz",
        "motion.npz",
        "hsi.json",
    ):
        assert (copy / relative).is_file(), relative
    for relative in ("objects/crate.mtl", "objects/wood.png", "objects/table.ply", "reference/room.npz"):
        assert (copy / relative).read_bytes() == (template / relative).read_bytes(), relative
    again = load_case(copy)
    assert read_manifest(copy) == read_manifest(template)
    np.testing.assert_array_equal(again.motion.transl, load_case(template).motion.transl)


# ---------------------------------------------------------------------------------------------- motion.npz rules


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf], ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize("key", ["global_orient", "body_pose", "transl", "betas"])
def test_non_finite_motion_values_are_rejected(case: Path, key: str, bad: float) -> None:
    def change(arrays: dict[str, np.ndarray]) -> None:
        arrays[key] = arrays[key].copy()
        arrays[key][(2,) if arrays[key].ndim == 1 else (7, 2)] = bad

    edit_motion(case, change)
    assert_names(rejection(case), case / MOTION_FILE, key, "NaN or inf")


def test_smpl_body_pose_of_smplx_width_is_rejected(case: Path) -> None:
    edit_motion(case, lambda a: a.update(body_pose=a["body_pose"][:, :66]))
    assert_names(rejection(case), case / MOTION_FILE, "body_pose", f"expected shape (T, 69), got ({FRAMES}, 66)")


def test_smplx_body_pose_of_smpl_width_is_rejected(case: Path) -> None:
    edit_manifest(case, set_in(("motion", "model_type"), "smplx"))  # the stored body_pose is SMPL's 69 wide
    assert_names(rejection(case), case / MOTION_FILE, "body_pose", f"expected shape (T, 63), got ({FRAMES}, 69)")


@pytest.mark.parametrize("key", ["betas", "global_orient", "body_pose", "transl", "joints"])
def test_integer_arrays_are_rejected(case: Path, key: str) -> None:
    edit_motion(case, lambda a: a.update({key: np.round(a[key]).astype(np.int64)}))
    assert_names(rejection(case), case / MOTION_FILE, key, "floating point", "int64")


@pytest.mark.parametrize(
    ("key", "frames", "words"),
    [
        ("global_orient", FRAMES - 1, (f"has {FRAMES - 1} frames, transl has {FRAMES}",)),
        ("body_pose", FRAMES + 3, (f"has {FRAMES + 3} frames, transl has {FRAMES}",)),
        ("joints", FRAMES - 1, (f"expected shape ({FRAMES}, J, 3)",)),
        ("contact_labels", FRAMES - 1, (f"expected shape ({FRAMES}, K)",)),
    ],
)
def test_frame_count_mismatch_between_arrays(case: Path, key: str, frames: int, words: tuple[str, ...]) -> None:
    def change(arrays: dict[str, np.ndarray]) -> None:
        array = arrays[key]
        arrays[key] = array[:frames] if frames <= len(array) else np.concatenate([array, array[: frames - len(array)]])

    edit_motion(case, change)
    assert_names(rejection(case), case / MOTION_FILE, key, *words)


def test_manifest_num_frames_must_match_motion(case: Path) -> None:
    edit_manifest(case, set_in(("motion", "num_frames"), FRAMES + 1))
    assert_names(rejection(case), case / MANIFEST, "motion.num_frames", f"says {FRAMES + 1}", f"has {FRAMES}")


def test_manifest_num_betas_must_match_motion(case: Path) -> None:
    edit_manifest(case, set_in(("motion", "num_betas"), 16))
    assert_names(rejection(case), case / MANIFEST, "motion.num_betas", "says 16")


@pytest.mark.parametrize("fps", [0, -30.0, float("nan"), float("inf"), 5000.0])
def test_fps_must_be_positive_and_finite(case: Path, fps: float) -> None:
    edit_manifest(case, set_in(("motion", "fps"), fps))
    err = rejection(case)
    assert err.field == "motion.fps" and "must be > 0" in err.problem, str(err)
    assert Path(err.file).resolve() == (case / MANIFEST).resolve() and ": motion.fps: " in str(err)


@pytest.mark.parametrize("fps", ["30", True, None, [30]])
def test_fps_must_be_a_json_number(case: Path, fps: Any) -> None:
    edit_manifest(case, set_in(("motion", "fps"), fps))
    assert_names(rejection(case), case / MANIFEST, "motion.fps", "expected a number")


@pytest.mark.parametrize(("key", "value"), [("fps", -30.0), ("gender", "robot"), ("model_type", "smpl-x")])
def test_manifest_motion_fields_are_blamed_on_the_manifest(case: Path, key: str, value: Any) -> None:
    edit_manifest(case, set_in(("motion", key), value))
    assert Path(rejection(case).file).name == MANIFEST


@pytest.mark.parametrize(
    ("key", "value"), [("gender", "robot"), ("gender", "Male"), ("model_type", "smpl-x"), ("model_type", "mano")]
)
def test_gender_and_model_type_must_be_known(case: Path, key: str, value: str) -> None:
    edit_manifest(case, set_in(("motion", key), value))
    err = rejection(case)
    assert err.field == f"motion.{key}" and "must be one of" in err.problem and repr(value) in err.problem, str(err)


@pytest.mark.parametrize(
    ("key", "width"), [("left_hand_pose", 45), ("right_hand_pose", 45), ("jaw_pose", 3), ("expression", 10)]
)
def test_hand_and_face_parameters_are_refused_on_smpl(case: Path, key: str, width: int) -> None:
    edit_motion(case, lambda a: a.update({key: np.zeros((FRAMES, width), np.float32)}))
    assert_names(rejection(case), case / MOTION_FILE, key, "not a parameter of smpl")


def test_unknown_motion_array_is_rejected(case: Path) -> None:
    edit_motion(case, lambda a: a.update(transl_cm=a["transl"] * 100))
    assert_names(rejection(case), case / MOTION_FILE, "transl_cm", "unknown array")


def test_missing_motion_array_is_rejected(case: Path) -> None:
    edit_motion(case, lambda a: a.pop("global_orient"))
    assert_names(rejection(case), case / MOTION_FILE, "global_orient", "missing")


@pytest.mark.parametrize(
    ("names", "words"),
    [
        (SMPL_JOINT_NAMES[:23], ("expected 24 names, got 23",)),
        ((*SMPL_JOINT_NAMES, "extra"), ("expected 24 names, got 25",)),
        (("pelvis", *SMPL_JOINT_NAMES[:22], "pelvis"), ("unique",)),
    ],
)
def test_joint_names_must_match_joints(case: Path, names: tuple[str, ...], words: tuple[str, ...]) -> None:
    edit_motion(case, lambda a: a.update(joint_names=np.array(names)))
    assert_names(rejection(case), case / MOTION_FILE, "joint_names", *words)


def test_joint_names_without_joints_are_rejected(case: Path) -> None:
    edit_motion(case, lambda a: a.pop("joints"))
    assert_names(rejection(case), case / MOTION_FILE, "joint_names", "without joints")


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.float32])
def test_contact_labels_must_be_booleans(case: Path, dtype: type) -> None:
    edit_motion(case, lambda a: a.update(contact_labels=a["contact_labels"].astype(dtype)))
    assert_names(rejection(case), case / MOTION_FILE, "contact_labels", "expected booleans")


@pytest.mark.parametrize("names", [("left_foot",), ("left_foot", "right_foot", "pelvis")])
def test_contact_body_names_must_match_label_columns(case: Path, names: tuple[str, ...]) -> None:
    edit_motion(case, lambda a: a.update(contact_body_names=np.array(names)))
    assert_names(rejection(case), case / MOTION_FILE, "contact_body_names", f"expected 2 names, got {len(names)}")


def test_contact_body_names_without_labels_are_rejected(case: Path) -> None:
    edit_motion(case, lambda a: a.pop("contact_labels"))
    assert_names(rejection(case), case / MOTION_FILE, "contact_body_names", "without contact_labels")


@pytest.mark.parametrize("value", [12.0, -10.5])
def test_implausible_betas_are_rejected(case: Path, value: float) -> None:
    edit_motion(case, lambda a: a["betas"].__setitem__(3, value))
    assert_names(rejection(case), case / MOTION_FILE, "betas", "|beta| must be <= 10")


def test_betas_of_ten_sigma_are_accepted(case: Path) -> None:
    edit_motion(case, lambda a: a["betas"].__setitem__(3, -10.0))
    assert load_case(case).motion.betas[3] == -10.0


def test_motion_in_centimetres_is_rejected_by_root_speed(case: Path) -> None:
    edit_motion(case, lambda a: a.update(transl=a["transl"] * 100))
    assert_names(rejection(case), case / MOTION_FILE, "transl", "100.0 m/s", "wrong units")


@pytest.mark.parametrize(("factor", "height"), [(10.0, "17."), (0.3, "0.5")])
def test_person_height_outside_bounds_is_rejected(case: Path, factor: float, height: str) -> None:
    edit_motion(case, lambda a: a.update(joints=a["joints"] * np.float32(factor)))
    assert_names(rejection(case), case / MOTION_FILE, "joints", f"a person {height}", "outside 1-2.3 m")


def test_reference_skeleton_is_a_plausible_person(template: Path) -> None:
    """Guards the height tests: the unscaled skeleton passes, so the scaled ones fail for their scale."""
    from hsimul3r_ext.hsi.smpl_layout import stature_from_joints

    assert 1.6 < stature_from_joints(load_case(template).motion.joints) < 1.9


def test_motion_npz_with_object_array_is_refused(case: Path) -> None:
    arrays = motion_arrays(case)
    arrays["joint_names"] = np.array(list(SMPL_JOINT_NAMES), dtype=object)
    np.savez(case / MOTION_FILE, **arrays)  # numpy pickles object arrays on save
    assert_names(rejection(case), case / MOTION_FILE, "file", "not a plain-array .npz")


class _RunsShell:
    """Unpickling this runs a shell command (what a malicious file would do)."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (self.command,))


def test_motion_npz_with_malicious_pickle_does_not_run_it(case: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    arrays = motion_arrays(case)
    arrays["joint_names"] = np.array([_RunsShell(f"touch {shlex.quote(str(marker))}")], dtype=object)
    np.savez(case / MOTION_FILE, **arrays)
    assert_names(rejection(case), case / MOTION_FILE, "file", "not a plain-array .npz")
    assert not marker.exists()
    # Control: the payload is live, so the check above would have caught a loader that unpickles.
    with np.load(case / MOTION_FILE, allow_pickle=True) as npz:
        npz["joint_names"]
    assert marker.exists()


def test_motion_npz_that_is_not_an_archive_is_rejected(case: Path) -> None:
    (case / MOTION_FILE).write_bytes(pickle.dumps({"transl": [0.0, 0.0, 0.0]}))
    assert_names(rejection(case), case / MOTION_FILE, "file", "not a plain-array .npz")


def test_truncated_motion_npz_is_a_case_error(case: Path) -> None:
    data = (case / MOTION_FILE).read_bytes()
    (case / MOTION_FILE).write_bytes(data[: len(data) // 2])
    assert_names(rejection(case), case / MOTION_FILE, "file")


@pytest.mark.parametrize("value", [[0.0, 0.0, 5.0], [0.1, 0.2]])
def test_pelvis_rest_must_be_three_nearby_coordinates(case: Path, value: list[float]) -> None:
    edit_manifest(case, set_in(("motion", "pelvis_rest_m"), value))
    err = rejection(case)
    assert err.field == "motion.pelvis_rest_m" and "3 coordinates" in err.problem, str(err)


@pytest.mark.parametrize("value", ["abc", {"x": 1}])
def test_non_numeric_pelvis_rest_is_a_case_error(case: Path, value: Any) -> None:
    edit_manifest(case, set_in(("motion", "pelvis_rest_m"), value))
    assert rejection(case).field.endswith("pelvis_rest_m")


# ---------------------------------------------------------------------------------------------- objects


def replace_chair_mesh(case: Path, mesh: trimesh.Trimesh) -> Path:
    path = case / "objects" / "chair.obj"
    mesh.export(path)
    return path


@pytest.mark.parametrize(("extents", "size"), [((40.0, 1.0, 1.0), "40 m"), ((0.01, 0.01, 0.01), "0.01 m")])
def test_object_size_outside_bounds_is_rejected(case: Path, extents: tuple[float, ...], size: str) -> None:
    path = replace_chair_mesh(case, box_at_floor(extents))
    assert_names(rejection(case), path, "objects[0].mesh", f"{size} across", "outside 0.05-5 m")


@pytest.mark.parametrize(
    ("quat", "words"),
    [
        ([0.0, 0.0, 0.0, 2.0], ("norm is 2.000000",)),
        ([0.0, 0.0, 0.1, 1.0], ("norm is 1.004988",)),
        ([0.0, 0.0, 0.0, 0.0], ("norm is 0.000000",)),
        ([0.0, 0.0, 1.0], ("expected 4 numbers",)),
    ],
)
def test_orientation_must_be_a_unit_quaternion(case: Path, quat: list[float], words: tuple[str, ...]) -> None:
    edit_manifest(case, set_in(("objects", 0, "orientation_xyzw"), quat))
    assert_names(rejection(case), case / MANIFEST, "objects[0].orientation_xyzw", *words)


def test_nearly_unit_quaternion_is_accepted(case: Path) -> None:
    edit_manifest(case, set_in(("objects", 0, "orientation_xyzw"), [0.0, 0.0, 0.0, 1.0005]))
    assert load_case(case).objects[0].orientation[3] == 1.0005


@pytest.mark.parametrize(
    ("index", "edits", "field", "words"),
    [
        (0, {"density_kg_m3": 500.0}, "objects[0].mass_kg", ("not both",)),
        (0, {"mass_kg": -2.0}, "objects[0].mass_kg", ("positive", "-2.0")),
        (0, {"mass_kg": 0}, "objects[0].mass_kg", ("positive",)),
        (0, {"mass_kg": "heavy"}, "objects[0].mass_kg", ("positive",)),
        (1, {"density_kg_m3": -600.0}, "objects[1].density_kg_m3", ("positive",)),
        (0, {"category": "throne"}, "objects[0].category", ("must be one of", "'throne'")),
        (0, {"category": "Chair"}, "objects[0].category", ("must be one of",)),
        (1, {"static": "yes"}, "objects[1].static", ("true or false",)),
        (0, {"name": "my chair"}, "objects[0].name", ("identifier",)),
        (0, {"name": 7}, "objects[0].name", ("not a string",)),
        (0, {"position": [0.0, "a", 1.0]}, "objects[0].position", ("expected 3 numbers",)),
        (0, {"position": [0.0, 1.0]}, "objects[0].position", ("expected 3 numbers",)),
        (2, {"colour": "red"}, "objects[2].colour", ("unknown field",)),
    ],
)
def test_object_field_rules(case: Path, index: int, edits: dict[str, Any], field: str, words: tuple[str, ...]) -> None:
    edit_manifest(case, lambda data: data["objects"][index].update(edits))
    assert_names(rejection(case), case / MANIFEST, field, *words)


def test_duplicate_object_names_are_rejected(case: Path) -> None:
    edit_manifest(case, lambda data: data["objects"][2].update(name="chair"))
    assert_names(rejection(case), case / MANIFEST, "objects", "unique", "'chair'")


@pytest.mark.parametrize("path", [("objects", 0, "mass_kg"), ("objects", 1, "density_kg_m3"), ("format_version",)])
def test_booleans_are_not_numbers(case: Path, path: tuple[Any, ...]) -> None:
    edit_manifest(case, set_in(path, True))
    rejection(case)


# ---------------------------------------------------------------------------------------------- asset paths and files


def test_absolute_mesh_path_is_rejected(case: Path) -> None:
    absolute = str((case / "objects" / "chair.obj").resolve())  # exists, and even lies inside the case
    edit_manifest(case, set_in(("objects", 0, "mesh"), absolute))
    assert_names(rejection(case), case / MANIFEST, "objects[0].mesh", "must be a path relative")


def test_mesh_path_escaping_the_case_is_rejected(case: Path) -> None:
    shutil.copy(case / "objects" / "chair.obj", case.parent / "outside.obj")
    edit_manifest(case, set_in(("objects", 0, "mesh"), "objects/../../outside.obj"))
    assert_names(rejection(case), case / MANIFEST, "objects[0].mesh", "points outside the case folder")


def test_symlink_escaping_the_case_is_rejected(case: Path) -> None:
    shutil.copy(case / "objects" / "chair.obj", case.parent / "outside.obj")
    (case / "objects" / "link.obj").symlink_to(case.parent / "outside.obj")
    edit_manifest(case, set_in(("objects", 0, "mesh"), "objects/link.obj"))
    assert_names(rejection(case), case / MANIFEST, "objects[0].mesh", "points outside the case folder")


def test_point_cloud_path_escaping_the_case_is_rejected(case: Path) -> None:
    shutil.copy(case / "reference" / "room.npz", case.parent / "room.npz")
    edit_manifest(case, set_in(("point_clouds", 0, "file"), "../room.npz"))
    assert_names(rejection(case), case / MANIFEST, "point_clouds[0].file", "points outside the case folder")


def test_missing_mesh_file_is_rejected(case: Path) -> None:
    (case / "objects" / "table.ply").unlink()
    assert_names(rejection(case), case / MANIFEST, "objects[1].mesh", "'objects/table.ply' does not exist")


def test_missing_motion_file_is_rejected(case: Path) -> None:
    (case / MOTION_FILE).unlink()
    assert_names(rejection(case), case / MANIFEST, "motion.file", "does not exist")


@pytest.mark.parametrize(
    "content", [b"", b"# nothing here\n", b"v 0 0 0\nv 1 0 0\nv 0 1 0\n"], ids=["empty", "comment", "no-faces"]
)
def test_empty_mesh_is_rejected(case: Path, content: bytes) -> None:
    path = case / "objects" / "chair.obj"
    path.write_bytes(content)
    assert_names(rejection(case), path, "objects[0].mesh", "empty")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("chair.ply", bytes(range(256)) * 8),
        ("chair.obj", bytes(range(256)) * 8),
        ("chair.glb", b"glTF" + b"\0" * 40),
        ("chair.obj", b"this is not a mesh\nf 1 2 3\n"),
    ],
    ids=["binary-ply", "binary-obj", "truncated-glb", "text-obj"],
)
def test_garbage_mesh_is_rejected(case: Path, name: str, content: bytes) -> None:
    path = case / "objects" / name
    path.write_bytes(content)
    edit_manifest(case, set_in(("objects", 0, "mesh"), f"objects/{name}"))
    err = rejection(case)
    assert_names(err, path, "objects[0].mesh")
    assert "cannot read mesh" in err.problem or "empty" in err.problem, str(err)


def test_mesh_with_nan_vertices_is_rejected(case: Path) -> None:
    path = case / "objects" / "chair.obj"
    path.write_text("v 0 0 0\nv 1 0 0\nv nan 1 0\nf 1 2 3\n")
    assert_names(rejection(case), path, "objects[0].mesh", "NaN or inf")


def test_unsupported_mesh_format_is_rejected(case: Path) -> None:
    shutil.copy(case / "objects" / "chair.obj", case / "objects" / "chair.fbx")
    edit_manifest(case, set_in(("objects", 0, "mesh"), "objects/chair.fbx"))
    assert_names(rejection(case), case / "objects" / "chair.fbx", "objects[0].mesh", "unsupported mesh format '.fbx'")


# ---------------------------------------------------------------------------------------------- manifest rules


@pytest.mark.parametrize(
    ("path", "value", "field", "words"),
    [
        (("colour",), "red", "manifest.colour", ("unknown field",)),
        (("motion", "frame_rate"), 30, "motion.frame_rate", ("unknown field",)),
        (("point_clouds", 0, "colour"), "red", "point_clouds[0].colour", ("unknown field",)),
        (("format_version",), 2, "format_version", ("this version reads 1, got 2",)),
        (("format_version",), "1", "format_version", ("got '1'",)),
        (("format_version",), DELETE, "format_version", ("got None",)),
        (("format",), "other-case", "format", ("expected 'hsimul3r-case'",)),
        (("units",), "cm", "units", ("metres",)),
        (("up_axis",), "y", "units", ("Z up",)),
        (("name",), "", "name", ("missing or empty",)),
        (("objects",), {"chair": {}}, "objects", ("expected a list",)),
        (("provenance",), {"step": "import"}, "provenance", ("list",)),
        (("motion", "fps"), DELETE, "motion.fps", ("missing",)),
        (("point_clouds", 0, "kind"), "mesh", "point_clouds[0].kind", ("only 'point_cloud'",)),
        (
            ("point_clouds", 0, "num_points"),
            CLOUD_POINTS + 1,
            "point_clouds[0].num_points",
            (f"says {CLOUD_POINTS + 1}, file has {CLOUD_POINTS}",),
        ),
        (("point_clouds", 0, "num_points"), "500", "point_clouds[0].num_points", ("not an integer",)),
    ],
)
def test_manifest_rules(case: Path, path: tuple[Any, ...], value: Any, field: str, words: tuple[str, ...]) -> None:
    edit_manifest(case, set_in(path, value))
    assert_names(rejection(case), case / MANIFEST, field, *words)


@pytest.mark.parametrize(
    "content", [b"{not json", b'{"format": "hsimul3r-case",}', b"\xff\xfe\x00garbage"], ids=["syntax", "comma", "bytes"]
)
def test_invalid_json_is_rejected(case: Path, content: bytes) -> None:
    (case / MANIFEST).write_bytes(content)
    assert_names(rejection(case), case / MANIFEST, "json", "not valid JSON")


def test_manifest_that_is_not_an_object_is_rejected(case: Path) -> None:
    (case / MANIFEST).write_text("[1, 2, 3]")
    assert_names(rejection(case), case / MANIFEST, "manifest", "expected an object")


def test_missing_manifest_and_missing_folder(case: Path, tmp_path: Path) -> None:
    (case / MANIFEST).unlink()
    assert_names(rejection(case), case / MANIFEST, "file", "needs hsi.json")
    assert_names(rejection(tmp_path / "nowhere"), tmp_path / "nowhere", "case folder", "does not exist")


def test_point_cloud_file_rules(case: Path) -> None:
    cloud = case / "reference" / "room.npz"
    np.savez(cloud, points=np.full((CLOUD_POINTS, 3), np.nan, np.float32))
    assert_names(rejection(case), cloud, "points", "NaN or inf")
    np.savez(cloud, points=np.zeros((CLOUD_POINTS, 3), np.float32), colors=np.zeros((CLOUD_POINTS, 3), np.float32))
    assert_names(rejection(case), cloud, "colors", "uint8")


# ---------------------------------------------------------------------------------------------- save_case atomicity


def test_save_refuses_an_existing_folder_without_overwrite(template: Path, tmp_path: Path) -> None:
    out = tmp_path / "taken"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(CaseError) as info:
        save_case(load_case(template), out)
    assert info.value.field == "output folder" and "already exists" in info.value.problem
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    assert no_leftovers(tmp_path, "taken") == []


def nan_motion() -> Motion:
    motion = walking_motion()
    motion.transl = motion.transl.copy()
    motion.transl[5, 1] = np.nan
    return motion


def test_failed_save_leaves_no_folder_and_no_staging(tmp_path: Path) -> None:
    scene = build_scene(tmp_path / "src", nan_motion())
    parent = tmp_path / "out"
    parent.mkdir()
    with pytest.raises(CaseError) as info:
        save_case(scene, parent / "case")
    assert info.value.field == "transl" and "NaN" in info.value.problem
    assert list(parent.iterdir()) == []  # neither `case` nor `.case.tmp-*`


def test_failed_save_of_oversized_object_leaves_nothing(tmp_path: Path) -> None:
    scene = build_scene(tmp_path / "src", walking_motion())
    box_at_floor((40.0, 1.0, 1.0)).export(tmp_path / "src" / "objects" / "chair.obj")
    parent = tmp_path / "out"
    parent.mkdir()
    with pytest.raises(CaseError, match=r"objects\[0\]\.mesh: object is 40 m across"):
        save_case(scene, parent / "case")
    assert list(parent.iterdir()) == []


def test_overwrite_replaces_the_folder_whole(template: Path, tmp_path: Path) -> None:
    out = tmp_path / "case"
    shutil.copytree(template, out)
    (out / "stale.txt").write_text("from an older run")
    scene = build_scene(tmp_path / "src", smplx_motion_without_joints())
    scene.name = "replaced"
    assert save_case(scene, out, overwrite=True) == out
    assert not (out / "stale.txt").exists()
    loaded = load_case(out)
    assert (loaded.name, loaded.motion.model_type) == ("replaced", "smplx")
    assert no_leftovers(tmp_path, "case") == []


def test_overwrite_with_an_invalid_scene_keeps_the_old_folder(template: Path, tmp_path: Path) -> None:
    out = tmp_path / "case"
    shutil.copytree(template, out)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    with pytest.raises(CaseError):
        save_case(build_scene(tmp_path / "src", nan_motion()), out, overwrite=True)
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert no_leftovers(tmp_path, "case") == []
    load_case(out)


def test_resaving_a_loaded_case_over_itself(template: Path, tmp_path: Path) -> None:
    out = tmp_path / "case"
    shutil.copytree(template, out)
    scene = load_case(out)
    scene.objects[0].mass_kg = 9.0
    save_case(scene, out, overwrite=True)
    assert load_case(out).objects[0].mass_kg == 9.0
    assert (out / "objects" / "crate.mtl").is_file()
    assert no_leftovers(tmp_path, "case") == []


def test_save_errors_do_not_name_the_deleted_staging_folder(tmp_path: Path) -> None:
    with pytest.raises(CaseError) as info:
        save_case(build_scene(tmp_path / "src", nan_motion()), tmp_path / "case")
    assert ".tmp-" not in str(info.value)


def test_save_with_escaping_asset_path_writes_nothing_outside(tmp_path: Path) -> None:
    src = tmp_path / "src" / "inner"
    src.mkdir(parents=True)
    box_at_floor((0.5, 0.5, 0.5)).export(tmp_path / "src" / "escaped.obj")
    parent = tmp_path / "out"
    parent.mkdir()
    with pytest.raises(CaseError):
        save_case(HSIScene("x", objects=[SceneObject("a", "../escaped.obj")], root=src), parent / "case")
    assert list(parent.iterdir()) == []


def test_save_with_missing_asset_is_a_case_error(tmp_path: Path) -> None:
    scene = build_scene(tmp_path / "src", None)
    (tmp_path / "src" / "objects" / "chair.obj").unlink()
    with pytest.raises(CaseError):
        save_case(scene, tmp_path / "case")


def test_saved_case_folder_follows_the_umask(template: Path) -> None:
    umask = os.umask(0)
    os.umask(umask)
    assert template.stat().st_mode & 0o777 == 0o777 & ~umask
