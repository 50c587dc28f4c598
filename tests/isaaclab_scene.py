"""Kitless Isaac Lab scenes for the tests: a ground slab whose top is z = 0, a one-environment scene on the CPU
with Newton (MuJoCo-Warp, implicit PD damping as Isaac Lab's own humanoid task), and stepping it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import isaaclab.sim as sim_utils
from isaaclab.assets import AssetBaseCfg
from isaaclab.scene import InteractiveScene, InteractiveSceneCfg
from isaaclab.sim import SimulationCfg, SimulationContext, build_simulation_context
from isaaclab_newton.physics import MJWarpSolverCfg, NewtonCfg


def ground_cfg() -> AssetBaseCfg:
    return AssetBaseCfg(
        prim_path="/World/Ground",
        spawn=sim_utils.CuboidCfg(size=(4.0, 4.0, 0.1), collision_props=sim_utils.UsdPhysicsCollisionCfg()),
        init_state=AssetBaseCfg.InitialStateCfg(pos=(0.0, 0.0, -0.05)),
    )


@contextmanager
def articulation_scene(
    scene_cfg: type[InteractiveSceneCfg], dt: float
) -> Iterator[tuple[SimulationContext, InteractiveScene]]:
    physics = NewtonCfg(solver_cfg=MJWarpSolverCfg(integrator="implicitfast", nconmax=200), use_cuda_graph=False)
    with build_simulation_context(sim_cfg=SimulationCfg(dt=dt, device="cpu", physics=physics), device="cpu") as sim:
        scene = InteractiveScene(scene_cfg(num_envs=1, env_spacing=3.0))
        sim.reset()
        yield sim, scene


def step(sim: SimulationContext, scene: InteractiveScene) -> None:
    scene.write_data_to_sim()
    sim.step(render=False)
    scene.update(sim.get_physics_dt())
