"""The humanoid USD as Isaac Lab users load it: an `ArticulationCfg`, kitless, Newton on the CPU."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from isaaclab.scene import InteractiveSceneCfg
from isaaclab.utils import configclass
from isaaclab_scene import articulation_scene, ground_cfg, step

from hsimul3r_ext.assets.humanoid_cfg import humanoid_articulation_cfg
from hsimul3r_ext.assets.humanoid_usd import write_humanoid_usd
from hsimul3r_ext.body.case_humanoid import humanoid_config
from hsimul3r_ext.body.humanoid import build_humanoid, rest_body
from hsimul3r_ext.body.models import create_body_model, locate_body_model

DT = 1.0 / 200.0


@pytest.mark.filterwarnings("ignore:Newton shape color replacement:FutureWarning")
def test_humanoid_articulation_spawns_and_lands_on_the_ground(tmp_path: Path) -> None:
    source = locate_body_model("smpl", "neutral")
    spec = build_humanoid(rest_body(create_body_model(source), np.zeros(10)), np.zeros(10), humanoid_config())
    usd = write_humanoid_usd(spec, tmp_path / "humanoid.usda")

    @configclass
    class SceneCfg(InteractiveSceneCfg):
        ground = ground_cfg()
        humanoid = humanoid_articulation_cfg(usd, pelvis_height=0.3)  # drops 0.3 m onto its feet

    with articulation_scene(SceneCfg, DT) as (sim, scene):
        humanoid = scene["humanoid"]
        assert humanoid.num_joints == 69 and humanoid.num_bodies == 24
        assert float(humanoid.data.body_mass.torch.sum()) == pytest.approx(spec.total_mass, rel=1e-3)
        start = float(humanoid.data.root_pos_w.torch[0, 2])
        for _ in range(round(1.0 / DT)):
            step(sim, scene)
        final = humanoid.data.root_pos_w.torch[0]
        assert bool(final.isfinite().all())
        assert start - float(final[2]) > 0.2  # it fell under gravity ...
        assert float(final[2]) > 0.2  # ... and the ground stopped it
