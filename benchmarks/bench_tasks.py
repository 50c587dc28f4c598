"""Environment steps per second of `HSI-Sit` against Isaac Lab's own `Isaac-Humanoid`, in one process.

Both tasks run kitless on the same device (cpu) and backend (Newton, MuJoCo-Warp: each task's
`newton_mjwarp` preset) for each `--num_envs` (4 and 16 by default), with zero actions, after a warm-up.
Prints environment (policy) steps per second of each, solver steps per second (decimation x Newton
substeps: HSI-Sit 4 x 1 at 1/120 s, Isaac-Humanoid 2 x 2 at 1/240 s, so both take 4 solver steps per
environment step, though HSI-Sit's step covers twice the simulated time) and the ratio HSI-Sit / baseline
of environment steps per second. Then the share of HSI-Sit's step time spent in its
scene-contact reward term (`scene_contact`) and in the contact-vector observation (`contact_vectors_b`),
timed by wrapping the two manager terms (on CPU, work is synchronous, so wall time is the term's time).

Baseline: `Isaac-Humanoid`'s robot USD (`Robots/IsaacSim/Humanoid/humanoid_instanceable.usd`) and its
ground plane are Nucleus assets, which cannot be reached here (no `omni.client`, no network). The baseline
is therefore Isaac-Humanoid's own configuration (MDP, physics preset, actuators, gears) with two local
substitutions, said in the output: the robot is the same MuJoCo humanoid (`nv_humanoid`) as bundled with
Newton (`newton/examples/assets/humanoid.usda`, whose joints are named after the MJCF's, so Isaac-Humanoid's
joint expressions are mapped: `pelvis` -> `abdomen_x`, `_shin` -> `_knee`, `_lower_arm` -> `_elbow`), and
the ground is a local box collider as in the HSI tasks.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import gymnasium as gym
import torch

# Isaac-Humanoid joint expression -> the joint of Newton's nv_humanoid USD it stands for
JOINT_RENAMES = {"pelvis": "abdomen_x", ".*_shin": ".*_knee", ".*_lower_arm": ".*_elbow"}
HUMANOID_USD = "examples/assets/humanoid.usda"  # inside the `newton` package


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--num_envs", type=int, nargs="+", default=[4, 16], help="environment counts")
    parser.add_argument("--steps", type=int, default=60, help="timed environment steps per task and count")
    parser.add_argument("--warmup", type=int, default=10, help="untimed environment steps first")
    parser.add_argument("--device", default="cpu")
    return parser.parse_args()


def renamed(mapping: dict) -> dict:
    return {JOINT_RENAMES.get(key, key): value for key, value in mapping.items()}


def humanoid_cfg(num_envs: int, device: str):
    """Isaac-Humanoid's configuration, with the local nv_humanoid USD and a local box ground."""
    import isaaclab_tasks  # noqa: F401  (registers Isaac-Humanoid)
    import newton
    from isaaclab.utils import replace
    from isaaclab_tasks.utils.hydra import resolve_presets
    from isaaclab_tasks.utils.parse_cfg import load_cfg_from_registry

    from hsimul3r_ext.tasks.hsi.hsi_env_cfg import HSISceneCfg

    cfg = resolve_presets(load_cfg_from_registry("Isaac-Humanoid", "env_cfg_entry_point"))
    cfg.scene.num_envs, cfg.sim.device = num_envs, device
    cfg.scene.robot.spawn.usd_path = str(Path(newton.__file__).parent / HUMANOID_USD)
    actuator = cfg.scene.robot.actuators["body"]
    actuator.stiffness, actuator.damping = renamed(actuator.stiffness), renamed(actuator.damping)
    cfg.actions.joint_effort.scale = renamed(cfg.actions.joint_effort.scale)
    cfg.actions.joint_effort.clip = renamed(cfg.actions.joint_effort.clip)
    cfg.rewards.energy.params["gear_ratio"] = renamed(cfg.rewards.energy.params["gear_ratio"])
    cfg.rewards.joint_pos_limits.params["gear_ratio"] = renamed(cfg.rewards.joint_pos_limits.params["gear_ratio"])
    cfg.scene.terrain = replace(HSISceneCfg().ground, prim_path="/World/ground")
    return cfg


def hsi_cfg(num_envs: int, device: str):
    from isaaclab_tasks.utils.hydra import resolve_presets
    from isaaclab_tasks.utils.parse_cfg import load_cfg_from_registry

    import hsimul3r_ext.tasks  # noqa: F401  (registers HSI-Sit)

    cfg = resolve_presets(load_cfg_from_registry("HSI-Sit", "env_cfg_entry_point"))
    cfg.scene.num_envs, cfg.sim.device = num_envs, device
    return cfg


