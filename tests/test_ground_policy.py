"""One policy for objects that float or sink, through every command (issue 12, part 4).

Ingest and validate warn about an object off the floor and reject only an absurd placement (exit 2,
naming the file and the field); convert lifts a sunk object onto the floor and says so; the judge judges
it (a chair tilted 60 degrees with part of it 0.16 m in the floor falls: Type 1); `hsimul3r run`
completes on a case whose chair sank 0.16 m and the alignment rests the chair on the floor.
Every mesh is generated here.
"""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from judge_scenes import chair_mesh, tilted
from pxr import Usd, UsdGeom
from scipy.spatial.transform import Rotation

from hsimul3r_ext.cli import EXIT_BAD_INPUT, main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SUNK_M = 0.16


def run(capsys: pytest.CaptureFixture[str], *args: Any) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def chair_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 0.9 m chair, origin at the centre of its base."""
    path = tmp_path_factory.mktemp("meshes") / "chair.obj"
    chair_mesh().export(path)
    return path


def ingest_chair(capsys: pytest.CaptureFixture[str], mesh: Path, out: Path, *options: str) -> tuple[int, str, str]:
    return run(capsys, "ingest", "--object", mesh, "category=chair", *options, "-o", out)


def warning_lines(err: str) -> list[str]:
    lines = err.strip().splitlines()
    assert all(line.startswith("hsimul3r: warning: ") for line in lines), err
    return lines


# --- ingest and validate: warn, reject only the absurd ------------------------------------------------------------


def test_a_sunk_chair_ingests_and_validates_with_a_warning(
    capsys: pytest.CaptureFixture[str], chair_file: Path, tmp_path: Path
) -> None:
    case = tmp_path / "case"
    code, out, err = ingest_chair(capsys, chair_file, case, f"position=0,0,{-SUNK_M}")
    assert code == 0 and f"case written to {case}" in out
    assert warning_lines(err) == [
        f"hsimul3r: warning: {chair_file}: position: chair sinks 0.160 m into the floor: convert lifts it onto "
        "the floor and alignment rests it there"
    ]
    record = json.loads((case / "hsi.json").read_text())["provenance"][0]
    assert record["step"] == "import_object" and "sinks 0.160 m" in record["warnings"][0]

    code, out, err = run(capsys, "validate", case)
    assert code == 0 and out.startswith("ok: ")
    (line,) = warning_lines(err)
    assert f"{case / 'hsi.json'}: objects[0].position: chair sinks 0.160 m" in line


@pytest.mark.parametrize(
    ("height", "words"),
    [(0.0, None), (0.005, None), (0.05, "floats 0.050 m above the floor"), (1.2, "floats 1.200 m above the floor")],
)
def test_only_an_object_off_the_floor_by_more_than_the_tolerance_is_warned_about(
    capsys: pytest.CaptureFixture[str], chair_file: Path, tmp_path: Path, height: float, words: str | None
) -> None:
    code, _, err = ingest_chair(capsys, chair_file, tmp_path / "case", f"position=0,0,{height}")
    assert code == 0
    assert warning_lines(err) == [] if words is None else words in err


def test_a_static_object_in_the_floor_is_its_own_business(
    capsys: pytest.CaptureFixture[str], chair_file: Path, tmp_path: Path
) -> None:
    code, _, err = ingest_chair(capsys, chair_file, tmp_path / "case", "position=0,0,-0.3", "static=true")
    assert (code, err) == (0, "")


@pytest.mark.parametrize(
    ("height", "words"),
    [(-1.0, "reaches 1 m below the floor (z = 0), more than 1 x its own height"), (3.0, "3 m above the floor")],
    ids=["buried", "above-the-ceiling"],
)
def test_an_absurd_placement_is_rejected_naming_the_file_and_field(
    capsys: pytest.CaptureFixture[str], chair_file: Path, tmp_path: Path, height: float, words: str
) -> None:
    out_parent = tmp_path / "out"
    out_parent.mkdir()
    code, _, err = ingest_chair(capsys, chair_file, out_parent / "case", f"position=0,0,{height}")
    assert code == EXIT_BAD_INPUT and err.count("\n") == 1, err
    assert err.startswith(f"hsimul3r: error: {chair_file}: position: chair") and words in err, err
    assert list(out_parent.iterdir()) == []

    case = tmp_path / "case"  # the same placement written into a valid case by hand
    assert ingest_chair(capsys, chair_file, case)[0] == 0
    manifest = json.loads((case / "hsi.json").read_text())
    manifest["objects"][0]["position"] = [0.0, 0.0, height]
    (case / "hsi.json").write_text(json.dumps(manifest))
    code, _, err = run(capsys, "validate", case)
    assert code == EXIT_BAD_INPUT and f"{case / 'hsi.json'}: objects[0].position: chair" in err and words in err


# --- convert lifts, the judge judges ------------------------------------------------------------------------------


def test_convert_lifts_a_sunk_chair_onto_the_floor_and_reports_it(
    capsys: pytest.CaptureFixture[str], chair_file: Path, tmp_path: Path
) -> None:
    case, out = tmp_path / "case", tmp_path / "converted"
    assert ingest_chair(capsys, chair_file, case, f"position=0.5,0,{-SUNK_M}")[0] == 0
    code, stdout, err = run(
        capsys, "convert", case, "-o", out, "--no-humanoid", f"convert.coacd.cache_dir={tmp_path / 'cache'}"
    )
    assert code == 0 and "lifted 0.160 m onto the floor" in stdout
    sinks, lifted = warning_lines(err)
    assert "objects[0].position: chair sinks 0.160 m" in sinks
    assert f"{case / 'hsi.json'}: objects[chair].position: lifted 0.160 m onto the floor" in lifted

    report = json.loads((out / "convert.json").read_text())
    entry = report["objects"]["chair"]
    assert entry["ground_shift_m"] == pytest.approx(SUNK_M, abs=1e-3)
    np.testing.assert_allclose(entry["case_position_m"], [0.5, 0.0, -SUNK_M], atol=1e-9)
    np.testing.assert_allclose(entry["position_m"], [0.5, 0.0, 0.0], atol=1e-3)
    assert report["warnings"] == [line.removeprefix("hsimul3r: warning: ") for line in (sinks, lifted)]

    stage = Usd.Stage.Open(str(out / "scene.usda"))
    placed = UsdGeom.Xformable(stage.GetPrimAtPath("/World/Objects/chair")).ComputeLocalToWorldTransform(0)
    np.testing.assert_allclose(list(placed.ExtractTranslation()), [0.5, 0.0, 0.0], atol=1e-3)
    body = ET.parse(out / "scene.xml").getroot().find(".//body[@name='chair']")
    np.testing.assert_allclose([float(v) for v in body.get("pos").split()], [0.5, 0.0, 0.0], atol=1e-3)


def test_a_chair_tilted_60_degrees_and_sunk_into_the_floor_is_judged_and_falls(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The reconstruction left it leaning 60 degrees with one edge 0.16 m in the floor."""
    chair = chair_mesh()
    quat = tilted(60)
    lowest = Rotation.from_quat(quat).apply(chair.vertices)[:, 2].min()
    chair.export(tmp_path / "leaning.obj")
    case = tmp_path / "case"
    orientation = ",".join(f"{v:.12g}" for v in quat)
    code, _, err = ingest_chair(
        capsys, tmp_path / "leaning.obj", case, f"position=0,0,{-SUNK_M - lowest:.12g}", f"orientation={orientation}"
    )
    assert code == 0 and "sinks 0.160 m into the floor" in err

    overrides = [f"convert.coacd.cache_dir={tmp_path / 'cache'}", "judge.gravity.seconds=3.0"]
    code, stdout, err = run(capsys, "judge", case, "-o", tmp_path / "judged", "--gravity-only", *overrides)
    assert code == 0, err
    assert "leaning: type 1" in stdout, stdout
    report = json.loads((tmp_path / "judged" / "report.json").read_text())
    (judged,) = report["objects"]
    assert judged["type"] == 1 and not judged["gravity"]["stable"] and judged["gravity"]["tilt_deg"] > 20.0
    assert judged["gravity"]["ground_shift_m"] == pytest.approx(SUNK_M, abs=5e-3)  # convert's lift, reported


