"""A refined case written from a simulated humanoid trajectory: the SMPL parameters pose the same skeleton,
labels and objects carry over, and the result is a case the loader and the judge accept."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hsimul3r_ext.body.case_humanoid import humanoid_for_case
from hsimul3r_ext.body.humanoid_motion import HumanoidMotion
from hsimul3r_ext.body.simulated_case import simulated_motion, write_simulated_case
from hsimul3r_ext.hsi.case_io import load_case
from hsimul3r_ext.ingest.preview import skeleton

CASE = Path(__file__).resolve().parents[1] / "examples" / "sit_chair_clean"


def test_simulated_trajectory_becomes_a_case_with_the_same_skeleton(tmp_path: Path) -> None:
    scene = load_case(CASE)
    humanoid = humanoid_for_case(scene)
    trajectory = humanoid.motion  # what a perfect tracker would simulate
    shifted = HumanoidMotion(
        trajectory.fps, trajectory.root_pos + [0.0, 0.0, 0.01], trajectory.root_quat, trajectory.dof_pos
    )  # the simulated body sits 1 cm higher
    motion = simulated_motion(scene.motion, shifted, humanoid.spec.hinge_orders, humanoid.pelvis_rest)
    np.testing.assert_allclose(skeleton(motion), skeleton(scene.motion) + [0.0, 0.0, 0.01], atol=1e-4)
    np.testing.assert_array_equal(motion.contact_labels, scene.motion.contact_labels)

    name = scene.objects[0].name
    final = (scene.objects[0].position + [0.02, 0.0, 0.0], np.array([0.0, 0.0, 0.0, 1.0]))
    out = write_simulated_case(CASE, tmp_path / "refined", motion, {name: final}, {"step": "forward", "policy": "x"})
    refined = load_case(out)
    np.testing.assert_allclose(refined.objects[0].position, final[0], atol=1e-6)
    assert refined.provenance[-1]["step"] == "forward"
    assert refined.motion.num_frames == scene.motion.num_frames

    from hsimul3r_ext.stability.config import load_judge_config
    from hsimul3r_ext.stability.judge import judge

    report = judge(out, tmp_path / "judged", load_judge_config(["judge.gravity.seconds=2.0"]), mode="kinematic")
    assert report["type"] == 4  # the 1 cm higher body still sits on the chair, which stands