class Timed:
    """A manager term's callable that adds its wall time to `seconds`; every other attribute (`reset`, ...)
    is the wrapped term's, so class-based terms keep working."""

    def __init__(self, func) -> None:
        self.func, self.seconds, self.calls = func, 0.0, 0

    def __call__(self, *args, **kwargs):
        start = time.perf_counter()
        value = self.func(*args, **kwargs)
        self.seconds += time.perf_counter() - start
        self.calls += 1
        return value

    def __getattr__(self, name: str):
        return getattr(self.func, name)


def wrap_contact_terms(env) -> dict[str, Timed]:
    """Wrap HSI-Sit's scene-contact reward term and contact-vector observation term with timers."""
    reward_cfg = env.reward_manager.get_term_cfg("scene_contact")
    reward_cfg.func = timers_reward = Timed(reward_cfg.func)
    observations = env.observation_manager
    names = observations.active_terms["policy"]
    obs_cfg = observations._group_obs_term_cfgs["policy"][names.index("contact_vectors")]
    obs_cfg.func = timers_obs = Timed(obs_cfg.func)
    return {"reward scene_contact": timers_reward, "observation contact_vectors": timers_obs}


def run(task: str, cfg, steps: int, warmup: int, timers: bool = False) -> tuple[float, float, dict[str, Timed]]:
    """(env steps/s, solver steps per env step, term timers): `steps` zero-action steps after `warmup` ones."""
    env = gym.make(task, cfg=cfg)
    try:
        terms = wrap_contact_terms(env.unwrapped) if timers else {}
        env.reset(seed=0)
        actions = torch.zeros(env.action_space.shape, device=cfg.sim.device)
        for _ in range(warmup):
            env.step(actions)
        for timer in terms.values():
            timer.seconds, timer.calls = 0.0, 0
        start = time.perf_counter()
        for _ in range(steps):
            env.step(actions)
        elapsed = time.perf_counter() - start
        for timer in terms.values():
            timer.seconds /= elapsed  # share of the step time
        return steps / elapsed, cfg.decimation * cfg.sim.physics.num_substeps, terms
    finally:
        env.close()


def main() -> None:
    args = parse_args()
    from isaaclab.utils.assets import ISAAC_NUCLEUS_DIR

    print(f"HSI-Sit vs Isaac-Humanoid: {args.device}, Newton MuJoCo-Warp, zero actions, "
          f"{args.warmup} warm-up + {args.steps} timed steps, torch {torch.get_num_threads()} threads")  # fmt: skip
    print(f"    baseline: Isaac-Humanoid's robot ({ISAAC_NUCLEUS_DIR}/Robots/IsaacSim/Humanoid/...) and ground plane")
    print("    are Nucleus assets, unreachable here: it runs with Newton's bundled nv_humanoid USD (same MJCF")
    print(f"    humanoid, joints mapped {JOINT_RENAMES}) and a local box ground")
    rows = []
    for num_envs in args.num_envs:
        base_sps, base_dec, _ = run("Isaac-Humanoid", humanoid_cfg(num_envs, args.device), args.steps, args.warmup)
        hsi_sps, hsi_dec, terms = run("HSI-Sit", hsi_cfg(num_envs, args.device), args.steps, args.warmup, True)
        rows.append((num_envs, base_sps, base_dec, hsi_sps, hsi_dec, terms))
    print(f"    {'envs':>5} {'task':>15} {'env steps/s':>12} {'env x envs/s':>13} {'solver steps/s':>15}")
    for num_envs, base_sps, base_dec, hsi_sps, hsi_dec, terms in rows:
        for task, sps, dec in (("Isaac-Humanoid", base_sps, base_dec), ("HSI-Sit", hsi_sps, hsi_dec)):
            print(f"    {num_envs:>5} {task:>15} {sps:>12.1f} {sps * num_envs:>13.1f} {sps * dec:>15.1f}")
        print(f"    {num_envs:>5} ratio HSI-Sit / Isaac-Humanoid env steps/s: {hsi_sps / base_sps:.2f} "
              f"(solver steps/s: {hsi_sps * hsi_dec / (base_sps * base_dec):.2f})")  # fmt: skip
        shares = ", ".join(f"{name} {timer.seconds:.1%}" for name, timer in terms.items())
        print(f"    {num_envs:>5} share of HSI-Sit's step time: {shares}")


if __name__ == "__main__":
    main()
