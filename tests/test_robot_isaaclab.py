"""The G1 as Isaac Lab users load it: an `ArticulationCfg` over our USD, kitless, Newton on the CPU."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from isaaclab.scene import InteractiveSceneCfg
from isaaclab.utils import configclass
from isaaclab_scene import articulation_scene, ground_cfg, step

from hsimul3r_ext.cli import main
from hsimul3r_ext.retarget.robot_cfg import robot_articulation_cfg

DT = 1.0 / 200.0


@pytest.mark.filterwarnings("ignore:Newton shape color replacement:FutureWarning")
def test_g1_spawns_with_its_gains_and_stands_on_the_ground(tmp_path: Path) -> None:
    assert main(["robot", "g1", "-o", str(tmp_path / "g1")]) == 0
    summary = json.loads((tmp_path / "g1" / "robot.json").read_text())

    @configclass
    class SceneCfg(InteractiveSceneCfg):
        ground = ground_cfg()
        robot = robot_articulation_cfg(tmp_path / "g1" / summary["usd"], root_height=summary["root_height_m"])

    with articulation_scene(SceneCfg, DT) as (sim, scene):
        robot = scene["robot"]
        assert robot.num_joints == 29 and robot.num_bodies == 30
        assert float(robot.data.body_mass.torch.sum()) == pytest.approx(summary["mass_kg"], rel=1e-4)
        stiffness = dict(zip(robot.joint_names, robot.data.joint_stiffness.torch[0].tolist(), strict=True))
        armature = dict(zip(robot.joint_names, robot.data.joint_armature.torch[0].tolist(), strict=True))
        for entry in summary["joints"]:
            assert stiffness[entry["name"]] == pytest.approx(entry["stiffness_nm_per_rad"], rel=1e-4)
            assert armature[entry["name"]] == pytest.approx(entry["armature_kgm2"], rel=1e-4)
        feet = [robot.body_names.index(name) for name in ("left_ankle_roll_link", "right_ankle_roll_link")]
        heights = []
        for _ in range(round(0.5 / DT)):
            step(sim, scene)
            heights.append(robot.data.body_pos_w.torch[0, feet, 2].clone())
        assert bool(torch.isfinite(robot.data.root_pos_w.torch).all())
        heights = torch.stack(heights)
        assert float(heights.min()) > 0.02  # the soles' spheres on the ground, not through it
        assert float((heights[-1] - heights[0]).abs().max()) < 0.01
