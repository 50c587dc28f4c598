"""HSI tasks for the Unitree H1 (19 DoF): HSI-Track-H1, HSI-Sit-H1, HSI-Lie-H1, HSI-Lean-H1 (+ `-Play`)."""

from ..robot_tasks import register_robot_tasks

register_robot_tasks("H1", __name__)
