"""The HSI tasks: registration, case resolution, the MDP on a live environment (kitless Newton, CPU), training.

One HSI-Sit environment (2 envs) is shared by the environment tests; training and playback run as
subprocesses through `scripts/train.py` / `scripts/play.py`, in a temporary working directory.
Runtime: ~2 min in all on 2 CPU cores (training ~40 s, playback ~30 s, conversions ~10 s, the environment ~15 s).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hsi_training import PLAYBACK_RUNNING, ignore_sigint, play_then_stop, train_hsi_sit

from hsimul3r_ext.tasks.cli_args import rsl_rl_argv
from hsimul3r_ext.tasks.hsi import export
from hsimul3r_ext.tasks.hsi.cases import EXAMPLES_DIR, converted_folder, parse_case_list
from hsimul3r_ext.tasks.hsi.motion_library import MotionLibrary, motion_dof_names
from hsimul3r_ext.tasks.hsi.training_record import TrainingRecord, hydra_overrides, merge_overrides

REPO = Path(__file__).resolve().parents[1]
TASK_IDS = [f"HSI-{name}{suffix}" for name in ("Track", "Sit", "Lie", "Lean") for suffix in ("", "-Play")]
NUM_ENVS = 2


@pytest.fixture(scope="session")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("converted")


@pytest.fixture(scope="session")
def sit_case(cache: Path) -> Path:
    return converted_folder(EXAMPLES_DIR / "sit_chair_clean", cache)


# --- registration and case resolution (no simulation) ----------------------------------------------------------


def test_tasks_are_registered_and_found_through_the_entry_point() -> None:
    import gymnasium as gym
    from isaaclab.cli import load_external_tasks

    load_external_tasks()  # what `isaaclab train/play/list_envs` do: the `isaaclab.tasks` entry point
    for task in TASK_IDS:
        spec = gym.spec(task)
        assert spec.entry_point == "hsimul3r_ext.tasks.hsi.hsi_env:HSIEnv"
        assert spec.kwargs["default_agent"] == "rsl_rl"
        assert spec.kwargs["env_cfg_entry_point"].endswith("_PLAY") == task.endswith("-Play")


def test_a_case_is_converted_once_and_a_converted_folder_is_used_as_is(cache: Path, sit_case: Path) -> None:
    assert sit_case.parent == cache and (sit_case / "humanoid_motion.npz").is_file()
    report = (sit_case / "convert.json").stat().st_mtime_ns
    assert converted_folder(EXAMPLES_DIR / "sit_chair_clean", cache) == sit_case  # cache hit
    assert (sit_case / "convert.json").stat().st_mtime_ns == report
    assert converted_folder(sit_case) == sit_case


def test_case_lists_from_hydra_text() -> None:
    assert parse_case_list("[a/b,c]") == ["a/b", "c"]
    assert parse_case_list("['a', 'c']") == ["a", "c"]
    assert parse_case_list(["a"]) == ["a"]


def test_cli_defaults_to_rsl_rl_and_the_simulation_device() -> None:
    assert rsl_rl_argv(["--task", "HSI-Sit", "--device", "cpu"]) == [
        "--rl_library", "rsl_rl", "--task", "HSI-Sit", "--device", "cpu", "agent.device=cpu",
    ]  # fmt: skip
    assert rsl_rl_argv(["--rl_library=skrl", "--device", "cpu", "agent.device=cuda:0"])[-1] == "agent.device=cuda:0"


def test_recorded_overrides_rebuild_the_trained_cases_and_yield_to_given_ones(tmp_path: Path) -> None:
    argv = ["--task", "HSI-Track", "--device=cpu", "env.cases=[a,b]", "physics=newton_mjwarp", "agent.device=cpu"]
    assert hydra_overrides(argv) == ["env.cases=[a,b]", "physics=newton_mjwarp", "agent.device=cpu"]
    converted = [tmp_path / "a-0123", tmp_path / "b-4567"]
    record = TrainingRecord("HSI-Track", ("env.cases=[a,b]", "env.sim.dt=0.01"), tuple(str(c) for c in converted))
    assert record.env_overrides() == ["env.cases=[a,b]", "env.sim.dt=0.01"]  # converted folders gone: convert again
    for folder in converted:
        folder.mkdir()
    assert record.env_overrides() == ["env.sim.dt=0.01", f"env.cases=[{converted[0]},{converted[1]}]"]
    assert merge_overrides(record.overrides, ["env.sim.dt=0.02"]) == ["env.cases=[a,b]", "env.sim.dt=0.02"]


def test_export_without_a_record_asks_for_the_task(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "model_1.pt").write_bytes(b"")
    with pytest.raises(SystemExit) as exit_info:
        export.main([str(tmp_path / "model_1.pt"), str(tmp_path / "out")])
    assert exit_info.value.code == 2 and "no hsi_training.json: pass --task" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


FAKE_PLAYER = f"""
import time
print({PLAYBACK_RUNNING!r}, flush=True)
try:
    while True:
        time.sleep(0.1)
except KeyboardInterrupt:
    pass
