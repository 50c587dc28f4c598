"""The `hsimul3r` command. Bad input exits 2 with one line naming the file and the field."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .hsi.errors import CaseError

if TYPE_CHECKING:
    from .ingest.capture.model import Capture

EXIT_BAD_INPUT = 2
_OBJECT_KEYS = (
    "name", "scale", "up", "position", "orientation", "yaw_deg", "category", "mass", "density", "static", "keep_origin",
)  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args, extras = parser.parse_known_args(argv)
    # argparse (3.11) cannot take KEY=VALUE positionals after `-o OUT`; commands that opt in get them here.
    if extras:
        if not getattr(args, "trailing_overrides", False) or any(e.startswith("-") for e in extras):
            parser.error(f"unrecognized arguments: {' '.join(extras)}")
        args.overrides = [*args.overrides, *extras]
    _quiet_warp()
    _escape_unprintable_names()
    try:
        return args.run(args)
    except CaseError as err:
        print(f"hsimul3r: error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _escape_unprintable_names() -> None:
    """POSIX file names are bytes: one the terminal's encoding cannot show is printed escaped, not a crash."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")


def _quiet_warp() -> None:
    """Warp announces every kernel module it loads; a command line tool's output should be its own."""
    import warp

    warp.config.log_level = warp.LOG_WARNING


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hsimul3r",
        description="Simulation-ready human-scene interactions: ingest, validate, inspect and convert HSI cases.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ingest = commands.add_parser("ingest", help="build a case folder from a motion file and object meshes")
    ingest.add_argument("--motion", type=Path, help="motion file (.npz, .pkl, .motion)")
    ingest.add_argument(
        "--capture", type=Path,
        help="capture folder (DUSt3R scene, people trackers' files, ViTPose, SAM2, generated objects: docs/capture.md)"
        "; the case is one person's, in a metric world, with the 2D evidence kept",
    )  # fmt: skip
    ingest.add_argument(
        "--person", help="with --capture: the person id (default: the first one seen in 2D); `all`: one case per "
        "person, OUT/<id>",
    )  # fmt: skip
    ingest.add_argument(
        "--motion-format",
        choices=("amass", "smpl", "protomotions", "beyondmimic"),
        help="motion format (default: detected from the suffix and keys)",
    )
    ingest.add_argument(
        "--object",
        action="append",
        nargs="+",
        default=[],
        metavar=("MESH", "KEY=VALUE"),
        help=f"object mesh (.obj/.ply/.glb/.gltf/.stl) with optional {', '.join(_OBJECT_KEYS)}; "
        "position=x,y,z orientation=qx,qy,qz,qw (repeat --object for more objects)",
    )
    ingest.add_argument(
        "--point-cloud",
        action="append",
        type=Path,
        default=[],
        help="scene point cloud (.ply or .npz with points/colors) kept as reference geometry",
    )
    ingest.add_argument("--scale", type=float, default=1.0, help="default scale of object meshes and point clouds")
    ingest.add_argument("--up", choices=("y", "z"), help="up axis of the inputs (default: format's own, Z for motions)")
    ingest.add_argument("--motion-up", choices=("y", "z"), help="up axis of the motion, if it differs from --up")
    ingest.add_argument("--gender", choices=("neutral", "male", "female"), help="override the motion's gender")
    ingest.add_argument(
        "--body-models", type=Path, help="folder with licensed SMPL-family files (default: $HSIMUL3R_BODY_MODELS)"
    )
    ingest.add_argument("--pelvis-offset", help="rest pelvis position X,Y,Z of the body model (m)")
    ingest.add_argument("--body-names", help="comma-separated body names of a body-transform motion, in file order")
    ingest.add_argument("--quat-order", choices=("xyzw", "wxyz"), help="quaternion order of a body-transform motion")
    ingest.add_argument("--name", help="case name (default: the output folder's name)")
    ingest.add_argument("-o", "--out", type=Path, required=True, help="new case folder")
    ingest.add_argument("--overwrite", action="store_true", help="replace the output folder if it exists")
    ingest.set_defaults(run=_run_ingest)

    validate = commands.add_parser("validate", help="check a case folder against the format's rules")
    validate.add_argument("case", type=Path)
    validate.set_defaults(run=_run_validate)

    info = commands.add_parser("info", help="summarise a case and draw a top / side preview PNG")
    info.add_argument("case", type=Path)
    info.add_argument("--png", type=Path, help="preview picture (default: <case>.preview.png beside the case)")
    info.set_defaults(run=_run_info)

    convert = commands.add_parser(
        "convert", help="make the case's objects simulation-ready: object USDs, scene.usda, scene.xml"
    )
    convert.add_argument("case", type=Path)
    convert.add_argument("-o", "--out", type=Path, required=True, help="new folder for the converted scene")
    convert.add_argument("--overwrite", action="store_true", help="replace the output folder if it exists")
    _add_body_models(convert)
    convert.add_argument("--no-humanoid", action="store_true", help="objects only, even when the case has a motion")
    convert.add_argument(
        "overrides", nargs="*", metavar="KEY=VALUE",
        help="configuration overrides, e.g. convert.coacd.threshold=0.08 humanoid.collision=convex",
    )  # fmt: skip
    convert.set_defaults(run=_run_convert, trailing_overrides=True)

    judge = commands.add_parser(
        "judge", help="simulate converted scenes (or cases) and classify them into the paper's Types 1-4"
    )
    judge.add_argument(
        "sources", type=Path, nargs="+", metavar="CASE_OR_CONVERTED_DIR",
        help="folders to judge, then optional KEY=VALUE configuration overrides, e.g. judge.gravity.seconds=5.0",
    )  # fmt: skip
    judge.add_argument("-o", "--out", type=Path, required=True, help="new report folder")
    judge.add_argument("--gravity-only", action="store_true", help="only the gravity test (Type 1)")
    judge.add_argument(
        "--mode", choices=("kinematic", "pd", "policy"), help="how the humanoid moves (default: judge.mode)"
    )
    judge.add_argument(
        "--policy", type=Path,
        help="--mode policy: the exported TorchScript policy (exported/policy.pt) rolled out on each case",
    )  # fmt: skip
    judge.add_argument("--jobs", type=int, default=1, help="cases judged in parallel (several sources)")
    judge.add_argument("--ray", metavar="ADDRESS", help="judge the cases on Ray: local, auto, HOST:PORT or ray://...")
    judge.add_argument("--timeout", type=float, metavar="SECONDS", help="time limit per case (an error row past it)")
    judge.add_argument("--overwrite", action="store_true", help="replace the output folder if it exists")
    judge.set_defaults(run=_run_judge, trailing_overrides=True, overrides=[])

    run = commands.add_parser(
        "run", help="the main job: validate, judge the input, align, convert, judge the aligned case, report"
    )
    run.add_argument(
        "case", type=Path,
        help="case folder (hsi.json, e.g. from `hsimul3r ingest`) or capture folder (perception tools' outputs: "
        "docs/capture.md); never modified",
    )  # fmt: skip
    run.add_argument("-o", "--out", type=Path, required=True, help="run folder; a re-run reuses its finished stages")
    run.add_argument("--force", action="store_true", help="re-run every stage")
    _add_body_models(run)
    run.add_argument("--gravity-only", action="store_true", help="judge with the gravity test only (Type 1)")
    run.add_argument(
        "overrides", nargs="*", metavar="KEY=VALUE",
        help="configuration overrides, e.g. align.steps=200 judge.mode=kinematic convert.coacd.threshold=0.08",
    )  # fmt: skip
    run.set_defaults(run=_run_run, trailing_overrides=True)
    _add_bench(commands)
    _add_dsro(commands)
    _add_robot(commands)
    _add_retarget(commands)
    return parser


