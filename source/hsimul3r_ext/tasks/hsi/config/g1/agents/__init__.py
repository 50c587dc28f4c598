"""Agent configurations of the G1's HSI tasks."""
