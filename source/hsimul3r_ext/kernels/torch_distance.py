"""The Warp signed distance as a differentiable torch operation.

The gradient of a signed distance is the unit vector from the nearest surface point to the query,
times the sign: the analytic normal. Optimisers (alignment, rewards) get it without differentiating
through the BVH.
"""

from __future__ import annotations

import torch

from .mesh_distance import MeshDistance


class _SignedDistance(torch.autograd.Function):
    @staticmethod
    def forward(ctx, points: torch.Tensor, field: MeshDistance, max_distance: float) -> torch.Tensor:
        distance, closest = field.query(points.detach().cpu().numpy(), max_distance=max_distance)
        distance_t = torch.as_tensor(distance, dtype=points.dtype, device=points.device)
        offset = points.detach() - torch.as_tensor(closest, dtype=points.dtype, device=points.device)
        length = offset.norm(dim=-1, keepdim=True)
        # Beyond max_distance the query returns the point itself: zero offset, zero gradient.
        direction = torch.where(length > 0, offset / length.clamp_min(1e-12), torch.zeros_like(offset))
        ctx.save_for_backward(direction * torch.sign(distance_t)[:, None])
        return distance_t

    @staticmethod
    def backward(ctx, grad_distance: torch.Tensor):
        (normal,) = ctx.saved_tensors
        return grad_distance[:, None] * normal, None, None


def signed_distance(field: MeshDistance, points: torch.Tensor, max_distance: float = 1.0e3) -> torch.Tensor:
    """Signed distance (N,) of `points` (N, 3) to the mesh, negative inside; differentiable in `points`."""
    return _SignedDistance.apply(points.reshape(-1, 3), field, max_distance)
