"""Agent configurations of the SMPL-humanoid HSI tasks."""
