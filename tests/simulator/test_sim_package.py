"""The pip package of the simulator (simulator/pyproject.toml): its version is the collection's."""

import re
import subprocess
import sys

import pytest

from simhelpers import PYTHON, ROOT


def galaxy_version():
    match = re.search(r"^version:\s*['\"]?([^'\"\s#]+)", (ROOT / "galaxy.yml").read_text(), re.MULTILINE)
    assert match, "no version: line in galaxy.yml"
    return match.group(1)


def test_version_is_the_collection_version():
    sys.path.insert(0, str(ROOT))
    import simulator

    assert simulator.__version__ == galaxy_version(), (
        "simulator/__init__.py __version__ must be galaxy.yml's version")


def test_version_option_prints_the_version():
    result = subprocess.run([PYTHON, "-m", "simulator", "--version"], cwd=str(ROOT), capture_output=True,
                            text=True, timeout=30, check=False)
    assert (result.returncode, result.stdout, result.stderr) == (0, galaxy_version() + "\n", "")


def test_pyproject_reads_the_version_and_installs_the_command():
    tomllib = pytest.importorskip("tomllib")
    with open(str(ROOT / "simulator" / "pyproject.toml"), "rb") as handle:
        data = tomllib.load(handle)
    project = data["project"]
    assert project["name"] == "scalingo-simulator"
    assert project["dynamic"] == ["version"]
    assert data["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "simulator.__version__"}
    assert project["scripts"] == {"scalingo-simulator": "simulator.__main__:main"}
    assert project.get("dependencies", []) == []
    assert project["requires-python"] == ">=3.9"
    assert data["tool"]["setuptools"]["package-dir"] == {"simulator": "."}
