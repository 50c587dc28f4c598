"""The package as users install it: entry points, console script, Kit-free imports, the Kit manifest."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from hsimul3r_ext.ui.scene_path import scene_to_open

ROOT = Path(__file__).resolve().parents[1]


def test_isaaclab_tasks_entry_point_points_at_our_tasks() -> None:
    points = importlib.metadata.entry_points(group="isaaclab.tasks")
    ours = [point for point in points if point.name == "hsimul3r_ext"]
    assert len(ours) == 1 and ours[0].value == "hsimul3r_ext.tasks"


def test_isaaclab_discovers_the_entry_point() -> None:
    from isaaclab.cli import load_external_tasks

    load_external_tasks()
    assert "hsimul3r_ext.tasks" in sys.modules


def test_console_script_is_installed() -> None:
    scripts = importlib.metadata.entry_points(group="console_scripts")
    assert [p.value for p in scripts if p.name == "hsimul3r"] == ["hsimul3r_ext.cli:main"]
    result = subprocess.run([Path(sys.executable).parent / "hsimul3r", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "ingest" in result.stdout and "validate" in result.stdout


def test_imports_need_neither_isaac_sim_nor_torch() -> None:
    code = (
        "import sys, hsimul3r_ext, hsimul3r_ext.hsi, hsimul3r_ext.tasks, hsimul3r_ext.ui, hsimul3r_ext.cli;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('omni', 'carb', 'isaacsim', 'torch', 'warp'));"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_kit_manifest_names_a_kit_only_ui_module() -> None:
    manifest = tomllib.loads((ROOT / "extension.toml").read_text())
    modules = manifest["python"]["module"]
    assert [m["name"] for m in modules] == ["hsimul3r_ext.ui.extension"]
    module_file = ROOT / modules[0]["path"] / "hsimul3r_ext" / "ui" / "extension.py"
    assert module_file.is_file()
    assert manifest["package"]["version"] == importlib.metadata.version("hsimul3r_ext")
    with pytest.raises(ModuleNotFoundError, match=r"carb|omni"):
        import hsimul3r_ext.ui.extension  # noqa: F401  (outside Kit this must fail, not half-work)


def test_ui_opens_a_converted_folder_or_a_usd_file(tmp_path: Path) -> None:
    (tmp_path / "scene.usda").write_text("#usda 1.0\n")
    assert scene_to_open(tmp_path) == tmp_path / "scene.usda"
    assert scene_to_open(tmp_path / "scene.usda") == tmp_path / "scene.usda"
    with pytest.raises(FileNotFoundError, match=r"no scene\.usda"):
        scene_to_open(tmp_path / "elsewhere")


def test_readme_opens_with_the_two_commands_and_ci_runs_the_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```")[1]
    assert [line.strip() for line in first_block.strip().splitlines()[1:]] == ["make demo", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text().splitlines()[-1]