def _add_bench(commands) -> None:
    bench = commands.add_parser("bench", help="run the pipeline over a dataset of cases; the stage-by-stage table")
    bench.add_argument("dataset", type=Path, help="folder of cases (any depth; index.json read if present) or index")
    bench.add_argument("-o", "--out", type=Path, required=True, help="bench folder; a re-run finishes what is left")
    bench.add_argument("--stages", default="raw,align", help="comma-separated: raw, align, forward, reverse")
    bench.add_argument("--jobs", type=int, default=1, help="cases run in parallel on this machine")
    bench.add_argument("--ray", metavar="ADDRESS", help="run the cases on Ray: local, auto, HOST:PORT or ray://...")
    bench.add_argument("--timeout", type=float, metavar="SECONDS", help="time limit per case (an error row past it)")
    _add_body_models(bench)
    bench.add_argument("--gravity-only", action="store_true", help="judge with the gravity test only (Type 1)")
    bench.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="configuration overrides for every case")
    bench.set_defaults(run=_run_bench, trailing_overrides=True)


def _add_robot(commands) -> None:
    robot = commands.add_parser("robot", help="write a robot's USD asset folder (G1, H1) from the MJCF we install")
    robot.add_argument("robot", help="g1, h1, or a robot YAML of the same layout")
    robot.add_argument("-o", "--out", type=Path, required=True, help="new folder: <robot>.usd, robot.json, licences/")
    robot.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    robot.set_defaults(run=_run_robot)


