"""A converted chair as Isaac Lab users load it: `RigidObjectCfg` from its local USD, kitless, Newton on the CPU.

The chair starts at its case pose, standing on a static slab whose top is z = 0; one simulated second later
it must still stand there, at rest: wrong inertia, hulls below the feet or a bad pose would tip it or make
it jump. ~10 s with a warm Warp kernel cache.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import trimesh
from isaaclab.assets import AssetBaseCfg, RigidObjectCfg
from isaaclab.scene import InteractiveScene, InteractiveSceneCfg
from isaaclab.sim import SimulationCfg, build_simulation_context
from isaaclab.utils import configclass
from isaaclab_newton.physics import MJWarpSolverCfg, NewtonCfg
from isaaclab_scene import ground_cfg, step
from scipy.spatial.transform import Rotation

from hsimul3r_ext.assets import convert_case, load_convert_config
from hsimul3r_ext.assets.isaaclab_cfg import converted_object_cfg, converted_object_cfgs
from hsimul3r_ext.hsi import CaseError, load_case
from hsimul3r_ext.ingest.importers.meshes import ObjectSpec
from hsimul3r_ext.ingest.ingest_case import ingest

CHAIR = Path(__file__).resolve().parents[1] / "examples" / "raw" / "sit_chair" / "chair.obj"
YAW_DEG = 40.0
DT = 1.0 / 120.0
MAX_TILT_DEG = 1.0
MAX_DRIFT_M = 5e-3  # covers the solver's contact penetration
MAX_REST_LIN_SPEED = 1e-2  # [m/s]
MAX_REST_ANG_SPEED = 5e-2  # [rad/s]


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example chair turned 40 degrees beside a static crate; ingest moves origins to the base centre."""
    folder = tmp_path_factory.mktemp("isaaclab")
    spec = ObjectSpec(CHAIR, category="chair", position=np.array([0.3, -0.2, 0.0]))
    spec.orientation = Rotation.from_euler("z", YAW_DEG, degrees=True).as_quat()
    trimesh.creation.box((0.4, 0.4, 0.3), trimesh.transformations.translation_matrix((0, 0, 0.15))).export(
        folder / "crate.obj"
    )
    crate = ObjectSpec(folder / "crate.obj", category="box", position=np.array([-0.8, 0.6, 0.0]), static=True)
    ingest(folder / "case", objects=[spec, crate])
    config = load_convert_config([f"convert.coacd.cache_dir={folder / 'cache'}"])
    convert_case(folder / "case", folder / "converted", config)
    return folder / "converted"


def case_position(converted: Path) -> np.ndarray:
    return load_case(converted.parent / "case").object("chair").position


def test_configs_carry_the_case_pose_and_the_local_usd(converted: Path) -> None:
    cfg = converted_object_cfg(converted, "chair")
    assert isinstance(cfg, RigidObjectCfg) and cfg.prim_path == "{ENV_REGEX_NS}/chair"
    assert Path(cfg.spawn.usd_path) == converted / "objects" / "chair.usda"
    np.testing.assert_allclose(cfg.init_state.pos, case_position(converted), atol=1e-9)
    np.testing.assert_allclose(cfg.init_state.rot, Rotation.from_euler("z", YAW_DEG, degrees=True).as_quat())
    configs = converted_object_cfgs(converted)
    assert list(configs) == ["chair", "crate"] and type(configs["crate"]) is AssetBaseCfg  # static: no body
    with pytest.raises(CaseError, match="no object 'sofa'"):
        converted_object_cfg(converted, "sofa")


# Isaac Lab's Newton cloner warns that a colour workaround will be deprecated; not ours to fix.
@pytest.mark.filterwarnings("ignore:Newton shape color replacement:FutureWarning")
def test_converted_chair_stands_still_on_the_ground_kitless_newton_cpu(converted: Path) -> None:
    @configclass
    class SceneCfg(InteractiveSceneCfg):
        ground = ground_cfg()
        chair = converted_object_cfg(converted, "chair")
        crate = converted_object_cfg(converted, "crate")

    physics = NewtonCfg(solver_cfg=MJWarpSolverCfg(), use_cuda_graph=False)
    sim_cfg = SimulationCfg(dt=DT, device="cpu", gravity=(0.0, 0.0, -9.81), physics=physics)
    with build_simulation_context(sim_cfg=sim_cfg, device="cpu") as sim:
        scene = InteractiveScene(SceneCfg(num_envs=1, env_spacing=3.0))
        sim.reset()
        chair = scene["chair"]
        assert float(chair.data.body_mass.torch.sum()) == pytest.approx(6.0, rel=1e-4)  # config: chair 6 kg
        start = chair.data.root_pos_w.torch[0].numpy().copy()
        for _ in range(round(1.0 / DT)):
            step(sim, scene)
        final = chair.data.root_pos_w.torch[0].numpy()
        quat = chair.data.root_quat_w.torch[0].numpy()
        lin_speed = float(np.linalg.norm(chair.data.root_lin_vel_w.torch[0].numpy()))
        ang_speed = float(np.linalg.norm(chair.data.root_ang_vel_w.torch[0].numpy()))

    np.testing.assert_allclose(start, case_position(converted), atol=1e-6)
    assert np.abs(final - start).max() < MAX_DRIFT_M
    up = Rotation.from_quat(quat).apply([0.0, 0.0, 1.0])
    assert np.degrees(np.arccos(np.clip(up[2], -1.0, 1.0))) < MAX_TILT_DEG
    yaw = Rotation.from_quat(quat).as_euler("xyz", degrees=True)[2]
    assert yaw == pytest.approx(YAW_DEG, abs=1.0)
    assert lin_speed < MAX_REST_LIN_SPEED and ang_speed < MAX_REST_ANG_SPEED
