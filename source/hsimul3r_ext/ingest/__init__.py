"""Bringing outside data into a case: the importers, which need the body model (rest pelvis, stature), and
previews of what was brought in. One floor above `body/`, so `hsi/` never imports a body model."""
