"""Smoke test proving the Isaac Lab 3.0 runtime really simulates here: kitless, Newton backend, CPU only.

Nothing in the process has to be set up first: with a Newton physics cfg Isaac Lab runs without Isaac Sim /
Kit, so no ``AppLauncher`` / ``launch_simulation`` call and no environment variables are needed
(``launch_simulation`` starts no launcher for a kitless Newton cfg). ``build_simulation_context`` creates a
fresh in-memory USD stage and clears the ``SimulationContext`` singleton on exit, so this test can share a
pytest process with other tests. No Nucleus assets are used (they cannot be downloaded here): the ground and
the cube are spawned from ``CuboidCfg``.

Runtime: ~10 s with a warm Warp kernel cache (``~/.cache/warp``), ~50 s the first time while Warp compiles
the MuJoCo-Warp solver kernels.
"""

from __future__ import annotations

from dataclasses import dataclass

import isaaclab.sim as sim_utils
import pytest
import torch
from isaaclab.assets import AssetBaseCfg, RigidObjectCfg
from isaaclab.scene import InteractiveScene, InteractiveSceneCfg
from isaaclab.sim import SimulationCfg, build_simulation_context
from isaaclab.utils import configclass
from isaaclab_newton.assets import RigidObject as NewtonRigidObject
from isaaclab_newton.physics import MJWarpSolverCfg, NewtonCfg

CUBE_SIZE = 0.2  # [m] cube side
CUBE_MASS = 1.0  # [kg]
DROP_HEIGHT = 0.5  # [m] initial cube-centre height
GROUND_TOP = 0.0  # [m] z of the ground's upper face
GROUND_THICKNESS = 0.1  # [m]
DT = 1.0 / 120.0  # [s] physics step
SIM_SECONDS = 2.0  # [s] enough for the fall (~0.3 s) plus settling

EXPECTED_REST_Z = GROUND_TOP + CUBE_SIZE / 2.0  # cube centre when resting flat on the ground
HEIGHT_TOL = 5e-3  # [m] covers the solver's contact margin / penetration (~0.1 mm observed)
MAX_REST_LIN_SPEED = 1e-2  # [m/s]
MAX_REST_ANG_SPEED = 5e-2  # [rad/s]


@configclass
class DropSceneCfg(InteractiveSceneCfg):
    """A dynamic cube above a static slab; a slab, not ``GroundPlaneCfg``, which loads from Nucleus."""

    # No rigid-body API on the ground: a collider without a body is static for the physics backend.
    ground = AssetBaseCfg(
        prim_path="/World/Ground",
        spawn=sim_utils.CuboidCfg(
            size=(2.0, 2.0, GROUND_THICKNESS),
            collision_props=sim_utils.UsdPhysicsCollisionCfg(),
        ),
        init_state=AssetBaseCfg.InitialStateCfg(pos=(0.0, 0.0, GROUND_TOP - GROUND_THICKNESS / 2.0)),
    )
    cube = RigidObjectCfg(
        prim_path="{ENV_REGEX_NS}/Cube",
        spawn=sim_utils.CuboidCfg(
            size=(CUBE_SIZE, CUBE_SIZE, CUBE_SIZE),
            rigid_props=sim_utils.UsdPhysicsRigidBodyCfg(),
            mass_props=sim_utils.MassCfg(mass=CUBE_MASS),
            collision_props=sim_utils.UsdPhysicsCollisionCfg(),
        ),
        init_state=RigidObjectCfg.InitialStateCfg(pos=(0.0, 0.0, DROP_HEIGHT)),
    )


@dataclass(frozen=True)
class DropResult:
    """What the assertions need, detached from the sim so it outlives the simulation context."""

    asset_type: type
    mass: float
    start_pos: torch.Tensor
    final_pos: torch.Tensor
    final_lin_speed: float
    final_ang_speed: float
    peak_fall_speed: float


def _simulate_drop() -> DropResult:
    """Run the drop through Isaac Lab's own scene/asset/stepping APIs so the whole stack is exercised."""
    sim_cfg = SimulationCfg(
        dt=DT,
        device="cpu",
        gravity=(0.0, 0.0, -9.81),
        # CUDA graphs do not exist on CPU; say so rather than rely on the CPU fallback.
        physics=NewtonCfg(solver_cfg=MJWarpSolverCfg(), use_cuda_graph=False),
    )
    with build_simulation_context(sim_cfg=sim_cfg, device="cpu") as sim:
        scene = InteractiveScene(DropSceneCfg(num_envs=1, env_spacing=2.0))
        sim.reset()
        cube = scene["cube"]
        start_pos = cube.data.root_pos_w.torch[0].clone()
        peak_fall_speed = 0.0
        for _ in range(round(SIM_SECONDS / DT)):
            scene.write_data_to_sim()
            sim.step(render=False)
            scene.update(sim.get_physics_dt())
            peak_fall_speed = max(peak_fall_speed, -float(cube.data.root_lin_vel_w.torch[0, 2]))
        return DropResult(
            asset_type=type(cube),
            mass=float(cube.data.body_mass.torch.sum()),
            start_pos=start_pos,
            final_pos=cube.data.root_pos_w.torch[0].clone(),
            final_lin_speed=float(cube.data.root_lin_vel_w.torch[0].norm()),
            final_ang_speed=float(cube.data.root_ang_vel_w.torch[0].norm()),
            peak_fall_speed=peak_fall_speed,
        )


# Isaac Lab's Newton cloner warns that a colour workaround will be deprecated; not ours to fix.
@pytest.mark.filterwarnings("ignore:Newton shape color replacement:FutureWarning")
def test_cube_drops_and_rests_on_ground_kitless_newton_cpu() -> None:
    """A wrong rest height or a cube that never moved means the runtime does not simulate physics right."""
    result = _simulate_drop()

    # The Newton backend was really selected and the authored mass reached the solver.
    assert issubclass(result.asset_type, NewtonRigidObject)
    assert result.mass == pytest.approx(CUBE_MASS, rel=1e-3)

    # It actually fell: it started at the drop height and reached a free-fall-like speed on the way down.
    assert float(result.start_pos[2]) == pytest.approx(DROP_HEIGHT, abs=1e-4)
    free_fall_speed = (2.0 * 9.81 * (DROP_HEIGHT - EXPECTED_REST_Z)) ** 0.5
    assert result.peak_fall_speed > 0.8 * free_fall_speed
    assert float(result.start_pos[2] - result.final_pos[2]) > 0.3

    # It came to rest flat on the ground top, where it landed.
    assert float(result.final_pos[2]) == pytest.approx(EXPECTED_REST_Z, abs=HEIGHT_TOL)
    assert float(result.final_pos[:2].norm()) < 1e-3
    assert result.final_lin_speed < MAX_REST_LIN_SPEED
    assert result.final_ang_speed < MAX_REST_ANG_SPEED
