"""Procedural furniture for the shipped generator's data: chairs, stools, armchairs, sofas and tables of
varied proportions, leg counts and styles, as box parts (`parts.PartShape`) in the object frame.

Sizes follow everyday furniture (seat 0.38-0.52 m, table tops 0.68-0.78 m) and the bundled examples'
(chair seat 0.441 m, armchair 0.417 m, sofa 0.396 m, table 0.76 m). Every piece stands on its own: the
generator's defects, not the data, make objects fall.
"""

from __future__ import annotations

import numpy as np

from .parts import Part, PartShape

CATEGORIES: tuple[str, ...] = ("chair", "stool", "armchair", "sofa", "table")


def _box(centre, size, pitch: float = 0.0) -> Part:
    return Part(np.asarray(centre, dtype=float), np.asarray(size, dtype=float), pitch)


def _legs(front_x: float, back_x: float, half_y: float, height: float, side: float, names=None) -> dict[str, Part]:
    corners = {
        "leg_front_left": (front_x, half_y),
        "leg_front_right": (front_x, -half_y),
        "leg_back_left": (back_x, half_y),
        "leg_back_right": (back_x, -half_y),
    }
    return {
        name: _box((x, y, height / 2), (side, side, height))
        for name, (x, y) in corners.items()
        if names is None or name in names
    }


def _back(seat_back_x: float, seat_top: float, width: float, height: float, thickness: float, tilt: float) -> Part:
    """A panel standing on the seat's back edge, leaning back by `tilt` (rad)."""
    centre_x = seat_back_x + thickness / 2 - np.sin(tilt) * height / 2
    return _box((centre_x, 0.0, seat_top + np.cos(tilt) * height / 2), (thickness, width, height), tilt)


def chair(rng: np.random.Generator) -> dict[str, Part]:
    seat_h, depth, width = rng.uniform(0.40, 0.50), rng.uniform(0.38, 0.50), rng.uniform(0.38, 0.52)
    thick, leg = rng.uniform(0.03, 0.06), rng.uniform(0.03, 0.05)
    inset = rng.uniform(0.0, 0.03)
    parts = {"seat": _box((0.0, 0.0, seat_h - thick / 2), (depth, width, thick))}
    edge = depth / 2 - leg / 2 - inset
    parts |= _legs(edge, -edge, width / 2 - leg / 2 - inset, seat_h - thick, leg)
    back_t = rng.uniform(0.025, 0.05)
    parts["back"] = _back(-depth / 2, seat_h, width, rng.uniform(0.35, 0.60), back_t, np.radians(rng.uniform(0, 15)))
    return parts


def stool(rng: np.random.Generator) -> dict[str, Part]:
    seat_h, side = rng.uniform(0.45, 0.75), rng.uniform(0.28, 0.40)
    thick, leg = rng.uniform(0.03, 0.05), rng.uniform(0.03, 0.045)
    parts = {"seat": _box((0.0, 0.0, seat_h - thick / 2), (side, side, thick))}
    height, edge = seat_h - thick, side / 2 - leg / 2
    if rng.random() < 0.5:  # three legs: two at the front corners, one at the back centre
        parts |= _legs(edge, -edge, edge, height, leg, names={"leg_front_left", "leg_front_right"})
        parts["leg_back_left"] = _box((-edge, 0.0, height / 2), (leg, leg, height))
    else:
        parts |= _legs(edge, -edge, edge, height, leg)
    return parts


def armchair(rng: np.random.Generator) -> dict[str, Part]:
    seat_h, inner, arm_w = rng.uniform(0.38, 0.46), rng.uniform(0.22, 0.30), rng.uniform(0.08, 0.18)
    depth, back_t = rng.uniform(0.65, 0.85), rng.uniform(0.10, 0.18)
    arm_h = seat_h + rng.uniform(0.18, 0.30)
    outer = inner + arm_w
    legged = rng.random() < 0.4
    leg_h = rng.uniform(0.08, 0.15) if legged else 0.0
    base_top = seat_h - 0.12
    parts = {
        "base": _box((0.0, 0.0, (leg_h + base_top) / 2), (depth, 2 * outer, base_top - leg_h)),
        "seat": _box((back_t / 2, 0.0, seat_h - 0.06), (depth - back_t, 2 * inner, 0.12)),
        "back": _back(-depth / 2, base_top, 2 * outer, rng.uniform(0.45, 0.65), back_t, np.radians(rng.uniform(3, 15))),
    }
    for side, name in ((1, "arm_left"), (-1, "arm_right")):
        parts[name] = _box((0.0, side * (inner + arm_w / 2), (base_top + arm_h) / 2), (depth, arm_w, arm_h - base_top))
    if legged:
        leg = rng.uniform(0.04, 0.06)
        edge = depth / 2 - leg / 2
        parts |= _legs(edge, -edge, outer - leg / 2, leg_h, leg)
    return parts