def _add_retarget(commands) -> None:
    retarget = commands.add_parser("retarget", help="the human motion of a converted scene onto a robot (G1, H1)")
    retarget.add_argument("scene", type=Path, help="a folder written by `hsimul3r convert`, or a run folder")
    retarget.add_argument("--robot", default="g1", help="g1, h1, or a robot YAML")
    retarget.add_argument("-o", "--out", type=Path, required=True, help="new folder: robot_motion.npz, retarget.json")
    retarget.add_argument("--no-scene-terms", action="store_true", help="plain IK only (no contact, no penetration)")
    retarget.add_argument("--no-baseline", action="store_true", help="skip the plain-IK baseline")
    retarget.add_argument("--no-judge", action="store_true", help="skip judging the robot among the objects")
    retarget.add_argument(
        "--scale-objects", action="store_true", help="scale the objects to the robot with the human (not real size)"
    )
    retarget.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    retarget.set_defaults(run=_run_retarget)


def _add_dsro(commands) -> None:
    dsro = commands.add_parser("dsro", help="reverse pass: label generated objects with the judge, fine-tune, evaluate")
    sub = dsro.add_subparsers(dest="dsro_command", required=True, metavar="STEP")
    conditions = sub.add_parser("conditions", help="write a procedural condition set (observations + true shapes)")
    conditions.add_argument("-o", "--out", type=Path, required=True, help="new folder")
    conditions.add_argument("--count", type=int, default=40)
    conditions.add_argument("--seed", type=int, default=1)
    conditions.add_argument("--categories", default="chair,stool,table", help="comma-separated furniture categories")
    conditions.add_argument(
        "--from-cases", type=Path, nargs="+", metavar="CASE",
        help="instead: one condition per object with an observation in these cases (their motions judge samples)",
    )  # fmt: skip
    conditions.add_argument("--overwrite", action="store_true")
    conditions.set_defaults(run=_run_dsro_conditions)

    label = sub.add_parser("label", help="N samples per condition -> convert -> judge -> win / lose (resumable)")
    label.add_argument("conditions", type=Path, help="condition set (conditions.json)")
    label.add_argument("-o", "--out", type=Path, required=True, help="labels folder; a rerun resumes it")
    label.add_argument("--generator", type=Path, help="generator file (default: the one we ship)")
    label.add_argument("--samples", type=int, default=4, help="samples per condition")
    label.add_argument("--seed", type=int, default=0)
    label.add_argument("--jobs", type=int, default=1, help="samples judged in parallel")
    label.add_argument("--ray", metavar="ADDRESS", help="judge the samples on Ray: local, auto, HOST:PORT or ray://...")
    label.add_argument("--timeout", type=float, metavar="SECONDS", help="time limit per sample (it loses past it)")
    _add_body_models(label)
    label.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="convert / judge / humanoid overrides")
    label.set_defaults(run=_run_dsro_label, trailing_overrides=True)

    train = sub.add_parser("train", help="fine-tune the generator on the labels (dsro.loss=dpo|dro)")
    train.add_argument("labels", type=Path, help="labels folder from `hsimul3r dsro label`")
    train.add_argument(
        "-o", "--out", type=Path, required=True, help="new folder: generator.pt, train.json, tensorboard/"
    )
    train.add_argument("--generator", type=Path, help="generator to fine-tune (default: the one that was labelled)")
    train.add_argument("--overwrite", action="store_true")
    train.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="e.g. dsro.loss=dro dsro.steps=200")
    train.set_defaults(run=_run_dsro_train, trailing_overrides=True)

    evaluate = sub.add_parser("eval", help="compare generators on held-out conditions with the judge")
    evaluate.add_argument("conditions", type=Path, help="held-out condition set (never labelled nor trained on)")
    evaluate.add_argument("-o", "--out", type=Path, required=True, help="new folder: eval.json, eval.md, samples.png")
    evaluate.add_argument(
        "--generator", action="append", default=[], metavar="NAME=FILE",
        help="generator to evaluate (repeat; the first is best-of-N's baseline; default: pretrained=the shipped one)",
    )  # fmt: skip
    evaluate.add_argument("--samples", type=int, default=4)
    evaluate.add_argument("--seed", type=int, default=0)
    evaluate.add_argument("--jobs", type=int, default=1)
    evaluate.add_argument("--overwrite", action="store_true")
    _add_body_models(evaluate)
    evaluate.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="convert / judge / humanoid overrides")
    evaluate.set_defaults(run=_run_dsro_eval, trailing_overrides=True)


