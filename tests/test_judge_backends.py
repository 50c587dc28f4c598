"""One object USD, every simulator that reads it: the thin-legged chair stands in each, and the gravity
test's direct MuJoCo model is the model Newton's solver makes of the same file.

The chair (`furniture.shell_chair`) is the shape that lost its leg contacts in Newton's CPU MuJoCo model.
The case puts it 2.5 m beside the example's sit-down motion, so the humanoid never touches it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from furniture import shell_chair, tilted
from judge_scenes import make_case, newton_cpu_mj_model
from scipy.spatial.transform import Rotation

from hsimul3r_ext.stability import gravity_test, judge, load_judge_config
from hsimul3r_ext.stability.object_model import gravity_model
from hsimul3r_ext.stability.scene import load_converted
from hsimul3r_ext.stability.simulation import grounded_position

BESIDE = np.array([2.5, 0.0, 0.0])


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("backends")
    objects = [
        ("chair", shell_chair(), {"category": "chair", "position": BESIDE}),
        ("fallen", tilted(shell_chair(leg=0.03), 60.0), {"category": "chair", "position": BESIDE + [0, 2.0, 0]}),
    ]
    return make_case(root / "case", objects, motion=True)


@pytest.fixture(scope="module")
def kinematic_report(case: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    config = load_judge_config(["judge.interaction.settle_seconds=1.0"])
    out = tmp_path_factory.mktemp("judged") / "report"
    return judge(case, out, config, mode="kinematic") | {"_out": out}


@pytest.fixture(scope="module")
def objects(kinematic_report: dict):
    return load_converted(kinematic_report["_out"] / "converted").objects


def test_direct_model_is_newtons_model_of_the_same_usd(objects) -> None:
    obj = objects[0]
    newton_model = newton_cpu_mj_model(obj)
    ours = gravity_model([obj], [grounded_position(obj, 0.002)[0]], 1 / 240)
    for field in ("integrator", "cone", "solver", "iterations", "tolerance", "impratio", "disableflags"):
        assert getattr(ours.opt, field) == getattr(newton_model.opt, field), field
    assert ours.body_mass[1] == pytest.approx(newton_model.body_mass[1], rel=1e-6)
    np.testing.assert_allclose(np.sort(ours.body_inertia[1]), np.sort(newton_model.body_inertia[1]), rtol=1e-5)
    np.testing.assert_allclose(ours.body_ipos[1], newton_model.body_ipos[1], atol=1e-6)
    np.testing.assert_allclose(ours.body_pos[1], newton_model.body_pos[1], atol=1e-6)
    assert ours.ngeom == newton_model.ngeom
    for field in ("geom_friction", "geom_solref", "geom_solimp", "geom_margin", "geom_gap", "geom_condim"):
        np.testing.assert_allclose(getattr(ours, field), getattr(newton_model, field), rtol=1e-6, err_msg=field)
    extents = lambda m: np.sort([np.ptp(m.mesh_vert[a : a + n], axis=0).max() for a, n in  # noqa: E731
                                 zip(m.mesh_vertadr, m.mesh_vertnum, strict=True)])  # fmt: skip
    np.testing.assert_allclose(extents(ours), extents(newton_model), atol=1e-5)


def test_gravity_test_on_mujoco_warp_agrees_with_the_cpu_model(objects) -> None:
    cpu = gravity_test(objects, load_judge_config(["judge.gravity.seconds=4.0"]))
    warp = gravity_test(objects, load_judge_config(["judge.gravity.seconds=4.0", "judge.backend=mujoco_warp"]))
    assert [r.verdict.stable for r in cpu] == [r.verdict.stable for r in warp] == [True, False]
    assert abs(cpu[0].verdict.tilt_deg - warp[0].verdict.tilt_deg) < 1.0
    assert cpu[1].verdict.tilt_deg > 20.0 and warp[1].verdict.tilt_deg > 20.0


def test_thin_legged_chair_stands_through_the_interaction_test(kinematic_report: dict) -> None:
    chair, fallen = kinematic_report["objects"]
    assert chair["gravity"]["stable"] and chair["interaction"]["stable"], chair
    assert chair["interaction"]["tilt_deg"] < 2.0 and chair["type"] == 3  # stands, untouched
    assert fallen["type"] == 1


@pytest.mark.filterwarnings("ignore:Newton shape color replacement:FutureWarning")
def test_thin_legged_chair_stands_in_the_isaac_lab_task(case: Path, tmp_path: Path) -> None:
    import gymnasium as gym
    from isaaclab_tasks.utils.hydra import resolve_presets
    from isaaclab_tasks.utils.parse_cfg import load_cfg_from_registry

    import hsimul3r_ext.tasks  # noqa: F401

    cfg = resolve_presets(load_cfg_from_registry("HSI-Track", "env_cfg_entry_point"))
    cfg.cases, cfg.cache_dir = [str(case)], str(tmp_path)
    cfg.scene.num_envs, cfg.sim.device = 1, "cpu"
    env = gym.make("HSI-Track", cfg=cfg)
    try:
        base = env.unwrapped
        env.reset()
        chair = base.scene[base.layout.objects[0].asset_name]
        start = Rotation.from_quat(chair.data.root_quat_w.torch[0].numpy().astype(float))
        for _ in range(round(2.0 / base.physics_dt)):  # the physics alone: no actions, no resets
            base.sim.step(render=False)
            base.scene.update(base.physics_dt)
        end = Rotation.from_quat(chair.data.root_quat_w.torch[0].numpy().astype(float))
        up = end.apply(start.inv().apply([0.0, 0.0, 1.0]))
        assert np.degrees(np.arccos(np.clip(up[2], -1, 1))) < 2.0
    finally:
        env.close()
