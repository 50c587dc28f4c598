"""`hsimul3r judge`: gravity test + interaction test of a converted scene (or a case, converted first),
the verdict per object and overall, and the files that justify it."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..atomic_dir import atomic_output_dir
from ..executors import run_tasks
from ..hsi.case_io import MANIFEST
from ..hsi.errors import CaseError
from .classify import case_type, object_type
from .config import POLICY_MODE, JudgeConfig
from .gravity import gravity_test
from .interaction import interaction_test
from .plots import plot_contacts, plot_tracks
from .recording import write_recording
from .report import report_markdown, summary_markdown, type_shares
from .scene import CONVERT_REPORT, ConvertedScene, load_converted

REPORT_JSON = "report.json"
REPORT_MD = "report.md"
RECORDING = "recording.usda"
CONVERTED = "converted"


def judge(
    source: str | Path,
    out_dir: str | Path,
    config: JudgeConfig,
    *,
    mode: str | None = None,
    gravity_only: bool = False,
    overwrite: bool = False,
    convert_overrides: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Judge a converted folder or a case folder (converted into `out_dir/converted/` first).

    The judge judges the case it gets: mode `policy` is refused unless `gravity_only` (which moves no
    humanoid), since the policy's rollout is `pipeline.policy_judge.judge_policy`'s to run."""
    start = time.perf_counter()
    source, out = Path(source), Path(out_dir).absolute()
    mode = mode or config.mode
    if not (source / CONVERT_REPORT).is_file() and not (source / MANIFEST).is_file():
        raise CaseError(source, "path", f"neither a converted folder ({CONVERT_REPORT}) nor a case ({MANIFEST})")
    if mode == POLICY_MODE and not gravity_only:
        raise CaseError(
            source, "--mode policy", "the judge judges the case it gets: a policy is rolled out and judged by "
            "hsimul3r_ext.pipeline.policy_judge.judge_policy (hsimul3r judge CASE --mode policy --policy POLICY.pt)",
        )  # fmt: skip
    with atomic_output_dir(out, overwrite=overwrite) as stage:
        converted = source
        if not (converted / CONVERT_REPORT).is_file():
            converted = _convert(converted, stage / CONVERTED, convert_overrides)
        scene = load_converted(converted)
        label = str(converted if converted == source else Path(CONVERTED))
        link_root = _link_root(stage, out, converted)
        return judge_scene(scene, stage, config, mode, gravity_only, link_root, label, started=start)


def judge_scene(
    scene: ConvertedScene,
    stage: Path,
    config: JudgeConfig,
    mode: str,
    gravity_only: bool,
    link_root: Path,
    converted_label: str,
    *,
    started: float | None = None,
) -> dict[str, Any]:
    """Judge a loaded scene into `stage` (plots, recording, report files); returns the report. The humanoid may
    be any articulation whose motion the scene carries (the SMPL humanoid, a retargeted robot). `started`: the
    `time.perf_counter()` the report's seconds count from (a conversion before it included); now by default."""
    start = time.perf_counter() if started is None else started
    gravity = gravity_test(scene.objects, config)
    interaction = None
    if not gravity_only:
        interaction = interaction_test(scene, config, mode)
    plots = _plots(stage, scene.name, gravity, interaction, config)
    if interaction is not None:
        poses = {o.name: o.poses for o in interaction.objects}
        write_recording(
            stage / RECORDING,
            scene,
            interaction.time,
            poses,
            interaction.body_names,
            interaction.body_poses,
            link_root=link_root,
        )
    else:
        poses = {g.name: g.poses for g in gravity}
        write_recording(stage / RECORDING, scene, gravity[0].track.time, poses, link_root=link_root)
    objects = []
    for k, g in enumerate(gravity):
        i = None if interaction is None else interaction.objects[k]
        i_json = None if i is None else i.to_json(interaction.body_names)
        kind = object_type(
            g.verdict.stable,
            None if i is None else i.verdict.stable,
            None if i is None else i.contact_ratio,
            config.interaction.min_contact_ratio,
        )
        objects.append({"name": g.name, "type": kind, "gravity": g.to_json(), "interaction": i_json})
    report = {
        "case": scene.name,
        "type": case_type([o["type"] for o in objects]),
        "mode": "gravity-only" if gravity_only else mode,
        "thresholds": config.to_json(),
        "objects": objects,
        "human": None if interaction is None else interaction.human_json(),
        "converted": converted_label,
        "files": {"plots": plots, "recording": RECORDING},
    }
    report["seconds"] = time.perf_counter() - start
    (stage / REPORT_JSON).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    (stage / REPORT_MD).write_text(report_markdown(report), encoding="utf-8")
    return report


