"""The robots' HSI tasks: registration, cases retargeted on first use, the BeyondMimic terms on a live HSI-Sit-G1
environment (kitless Newton, CPU), and the issue's check: two training iterations through `scripts/train.py`,
then play, whose ONNX export onnxruntime runs at the recorded observation size, then the policy's evaluation
(success rate, tracking error, the judge on its rollout).

Everything runs against its own cache (`HSIMUL3R_CACHE_DIR`), so the bundled chair is converted and retargeted
here exactly as a user's first run does it. Runtime: ~3 min on 2 CPU cores.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hsi_training import default_sigint, play_then_stop

from hsimul3r_ext.retarget.robot_case import load_retargeted
from hsimul3r_ext.retarget.robot_model import load_robot
from hsimul3r_ext.tasks.hsi.cases import EXAMPLES_DIR, retargeted_folder
from hsimul3r_ext.tasks.hsi.robot_rollout import evaluate_robot_policy

REPO = Path(__file__).resolve().parents[1]
TASK_IDS = [
    f"HSI-{name}-{robot}{suffix}" for robot in ("G1", "H1") for name in ("Track", "Sit", "Lie", "Lean")
    for suffix in ("", "-Play")
]  # fmt: skip
NUM_ENVS = 2


@pytest.fixture(scope="module")
def robot_cache(tmp_path_factory: pytest.TempPathFactory):
    """The cache of this module's tasks and of the training child processes."""
    root = tmp_path_factory.mktemp("robot_cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HSIMUL3R_CACHE_DIR", str(root))
        yield root


@pytest.fixture(scope="module")
def sit_g1(robot_cache: Path) -> Path:
    return retargeted_folder(EXAMPLES_DIR / "sit_chair_clean", "g1")


def test_robot_tasks_are_registered_and_found_through_the_entry_point() -> None:
    import gymnasium as gym
    from isaaclab.cli import load_external_tasks

    load_external_tasks()
    for task in TASK_IDS:
        spec = gym.spec(task)
        assert spec.entry_point == "hsimul3r_ext.tasks.hsi.hsi_env:HSIEnv"
        assert spec.kwargs["env_cfg_entry_point"].endswith("_PLAY") == task.endswith("-Play")
        assert f".config.{task.split('-')[2].lower()}.agents." in spec.kwargs["rsl_rl_cfg_entry_point"]


def test_a_case_is_retargeted_once_and_read_back_with_the_robot_in_the_humans_place(
    robot_cache: Path, sit_g1: Path
) -> None:
    assert sit_g1.parent == robot_cache / "retargeted" and (sit_g1 / "robot_motion.npz").is_file()
    stamp = (sit_g1 / "retarget.json").stat().st_mtime_ns
    assert retargeted_folder(EXAMPLES_DIR / "sit_chair_clean", "g1") == sit_g1  # cache hit
    assert (sit_g1 / "retarget.json").stat().st_mtime_ns == stamp
    assert retargeted_folder(sit_g1, "g1") == sit_g1  # a retarget folder as it is

    scene = load_retargeted(sit_g1)
    robot = load_robot("g1")
    assert scene.humanoid.body_names == robot.body_names and scene.humanoid.dof_names == robot.joint_names
    assert scene.humanoid.usd_file == sit_g1 / "robot" / "g1.usd" and scene.humanoid.usd_file.is_file()
    assert (scene.folder / "convert.json").is_file() and [o.name for o in scene.objects] == ["chair"]
    assert (
        "pelvis" in scene.contact_body_names and scene.contact_labels[:, scene.contact_body_names.index("pelvis")].any()
    )


def test_a_retarget_folder_of_another_robot_version_is_one_clear_error(tmp_path: Path, sit_g1: Path) -> None:
    from hsimul3r_ext.hsi.errors import CaseError

    folder = tmp_path / "old"
    folder.mkdir()
    report = json.loads((sit_g1 / "retarget.json").read_text())
    del report["robot_config"]
    (folder / "retarget.json").write_text(json.dumps(report))
    with pytest.raises(CaseError, match="robot_config"):
        load_retargeted(folder)


# --- one live HSI-Sit-G1 environment --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sit_g1_env(sit_g1: Path):
    import gymnasium as gym
    from isaaclab_tasks.utils.hydra import resolve_presets
    from isaaclab_tasks.utils.parse_cfg import load_cfg_from_registry

    import hsimul3r_ext.tasks  # noqa: F401

    cfg = resolve_presets(load_cfg_from_registry("HSI-Sit-G1", "env_cfg_entry_point"))
    cfg.scene.num_envs = NUM_ENVS
    cfg.sim.device = "cpu"
    env = gym.make("HSI-Sit-G1", cfg=cfg)
    yield env
    env.close()