def _add_body_models(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--body-models",
        type=Path,
        help="folder with licensed SMPL-family files (default: $HSIMUL3R_BODY_MODELS, else the open model)",
    )


def _print_warnings(warnings: Sequence[object]) -> None:
    """Doubtful input the command accepted: one line each on stderr, as errors are."""
    for warning in warnings:
        print(f"hsimul3r: warning: {warning}", file=sys.stderr)


def _floats(text: str, count: int, file: str, field: str) -> np.ndarray:
    try:
        values = np.array([float(v) for v in text.split(",")])
    except ValueError:
        raise CaseError(file, field, f"expected {count} comma-separated numbers, got {text!r}") from None
    if values.shape != (count,) or not np.isfinite(values).all():
        raise CaseError(file, field, f"expected {count} comma-separated numbers, got {text!r}")
    return values


def _object_spec(tokens: list[str], args: argparse.Namespace):  # -> ObjectSpec
    from scipy.spatial.transform import Rotation

    from .ingest.importers.meshes import ObjectSpec

    path = Path(tokens[0])
    spec = ObjectSpec(path=path, scale=args.scale, up_axis=args.up)
    for token in tokens[1:]:
        key, sep, value = token.partition("=")
        if not sep or key not in _OBJECT_KEYS:
            raise CaseError(path, f"--object {token}", f"expected KEY=VALUE with KEY in {', '.join(_OBJECT_KEYS)}")
        if key in ("scale", "mass", "density"):
            number = float(_floats(value, 1, str(path), key)[0])
            setattr(spec, {"scale": "scale", "mass": "mass_kg", "density": "density_kg_m3"}[key], number)
        elif key == "up":
            if value not in ("y", "z"):
                raise CaseError(path, "up", f"must be y or z, got {value!r}")
            spec.up_axis = value
        elif key == "position":
            spec.position = _floats(value, 3, str(path), key)
        elif key == "orientation":
            spec.orientation = _floats(value, 4, str(path), key)
        elif key == "yaw_deg":
            yaw = float(_floats(value, 1, str(path), key)[0])
            spec.orientation = Rotation.from_euler("z", yaw, degrees=True).as_quat()
        elif key in ("static", "keep_origin"):
            if value.lower() not in ("true", "false"):
                raise CaseError(path, key, f"must be true or false, got {value!r}")
            setattr(spec, key, value.lower() == "true")
        else:
            setattr(spec, key, value)
    return spec


def _run_ingest(args: argparse.Namespace) -> int:
    from .ingest.importers import MotionImportOptions
    from .ingest.ingest_case import ingest
    from .ingest.preview import summary

    if args.capture is not None:
        return _ingest_capture(args)
    motion_file = str(args.motion)
    options = MotionImportOptions(
        up_axis=args.motion_up or args.up,
        gender=args.gender,
        body_models=args.body_models,
        pelvis_offset=None
        if args.pelvis_offset is None
        else _floats(args.pelvis_offset, 3, motion_file, "--pelvis-offset"),
        body_names=None if args.body_names is None else tuple(n.strip() for n in args.body_names.split(",")),
        quat_order=args.quat_order,
    )
    scene = ingest(
        args.out,
        motion=args.motion,
        motion_format=args.motion_format,
        motion_options=options,
        objects=[_object_spec(tokens, args) for tokens in args.object],
        point_clouds=[(path, args.scale, args.up or "z") for path in args.point_cloud],
        name=args.name,
        overwrite=args.overwrite,
    )
    print(summary(scene))
    _print_warnings(scene.warnings)
    print(f"case written to {args.out}")
    return 0


