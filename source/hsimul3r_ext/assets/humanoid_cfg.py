"""The humanoid USD as an Isaac Lab `ArticulationCfg`, for tasks and tests."""

from __future__ import annotations

from pathlib import Path


def humanoid_articulation_cfg(
    usd_path: str | Path, prim_path: str = "{ENV_REGEX_NS}/Humanoid", pelvis_height: float = 1.0
):  # -> isaaclab.assets.ArticulationCfg
    """A local `UsdFileCfg` articulation whose PD gains, effort and joint limits are the file's own.

    `stiffness=None` / `damping=None` tell Isaac Lab to keep the drive gains authored in the USD, so
    the humanoid config is the single place where gains live.
    """
    import isaaclab.sim as sim_utils
    from isaaclab.actuators import ImplicitActuatorCfg
    from isaaclab.assets import ArticulationCfg

    return ArticulationCfg(
        prim_path=prim_path,
        spawn=sim_utils.UsdFileCfg(usd_path=str(usd_path)),
        init_state=ArticulationCfg.InitialStateCfg(pos=(0.0, 0.0, pelvis_height)),
        actuators={"body": ImplicitActuatorCfg(joint_names_expr=[".*"], stiffness=None, damping=None)},
    )
