"""What a policy was trained on, kept beside its checkpoints so that export, play and rollout build that environment.

A policy fits one environment: its cases fix the observation size (the contact bodies of every case),
its Hydra overrides the rest. Isaac Lab dumps the resolved configs (`params/env.yaml`, `agent.yaml`) but
cannot read them back (they hold Python tags such as slices), and its player rebuilds the task from its own
command line, so a policy trained on other cases than the task's defaults did not load (`size mismatch`).
`hsimul3r_ext.tasks.train` therefore writes `hsi_training.json` into the run folder: the task, its Hydra
overrides and the converted cases the environment built (from the environment's `hsi_policy.json`). An
export writes the same record beside the exported policy, so a rollout finds it from the policy file alone.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

TRAINING_RECORD = "hsi_training.json"

NOT_RECORDED = ("agent.device",)
"""Overrides that choose where a policy runs, not what it is: each command sets its own."""


@dataclass(frozen=True)
class TrainingRecord:
    task: str
    overrides: tuple[str, ...]  # the Hydra overrides and presets as given
    cases: tuple[str, ...]  # the converted folders the environment built

    def env_overrides(self) -> list[str]:
        """Overrides that rebuild the recorded environment: `env.cases` names the converted folders it built while
        they exist; otherwise the cases as given are converted again (through the cache)."""
        if not self.cases or not all(Path(case).is_dir() for case in self.cases):
            return list(self.overrides)
        kept = [o for o in self.overrides if override_key(o) != "env.cases"]
        return [*kept, f"env.cases=[{','.join(self.cases)}]"]


def override_key(override: str) -> str:
    """`env.sim.dt` of `env.sim.dt=0.01`."""
    return override.split("=", 1)[0]


def hydra_overrides(argv: Sequence[str]) -> list[str]:
    """The Hydra overrides and presets among command-line arguments (`key=value` that is not an `--option=`)."""
    return [a for a in argv if "=" in a and not a.startswith("-")]


def merge_overrides(recorded: Sequence[str], given: Sequence[str]) -> list[str]:
    """The recorded overrides whose key `given` does not set, then `given` (what a caller asks for wins)."""
    keys = {override_key(o) for o in given}
    return [o for o in recorded if override_key(o) not in keys] + list(given)


def write_record(folder: Path, task: str, overrides: Sequence[str]) -> Path | None:
    """Record `task` and `overrides` for the environment that wrote `folder/hsi_policy.json`; None if none did."""
    from .export import POLICY_METADATA  # imported here: export imports this module

    metadata = folder / POLICY_METADATA
    if not metadata.is_file():
        return None
    cases = json.loads(metadata.read_text(encoding="utf-8"))["cases"]
    kept = [o for o in overrides if override_key(o) not in NOT_RECORDED]
    record = TrainingRecord(task, tuple(kept), tuple(cases))
    path = folder / TRAINING_RECORD
    path.write_text(json.dumps(asdict(record), indent=2) + "\n", encoding="utf-8")
    return path


def recorded_environment(folder: Path, task: str | None, overrides: Sequence[str]) -> tuple[str | None, list[str]]:
    """(task, overrides) of the record in `folder` with `overrides` winning over recorded ones; without a
    record, the `task` and `overrides` given (they stand in for it)."""
    record = read_record(folder)
    if record is None:
        return task, list(overrides)
    return record.task, merge_overrides(record.env_overrides(), overrides)


def read_record(folder: Path) -> TrainingRecord | None:
    """The record in `folder` (a run folder or an exported policy's folder), None if there is none."""
    path = folder / TRAINING_RECORD
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return TrainingRecord(data["task"], tuple(data["overrides"]), tuple(data["cases"]))