"""
"""Plays until Ctrl+C as Isaac Lab's player does, in a second."""


def test_the_test_helper_stops_players_when_the_tests_run_as_a_background_job(tmp_path: Path) -> None:
    """`make test &`, `nohup`, job runners: the test run has SIGINT ignored, which its children would inherit."""
    helper = (
        f"import sys; sys.path.insert(0, {str(REPO / 'tests')!r}); from pathlib import Path; "
        f"from hsi_training import play_then_stop; "
        f"play_then_stop([sys.executable, '-c', {FAKE_PLAYER!r}], Path({str(tmp_path)!r}), "
        f"Path({str(tmp_path / 'play.log')!r}), timeout_s=20)"
    )
    result = subprocess.run(
        [sys.executable, "-c", helper], capture_output=True, text=True, timeout=60, preexec_fn=ignore_sigint
    )
    assert result.returncode == 0, result.stderr[-3000:]


def test_newton_dof_names_map_to_the_motion_columns_by_hinge_order(sit_case: Path) -> None:
    with np.load(sit_case / "humanoid_motion.npz") as data:
        columns = motion_dof_names(data, sit_case / "humanoid_motion.npz")
        names = [str(n) for n in data["joint_names"]]
    assert len(columns) == 69
    assert names[columns["left_hip_0_y:1"]] == "left_hip_x"  # hinge order yxz
    assert names[columns["left_shoulder_0_x:1"]] == "left_shoulder_z"  # hinge order xzy


def test_motion_library_interpolates_between_frames(sit_case: Path) -> None:
    import torch

    with np.load(sit_case / "humanoid_motion.npz") as data:
        bodies, fps, pos = [str(n) for n in data["body_names"]], float(data["fps"]), data["body_pos_w"]
        dofs = list(motion_dof_names(data, sit_case / "humanoid_motion.npz"))
    library = MotionLibrary([sit_case / "humanoid_motion.npz"], bodies, dofs, "cpu")
    state = library.state(torch.tensor([0, 0]), torch.tensor([10.5 / fps, 1.0e3]))
    np.testing.assert_allclose(state.body_pos_w[0].numpy(), 0.5 * (pos[10] + pos[11]), atol=1e-5)
    np.testing.assert_allclose(state.body_pos_w[1].numpy(), pos[-1], atol=1e-6)  # past the end: last frame
    assert torch.allclose(state.body_quat_w.norm(dim=-1), torch.ones(2, len(bodies)))


def test_other_cases_objects_are_parked_away_from_each_environment(cache: Path, sit_case: Path) -> None:
    import torch

    from hsimul3r_ext.tasks.hsi.layout import PARK_DISTANCE_M, HSILayout

    layout = HSILayout([str(sit_case), str(EXAMPLES_DIR / "lie_sofa_clean")], cache_dir=str(cache))
    assert [(o.asset_name, o.case) for o in layout.objects] == [("chair", 0), ("sofa", 1)]
    pos, quat = layout.object_poses(layout.env_cases(3, "cpu"))
    assert pos.shape == (3, 2, 3) and quat.shape == (3, 2, 4)
    chair, sofa = (torch.as_tensor(o.position, dtype=torch.float32) for o in layout.objects)
    assert torch.allclose(pos[0, 0], chair) and torch.allclose(pos[1, 1], sofa) and torch.allclose(pos[2, 0], chair)
    assert pos[0, 1, 0] >= PARK_DISTANCE_M and pos[1, 0, 0] >= PARK_DISTANCE_M


# --- one live HSI-Sit environment ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sit_env(sit_case: Path):
    import gymnasium as gym
    from isaaclab_tasks.utils.hydra import resolve_presets
    from isaaclab_tasks.utils.parse_cfg import load_cfg_from_registry

    import hsimul3r_ext.tasks  # noqa: F401

    cfg = resolve_presets(load_cfg_from_registry("HSI-Sit", "env_cfg_entry_point"))
    cfg.cases = [str(sit_case)]
    cfg.scene.num_envs = NUM_ENVS
    cfg.sim.device = "cpu"
    env = gym.make("HSI-Sit", cfg=cfg)
    yield env
    env.close()


def body_error(env):
    """Mean distance [m] of the humanoid's bodies to the reference, per environment."""
    robot, command = env.unwrapped.scene["robot"], env.unwrapped.command_manager.get_term("motion")
    return (robot.data.body_pos_w.torch - command.state.body_pos_w).norm(dim=-1).mean(-1)


@pytest.mark.filterwarnings("ignore:Newton shape color replacement:FutureWarning")
def test_env_resets_at_the_reference_and_steps_with_finite_observations(sit_env) -> None:
    import torch

    env = sit_env.unwrapped
    obs, _ = sit_env.reset()
    assert float(body_error(sit_env).max()) < 0.01  # reference state initialisation
    robot = env.scene["robot"]
    joints, bodies, contacts = robot.num_joints, robot.num_bodies, len(env.layout.contact_body_names)
    assert (joints, bodies, contacts) == (69, 24, 5)
    size = 3 * joints + 10 + 6 * bodies + 4 * contacts  # the layout documented on ObservationsCfg.PolicyCfg
    assert obs["policy"].shape == (NUM_ENVS, size) == (NUM_ENVS, 381)
    actions = torch.zeros(sit_env.action_space.shape)
    for _ in range(20):
        obs, reward, _, _, _ = sit_env.step(actions)
        assert bool(obs["policy"].isfinite().all()) and bool(reward.isfinite().all())


