"""`hsimul3r run ... forward.enabled=true`: train a policy on the aligned case, export it, roll it out, judge it.

The default task (HSI-Track, whose own cases are the four bundled clean examples) trained on the aligned
case: export and rollout must build that environment, not the task's default one (whose observation has
another size, 417 values against the chair's 381). One 2-iteration training (4 envs, CPU) on the bundled
chair, ~2.6 min on 2 CPU cores (the pipeline's other stages ~40 s, training ~30 s, export ~20 s, rollout
~40 s, judging ~20 s); one 1-iteration training (2 envs) on the sofa, ~3.2 min (slow).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import onnx
import pytest
import torch

from hsimul3r_ext.hsi.case_io import load_case
from hsimul3r_ext.hsi.errors import CaseError
from hsimul3r_ext.pipeline import run_job
from hsimul3r_ext.tasks.hsi.cases import EXAMPLES_DIR
from hsimul3r_ext.tasks.hsi.forward import load_forward_config, training_curve

CASE = EXAMPLES_DIR / "sit_chair"
FORWARD = ["forward.enabled=true", "forward.num_envs=4", "forward.max_iterations=2"]  # the documented defaults


def run_forward(folder: Path, case: Path, overrides: list[str]) -> tuple[Path, dict]:
    """`hsimul3r run case -o folder/out overrides`, with a conversion cache of its own."""
    out = folder / "out"
    saved = os.environ.get("HSIMUL3R_CACHE_DIR")
    os.environ["HSIMUL3R_CACHE_DIR"] = str(folder / "cache")
    try:
        run = run_job(case, out, overrides, log=lambda _: None)
    finally:
        os.environ.pop("HSIMUL3R_CACHE_DIR") if saved is None else os.environ.update(HSIMUL3R_CACHE_DIR=saved)
    return out, run


@pytest.fixture(scope="module")
def forward_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    return run_forward(tmp_path_factory.mktemp("forward"), CASE, FORWARD)


def assert_policy_fits_the_trained_environment(out: Path, forward: dict) -> None:
    """The exported policy takes the observation of the environment trained on the aligned case, and its record
    says so (the rollout reads it)."""
    trained = json.loads((out / "forward" / forward["training"]["run"] / "hsi_policy.json").read_text())
    policy = out / "forward" / forward["policy"]
    exported = json.loads((policy.parent / "hsi_policy.json").read_text())
    record = json.loads((policy.parent / "hsi_training.json").read_text())
    assert forward["task"] == record["task"] == "HSI-Track"
    assert trained["cases"] == exported["cases"] == record["cases"] == [str(out / "convert")]
    size = sum(term["size"] for term in trained["observation"]["policy"])
    assert sum(term["size"] for term in exported["observation"]["policy"]) == size
    actions = torch.jit.load(str(policy))(torch.zeros(1, size))
    assert actions.shape == (1, len(trained["joint_names"])) and bool(actions.isfinite().all())


def test_forward_stage_trains_exports_rolls_out_and_judges(forward_run: tuple[Path, dict]) -> None:
    out, run = forward_run
    stages = [entry["stage"] for entry in run["stages"]]
    assert stages[-1] == "forward" and all(entry["status"] == "ran" for entry in run["stages"])
    record = run["stages"][-1]["record"]
    forward = record["forward"]
    assert forward["training"]["iterations"] == 2 and (out / "forward" / forward["training"]["checkpoint"]).is_file()
    curve = training_curve(out / "forward" / forward["training"]["run"])
    assert len(curve["Train/mean_reward"]) == 2 and (out / "forward" / "training_curve.png").stat().st_size > 10_000

    assert_policy_fits_the_trained_environment(out, forward)
    policy = out / "forward" / forward["policy"]
    metadata = json.loads((policy.parent / "hsi_policy.json").read_text())
    onnx_model = onnx.load(str(policy.with_suffix(".onnx")))
    onnx.checker.check_model(onnx_model)
    assert json.loads({p.key: p.value for p in onnx_model.metadata_props}["joint_names"]) == metadata["joint_names"]

    refined = load_case(out / "forward" / forward["refined_case"])
    aligned = load_case(out / "align")
    assert refined.motion.num_frames >= aligned.motion.num_frames - 1
    note = refined.provenance[-1]
    assert note["step"] == "forward" and note["mpjpe_mm"] == pytest.approx(forward["mpjpe_mm"])
    assert note["task"] == "HSI-Track" and f"env.cases=[{out / 'convert'}]" in note["overrides"]
    assert 0.0 < forward["mpjpe_mm"] < 1000.0 and set(forward["object_drift"]) == {"chair"}
    assert record["type"] in (1, 2, 3, 4) and record["mode"] == "kinematic"
    assert (out / "forward" / "judge" / "report.json").is_file()


@pytest.mark.slow
def test_the_default_task_on_another_example_exports_and_rolls_out_what_it_trained(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    quick = ["forward.enabled=true", "forward.num_envs=2", "forward.max_iterations=1", "align.steps=20",
             "judge.gravity.seconds=2.0"]  # fmt: skip
    out, run = run_forward(tmp_path_factory.mktemp("forward_sofa"), EXAMPLES_DIR / "lie_sofa", quick)
    forward = run["stages"][-1]["record"]["forward"]
    assert_policy_fits_the_trained_environment(out, forward)
    assert set(forward["object_drift"]) == {"sofa"} and 0.0 < forward["mpjpe_mm"] < 1000.0
    assert "| | before | after alignment | after forward pass |" in (out / "report.md").read_text()


def test_report_has_a_forward_column_and_section(forward_run: tuple[Path, dict]) -> None:
    out, run = forward_run
    markdown = (out / "report.md").read_text()
    forward = run["stages"][-1]["record"]
    assert "| | before | after alignment | after forward pass |" in markdown
    assert f"After forward pass: {forward['verdict']}" in markdown
    assert "## Forward pass (tracking policy)" in markdown and "trained for 2 PPO iterations" in markdown
    assert f"{forward['forward']['mpjpe_mm']:.1f} mm (MPJPE)" in markdown
    assert "![Forward pass: training curve](forward/training_curve.png)" in markdown
    assert "[refined case (the policy's motion)](forward/refined_case/hsi.json)" in markdown


def test_forward_pass_is_reused_and_switched_off_without_losing_it(forward_run: tuple[Path, dict]) -> None:
    out, _ = forward_run
    again = run_job(CASE, out, FORWARD, log=lambda _: None)
    assert [entry["status"] for entry in again["stages"]] == ["reused"] * len(again["stages"])
    without = run_job(CASE, out, [], log=lambda _: None)
    assert "forward" not in [entry["stage"] for entry in without["stages"]]
    assert "after forward pass" not in (out / "report.md").read_text()
    assert (out / "forward" / "stage.json").is_file()  # switching it back on reuses it


def test_forward_settings_are_checked_with_file_and_field() -> None:
    assert load_forward_config().enabled is False  # the pipeline does not train unless asked
    with pytest.raises(CaseError, match=r"forward/default.yaml: forward.task: not an HSI task: 'HSI-Nope'"):
        load_forward_config(["forward.task=HSI-Nope"])
    with pytest.raises(CaseError, match=r"forward.task_overrides: 'num_envs=3': expected env.KEY=VALUE"):
        load_forward_config(["forward.task_overrides=['num_envs=3']"])
    with pytest.raises(CaseError, match=r"nowhere.pt: forward.policy: no such file"):
        load_forward_config(["forward.policy=nowhere.pt"])
