"""The built wheel: it ships the example workflows, and an installed package offers them.

Builds the wheel with the project's own build backend (no download), unpacks it as an
installer would, and imports Flowwright from there in a fresh interpreter.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from testkit import IN_CI

pytestmark = pytest.mark.slow  # builds a wheel: a few seconds

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))

# What the designer finds, as run from the installed package (first on sys.path).
OFFERED = """\
import json, sys
sys.path.insert(0, sys.argv[1])
import flowwright
from flowwright.settings import Settings
from flowwright.wiring.designer import RegistryDesignGuide, examples_dir
folder = examples_dir(Settings().designer_examples_dir)
examples = RegistryDesignGuide(folder).examples()
print(json.dumps({
    "package": flowwright.__file__,
    "folder": str(folder),
    "examples": {e.name: e.text for e in examples},
}))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if importlib.util.find_spec("hatchling") is None:
        message = "hatchling (in the test extra) is needed to build the wheel"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    out = tmp_path_factory.mktemp("wheel")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    (built,) = out.glob("flowwright-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("site-packages")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    return site


def offered(site: Path, cwd: Path, **env: str) -> dict[str, Any]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FLOWWRIGHT_")}
    done = subprocess.run(
        [sys.executable, "-c", OFFERED, str(site)],
        env={**clean, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_the_wheel_holds_the_example_workflows_and_nothing_else_of_examples(wheel: Path) -> None:
    assert len(EXAMPLES) >= 10
    with zipfile.ZipFile(wheel) as archive:
        shipped = {
            name.removeprefix("flowwright/examples/"): archive.read(name)
            for name in archive.namelist()
            if name.startswith("flowwright/examples/")
        }
    assert shipped == {path.name: path.read_bytes() for path in EXAMPLES}


def test_an_installed_package_offers_its_shipped_examples_without_configuration(
    installed: Path, tmp_path: Path
) -> None:
    result = offered(installed, tmp_path)

    assert Path(result["package"]).is_relative_to(installed)
    assert Path(result["folder"]) == installed / "flowwright" / "examples"
    assert result["examples"] == {p.name: p.read_text(encoding="utf-8") for p in EXAMPLES}


def test_the_configured_examples_folder_overrides_the_shipped_ones(
    installed: Path, tmp_path: Path
) -> None:
    own = tmp_path / "own"
    own.mkdir()
    (own / "house-style.yaml").write_text("kind: Workflow\n", encoding="utf-8")
    (own / "notes.txt").write_text("not an example\n", encoding="utf-8")

    result = offered(installed, tmp_path, FLOWWRIGHT_DESIGNER_EXAMPLES_DIR=str(own))

    assert Path(result["package"]).is_relative_to(installed)
    assert result["examples"] == {"house-style.yaml": "kind: Workflow\n"}
