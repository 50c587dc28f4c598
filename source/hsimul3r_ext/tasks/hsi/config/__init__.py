"""Registered HSI task variants, one package per humanoid."""

from . import smpl_humanoid  # noqa: F401
