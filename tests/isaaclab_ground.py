"""The ground the kitless Isaac Lab tests stand things on: a 4 m collision slab whose top is z = 0."""

from __future__ import annotations

import isaaclab.sim as sim_utils
from isaaclab.assets import AssetBaseCfg


def ground_cfg() -> AssetBaseCfg:
    return AssetBaseCfg(
        prim_path="/World/Ground",
        spawn=sim_utils.CuboidCfg(size=(4.0, 4.0, 0.1), collision_props=sim_utils.UsdPhysicsCollisionCfg()),
        init_state=AssetBaseCfg.InitialStateCfg(pos=(0.0, 0.0, -0.05)),
    )