def judge_many(
    sources: list[Path],
    out_dir: str | Path,
    config: JudgeConfig,
    *,
    jobs: int = 1,
    ray_address: str | None = None,
    timeout_s: float | None = None,
    mode: str | None = None,
    gravity_only: bool = False,
    overwrite: bool = False,
    progress: bool | None = None,
    judge_one: Callable[..., dict[str, Any]] = judge,
) -> list[dict[str, Any]]:
    """Judge every source into `out_dir/<name>/` and write summary.md / summary.json (share of each type).

    A bad case (or one past `timeout_s`, or whose worker died) is recorded as an error row; the others still
    run. Cases run as `executors.run_tasks` runs them: `jobs` worker processes, or Ray at `ray_address`.
    `judge_one` judges one source, called as `judge` is (a picklable function with its signature: the
    pipeline's policy judge passes its own here)."""
    names = _unique_names(sources)
    with atomic_output_dir(out_dir, overwrite=overwrite) as stage:
        tasks = [
            (n, (judge_one, s, stage / n, config, mode, gravity_only)) for s, n in zip(sources, names, strict=True)
        ]
        results = {
            r.key: r.value if r.error is None else {"type": None, "error": r.error, "seconds": None}
            for r in run_tasks(
                _judge_row, tasks, jobs=jobs, ray_address=ray_address, timeout_s=timeout_s, description="judging",
                progress=progress,
            )
        }  # fmt: skip
        rows = [
            {**results[n], "case": n, "report": f"{n}/{REPORT_MD}" if results[n]["error"] is None else None}
            for n in names
        ]
        (stage / "summary.md").write_text(summary_markdown(rows), encoding="utf-8")
        summary = {"cases": rows, "shares": type_shares(rows)}
        (stage / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return rows


def _judge_row(args) -> dict[str, Any]:
    judge_one, source, out, config, mode, gravity_only = args
    try:
        report = judge_one(source, out, config, mode=mode, gravity_only=gravity_only)
    except CaseError as err:
        return {"type": None, "error": str(err), "seconds": None}
    return {"type": report["type"], "error": None, "seconds": report["seconds"]}


def _unique_names(sources: list[Path]) -> list[str]:
    names: list[str] = []
    for source in sources:
        name, index = Path(source).resolve().name, 2
        base = name
        while name in names:
            name, index = f"{base}_{index}", index + 1
        names.append(name)
    return names


def _convert(case: Path, out: Path, overrides: tuple[str, ...]) -> Path:
    from ..assets import convert_case, load_convert_config
    from ..assets.humanoid_files import humanoid_builder

    convert_case(case, out, load_convert_config(list(overrides)), build_humanoid=humanoid_builder())
    return out


def _link_root(stage: Path, out: Path, converted: Path) -> Path:
    """References inside the report folder stay relative to it; outside ones are relative to the final folder."""
    return stage if converted.is_relative_to(stage) else out


def _plots(stage: Path, name: str, gravity, interaction, config: JudgeConfig) -> list[str]:
    folder = stage / "plots"
    folder.mkdir()
    stable = config.stable
    files = [
        plot_tracks(
            folder / "gravity.png",
            f"{name}: gravity test",
            {g.name: g.track for g in gravity},
            stable.max_tilt_deg,
            stable.max_displacement_m,
        )
    ]
    if interaction is not None:
        files.append(
            plot_tracks(
                folder / "interaction.png",
                f"{name}: interaction ({interaction.mode})",
                {o.name: o.track for o in interaction.objects},
                stable.max_tilt_deg,
                stable.max_displacement_m,
            )
        )
        for obj in interaction.objects:
            files.append(
                plot_contacts(
                    folder / f"contacts_{obj.name}.png",
                    obj.name,
                    interaction.time,
                    obj.touching,
                    obj.intended,
                    interaction.body_names,
                )
            )
    return [str(f.relative_to(stage)) for f in files]
