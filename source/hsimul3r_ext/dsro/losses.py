"""Flow-matching loss and the two DSRO objectives (DSO, Li et al. 2025), as per-sample tensors.

l_theta(x0) = mean || v_theta(x_t, t, c) - (eps - x0) ||^2 with x_t = (1 - t) x0 + t eps.
DPO: -log sigmoid(-(beta / 2) [(l_theta(w) - l_theta(l)) - (l_ref(w) - l_ref(l))]), a frozen reference.
DRO: l_theta(w) - l_theta(l), no reference. Winner, loser and reference share t and eps.
"""

from __future__ import annotations

import torch

from .generator import FlowGenerator


def sample_times(
    count: int, generator: torch.Generator | None = None, mean: float = 1.0, std: float = 1.0
) -> torch.Tensor:
    """t = sigmoid(n), n ~ N(mean, std) (logit-normal; DSO's n ~ N(1, 1) leans to noisier times)."""
    return torch.sigmoid(mean + std * torch.randn(count, generator=generator))


def flow_loss(
    model: FlowGenerator, x0: torch.Tensor, condition: torch.Tensor, t: torch.Tensor, noise: torch.Tensor
) -> torch.Tensor:
    """Per-sample flow-matching loss (B,)."""
    shape = (-1,) + (1,) * (x0.dim() - 1)
    x_t = (1 - t.view(shape)) * x0 + t.view(shape) * noise
    error = model.velocity(x_t, t, condition) - (noise - x0)
    return error.pow(2).flatten(1).mean(dim=1)


def dpo_loss(
    loss_win: torch.Tensor, loss_lose: torch.Tensor, ref_win: torch.Tensor, ref_lose: torch.Tensor, beta: float
) -> torch.Tensor:
    """Per-pair DPO loss (Diffusion-DPO's form with DSO's beta / 2)."""
    margin = (loss_win - loss_lose) - (ref_win - ref_lose)
    return -torch.nn.functional.logsigmoid(-(beta / 2) * margin)


def dro_loss(loss_win: torch.Tensor, loss_lose: torch.Tensor) -> torch.Tensor:
    """Per-pair DRO loss: lower the winner's error, raise the loser's."""
    return loss_win - loss_lose
