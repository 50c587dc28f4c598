"""PNG plots a person reads next to report.md: object tilt / displacement over time, contact timelines."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from .metrics import ObjectTrack


def plot_tracks(path: Path, title: str, tracks: dict[str, ObjectTrack], max_tilt: float, max_drift: float) -> Path:
    figure, (tilt, drift) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    for name, track in tracks.items():
        tilt.plot(track.time, track.tilt_deg(), label=name)
        drift.plot(track.time, track.displacement_m(), label=name)
    tilt.axhline(max_tilt, color="r", ls="--", lw=0.8)
    drift.axhline(max_drift, color="r", ls="--", lw=0.8)
    tilt.set_ylabel("tilt (deg)")
    drift.set_ylabel("horizontal displacement (m)")
    drift.set_xlabel("time (s)")
    tilt.set_title(title)
    tilt.legend(loc="upper left")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def plot_contacts(
    path: Path, name: str, time: np.ndarray, touching: np.ndarray, intended: np.ndarray, body_names: list[str]
) -> Path:
    """Which human bodies touch the object over time, under the frames the motion says are in contact."""
    rows = [k for k in range(len(body_names)) if touching[:, k].any()] or [0]
    figure, axis = plt.subplots(figsize=(8, 1.2 + 0.3 * len(rows)))
    axis.fill_between(time, -0.5, len(rows) - 0.5, where=intended, color="0.85", step="mid", label="motion: contact")
    for row, body in enumerate(rows):
        on = touching[:, body]
        axis.scatter(time[on], np.full(on.sum(), row), s=6, marker="s", color="C0")
    axis.set_yticks(range(len(rows)), [body_names[k] for k in rows])
    axis.set_xlabel("time (s)")
    axis.set_title(f"{name}: simulated contact per body (grey: contact frames of the motion)")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path
