"""The humanoid USD as Isaac Lab users load it: an `ArticulationCfg`, kitless, Newton on the CPU."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from isaaclab.scene import InteractiveScene, InteractiveSceneCfg
from isaaclab.sim import SimulationCfg, build_simulation_context
from isaaclab.utils import configclass
from isaaclab_ground import ground_cfg
from isaaclab_newton.physics import MJWarpSolverCfg, NewtonCfg

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

    # implicitfast integrates the PD damping implicitly, as Isaac Lab's own humanoid task does
    physics = NewtonCfg(solver_cfg=MJWarpSolverCfg(integrator="implicitfast", nconmax=200), use_cuda_graph=False)
    with build_simulation_context(sim_cfg=SimulationCfg(dt=DT, device="cpu", physics=physics), device="cpu") as sim:
        scene = InteractiveScene(SceneCfg(num_envs=1, env_spacing=3.0))
        sim.reset()
        humanoid = scene["humanoid"]
        assert humanoid.num_joints == 69 and humanoid.num_bodies == 24
        assert float(humanoid.data.body_mass.torch.sum()) == pytest.approx(spec.total_mass, rel=1e-3)
        start = float(humanoid.data.root_pos_w.torch[0, 2])
        for _ in range(round(1.0 / DT)):
            scene.write_data_to_sim()
            sim.step(render=False)
            scene.update(sim.get_physics_dt())
        final = humanoid.data.root_pos_w.torch[0]
        assert bool(final.isfinite().all())
        assert start - float(final[2]) > 0.2  # it fell under gravity ...
        assert float(final[2]) > 0.2  # ... and the ground stopped it
