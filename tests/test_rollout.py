"""The forward pass's rollout: a trained policy played on a case becomes a refined case, and `hsimul3r judge --mode
policy`, which the pipeline runs (`pipeline/policy_judge.py`) so that the judge itself imports no task code.

A 2-iteration HSI-Sit training (2 envs, CPU) gives the checkpoint; `scripts/play.py --refined_case` exports
the TorchScript policy and rolls it out; `hsimul3r judge --mode policy` rolls it out again and judges the result.
Runtime: ~2.5 min on 2 CPU cores (training ~25 s, play + rollout ~60 s, judge ~50 s).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hsi_training import play_then_stop, train_hsi_sit

from hsimul3r_ext.cli import EXIT_BAD_INPUT, main
from hsimul3r_ext.hsi.case_io import load_case
from hsimul3r_ext.hsi.errors import CaseError
from hsimul3r_ext.ingest.preview import skeleton
from hsimul3r_ext.stability.config import load_judge_config
from hsimul3r_ext.stability.judge import judge
from hsimul3r_ext.tasks.hsi.cases import EXAMPLES_DIR
from hsimul3r_ext.tasks.hsi.rollout import rollout_policy

REPO = Path(__file__).resolve().parents[1]
CASE = EXAMPLES_DIR / "sit_chair_clean"


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working directory whose conversion cache the child processes share."""
    folder = tmp_path_factory.mktemp("rollout")
    saved = os.environ.get("HSIMUL3R_CACHE_DIR")
    os.environ["HSIMUL3R_CACHE_DIR"] = str(folder / "cache")
    yield folder
    if saved is None:
        os.environ.pop("HSIMUL3R_CACHE_DIR")
    else:
        os.environ["HSIMUL3R_CACHE_DIR"] = saved


@pytest.fixture(scope="module")
def trained_run(work: Path) -> Path:
    return train_hsi_sit(work, CASE, num_envs=2)


@pytest.fixture(scope="module")
def played(work: Path, trained_run: Path) -> tuple[Path, Path]:
    """Play (stopped with Ctrl+C once the policy is exported) with `--refined_case`: (policy.pt, refined case)."""
    refined = work / "play_refined"
    command = [
        sys.executable, str(REPO / "scripts" / "play.py"), "--task", "HSI-Sit-Play", "--device", "cpu",
        "--num_envs", "1", "--checkpoint", str(trained_run / "model_1.pt"), "--refined_case", str(refined),
        f"env.cases=[{CASE}]",
    ]  # fmt: skip
    exported = trained_run / "exported"
    play_then_stop(command, work, work / "play.log")  # the rollout runs after playback stops
    return exported / "policy.pt", refined


@pytest.mark.slow
def test_play_rolls_the_exported_policy_out_into_a_refined_case(played: tuple[Path, Path]) -> None:
    policy, refined = played
    case, reference = load_case(refined), load_case(CASE)
    assert abs(case.motion.num_frames - reference.motion.num_frames) <= 1
    assert case.motion.joints.shape == (case.motion.num_frames, 24, 3)
    note = case.provenance[-1]
    assert note["step"] == "forward" and note["policy"] == str(policy)
    assert note["task"] == "HSI-Sit"  # the trained task, recorded in exported/hsi_training.json
    start = skeleton(case.motion)[0] - skeleton(reference.motion)[0]
    assert float(abs(start).max()) < 0.01  # the rollout starts at the reference's first frame
    assert [o.name for o in case.objects] == [o.name for o in reference.objects]


@pytest.mark.slow
def test_judge_policy_mode_judges_the_rollout(work: Path, played: tuple[Path, Path]) -> None:
    policy, _ = played
    out = work / "judged"
    command = [
        sys.executable, "-m", "hsimul3r_ext.cli", "judge", str(CASE), "--mode", "policy", "--policy", str(policy),
        "-o", str(out), "judge.gravity.seconds=2.0",
    ]  # fmt: skip
    result = subprocess.run(command, cwd=work, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads((out / "report.json").read_text())
    assert report["mode"] == "policy" and report["policy"] == str(policy)
    assert report["refined_case"] == "refined_case" and report["type"] in (1, 2, 3, 4)
    assert report["converted"] == "converted" and (out / "converted" / "convert.json").is_file()
    assert (out / "report.md").is_file() and (out / report["files"]["recording"]).is_file()
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []  # one folder, nothing staged
    refined = load_case(out / "refined_case")
    assert abs(refined.motion.num_frames - load_case(CASE).motion.num_frames) <= 1


def test_policy_mode_needs_a_policy_file_and_a_case_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    converted = tmp_path / "converted"
    converted.mkdir()
    (converted / "convert.json").write_text("{}")
    (tmp_path / "policy.pt").write_bytes(b"")
    bad = {
        "a": ([CASE, "--mode", "policy"], "--policy"),
        "b": ([CASE, "--mode", "policy", "--policy", tmp_path / "missing.pt"], "--policy"),
        "c": ([converted, "--mode", "policy", "--policy", tmp_path / "policy.pt"], "case folder"),
        "d": ([converted, "--policy", tmp_path / "policy.pt", "judge.mode=policy"], "case folder"),  # the setting
    }
    for name, (args, message) in bad.items():
        code = main(["judge", *map(str, args), "-o", str(tmp_path / name)])
        err = capsys.readouterr().err.strip()
        assert code == EXIT_BAD_INPUT and len(err.splitlines()) == 1 and message in err, err
    with pytest.raises(CaseError, match="not a case folder"):
        rollout_policy(tmp_path / "policy.pt", converted, tmp_path / "e")
    assert not any((tmp_path / name).exists() for name in "abcde")


def test_the_judge_leaves_policy_mode_to_the_pipeline(tmp_path: Path) -> None:
    with pytest.raises(CaseError, match=r"pipeline\.policy_judge\.judge_policy"):
        judge(CASE, tmp_path / "a", load_judge_config(), mode="policy")
    assert not (tmp_path / "a").exists()


def test_policy_mode_batch_reports_each_case(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Several sources: the judge's batch loop runs the pipeline's policy judge, across spawned processes too."""
    converted = tmp_path / "converted"
    converted.mkdir()
    (converted / "convert.json").write_text("{}")
    out = tmp_path / "judged"
    args = ["judge", str(CASE), str(converted), "--mode", "policy", "--policy", str(tmp_path / "missing.pt")]
    assert main([*args, "--jobs", "2", "-o", str(out)]) == 0
    rows = json.loads((out / "summary.json").read_text())["cases"]
    assert [r["case"] for r in rows] == [CASE.name, "converted"]
    assert all("--policy" in r["error"] for r in rows), rows
    assert "error: " in capsys.readouterr().out
