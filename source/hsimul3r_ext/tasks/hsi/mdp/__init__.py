"""MDP terms of the HSI tasks, next to Isaac Lab's own (imported here too, as Isaac Lab's task packages do).

`__all__` lists this package's own terms.
"""

from isaaclab.envs.mdp import *  # noqa: F403

from .actions import ReferenceJointPositionAction, ReferenceJointPositionActionCfg
from .commands import MotionCommand, MotionCommandCfg
from .events import randomize_objects, reset_objects, reset_to_reference
from .observations import contact_vectors_b, reference_body_pos_b, reference_contact
from .rewards import (
    scene_contact,
    track_body_ang_vel_exp,
    track_body_lin_vel_exp,
    track_body_pos_exp,
    track_body_rot_exp,
    track_root_pos_exp,
    track_root_rot_exp,
)
from .terminations import body_position_error, reference_finished
from .tracking import (
    anchor_height_error,
    anchor_tilt_error,
    body_height_error,
    reference_anchor_ori_b,
    reference_anchor_pos_b,
    track_anchor_pos_exp,
    track_anchor_rot_exp,
    track_relative_body_pos_exp,
    track_relative_body_rot_exp,
)

__all__ = [
    "MotionCommand",
    "MotionCommandCfg",
    "ReferenceJointPositionAction",
    "ReferenceJointPositionActionCfg",
    "anchor_height_error",
    "anchor_tilt_error",
    "body_height_error",
    "body_position_error",
    "contact_vectors_b",
    "randomize_objects",
    "reference_anchor_ori_b",
    "reference_anchor_pos_b",
    "reference_body_pos_b",
    "reference_contact",
    "reference_finished",
    "reset_objects",
    "reset_to_reference",
    "scene_contact",
    "track_anchor_pos_exp",
    "track_anchor_rot_exp",
    "track_body_ang_vel_exp",
    "track_body_lin_vel_exp",
    "track_body_pos_exp",
    "track_body_rot_exp",
    "track_relative_body_pos_exp",
    "track_relative_body_rot_exp",
    "track_root_pos_exp",
    "track_root_rot_exp",
]