# --- the main job --------------------------------------------------------------------------------------------------


def test_run_completes_on_a_sunk_chair_and_the_alignment_rests_it_on_the_floor(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    case = tmp_path / "sit_chair_sunk"
    shutil.copytree(EXAMPLES / "sit_chair", case)
    manifest = json.loads((case / "hsi.json").read_text())
    manifest["objects"][0]["position"][2] -= SUNK_M
    (case / "hsi.json").write_text(json.dumps(manifest))

    fast = ["judge.gravity.seconds=2.0", "align.steps=40", "align.max_frames=10", "align.metric_frames=30"]
    code, stdout, err = run(capsys, "run", case, "-o", tmp_path / "run", "--gravity-only", *fast)
    assert code == 0, err
    assert "Report: " in stdout and "chair sinks 0.160 m into the floor" in err

    before = json.loads((tmp_path / "run" / "convert_before" / "convert.json").read_text())
    assert before["objects"]["chair"]["ground_shift_m"] == pytest.approx(SUNK_M, abs=2e-3)
    align = json.loads((tmp_path / "run" / "align" / "align.json").read_text())
    assert align["moved"]["objects"]["chair"]["on_floor"]
    assert align["metrics"]["before"]["objects"]["chair"]["lowest_point_mm"] == pytest.approx(-160.0, abs=1.0)
    assert abs(align["metrics"]["after"]["objects"]["chair"]["lowest_point_mm"]) <= 5.0
    report = (tmp_path / "run" / "report.md").read_text()
    assert "| chair: lowest point (mm) | -160.0 |" in report
    assert "Warnings about the input:" in report and "chair sinks 0.160 m into the floor" in report
