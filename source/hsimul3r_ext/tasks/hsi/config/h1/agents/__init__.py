"""Agent configurations of the H1's HSI tasks."""
