"""The `hsimul3r` command, run in-process through `hsimul3r_ext.cli.main` (plus one console-script check).

Good input: the shipped `examples/raw/sit_chair` inputs ingest, validate and preview. Bad input: exit 2, one line
on stderr naming the file and the field, and no output folder (nor hidden staging folder) left behind.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import trimesh

from hsimul3r_ext.cli import EXIT_BAD_INPUT, main
from hsimul3r_ext.hsi import load_case

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "raw" / "sit_chair"
MOTION = EXAMPLES / "sit_down.npz"
CHAIR = EXAMPLES / "chair.obj"
CLOUD = EXAMPLES / "scene_points.npz"


def run(capsys: pytest.CaptureFixture[str], *args: Any) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def out_parent(tmp_path: Path) -> Path:
    """An empty folder that receives the output case, so leftovers of any kind are visible."""
    parent = tmp_path / "out"
    parent.mkdir()
    return parent


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "inputs"
    folder.mkdir()
    return folder


def example_arrays() -> dict[str, np.ndarray]:
    with np.load(MOTION, allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}


def write_npz(path: Path, **arrays: np.ndarray) -> Path:
    np.savez(path, **arrays)
    return path


def assert_bad_input(result: tuple[int, str, str], file: Path, field: str, out_parent: Path, *words: str) -> str:
    """Exit 2 with one stderr line naming `file` and `field`; nothing written under `out_parent`."""
    code, _, err = result
    assert code == EXIT_BAD_INPUT == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    line = lines[0]
    assert line.startswith("hsimul3r: error: "), line
    assert str(file) in line and f": {field}: " in line, line
    for word in words:
        assert word in line, line
    assert list(out_parent.iterdir()) == [], "a failed command left something behind"
    return line


class RunsShell:
    """Unpickling this runs a shell command: what a malicious motion file would do."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (self.command,))


def touch_command(marker: Path) -> str:
    return f"touch {shlex.quote(str(marker))}"


# ---------------------------------------------------------------------------------------------- good input


def ingest_example(capsys: pytest.CaptureFixture[str], out: Path, *extra: Any) -> tuple[int, str, str]:
    example = ["--motion", MOTION, "--object", CHAIR, "category=chair", "--point-cloud", CLOUD]
    return run(capsys, "ingest", *example, "-o", out, *extra)