def _ingest_capture(args: argparse.Namespace) -> int:
    from .ingest.capture.folder import import_capture
    from .ingest.capture.to_case import load_capture_config
    from .ingest.importers import MotionImportOptions

    if args.motion is not None or args.object or args.point_cloud:
        raise CaseError(args.capture, "--capture", "a capture brings its own motion, objects and points: drop "
                        "--motion, --object and --point-cloud")  # fmt: skip
    if args.person != "all":
        overrides = [] if args.person is None else [f"capture.person={args.person}"]
        return _ingest_one_person(args, args.out, overrides)
    options = MotionImportOptions(body_models=args.body_models)
    capture = import_capture(args.capture, options, fps=load_capture_config().fps)
    for person in [p.person_id for p in capture.people if p.motion is not None and p.keypoints]:
        _ingest_one_person(args, args.out / person, [f"capture.person={person}"], capture)  # OUT/<person>
    return 0


def _ingest_one_person(
    args: argparse.Namespace, out: Path, overrides: list[str], capture: Capture | None = None
) -> int:
    from .hsi.case_io import load_case
    from .ingest.capture.to_case import capture_case, load_capture_config
    from .ingest.preview import summary

    config = load_capture_config(overrides)
    picture = out.parent / f"{out.name}.capture.png"
    record = capture_case(args.capture, out, config, models_dir=args.body_models, overwrite=args.overwrite,
                          picture=picture, imported=capture)  # fmt: skip
    print(summary(load_case(out)))
    print(f"person {record['person']} of {len(record['people'])}, cameras {', '.join(record['cameras'])}")
    print(f"case written to {out}; its world: {picture}")
    return 0


def _run_validate(args: argparse.Namespace) -> int:
    from .ingest.checks import load_checked_case

    scene = load_checked_case(args.case)
    _print_warnings(scene.warnings)
    frames = "no motion" if scene.motion is None else f"{scene.motion.num_frames} frames"
    print(f"ok: {args.case} is a valid case ({frames}, {len(scene.objects)} objects)")
    return 0


def _run_info(args: argparse.Namespace) -> int:
    from .ingest.checks import load_checked_case
    from .ingest.preview import render_preview, summary

    scene = load_checked_case(args.case)
    png = args.png or args.case.parent / f"{args.case.resolve().name}.preview.png"
    print(summary(scene))
    _print_warnings(scene.warnings)
    print(f"preview: {render_preview(scene, png)}")
    return 0


def _run_convert(args: argparse.Namespace) -> int:
    from .assets import convert_case, load_convert_config
    from .assets.humanoid_files import humanoid_builder

    build_humanoid = None if args.no_humanoid else humanoid_builder(args.body_models, args.overrides)
    report = convert_case(
        args.case, args.out, load_convert_config(args.overrides), overwrite=args.overwrite, progress=None,
        build_humanoid=build_humanoid,
    )  # fmt: skip
    for name, entry in report["objects"].items():
        collision = entry["collision"]
        lifted = f", lifted {entry['ground_shift_m']:.3f} m onto the floor" if entry["ground_shift_m"] else ""
        print(
            f"{name}: {collision['hull_count']} hull(s) ({collision['method']}"
            f"{', cached' if collision['cache_hit'] else ''}), {entry['mass']['mass_kg']:.3g} kg"
            f" ({entry['mass']['mass_source']}){lifted}, {entry['seconds']:.1f} s"
        )
        if collision["fallback_reason"]:
            fallback = collision["method"].replace("_", "-")  # convex-parts, or convex-hull: one hull of it all
            print(f"hsimul3r: warning: {name}: {fallback} fallback: {collision['fallback_reason']}", file=sys.stderr)
    _print_warnings(report["warnings"])
    humanoid = report["humanoid"]
    if humanoid["built"]:
        print(f"humanoid: {humanoid['usd']}, {humanoid['mjcf']} (see humanoid.json)")
    print(f"scene written to {args.out} ({len(report['objects'])} objects, {report['seconds']:.1f} s)")
    return 0