def sofa(rng: np.random.Generator) -> dict[str, Part]:
    seat_h, length, depth = rng.uniform(0.38, 0.46), rng.uniform(1.3, 2.2), rng.uniform(0.75, 0.95)
    arm_w, back_t = rng.uniform(0.10, 0.22), rng.uniform(0.15, 0.25)
    arm_h = seat_h + rng.uniform(0.12, 0.25)
    legged = rng.random() < 0.4
    leg_h = rng.uniform(0.08, 0.14) if legged else 0.0
    base_top = seat_h - 0.14
    half = length / 2 + arm_w
    parts = {
        "base": _box((0.0, 0.0, (leg_h + base_top) / 2), (depth, 2 * half, base_top - leg_h)),
        "seat": _box((back_t / 2, 0.0, seat_h - 0.07), (depth - back_t, length, 0.14)),
        "back": _back(-depth / 2, base_top, 2 * half, rng.uniform(0.40, 0.55), back_t, np.radians(rng.uniform(5, 15))),
    }
    for side, name in ((1, "arm_left"), (-1, "arm_right")):
        parts[name] = _box(
            (0.0, side * (length / 2 + arm_w / 2), (base_top + arm_h) / 2), (depth, arm_w, arm_h - base_top)
        )
    if legged:
        leg = rng.uniform(0.04, 0.07)
        edge = depth / 2 - leg / 2
        parts |= _legs(edge, -edge, half - leg / 2, leg_h, leg)
    return parts


def table(rng: np.random.Generator) -> dict[str, Part]:
    top_h, depth, length = rng.uniform(0.68, 0.78), rng.uniform(0.6, 0.9), rng.uniform(0.7, 1.4)
    thick = rng.uniform(0.03, 0.05)
    parts = {"seat": _box((0.0, 0.0, top_h - thick / 2), (depth, length, thick))}
    height = top_h - thick
    if rng.random() < 0.25 and length < 1.0:  # pedestal: a column on a wide foot
        foot_h = rng.uniform(0.03, 0.06)
        foot = min(depth, length) * rng.uniform(0.55, 0.8)
        parts["foot"] = _box((0.0, 0.0, foot_h / 2), (foot, foot, foot_h))
        column = rng.uniform(0.06, 0.12)
        parts["column"] = _box((0.0, 0.0, (foot_h + height) / 2), (column, column, height - foot_h))
    else:
        leg, inset = rng.uniform(0.04, 0.07), rng.uniform(0.02, 0.10)
        parts |= _legs(
            depth / 2 - leg / 2 - inset, -(depth / 2 - leg / 2 - inset), length / 2 - leg / 2 - inset, height, leg
        )
    return parts


BUILDERS = {"chair": chair, "stool": stool, "armchair": armchair, "sofa": sofa, "table": table}


def centred(parts: dict[str, Part]) -> dict[str, Part]:
    """The same parts with the footprint (x-y bounding box of the box corners) centred on the origin."""
    corners = []
    for part in parts.values():
        half = part.size / 2
        c, s = np.cos(part.pitch_rad), np.sin(part.pitch_rad)
        for sx in (-1, 1):
            for sz in (-1, 1):
                corners.append(part.centre[:2] + [sx * half[0] * c - sz * half[2] * s, 0.0])
                corners.append(part.centre[:2] + [0.0, half[1]])
                corners.append(part.centre[:2] - [0.0, half[1]])
    corners = np.array(corners)
    shift = (corners.min(axis=0) + corners.max(axis=0)) / 2
    return {name: Part(p.centre - [shift[0], shift[1], 0.0], p.size, p.pitch_rad) for name, p in parts.items()}


def sample_furniture(rng: np.random.Generator, category: str | None = None) -> tuple[str, PartShape]:
    """A random piece (category drawn uniformly unless given), footprint-centred, unturned."""
    category = category or CATEGORIES[int(rng.integers(len(CATEGORIES)))]
    return category, PartShape(centred(BUILDERS[category](rng)))