def test_ingest_validate_and_info_of_the_example(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    case = tmp_path / "sit"
    code, out, err = ingest_example(capsys, case)
    assert (code, err) == (0, "")
    assert "motion: 104 frames at 30 fps" in out and f"case written to {case}" in out

    manifest = json.loads((case / "hsi.json").read_text())
    assert manifest["name"] == "sit"
    assert manifest["motion"]["num_frames"] == 104 and manifest["motion"]["model_type"] == "smpl"
    assert [(o["name"], o["category"], o["mesh"]) for o in manifest["objects"]] == [
        ("chair", "chair", "objects/chair.obj")
    ]
    assert manifest["point_clouds"] == [
        {"name": "scene_points_0", "kind": "point_cloud", "file": "reference/scene_points_0.npz", "num_points": 4000}
    ]
    assert [r.get("importer") or r["step"] for r in manifest["provenance"]] == [
        "smpl",
        "import_object",
        "import_point_cloud",
    ]
    assert (case / "objects" / "chair.obj").is_file() and (case / "reference" / "scene_points_0.npz").is_file()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []

    code, out, err = run(capsys, "validate", case)
    assert (code, err) == (0, "")
    assert out.strip() == f"ok: {case} is a valid case (104 frames, 1 objects)"

    png = tmp_path / "pictures" / "sit.png"
    code, out, err = run(capsys, "info", case, "--png", png)
    assert (code, err) == (0, "")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    assert "case 'sit'" in out
    assert "motion: 104 frames at 30 fps (3.47 s), smpl neutral, 10 betas" in out
    assert "contact labels: pelvis" in out
    assert "object chair: chair, 0.42 x 0.46 x 0.99 m" in out
    assert "point cloud scene_points_0: 4000 points" in out
    assert f"preview: {png}" in out


def test_info_writes_its_default_preview_beside_the_case(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    case = tmp_path / "sit"
    assert ingest_example(capsys, case)[0] == 0
    code, out, _ = run(capsys, "info", case)
    assert code == 0
    png = tmp_path / "sit.preview.png"
    assert png.is_file() and png.stat().st_size > 0 and f"preview: {png}" in out


def test_overwrite_replaces_an_existing_case(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    case = tmp_path / "sit"
    case.mkdir()
    (case / "stale.txt").write_text("old")
    code, _, err = ingest_example(capsys, case, "--overwrite", "--name", "renamed")
    assert (code, err) == (0, "")
    assert not (case / "stale.txt").exists()
    assert load_case(case).name == "renamed"
    assert [p.name for p in tmp_path.iterdir()] == ["sit"]


def test_object_options_land_in_the_manifest(capsys: pytest.CaptureFixture[str], tmp_path: Path, inputs: Path) -> None:
    # A 50 x 80 (up) x 40 cm desk authored Y-up in centimetres, standing on y = 0.
    desk = trimesh.creation.box([50.0, 80.0, 40.0])
    desk.apply_translation([0.0, 40.0, 0.0])
    desk.export(inputs / "desk_cm.obj")
    case = tmp_path / "office"
    desk_options = ["scale=0.01", "up=y", "name=desk", "category=table", "position=1,2,0", "yaw_deg=90", "mass=12.5"]
    chair_options = ["density=600", "orientation=0,0,0,1"]
    code, out, err = run(
        capsys, "ingest", "-o", case, "--object", inputs / "desk_cm.obj", *desk_options, "static=true",
        "--object", CHAIR, *chair_options,
    )  # fmt: skip
    assert (code, err) == (0, ""), err

    desk_json, chair_json = json.loads((case / "hsi.json").read_text())["objects"]
    assert desk_json["name"] == "desk" and desk_json["mesh"] == "objects/desk.obj"
    assert desk_json["category"] == "table"
    assert desk_json["mass_kg"] == 12.5 and desk_json["density_kg_m3"] is None
    assert desk_json["static"] is True
    assert desk_json["position"] == pytest.approx([1.0, 2.0, 0.0], abs=1e-9)
    assert desk_json["orientation_xyzw"] == pytest.approx([0.0, 0.0, np.sqrt(0.5), np.sqrt(0.5)], abs=1e-9)
    assert (chair_json["name"], chair_json["category"], chair_json["density_kg_m3"], chair_json["static"]) == (
        "chair",
        None,
        600.0,
        False,
    )

    # The stored mesh is Z-up metres: 0.5 wide (x), 0.4 deep (y, was -z), 0.8 tall (z, was y), base at z = 0.
    mesh = trimesh.load(case / "objects" / "desk.obj", force="mesh", process=False)
    np.testing.assert_allclose(mesh.extents, [0.5, 0.4, 0.8], atol=1e-6)
    np.testing.assert_allclose(mesh.bounds[0], [-0.25, -0.2, 0.0], atol=1e-6)
    # Yawed 90 degrees: the world box is 0.40 x 0.50. (z prints as -0.00: the Y-up turn leaves ~1e-17 noise.)
    assert re.search(r"object desk: table, 0\.40 x 0\.50 x 0\.80 m at \(1\.00, 2\.00, -?0\.00\), 12\.5 kg, static", out)
    record = next(r for r in json.loads((case / "hsi.json").read_text())["provenance"] if r.get("object") == "desk")
    assert (record["scale"], record["up_axis"], record["source"]) == (0.01, "y", "desk_cm.obj")

    scene = load_case(case)
    assert scene.motion is None and [o.name for o in scene.objects] == ["desk", "chair"]


def test_object_without_options_keeps_z_up_and_recentres(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, inputs: Path
) -> None:
    block = trimesh.creation.box([0.6, 0.4, 1.0])
    block.apply_translation([3.0, -1.0, 0.5])  # placed in the world like a reconstruction
    block.export(inputs / "block.obj")
    case = tmp_path / "case"
    assert run(capsys, "ingest", "-o", case, "--object", inputs / "block.obj")[0] == 0
    obj = json.loads((case / "hsi.json").read_text())["objects"][0]
    assert obj["name"] == "block" and obj["position"] == pytest.approx([3.0, -1.0, 0.0])
    mesh = trimesh.load(case / "objects" / "block.obj", force="mesh", process=False)
    np.testing.assert_allclose(mesh.bounds, [[-0.3, -0.2, 0.0], [0.3, 0.2, 1.0]], atol=1e-6)


def test_console_script_help() -> None:
    script = shutil.which("hsimul3r", path=str(Path(sys.executable).parent)) or shutil.which("hsimul3r")
    assert script is not None, "the hsimul3r console script is not installed in the venv"
    result = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "usage: hsimul3r" in result.stdout
    for command in ("ingest", "validate", "info"):
        assert command in result.stdout


# ---------------------------------------------------------------------------------------------- bad input


def test_motion_with_nan(capsys: pytest.CaptureFixture[str], inputs: Path, out_parent: Path) -> None:
    arrays = example_arrays()
    arrays["transl"][10, 2] = np.nan
    motion = write_npz(inputs / "nan.npz", **arrays)
    result = run(capsys, "ingest", "--motion", motion, "-o", out_parent / "case")
    assert_bad_input(result, motion, "transl", out_parent, "NaN or inf")


def test_amass_poses_of_text(capsys: pytest.CaptureFixture[str], inputs: Path, out_parent: Path) -> None:
    poses = np.full((20, 72), "0", dtype="<U1")  # a re-export that wrote the numbers as strings
    motion = write_npz(inputs / "text.npz", poses=poses, trans=np.zeros((20, 3)), betas=np.zeros(10),
                       mocap_framerate=np.array(30.0))  # fmt: skip
    result = run(capsys, "ingest", "--motion", motion, "-o", out_parent / "case")
    assert_bad_input(result, motion, "poses", out_parent, "expected numbers, got <U1 values")


def test_output_folder_that_cannot_be_created(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "results").write_text("a file where the output's parent folder should be")
    out = tmp_path / "results" / "case"
    code, stdout, err = ingest_example(capsys, out)
    assert code == EXIT_BAD_INPUT and stdout == ""
    assert err.strip().splitlines() == [
        f"hsimul3r: error: {out}: output folder: cannot be created: {tmp_path / 'results'} is a file, not a folder"
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]


def test_smpl_npz_with_body_pose_width_66(capsys: pytest.CaptureFixture[str], inputs: Path, out_parent: Path) -> None:
    arrays = example_arrays()
    arrays["body_pose"] = arrays["body_pose"][:, :66]
    motion = write_npz(inputs / "narrow.npz", **arrays)
    result = run(capsys, "ingest", "--motion", motion, "--object", CHAIR, "-o", out_parent / "case")
    assert_bad_input(result, motion, "body_pose", out_parent, "expected shape (T, 69), got (104, 66)")


def test_forty_metre_object(capsys: pytest.CaptureFixture[str], inputs: Path, out_parent: Path) -> None:
    trimesh.creation.box([40.0, 1.0, 1.0]).export(inputs / "hall.obj")
    result = run(capsys, "ingest", "--motion", MOTION, "--object", inputs / "hall.obj", "-o", out_parent / "case")
    assert_bad_input(result, inputs / "hall.obj", "scale", out_parent, "40 m across", "wrong units or scale")


def test_chair_in_centimetres_without_scale(capsys: pytest.CaptureFixture[str], out_parent: Path) -> None:
    result = run(capsys, "ingest", "--object", CHAIR, "scale=100", "-o", out_parent / "case")
    assert_bad_input(result, CHAIR, "scale", out_parent, "98.7 m across")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("broken.ply", bytes(range(256)) * 8),
        ("broken.stl", b"solid x\nfacet nonsense\n"),
        ("broken.obj", b"\x00\x01\x02 not an obj\n"),
    ],
)
def test_garbage_mesh(
    capsys: pytest.CaptureFixture[str], inputs: Path, out_parent: Path, name: str, content: bytes
) -> None:
    (inputs / name).write_bytes(content)
    result = run(capsys, "ingest", "--motion", MOTION, "--object", inputs / name, "-o", out_parent / "case")
    line = assert_bad_input(result, inputs / name, "mesh", out_parent)
    assert "cannot read mesh" in line or "mesh is empty" in line


@pytest.mark.parametrize(
    ("token", "field"),
    [
        ("colour=red", "--object colour=red"),
        ("chair", "--object chair"),
        ("up=x", "up"),
        ("static=maybe", "static"),
        ("position=1,2", "position"),
        ("mass=heavy", "mass"),
        ("yaw_deg=nan", "yaw_deg"),
    ],
)
def test_bad_object_option(capsys: pytest.CaptureFixture[str], out_parent: Path, token: str, field: str) -> None:
    result = run(capsys, "ingest", "--motion", MOTION, "--object", CHAIR, token, "-o", out_parent / "case")
    assert_bad_input(result, CHAIR, field, out_parent)


@pytest.mark.parametrize(("token", "field"), [("scale=-1", "scale"), ("mass=-3", "object.mass_kg")])
def test_object_option_values_are_validated(
    capsys: pytest.CaptureFixture[str], out_parent: Path, token: str, field: str
) -> None:
    result = run(capsys, "ingest", "--object", CHAIR, token, "-o", out_parent / "case")
    assert_bad_input(result, CHAIR, field, out_parent, "positive")


def test_same_object_name_twice(capsys: pytest.CaptureFixture[str], out_parent: Path) -> None:
    result = run(
        capsys, "ingest", "--object", CHAIR, "name=seat", "--object", CHAIR, "name=seat", "-o", out_parent / "case"
    )
    assert_bad_input(result, CHAIR, "name", out_parent, "used twice")


def test_missing_motion_file(capsys: pytest.CaptureFixture[str], inputs: Path, out_parent: Path) -> None:
    result = run(capsys, "ingest", "--motion", inputs / "nope.npz", "--object", CHAIR, "-o", out_parent / "case")
    assert_bad_input(result, inputs / "nope.npz", "file", out_parent, "does not exist")


def test_missing_mesh_file(capsys: pytest.CaptureFixture[str], inputs: Path, out_parent: Path) -> None:
    result = run(capsys, "ingest", "--motion", MOTION, "--object", inputs / "nope.obj", "-o", out_parent / "case")
    line = assert_bad_input(result, inputs / "nope.obj", "mesh", out_parent)
    assert "cannot read mesh" in line


def test_nothing_to_ingest(capsys: pytest.CaptureFixture[str], out_parent: Path) -> None:
    result = run(capsys, "ingest", "-o", out_parent / "case")
    assert_bad_input(result, out_parent / "case", "inputs", out_parent, "nothing to ingest")


def test_existing_output_folder_without_overwrite(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    case = tmp_path / "taken"
    case.mkdir()
    (case / "mine.txt").write_text("keep me")
    code, out, err = ingest_example(capsys, case)
    assert code == 2 and out == ""
    assert (
        err.strip() == f"hsimul3r: error: {case}: output folder: already exists; choose a new folder or pass "
        "--overwrite"
    )
    assert [p.name for p in case.iterdir()] == ["mine.txt"] and (case / "mine.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]  # no hidden staging folder either


def test_npz_of_unknown_format(capsys: pytest.CaptureFixture[str], inputs: Path, out_parent: Path) -> None:
    motion = write_npz(inputs / "mystery.npz", positions=np.zeros((10, 24, 3)), rate=np.array(30.0))
    result = run(capsys, "ingest", "--motion", motion, "-o", out_parent / "case")
    assert_bad_input(result, motion, "motion format", out_parent, "cannot tell", "--motion-format")


def test_npz_that_is_not_an_archive(capsys: pytest.CaptureFixture[str], inputs: Path, out_parent: Path) -> None:
    motion = inputs / "text.npz"
    motion.write_text("just text")
    result = run(capsys, "ingest", "--motion", motion, "-o", out_parent / "case")
    assert_bad_input(result, motion, "file", out_parent, "not a readable .npz archive")


def test_malicious_pickle_motion_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, inputs: Path, out_parent: Path
) -> None:
    marker = tmp_path / "pwned"
    payload = pickle.dumps({**example_arrays(), "fps": 30.0, "evil": RunsShell(touch_command(marker))})
    motion = inputs / "evil.pkl"
    motion.write_bytes(payload)
    result = run(capsys, "ingest", "--motion", motion, "-o", out_parent / "case")
    assert_bad_input(result, motion, "pickle", out_parent, "posix.system", "refusing")
    assert not marker.exists()
    pickle.loads(payload)  # control: the payload is live, so a loader that unpickled it would have been caught
    assert marker.exists()


def test_malicious_protomotions_file_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, inputs: Path, out_parent: Path
) -> None:
    torch = pytest.importorskip("torch")
    marker = tmp_path / "pwned"
    motion = inputs / "evil.motion"
    torch.save({"fps": 30.0, "rigid_body_pos": torch.zeros(4, 24, 3), "evil": RunsShell(touch_command(marker))}, motion)
    result = run(capsys, "ingest", "--motion", motion, "--motion-format", "protomotions", "-o", out_parent / "case")
    assert_bad_input(result, motion, "file", out_parent, "refused: not a plain dictionary", "GLOBAL posix.system")
    assert not marker.exists()
    torch.load(motion, weights_only=False)  # control: the payload is live
    assert marker.exists()


def test_malicious_object_array_in_npz_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, inputs: Path, out_parent: Path
) -> None:
    marker = tmp_path / "pwned"
    arrays = example_arrays()
    arrays["gender"] = np.array([RunsShell(touch_command(marker))], dtype=object)
    motion = write_npz(inputs / "evil.npz", **arrays)
    result = run(capsys, "ingest", "--motion", motion, "-o", out_parent / "case")
    assert_bad_input(result, motion, "gender", out_parent, "cannot read array", "posix.system")
    assert not marker.exists()