def _run_judge(args: argparse.Namespace) -> int:
    from functools import partial

    from .pipeline.policy_judge import judge_with_policy
    from .stability import judge_many, load_judge_config

    # `judge A B key=value`: argparse hands every positional to `sources`; settings are the KEY=VALUE ones.
    args.overrides += [str(p) for p in args.sources if "=" in p.name and not p.exists()]
    args.sources = [p for p in args.sources if str(p) not in args.overrides]
    config = load_judge_config(args.overrides)
    if len(args.sources) == 1:
        report = judge_with_policy(args.sources[0], args.out, config, mode=args.mode, gravity_only=args.gravity_only,
                                   overwrite=args.overwrite, policy=args.policy)  # fmt: skip
        for obj in report["objects"]:
            print(f"{obj['name']}: type {obj['type']}")
        print(f"{report['case']}: type {report['type']} ({report['seconds']:.1f} s); report in {args.out}")
        return 0
    rows = judge_many(args.sources, args.out, config, jobs=args.jobs, mode=args.mode, gravity_only=args.gravity_only,
                      overwrite=args.overwrite, judge_one=partial(judge_with_policy, policy=args.policy),
                      ray_address=args.ray, timeout_s=args.timeout)  # fmt: skip
    for row in rows:
        print(f"{row['case']}: {'type ' + str(row['type']) if row['error'] is None else 'error: ' + row['error']}")
    print(f"summary written to {args.out / 'summary.md'}")
    return 0


def _run_run(args: argparse.Namespace) -> int:
    from .ingest.checks import load_checked_case
    from .pipeline import RunOptions, run_job
    from .pipeline.capture_stages import is_capture_folder

    options = RunOptions(models_dir=args.body_models, gravity_only=args.gravity_only)
    run = run_job(args.case, args.out, args.overrides, options=options, force=args.force)
    if not is_capture_folder(args.case.absolute()):
        _print_warnings(load_checked_case(args.case).warnings)  # the input's doubts, once the job accepted it
    for when in ("before", "after", "reverse", "robot"):
        if run["verdict"][when] is not None:
            print(f"{when}: {_verdict_line(run['verdict'][when])}")
    print(f"Report: {args.out / run['files']['report_html']}")
    return 0


def _run_bench(args: argparse.Namespace) -> int:
    from .pipeline import RunOptions
    from .pipeline.bench import parse_stages, run_bench

    options = RunOptions(models_dir=args.body_models, gravity_only=args.gravity_only)
    bench = run_bench(
        args.dataset, args.out, parse_stages(args.stages), args.overrides, options=options, jobs=args.jobs,
        ray_address=args.ray, timeout_s=args.timeout,
    )  # fmt: skip
    for name, stage in bench["stages"].items():
        shares = ", ".join(f"Type {kind} {100 * (share or 0.0):.0f}%" for kind, share in stage["shares"].items())
        print(f"{name}: {shares} ({stage['judged']} cases)")
    print(f"{bench['completed']} of {bench['cases']} cases completed, {len(bench['errors'])} errors")
    print(f"Table: {args.out / 'bench.html'}")
    return 0


def _run_robot(args: argparse.Namespace) -> int:
    from .retarget.robot_files import robot_usd_name, write_robot_assets
    from .retarget.robot_model import load_robot

    robot = load_robot(args.robot)
    out = write_robot_assets(robot, args.out, overwrite=args.overwrite)
    print(f"{robot.description}: {len(robot.joints)} joints, {len(robot.bodies)} bodies, {robot.mass:.1f} kg")
    print(f"USD: {out / robot_usd_name(robot)}")
    return 0


def _run_retarget(args: argparse.Namespace) -> int:
    from .retarget.ik import IKSettings
    from .retarget.job import RETARGET_JSON, retarget_job

    settings = IKSettings(scene_terms=not args.no_scene_terms, scale_objects=args.scale_objects)
    report = retarget_job(
        args.scene, args.robot, args.out, settings, baseline=not args.no_baseline, judge=not args.no_judge,
        overwrite=args.overwrite,
    )  # fmt: skip
    for name in ("scene_terms", "plain_ik"):
        if name in report:
            metrics = report[name]
            print(
                f"{name}: contact gap {_mm(metrics['contact_gap_mm']['mean'])}, penetration max objects"
                f" {_mm(metrics['penetration_objects_mm']['max'])} floor {_mm(metrics['penetration_floor_mm']['max'])},"
                f" joint-limit violations {metrics['joint_limit_violations']},"
                f" {metrics['frames_per_second']:.0f} frames/s"
            )
    if "judge" in report:
        print(f"judged ({report['robot']}, kinematic): {_verdict_line(report['judge'])}")
    print(f"Report: {args.out / RETARGET_JSON}")
    return 0


