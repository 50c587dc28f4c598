"""The stages of `hsimul3r run`, in order, and the registry later passes (RL forward, DSRO reverse) join.

A stage reads the input case and the folders of the stages it needs, writes its own folder and returns a
small JSON record (kept in its `stage.json`, read by the report). The runner knows nothing else about it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class RunOptions:
    """Command-line options that change results (so the stages that use them hash them)."""

    models_dir: Path | None = None
    gravity_only: bool = False


@dataclass(frozen=True)
class StageInputs:
    case: Path  # the input case: read, never written
    upstream: Mapping[str, Path]  # finished folder of each stage this one needs
    options: RunOptions


StageFunction = Callable[[StageInputs, Path, Mapping[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Stage:
    name: str
    reads: tuple[str, ...]  # config groups; their sections (after overrides) go into the fingerprint
    needs: tuple[str, ...]  # upstream stages, whose fingerprints go into this one's
    run: StageFunction  # (inputs, folder to fill, {group: section}) -> record
    options: tuple[str, ...] = ()  # RunOptions fields the stage uses
    switch: str | None = None  # `group.key` of a boolean setting; the stage runs only when it is true
    after: tuple[str, ...] = ()  # switchable upstream stages whose results this one takes when they run


STAGES: dict[str, Stage] = {}

REFINED_CASE, TRAINING_CURVE = "refined_case", "training_curve.png"


def register(stage: Stage) -> Stage:
    """Append a stage to the pipeline; what it needs must already be registered (the order is the run order)."""
    missing = [name for name in (*stage.needs, *stage.after) if name not in STAGES]
    if missing or stage.name in STAGES:
        raise ValueError(f"stage {stage.name!r}: already registered or needs unknown stages {missing}")
    STAGES[stage.name] = stage
    return stage


def _validate(inputs: StageInputs, folder: Path, config: Mapping[str, Any]) -> dict[str, Any]:
    from ..ingest.checks import load_checked_case

    scene = load_checked_case(inputs.case)
    motion = scene.motion
    return {
        "case": scene.name,
        "frames": None if motion is None else motion.num_frames,
        "fps": None if motion is None else motion.fps,
        "objects": [obj.name for obj in scene.objects],
        "contact_labels": motion is not None and motion.contact_labels is not None,
        "warnings": [str(warning) for warning in scene.warnings],
    }


def _convert_case(case: Path, folder: Path, config: Mapping[str, Any], options: RunOptions) -> dict[str, Any]:
    """Objects and the case's humanoid (the same body for the input and the aligned case)."""
    from ..assets import convert_case
    from ..assets.humanoid_files import humanoid_builder

    build_humanoid = humanoid_builder(options.models_dir, config=config["humanoid"])
    report = convert_case(case, folder, config["convert"], overwrite=True, build_humanoid=build_humanoid, progress=None)
    return {
        "scene_usd": report["scene_usd"],
        "scene_mjcf": report["scene_mjcf"],
        "objects": {
            name: {"hulls": entry["collision"]["hull_count"], "mass_kg": entry["mass"]["mass_kg"]}
            for name, entry in report["objects"].items()
        },
        "humanoid": report["humanoid"]["built"],
    }


def _convert_input(inputs: StageInputs, folder: Path, config: Mapping[str, Any]) -> dict[str, Any]:
    return _convert_case(inputs.case, folder, config, inputs.options)


def _convert_aligned(inputs: StageInputs, folder: Path, config: Mapping[str, Any]) -> dict[str, Any]:
    return _convert_case(inputs.upstream["align"], folder, config, inputs.options)


def _judge(
    converted: Path, folder: Path, config: Mapping[str, Any], options: RunOptions, mode: str | None = None
) -> dict[str, Any]:
    from ..stability import judge
    from ..stability.report import TYPE_MEANING

    report = judge(converted, folder, config["judge"], mode=mode, gravity_only=options.gravity_only, overwrite=True)
    record = {key: value for key, value in report.items() if key != "thresholds"}  # settings: see report.json
    return {**record, "verdict": TYPE_MEANING[report["type"]]}


def _judge_input(inputs: StageInputs, folder: Path, config: Mapping[str, Any]) -> dict[str, Any]:
    return _judge(inputs.upstream["convert_before"], folder, config, inputs.options)


def _judge_aligned(inputs: StageInputs, folder: Path, config: Mapping[str, Any]) -> dict[str, Any]:
    return _judge(inputs.upstream["convert"], folder, config, inputs.options)


def _align(inputs: StageInputs, folder: Path, config: Mapping[str, Any]) -> dict[str, Any]:
    from ..align import align_case

    record = align_case(inputs.case, folder, config["align"], models_dir=inputs.options.models_dir, overwrite=True)
    return {key: value for key, value in record.items() if key != "config"}  # the settings are in align.json