def test_validate_names_the_broken_field(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    case = tmp_path / "sit"
    assert ingest_example(capsys, case)[0] == 0
    manifest = json.loads((case / "hsi.json").read_text())
    manifest["objects"][0]["category"] = "throne"
    (case / "hsi.json").write_text(json.dumps(manifest))
    for command in ("validate", "info"):
        code, out, err = run(capsys, command, case)
        assert code == 2 and out == ""
        assert err.strip().splitlines() == [
            f"hsimul3r: error: {case / 'hsi.json'}: objects[0].category: must be one of chair, armchair, sofa, "
            "table, stool, bed, box, other, got 'throne'"
        ]
    assert not (tmp_path / "sit.preview.png").exists()


def test_validate_of_a_missing_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "validate", tmp_path / "nowhere")
    assert code == 2 and f"{tmp_path / 'nowhere'}: case folder: does not exist" in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as info:
        main(["ingest", "--motion", str(MOTION)])  # no -o
    assert info.value.code == 2
    assert "-o/--out" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------- known bugs


def test_corrupted_npz_member(capsys: pytest.CaptureFixture[str], inputs: Path, out_parent: Path) -> None:
    motion = write_npz(inputs / "corrupt.npz", **example_arrays())
    data = bytearray(motion.read_bytes())
    data[data.index(b"\x93NUMPY") + 130] ^= 0xFF  # a byte of the first array's data: the CRC no longer matches
    motion.write_bytes(bytes(data))
    result = run(capsys, "ingest", "--motion", motion, "-o", out_parent / "case")
    assert_bad_input(result, motion, "fps", out_parent, "corrupt archive member")


def test_obj_with_latin1_comment_ingests(capsys: pytest.CaptureFixture[str], tmp_path: Path, inputs: Path) -> None:
    mesh = inputs / "latin1.obj"
    mesh.write_bytes(b"# cr\xe9\xe9 par un scanner\n" + CHAIR.read_bytes())
    code, _, err = run(capsys, "ingest", "--object", mesh, "-o", tmp_path / "case")
    assert code == 0, err


def test_info_with_non_object_provenance(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    case = tmp_path / "sit"
    assert ingest_example(capsys, case)[0] == 0
    manifest = json.loads((case / "hsi.json").read_text())
    manifest["provenance"].append("hand-edited")
    (case / "hsi.json").write_text(json.dumps(manifest))
    code, _, err = run(capsys, "info", case, "--png", tmp_path / "p.png")
    assert code == 2 and "provenance" in err