def _verdict_line(verdict: dict) -> str:
    """`Type 4 (chair: Type 4)`: a judge's verdict on the case and per object."""
    from .pipeline.report import type_label

    kinds = ", ".join(f"{name}: {type_label(kind)}" for name, kind in verdict["objects"].items())
    return f"{type_label(verdict['type'])} ({kinds})"


def _mm(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} mm"


def _run_dsro_conditions(args: argparse.Namespace) -> int:
    from .dsro.conditions import conditions_from_cases, load_conditions, make_condition_set

    if args.from_cases:
        out = conditions_from_cases(args.out, args.from_cases, overwrite=args.overwrite)
    else:
        categories = tuple(c.strip() for c in args.categories.split(",") if c.strip())
        out = make_condition_set(args.out, args.count, args.seed, categories=categories, overwrite=args.overwrite)
    print(f"{len(load_conditions(out))} conditions written to {out}")
    return 0


def _run_dsro_label(args: argparse.Namespace) -> int:
    from .dsro.label import label_conditions
    from .dsro.shipped import SHIPPED_GENERATOR

    labels = label_conditions(
        args.conditions, args.out, args.generator or SHIPPED_GENERATOR, samples=args.samples, seed=args.seed,
        jobs=args.jobs, ray_address=args.ray, timeout_s=args.timeout, overrides=tuple(args.overrides),
        models_dir=args.body_models,
    )  # fmt: skip
    s = labels["summary"]
    print(
        f"{s['samples']} samples ({s['newly_judged']} judged now, {s['seconds_per_sample']:.2f} s each): "
        f"{100 * s['win_share']:.0f}% win, {100 * s['gravity_stable_share']:.0f}% stable under gravity; "
        f"{s['kept_conditions']} of {s['conditions']} conditions kept, {s['pairs']} pairs; {s['errors']} errors"
    )
    print(f"labels written to {args.out}")
    return 0


def _run_dsro_train(args: argparse.Namespace) -> int:
    import json

    from .dsro.config import load_dsro_config
    from .dsro.label import LABELS_JSON
    from .dsro.train import finetune

    generator = args.generator
    if generator is None:
        labels_json = args.labels / LABELS_JSON
        if not labels_json.is_file():
            raise CaseError(labels_json, "labels", "missing file (make labels with `hsimul3r dsro label`)")
        generator = Path(json.loads(labels_json.read_text(encoding="utf-8"))["generator"])
    report = finetune(args.labels, args.out, generator, load_dsro_config(args.overrides), overwrite=args.overwrite)
    print(
        f"{report['loss']} fine-tuning: {report['steps']} steps on {report['pairs']} pairs, {report['seconds']:.0f} s"
    )
    print(f"fine-tuned generator: {args.out / 'generator.pt'}")
    return 0


def _run_dsro_eval(args: argparse.Namespace) -> int:
    from .dsro.evaluate import evaluate
    from .dsro.shipped import SHIPPED_GENERATOR

    generators = {}
    for token in args.generator or [f"pretrained={SHIPPED_GENERATOR}"]:
        name, sep, file = token.partition("=")
        if not sep or not name or not file:
            raise CaseError(token, "--generator", "expected NAME=FILE, e.g. dpo=out/generator.pt")
        generators[name] = Path(file)
    report = evaluate(
        args.conditions, args.out, generators, samples=args.samples, seed=args.seed, jobs=args.jobs,
        overrides=tuple(args.overrides), models_dir=args.body_models, overwrite=args.overwrite,
    )  # fmt: skip
    for name, entry in report["generators"].items():
        m = entry["metrics"]
        chamfer = "n/a" if m["chamfer_mm"] is None else f"{m['chamfer_mm']:.1f} mm"
        print(f"{name}: {100 * m['gravity_stable_share']:.0f}% stable under gravity, Chamfer {chamfer}")
    print(f"report: {args.out / 'eval.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