def _forward(inputs: StageInputs, folder: Path, config: Mapping[str, Any]) -> dict[str, Any]:
    """Train (or take) a tracking policy for the aligned case, roll it out, judge the refined case.

    Export and rollout build the environment recorded with the training (task, overrides, the aligned case);
    `forward.task` and `forward.task_overrides` stand in for a given policy that has no record beside it.
    The refined motion is what the simulated humanoid did, so it is judged kinematically whatever
    `judge.mode` says; the MPJPE and object drift of the rollout itself compare it with the aligned case."""
    from ..hsi.case_io import load_case
    from ..tasks.hsi import forward as fwd
    from ..tasks.hsi.export import export_checkpoint
    from ..tasks.hsi.rollout import rollout_policy

    settings, scene = config["forward"], inputs.upstream["convert"]
    training = None
    if settings.policy is None:
        start = time.perf_counter()
        run = fwd.train_policy(scene, folder, settings)
        checkpoint = fwd.last_checkpoint(run)
        policy = export_checkpoint(checkpoint, folder / "policy", device=settings.device)  # the recorded environment
        curve = fwd.training_curve(run)
        fwd.plot_training_curve(curve, folder / TRAINING_CURVE, f"{settings.task} on {inputs.case.name} (aligned)")
        rewards = curve.get("Train/mean_reward", [])
        training = {
            "run": str(run.relative_to(folder)),
            "checkpoint": str(checkpoint.relative_to(folder)),
            "iterations": len(rewards),
            "mean_reward_first": rewards[0] if rewards else None,
            "mean_reward_last": rewards[-1] if rewards else None,
            "seconds": time.perf_counter() - start,
            "curve": TRAINING_CURVE,
        }
    else:
        policy = Path(settings.policy).expanduser().absolute()
    refined = rollout_policy(
        policy,
        inputs.upstream["align"],
        folder / REFINED_CASE,
        task=settings.task,
        device=settings.device,
        overrides=settings.task_overrides,
        scene=scene,
    )
    rollout = load_case(refined).provenance[-1]
    _convert_case(refined, folder / "converted", config, inputs.options)
    record = _judge(folder / "converted", folder / "judge", config, inputs.options, mode="kinematic")
    record["forward"] = {
        "policy": str(policy.relative_to(folder)) if policy.is_relative_to(folder) else str(policy),
        "task": settings.task,
        "training": training,
        "refined_case": REFINED_CASE,
        "mpjpe_mm": rollout["mpjpe_mm"],
        "object_drift": rollout["object_drift"],
    }
    return record


def _reverse(inputs: StageInputs, folder: Path, config: Mapping[str, Any]) -> dict[str, Any]:
    """Regenerate the aligned case's failing objects from their observations (DSRO's generator), then judge.

    When nothing is regenerated the aligned case's verdict stands: its judge folder is the one reported."""
    import json

    from ..dsro.regenerate import regenerate_case
    from ..stability.judge import REPORT_JSON

    judged = json.loads((inputs.upstream["judge"] / REPORT_JSON).read_text(encoding="utf-8"))
    sections = {group: config[group] for group in ("convert", "judge", "humanoid")}
    reverse = regenerate_case(
        inputs.upstream["align"], judged, folder, config["reverse"], models_dir=inputs.options.models_dir,
        sections=sections, gravity_only=inputs.options.gravity_only,
    )  # fmt: skip
    if not reverse["regenerated"]:
        record = {key: value for key, value in judged.items() if key != "thresholds"}
        from ..stability.report import TYPE_MEANING

        return {**record, "verdict": TYPE_MEANING[judged["type"]], "reverse": {**reverse, "judge_folder": None}}
    _convert_case(folder / reverse["refined_case"], folder / "converted", config, inputs.options)
    record = _judge(folder / "converted", folder / "judge", config, inputs.options)
    return {**record, "reverse": {**reverse, "judge_folder": "judge"}}


def _robot(inputs: StageInputs, folder: Path, config: Mapping[str, Any]) -> dict[str, Any]:
    """The final case's motion onto the robot (scene terms and the plain-IK baseline), the robot judged."""
    from ..retarget.job import write_retarget
    from ..retarget.robot_model import load_robot

    section = config["robot"]
    source, converted = final_conversion(inputs.upstream)
    report = write_retarget(
        converted, load_robot(section.name), folder, section.ik, baseline=section.baseline,
        judge=section.judge and not inputs.options.gravity_only, judge_config=config["judge"], progress=False,
    )  # fmt: skip
    return {"source": source, **{key: value for key, value in report.items() if key != "settings"}}


def final_conversion(upstream: Mapping[str, Path]) -> tuple[str, Path]:
    """(stage, converted folder) of the interaction the run ends with: the reverse pass's regenerated objects,
    else the forward pass's refined motion, else the aligned case."""
    reverse = upstream.get("reverse")
    if reverse is not None and (reverse / "converted").is_dir():  # it converts only when it regenerated
        return "reverse", reverse / "converted"
    if upstream.get("forward") is not None:
        return "forward", upstream["forward"] / "converted"
    return "convert", upstream["convert"]


register(Stage("validate", reads=(), needs=(), run=_validate))
register(Stage("convert_before", ("convert", "humanoid"), ("validate",), _convert_input, options=("models_dir",)))
register(Stage("judge_before", ("judge",), ("convert_before",), _judge_input, options=("gravity_only",)))
register(Stage("align", ("align",), ("validate",), _align, options=("models_dir",)))
register(Stage("convert", ("convert", "humanoid"), ("align",), _convert_aligned, options=("models_dir",)))
register(Stage("judge", ("judge",), ("convert",), _judge_aligned, options=("gravity_only",)))
register(
    Stage(
        "forward",
        ("forward", "convert", "humanoid", "judge"),
        ("align", "convert"),
        _forward,
        options=("models_dir", "gravity_only"),
        switch="forward.enabled",
    )
)
register(
    Stage(
        "reverse",
        ("reverse", "convert", "humanoid", "judge"),
        ("align", "judge"),
        _reverse,
        options=("models_dir", "gravity_only"),
        switch="reverse.enabled",
    )
)
register(
    Stage(
        "robot",
        ("robot", "judge"),
        ("convert",),
        _robot,
        options=("gravity_only",),
        switch="robot.enabled",
        after=("forward", "reverse"),
    )
)
