"""`hsimul3r run`: overrides, stage reuse, bad input, the report, and the whole job on inputs from other tools.

The end-to-end runs use a case built with `hsimul3r ingest` from what users bring: a ProtoMotions `.motion` of
the SMPL humanoid sitting down and an armchair `.glb` from a modelling tool (Y-up, centimetres, off the
origin, 3 cm off and 4 cm above where the person sits). The runner's own rules are checked on tiny stages.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import trimesh
from scipy.spatial.transform import Rotation
from synthetic import humanoid_quats

from hsimul3r_ext.body.kinematics import forward_kinematics
from hsimul3r_ext.body.model_files import read_model_arrays, rest_joints
from hsimul3r_ext.body.models import OPEN_MODEL_FILE
from hsimul3r_ext.cli import EXIT_BAD_INPUT, main
from hsimul3r_ext.hsi.errors import CaseError
from hsimul3r_ext.hsi.smpl_layout import HUMANOID_BODY_ORDER, HUMANOID_FROM_SMPL, SMPL_JOINT_NAMES
from hsimul3r_ext.pipeline import RunOptions, Stage, StageInputs, register, run_pipeline
from hsimul3r_ext.pipeline.report import write_report

FAST = ["judge.gravity.seconds=2.0", "judge.interaction.settle_seconds=1.0", "align.steps=20", "judge.mode=kinematic"]
STAGE_NAMES = ["validate", "convert_before", "judge_before", "align", "convert", "judge"]  # optional ones: off
HEADING_DEG = 90.0  # the person faces +Y
PLACE = np.array([1.2, -0.6, 0.0])  # where the clip stands, away from the origin
FOOT_JOINT_HEIGHT_M = 0.03  # foot joints this high keep the open body's soles just above the floor
THIGH_BELOW_HIP_M = 0.085  # the open body's thigh skin is this far below its hip joints
DFS = np.array([SMPL_JOINT_NAMES.index(name) for name in HUMANOID_BODY_ORDER])


def _joint(name: str) -> int:
    return SMPL_JOINT_NAMES.index(name)


def sit_down_clip(frames: int = 45) -> tuple[dict[str, Any], np.ndarray]:
    """ProtoMotions body states of a stand-to-sit (hips and knees to 90 deg, feet on the floor) and the seat
    point under the seated hips."""
    rest = rest_joints(read_model_arrays(OPEN_MODEL_FILE), np.zeros(10))
    x = np.clip((np.arange(frames) - 8) / 25.0, 0.0, 1.0)
    flex = Rotation.from_euler("x", -90.0 * (x * x * (3 - 2 * x))[:, None], degrees=True).as_rotvec()
    body_pose = np.zeros((frames, 23, 3))
    for side in ("left", "right"):
        body_pose[:, _joint(f"{side}_hip") - 1] = flex
        body_pose[:, _joint(f"{side}_knee") - 1] = -flex
    heading = Rotation.from_euler("z", HEADING_DEG, degrees=True)
    global_orient = np.repeat((heading * HUMANOID_FROM_SMPL).as_rotvec()[None], frames, axis=0)
    body_pose = body_pose.reshape(frames, 69)
    joints, _ = forward_kinematics(rest, global_orient, body_pose, np.zeros((frames, 3)))
    ankles, feet = joints[:, _joint("left_ankle")], joints[:, [_joint("left_foot"), _joint("right_foot")], 2]
    transl = PLACE + (ankles[0] - ankles) * [1.0, 1.0, 0.0]  # the feet stay put while the hips go back and down
    transl[:, 2] = FOOT_JOINT_HEIGHT_M - feet.min(axis=1)
    positions, rotations = forward_kinematics(rest, global_orient, body_pose, transl)
    seated_hips = positions[-1, [_joint("left_hip"), _joint("right_hip")]].mean(axis=0)
    clip = {
        "fps": 30,
        "rigid_body_pos": torch.tensor(positions[:, DFS]),
        "rigid_body_rot": torch.tensor(humanoid_quats(rotations)[:, DFS]),
        "dof_pos": torch.zeros(frames, 69),
    }
    return clip, seated_hips - [0.0, 0.0, THIGH_BELOW_HIP_M]


def armchair(seat: np.ndarray) -> trimesh.Trimesh:
    """A boxy armchair (solid base, back, two arms), Z-up metres, seat top at `seat`, facing the person (+Y)."""
    depth, width, top = 0.5, 0.7, seat[2]
    at = trimesh.transformations.translation_matrix
    parts = [trimesh.creation.box([depth, width, top], at([0.0, 0, top / 2]))]
    parts.append(trimesh.creation.box([0.15, width, 0.45], at([-0.3, 0, top + 0.2])))
    parts += [trimesh.creation.box([0.45, 0.12, 0.2], at([-0.03, s * (width / 2 - 0.06), top + 0.1])) for s in (-1, 1)]
    chair = trimesh.boolean.union(parts, engine="manifold")
    chair.apply_transform(trimesh.transformations.rotation_matrix(np.radians(HEADING_DEG), [0, 0, 1]))
    chair.apply_translation([seat[0], seat[1], 0.0])
    return chair


@pytest.fixture(scope="module")
def foreign_case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The case a user gets from `hsimul3r ingest` with the two foreign files."""
    folder = tmp_path_factory.mktemp("foreign")
    clip, seat = sit_down_clip()
    torch.save(clip, folder / "sit.motion")
    chair = armchair(seat)
    chair.apply_translation([0.0, 0.03, 0.04])  # where the reconstruction put it
    chair.apply_transform(trimesh.transformations.rotation_matrix(-np.pi / 2, [1, 0, 0]))  # Z-up -> Y-up
    chair.apply_scale(100.0)  # centimetres
    chair.export(folder / "armchair.glb")
    object_options = ["scale=0.01", "up=y", "category=armchair"]
    code = main(["ingest", "--motion", str(folder / "sit.motion"), "--object", str(folder / "armchair.glb"),
                 *object_options, "--name", "sit_armchair", "-o", str(folder / "case")])  # fmt: skip
    assert code == 0
    return folder / "case"


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _run(capsys: pytest.CaptureFixture[str], *args: Any) -> tuple[int, str, str]:
    code = main(["run", *(str(a) for a in args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _status(out: str) -> dict[str, str]:
    """{stage: 'reused' | 'ran'} from the console lines `[i/n] stage: reused` / `[i/n] stage: ran (x.x s)`."""
    lines = [line.split("] ", 1)[1] for line in out.splitlines() if line.startswith("[")]
    return {name: rest.split()[0] for name, rest in (line.split(": ", 1) for line in lines) if rest != "running ..."}


@pytest.fixture(scope="module")
def first_run(foreign_case: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("run") / "out"
    before = _files(foreign_case)
    start = time.perf_counter()
    code = main(["run", str(foreign_case), "-o", str(out), *FAST])
    return {"code": code, "out": out, "seconds": time.perf_counter() - start, "case_files": before}


# --- the whole job on foreign data -------------------------------------------------------------------------


def test_foreign_case_runs_end_to_end(first_run: dict[str, Any], foreign_case: Path) -> None:
    out: Path = first_run["out"]
    assert first_run["code"] == 0
    run = json.loads((out / "run.json").read_text())
    assert [s["stage"] for s in run["stages"]] == STAGE_NAMES and {s["status"] for s in run["stages"]} == {"ran"}
    assert run["case"] == "sit_armchair" and run["overrides"] == FAST
    for when in ("before", "after"):
        assert run["verdict"][when]["type"] in (1, 2, 3, 4) and run["verdict"][when]["mode"] == "kinematic"
    metrics = run["alignment"]["metrics"]
    assert metrics["before"]["objects"]["armchair"]["lowest_point_mm"] == pytest.approx(40.0, abs=2.0)
    assert run["alignment"]["contact_source"] == "proximity"  # ProtoMotions clips carry no chair contacts
    for entry in run["stages"]:
        assert json.loads((out / entry["stage"] / "stage.json").read_text())["fingerprint"] == entry["fingerprint"]
    assert (out / "convert" / "scene.usda").is_file() and (out / "align" / "hsi.json").is_file()
    assert _files(foreign_case) == first_run["case_files"]  # the input case is never modified


def test_report_has_before_after_tables_and_pictures(first_run: dict[str, Any]) -> None:
    out: Path = first_run["out"]
    markdown = (out / "report.md").read_text()
    assert "| | before | after alignment |" in markdown and "| armchair: contact ratio |" in markdown
    assert "| mean penetration (mm) |" in markdown and "| armchair: lowest point (mm) | 40." in markdown
    assert "| human |" in markdown and "| armchair |" in markdown  # what moved
    html = (out / "report.html").read_text()
    images = [part.split('"', 1)[0] for part in html.split('<img src="')[1:]]
    assert {
        "align/align.png",
        "align/align_losses.png",
        "judge_before/plots/gravity.png",
        "judge/plots/gravity.png",
    } <= set(images)
    assert all((out / image).stat().st_size > 1000 for image in images)  # relative to the report
    assert "<td>armchair: type</td>" in html


def test_second_run_reuses_every_stage(
    first_run: dict[str, Any], foreign_case: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    start = time.perf_counter()
    code, out, _ = _run(capsys, foreign_case, "-o", first_run["out"], *FAST)
    seconds = time.perf_counter() - start
    assert code == 0 and _status(out) == dict.fromkeys(STAGE_NAMES, "reused")
    assert seconds < 5.0 and seconds < first_run["seconds"] / 5
    assert out.strip().splitlines()[-1] == f"Report: {first_run['out'] / 'report.html'}"


def test_robot_stage_reuses_the_run_and_judges_the_robot(
    first_run: dict[str, Any], foreign_case: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`robot.enabled=true` adds the retarget onto the G1 after the aligned case; nothing before it re-runs."""
    code, out, _ = _run(capsys, foreign_case, "-o", first_run["out"], *FAST, "robot.enabled=true")
    assert code == 0 and _status(out) == {**dict.fromkeys(STAGE_NAMES, "reused"), "robot": "ran"}
    run = json.loads((first_run["out"] / "run.json").read_text())
    record = run["stages"][-1]["record"]
    assert record["robot"] == "g1" and record["scene_terms"]["joint_limit_violations"] == 0
    assert run["verdict"]["robot"]["type"] in (2, 3, 4) and f"robot: Type {run['verdict']['robot']['type']}" in out
    markdown = (first_run["out"] / "report.md").read_text()
    assert "## Robot (g1)" in markdown and "| with scene terms |" in markdown and "| plain IK (baseline) |" in markdown
    assert (first_run["out"] / "robot" / "robot_motion.npz").is_file()


def test_changed_align_override_reruns_align_and_downstream_only(
    first_run: dict[str, Any], foreign_case: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    overrides = [o for o in FAST if not o.startswith("align.steps")] + ["align.steps=10"]
    code, out, _ = _run(capsys, foreign_case, "-o", first_run["out"], *overrides)
    assert code == 0
    assert _status(out) == {"validate": "reused", "convert_before": "reused", "judge_before": "reused",
                            "align": "ran", "convert": "ran", "judge": "ran"}  # fmt: skip
    run = json.loads((first_run["out"] / "run.json").read_text())
    assert run["overrides"] == overrides and "align.steps=10" in (first_run["out"] / "report.md").read_text()


# --- bad input: exit 2, one line naming the file and the field, nothing written ----------------------------


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("align.stepz=3", "config/align/default.yaml: align.stepz: no such setting (did you mean align.steps?)"),
        ("judje.mode=pd", "config/hsimul3r.yaml: judje.mode: no such section"),
        ("judge.mode=kinematc", "config/judge/default.yaml: judge.mode: must be one of kinematic, pd, policy"),
        ("align.steps=many", "config/align/default.yaml: align:"),
        ("align.steps", "config/hsimul3r.yaml: align.steps: expected KEY=VALUE"),
    ],
)
def test_bad_override_exits_2_naming_the_field(
    foreign_case: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], override: str, message: str
) -> None:
    code, _, err = _run(capsys, foreign_case, "-o", tmp_path / "out", override)
    assert code == EXIT_BAD_INPUT and message in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "out").exists()


def test_missing_case_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, tmp_path / "nowhere", "-o", tmp_path / "out")
    assert code == EXIT_BAD_INPUT and "nowhere: case folder: does not exist" in err
    assert not (tmp_path / "out").exists()


def test_folder_that_is_not_a_case(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "meshes").mkdir()
    (tmp_path / "meshes" / "chair.obj").write_text("v 0 0 0\n")
    code, _, err = _run(capsys, tmp_path / "meshes", "-o", tmp_path / "out")
    assert code == EXIT_BAD_INPUT and "meshes/hsi.json: file: missing: not a case folder" in err


def test_output_folder_of_something_else_is_refused(
    foreign_case: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "thesis.tex").write_text("precious")
    code, _, err = _run(capsys, foreign_case, "-o", tmp_path / "out")
    assert code == EXIT_BAD_INPUT and "output folder: exists and is not a folder of `hsimul3r run`" in err
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["thesis.tex"]
    code, _, err = _run(capsys, foreign_case, "-o", foreign_case / "runs")
    assert code == EXIT_BAD_INPUT and "overlaps the input case" in err


# --- the runner's rules, on tiny stages --------------------------------------------------------------------


def _tiny_stages(calls: list[str], fail: str | None = None) -> list[Stage]:
    """validate -> judge_like (reads `judge`) -> after (needs judge_like); `fail` raises inside that stage."""

    def make(name: str):
        def run(inputs: StageInputs, folder: Path, config: Mapping[str, Any]) -> dict[str, Any]:
            calls.append(name)
            (folder / "partial.txt").write_text(name)
            if name == fail:
                raise CaseError(inputs.case, name, "failed on purpose")
            upstream = {k: json.loads((v / "stage.json").read_text())["record"] for k, v in inputs.upstream.items()}
            judge = config.get("judge")
            return {"name": name, "upstream": upstream, "mode": None if judge is None else judge.mode}

        return run

    return [
        Stage("first", (), (), make("first")),
        Stage("judge_like", ("judge",), ("first",), make("judge_like"), options=("gravity_only",)),
        Stage("after", (), ("judge_like",), make("after")),
    ]


def test_override_reaches_the_stage_and_reuse_follows_fingerprints(foreign_case: Path, tmp_path: Path) -> None:
    out, calls, lines = tmp_path / "out", [], []
    entries = run_pipeline(foreign_case, out, ["judge.mode=pd"], stages=_tiny_stages(calls), log=lines.append)
    assert calls == ["first", "judge_like", "after"] and entries[1]["record"]["mode"] == "pd"
    assert lines[-1].startswith("[3/3] after: ran (") and lines[-1].endswith(" s)")
    assert entries[2]["record"]["upstream"]["judge_like"]["mode"] == "pd"
    stage_json = json.loads((out / "judge_like" / "stage.json").read_text())
    assert set(stage_json) == {"stage", "fingerprint", "seconds", "finished", "record"}

    calls.clear()
    run_pipeline(foreign_case, out, ["judge.mode=pd"], stages=_tiny_stages(calls), log=lines.append)
    assert calls == [] and lines[-3:] == ["[1/3] first: reused", "[2/3] judge_like: reused", "[3/3] after: reused"]

    run_pipeline(foreign_case, out, ["judge.mode=kinematic"], stages=_tiny_stages(calls), log=lines.append)
    assert calls == ["judge_like", "after"]  # the stage reading `judge` and everything downstream

    calls.clear()
    options = RunOptions(gravity_only=True)
    run_pipeline(foreign_case, out, ["judge.mode=kinematic"], options=options, stages=_tiny_stages(calls), log=print)
    assert calls == ["judge_like", "after"]  # an option the stage uses counts like a setting

    calls.clear()
    run_pipeline(foreign_case, out, ["judge.mode=kinematic"], options=options, force=True,
                 stages=_tiny_stages(calls), log=print)  # fmt: skip
    assert calls == ["first", "judge_like", "after"]


def test_failed_stage_leaves_earlier_stages_and_no_stale_report(foreign_case: Path, tmp_path: Path) -> None:
    out, calls = tmp_path / "out", []
    run_pipeline(foreign_case, out, stages=_tiny_stages(calls), log=print)
    (out / "report.html").write_text("an earlier run's report")
    with pytest.raises(CaseError, match="failed on purpose"):
        run_pipeline(foreign_case, out, ["judge.mode=pd"], stages=_tiny_stages(calls, fail="judge_like"), log=print)
    assert not (out / "report.html").exists()  # it described results that are being replaced
    assert json.loads((out / "judge_like" / "stage.json").read_text())["record"]["mode"] == "kinematic"  # kept whole
    assert sorted(p.name for p in out.iterdir()) == ["after", "first", "judge_like"]  # no staging folder left

    calls.clear()
    run_pipeline(foreign_case, out, ["judge.mode=pd"], stages=_tiny_stages(calls), log=print)
    assert calls == ["judge_like", "after"]


def test_registry_keeps_order_and_refuses_unknown_needs() -> None:
    from hsimul3r_ext.pipeline import STAGES

    assert list(STAGES) == [*STAGE_NAMES, "forward", "reverse", "robot"]
    with pytest.raises(ValueError, match="needs unknown stages"):
        register(Stage("reverse", ("judge",), ("rl_policy",), lambda *_: {}))
    with pytest.raises(ValueError, match="already registered"):
        register(Stage("judge", ("judge",), ("convert",), lambda *_: {}))


# --- the report from records alone ---------------------------------------------------------------------------


def _judge_record(kind: int, ratio: float | None, plots: list[str]) -> dict[str, Any]:
    gravity = {"stable": True, "tilt_deg": 0.5, "displacement_m": 0.001, "reasons": [], "ground_shift_m": 0.0}
    interaction = None if ratio is None else {**gravity, "contact_ratio": ratio, "max_penetration_mm": 12.5}
    return {
        "case": "fixture", "type": kind, "mode": "kinematic", "verdict": f"Type {kind}: words",
        "objects": [{"name": "chair", "type": kind, "gravity": gravity, "interaction": interaction}],
        "human": None if ratio is None else {"mpjpe_mm": 3.25, "fell": False},
        "files": {"plots": plots, "recording": "recording.usda"},
    }  # fmt: skip


ALIGN_RECORD = {
    "case": "fixture",
    "moved": {
        "human": {"translation_m": [0.0, 0.01, -0.02]},
        "objects": {"chair": {"translation_m": [0.03, 0.0, -0.04], "rotation_deg": 2.5, "scale": 1.0}},
    },
    "metrics": {
        "before": {
            "mean_penetration_mm": 21.0,
            "max_penetration_mm": 48.0,
            "mean_contact_distance_mm": None,
            "feet_below_floor_mm": 9.0,
            "objects": {"chair": {"lowest_point_mm": 40.0}},
        },
        "after": {
            "mean_penetration_mm": 1.5,
            "max_penetration_mm": 4.0,
            "mean_contact_distance_mm": None,
            "feet_below_floor_mm": 0.0,
            "objects": {"chair": {"lowest_point_mm": 0.2}},
        },
    },
    "contact_source": "labels",
    "files": {"picture": "align.png", "losses": "align_losses.png"},
    "seconds": 3.0,
}


def test_report_from_fixture_records(tmp_path: Path) -> None:
    def entry(stage: str, record: dict[str, Any]) -> dict[str, Any]:
        return {
            "stage": stage,
            "status": "ran",
            "seconds": 1.0,
            "finished": "2026-01-01T00:00:00+00:00",
            "record": record,
        }

    run = {
        "case": "fixture", "case_dir": "/data/<case>", "overrides": ["align.steps=20"],
        "stages": [
            entry("judge_before", _judge_record(1, None, ["plots/gravity.png"])),
            entry("align", ALIGN_RECORD),
            entry("convert", {"scene_usd": "scene.usda", "scene_mjcf": "scene.xml"}),
            entry("judge", _judge_record(4, 0.75, ["plots/gravity.png", "plots/interaction.png"])),
        ],
    }  # fmt: skip
    html = write_report(tmp_path, run).read_text()
    markdown = (tmp_path / "report.md").read_text()
    assert "**Before: Type 1: words. After alignment: Type 4: words.**" in markdown
    expected = [
        "| case | Type 1 | Type 4 |", "| chair: contact ratio | - | 0.75 |", "| human: MPJPE (mm) | - | 3.2 |",
        "| mean penetration (mm) | 21.0 | 1.5 |", "| mean contact distance (mm) | - | - |",
        "| chair: lowest point (mm) | 40.0 | 0.2 |", "| chair | (+30.0, +0.0, -40.0) | 2.50 | 1.0000 |",
        "![Alignment: before / after](align/align.png)", "[aligned scene (USD)](convert/scene.usda)",
    ]  # fmt: skip
    for line in expected:
        assert line in markdown, line
    assert '<img src="judge/plots/interaction.png"' in html and "<td>chair: gravity tilt (deg)</td>" in html
    assert "/data/&lt;case&gt;" in html  # escaped
