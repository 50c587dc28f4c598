"""The alignment's loss terms (paper Sec. 3.2), each a small torch function of world-frame quantities."""

from __future__ import annotations

import torch


def ground_loss(object_lowest_z: torch.Tensor, skin_lowest_z: torch.Tensor) -> torch.Tensor:
    """Floor objects rest on the floor (lowest point at z = 0); no skin below the floor in any frame."""
    objects = object_lowest_z.pow(2).sum()
    return objects + torch.relu(-skin_lowest_z).pow(2).mean()


def non_contact_loss(
    object_points: torch.Tensor, part_skin: torch.Tensor, part_of: torch.Tensor, parts: int, region_m: float
) -> torch.Tensor:
    """For body parts meant to touch an object they do not reach: per part, the mean distance from the
    object's vertices to the closest point of the part's skin (the paper's non-contact term).

    Only the object's vertices within `region_m` of its closest one count: over the whole object the
    mean pulls the object's centre onto the part, sideways too; near the part it closes the gap.
    `part_skin` (P, 3) holds the skin of `parts` parts, `part_of` (P,) says which part each point is.
    Returns (parts,)."""
    distance = torch.cdist(object_points, part_skin)  # (N, P)
    index = part_of.expand(len(object_points), -1)
    empty = distance.new_full((len(object_points), parts), float("inf"))
    to_part = empty.scatter_reduce(1, index, distance, "amin", include_self=True)  # (N, parts)
    region = (to_part <= to_part.min(dim=0).values + region_m).detach()
    return (to_part * region).sum(dim=0) / region.sum(dim=0)


def contact_loss(signed_distance: torch.Tensor) -> torch.Tensor:
    """Mean squared penetration depth of the skin vertices inside the object; zero when none is."""
    depth = torch.relu(-signed_distance)
    inside = depth > 0
    if not bool(inside.any()):
        return depth.sum()  # zero, still connected to the graph
    return depth[inside].pow(2).mean()


def prior_loss(
    translation_m: torch.Tensor, rotation_rad: torch.Tensor, log_scale: torch.Tensor, scales: tuple[float, float, float]
) -> torch.Tensor:
    """Squared moves away from the reconstruction, each in units of its prior scale (m, rad, log-scale)."""
    translation_scale, rotation_scale, log_scale_scale = scales
    return (
        (translation_m / translation_scale).pow(2).sum()
        + (rotation_rad / rotation_scale).pow(2).sum()
        + (log_scale / log_scale_scale).pow(2).sum()
    )
