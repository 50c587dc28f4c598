"""The paper's four types. Per object: 1 falls alone, 2 fails during the interaction, 3 stays but is not
really touched, 4 stable interaction. A case takes its worst object's type (1 worst, 4 best)."""

from __future__ import annotations


def object_type(
    gravity_stable: bool, interaction_stable: bool | None, contact_ratio: float | None, min_contact_ratio: float
) -> int | None:
    """None when only the gravity test ran and the object passed it (Types 2-4 need the interaction)."""
    if not gravity_stable:
        return 1
    if interaction_stable is None:
        return None
    if not interaction_stable:
        return 2
    return 4 if (contact_ratio or 0.0) >= min_contact_ratio else 3


def case_type(object_types: list[int | None]) -> int | None:
    """Type 1 wins over everything; otherwise the worst over the objects (None if any is undecided)."""
    if 1 in object_types:
        return 1
    if not object_types or None in object_types:
        return None
    return min(object_types)