@pytest.mark.filterwarnings("ignore:Newton shape color replacement:FutureWarning")
def test_contact_reward_is_higher_with_the_pelvis_on_the_seat(sit_env) -> None:
    import torch

    from hsimul3r_ext.tasks.hsi.mdp.events import write_reference_state

    env = sit_env.unwrapped
    sit_env.reset()
    command = env.command_manager.get_term("motion")
    pelvis = command.contact_body_names.index("pelvis")
    seated = int(torch.nonzero(command.reference_contact[:, pelvis])[len(command.reference_contact) // 10])
    ids = torch.arange(NUM_ENVS)
    command.set_time(ids, torch.full((NUM_ENVS,), seated / float(command.motion.fps[0])))
    assert bool(command.contact_now()[:, pelvis].all())
    write_reference_state(env, ids, "motion")
    term = env.reward_manager.get_term_cfg("scene_contact")
    on_seat = term.func(env, **term.params)

    robot = env.scene["robot"]
    lifted = torch.cat([robot.data.root_pos_w.torch + torch.tensor([0.0, 0.0, 0.3]), robot.data.root_quat_w.torch], -1)
    robot.write_root_pose_to_sim_index(root_pose=lifted, env_ids=ids)
    above = term.func(env, **term.params)
    assert bool((on_seat > 0.9).all()) and bool((above < on_seat - 0.25).all()), (on_seat, above)


def test_adaptive_sampling_draws_failing_phases_and_the_ones_before(sit_env) -> None:
    import torch

    command = sit_env.unwrapped.command_manager.get_term("motion")
    saved = command.bin_failures.clone()
    try:
        bins = int(command.num_bins[0])
        assert bins == int(np.ceil(float(command.motion.duration[0]) / command.cfg.bin_duration_s))
        command.bin_failures.zero_()
        assert torch.allclose(command.sampling_probabilities()[0, :bins], torch.full((bins,), 1.0 / bins))
        command.bin_failures[0, 4] = 1.0
        probs = command.sampling_probabilities()[0, :bins]
        assert int(probs.argmax()) == 4 and probs[3] > probs[5] and probs[2] > probs[5]
        assert float(probs.min()) >= command.cfg.uniform_ratio / bins - 1e-6  # no phase is forgotten
        assert float(probs.sum()) == pytest.approx(1.0)
    finally:
        command.bin_failures.copy_(saved)


# --- training and playback through the scripts ------------------------------------------------------------------


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory: pytest.TempPathFactory, sit_case: Path) -> Path:
    return train_hsi_sit(tmp_path_factory.mktemp("train"), sit_case, num_envs=4)


def test_two_training_iterations_on_cpu_write_a_checkpoint_and_what_they_trained_on(
    trained_run: Path, sit_case: Path
) -> None:
    assert (trained_run / "model_1.pt").is_file()
    metadata = json.loads((trained_run / "hsi_policy.json").read_text())
    assert len(metadata["joint_names"]) == len(metadata["default_joint_pos"]) == len(metadata["joint_stiffness"]) == 69
    assert sum(term["size"] for term in metadata["observation"]["policy"]) == 381
    record = json.loads((trained_run / "hsi_training.json").read_text())
    assert record == {"task": "HSI-Sit", "overrides": [f"env.cases=[{sit_case}]"], "cases": [str(sit_case)]}


def test_play_exports_with_metadata_and_stops_on_ctrl_c_though_started_ignoring_it(
    trained_run: Path, sit_case: Path
) -> None:
    """Started as a background job's child (SIGINT ignored), the player still ends on Ctrl+C."""
    import onnx

    # no env.cases: the player takes the trained ones from the run's hsi_training.json
    command = [
        sys.executable, str(REPO / "scripts" / "play.py"), "--task", "HSI-Sit-Play", "--device", "cpu",
        "--num_envs", "1", "--checkpoint", str(trained_run / "model_1.pt"),
    ]  # fmt: skip
    exported = trained_run / "exported"
    work = trained_run.parents[3]
    play_then_stop(command, work, work / "play.log", stop_within_s=120, sigint_ignored=True)
    assert (exported / "policy.pt").is_file() and (exported / "hsi_policy.json").is_file()
    assert json.loads((exported / "hsi_policy.json").read_text())["cases"] == [str(sit_case)]
    assert (exported / "hsi_training.json").read_text() == (trained_run / "hsi_training.json").read_text()
    model = onnx.load(str(exported / "policy.onnx"), load_external_data=False)
    props = {p.key: json.loads(p.value) for p in model.metadata_props}
    assert props["joint_names"][0] == "left_hip_0_y:0" and props["action_scale"] == 0.5
    assert model.graph.input[0].type.tensor_type.shape.dim[1].dim_value == 381