@pytest.mark.filterwarnings("ignore:Newton shape color replacement:FutureWarning")
def test_the_robot_starts_on_its_retargeted_motion_and_tracks_it_from_its_torso(sit_g1_env, sit_g1: Path) -> None:
    import torch
    from isaaclab.utils.math import quat_mul

    from hsimul3r_ext.tasks.hsi import mdp

    env = sit_g1_env.unwrapped
    assert env.layout.folders == [sit_g1]
    obs, _ = sit_g1_env.reset()
    robot, command = env.scene["robot"], env.command_manager.get_term("motion")
    # the USD articulation in the reference's state puts every link where MuJoCo's kinematics of the robot did
    error = (robot.data.body_pos_w.torch - command.state.body_pos_w).norm(dim=-1)
    assert float(error.max()) < 0.01, float(error.max())
    assert robot.body_names[command.anchor_index] == "torso_link"
    assert float(mdp.reference_anchor_pos_b(env, "motion").abs().max()) < 0.01
    columns = mdp.reference_anchor_ori_b(env, "motion")
    assert torch.allclose(columns, torch.tensor([1.0, 0, 0, 1, 0, 0]).expand_as(columns), atol=0.02)
    for term in ("anchor_pos", "anchor_rot", "body_pos", "body_rot"):
        cfg = env.reward_manager.get_term_cfg(term)
        assert bool((cfg.func(env, **cfg.params) > 0.98).all()), term
    joints, contacts = robot.num_joints, len(env.layout.contact_body_names)
    assert joints == 29 and set(env.layout.contact_body_names) <= set(robot.body_names)
    assert obs["policy"].shape == (NUM_ENVS, 5 * joints + 15 + 4 * contacts)

    # a robot turned away (a quarter turn about the vertical) keeps its relative target, the reference turned with
    # it, but loses the anchor's orientation
    quarter = torch.tensor([[0.0, 0.0, 0.7071068, 0.7071068]] * NUM_ENVS)
    turned = torch.cat([robot.data.root_pos_w.torch, quat_mul(quarter, robot.data.root_quat_w.torch)], -1)
    robot.write_root_pose_to_sim_index(root_pose=turned, env_ids=torch.arange(NUM_ENVS))
    env.scene.update(0.0)
    target_pos, _ = command.relative_body_pose_w()
    relative = (robot.data.body_pos_w.torch - target_pos).norm(dim=-1)
    assert float(relative.max()) < 0.02
    anchor_rot = env.reward_manager.get_term_cfg("anchor_rot")
    assert bool((anchor_rot.func(env, **anchor_rot.params) < 0.1).all())

    actions = torch.zeros(sit_g1_env.action_space.shape)
    for _ in range(10):
        obs, reward, _, _, _ = sit_g1_env.step(actions)
        assert bool(obs["policy"].isfinite().all()) and bool(reward.isfinite().all())


# --- the check: train, play, export -----------------------------------------------------------------------


def test_hsi_sit_g1_trains_on_cpu_and_play_exports_an_onnx_policy_for_the_robot(
    robot_cache: Path, tmp_path: Path
) -> None:
    import onnx
    import onnxruntime

    command = [
        sys.executable, str(REPO / "scripts" / "train.py"), "--task", "HSI-Sit-G1", "--device", "cpu",
        "--num_envs", "4", "--max_iterations", "2", "agent.device=cpu",
    ]  # fmt: skip
    result = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, timeout=600, preexec_fn=default_sigint
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (run,) = (tmp_path / "logs" / "rsl_rl" / "hsi_sit_g1").iterdir()
    assert (run / "model_1.pt").is_file()

    play = [
        sys.executable, str(REPO / "scripts" / "play.py"), "--task", "HSI-Sit-G1-Play", "--device", "cpu",
        "--num_envs", "1", "--checkpoint", str(run / "model_1.pt"),
    ]  # fmt: skip
    play_then_stop(play, tmp_path, tmp_path / "play.log", stop_within_s=120)
    exported = run / "exported"
    model = onnx.load(str(exported / "policy.onnx"), load_external_data=False)
    meta = {p.key: json.loads(p.value) for p in model.metadata_props}
    robot = json.loads((Path(meta["cases"][0]) / "robot" / "robot.json").read_text())
    joints = robot["joints"]
    assert meta["joint_names"] == [j["name"] for j in joints] and meta["anchor_body"] == "torso_link"
    assert meta["joint_stiffness"] == pytest.approx([j["stiffness_nm_per_rad"] for j in joints], rel=1e-4)
    assert meta["joint_damping"] == pytest.approx([j["damping_nms_per_rad"] for j in joints], rel=1e-4)
    assert meta["action_scale"] == pytest.approx([0.25 * j["effort_nm"] / j["stiffness_nm_per_rad"] for j in joints])
    assert meta["action_offset"] == "default_joint_pos" and len(meta["default_joint_pos"]) == 29

    size = sum(term["size"] for term in meta["observation"]["policy"])
    session = onnxruntime.InferenceSession(str(exported / "policy.onnx"))
    (inputs,) = session.get_inputs()
    actions = session.run(None, {inputs.name: np.zeros((1, size), np.float32)})[0]
    assert actions.shape == (1, 29) and np.isfinite(actions).all()

    # the evaluation a GPU run reports (scripts/train_robot_policy.py): success rate, tracking error, the judge
    evaluation = evaluate_robot_policy(exported / "policy.pt", tmp_path / "evaluation", num_envs=2)
    assert 0.0 <= evaluation["success_rate"] <= 1.0 and evaluation["episodes"] == 2
    assert evaluation["judge"]["type"] in (2, 3, 4) and (tmp_path / "evaluation" / "judge" / "report.md").is_file()
    assert evaluation["body_pos_error_mm"]["mean"] > 0.0
    with (
        np.load(tmp_path / "evaluation" / "robot_motion.npz") as rolled,
        np.load(Path(meta["cases"][0]) / "robot_motion.npz") as retargeted,
    ):
        assert rolled["body_pos_w"].shape[1:] == (30, 3) and list(rolled["joint_names"]) == meta["joint_names"]
        assert abs(len(rolled["joint_pos"]) - len(retargeted["joint_pos"])) <= 1  # the clip at the control rate
