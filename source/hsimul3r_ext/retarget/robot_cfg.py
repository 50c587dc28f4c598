"""A robot's USD as an Isaac Lab `ArticulationCfg` (needs Isaac Lab; import on demand)."""

from __future__ import annotations

from pathlib import Path


def robot_articulation_cfg(
    usd_path: str | Path, root_height: float, prim_path: str = "{ENV_REGEX_NS}/Robot"
):  # -> isaaclab.assets.ArticulationCfg
    """Gains, effort, armature and limits are the file's own (`None` keeps what the USD authors), so the
    robot YAML stays the one place they are set."""
    import isaaclab.sim as sim_utils
    from isaaclab.actuators import ImplicitActuatorCfg
    from isaaclab.assets import ArticulationCfg

    return ArticulationCfg(
        prim_path=prim_path,
        spawn=sim_utils.UsdFileCfg(usd_path=str(usd_path)),
        init_state=ArticulationCfg.InitialStateCfg(pos=(0.0, 0.0, root_height)),
        actuators={"joints": ImplicitActuatorCfg(joint_names_expr=[".*"], stiffness=None, damping=None)},
    )
