"""HSI tasks for the Unitree G1 (29 DoF): HSI-Track-G1, HSI-Sit-G1, HSI-Lie-G1, HSI-Lean-G1 (+ `-Play`)."""

from ..robot_tasks import register_robot_tasks

register_robot_tasks("G1", __name__)
