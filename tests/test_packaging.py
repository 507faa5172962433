"""Reproducible installs and what ships: the lock is what is installed, the product wheel holds
no sandbox, the dev distributions plug their commands in, and no command is silently dropped."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from importlib.metadata import EntryPoint, distributions

import pytest

from hotrod import cli
from warehouse.settings import REPO_ROOT

LOCK = REPO_ROOT / "requirements.lock"
OURS = {"hotrod-analytics", "hotrod-sandbox", "hotrod-benchmarks"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _locked() -> dict[str, str]:
    pins = {}
    for line in LOCK.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
        if match:
            pins[_norm(match.group(1))] = match.group(2)
    return pins


def test_the_installed_distributions_are_exactly_the_locked_ones():
    installed = {_norm(d.metadata["Name"]): d.version for d in distributions()}
    locked = _locked()
    assert len(locked) > 100
    wrong = {
        name: (pin, installed.get(name))
        for name, pin in locked.items()
        if installed.get(name) != pin
    }
    assert wrong == {}, "run `make install` (installs requirements.lock)"
    assert set(installed) - set(locked) - OURS <= {"pip"}


def test_the_lock_is_portable():
    text = LOCK.read_text()
    assert "make lock" in text.splitlines()[1]
    assert not re.search(r"^\s*--(index-url|extra-index-url|find-links)", text, re.MULTILINE)
    assert "file://" not in text and "/opt/" not in text


@pytest.mark.parametrize(
    "project", ["pyproject.toml", "sandbox/pyproject.toml", "benchmarks/pyproject.toml"]
)
def test_every_third_party_dependency_is_locked(project):
    data = tomllib.loads((REPO_ROOT / project).read_text())["project"]
    wanted = list(data["dependencies"]) + list(data.get("optional-dependencies", {}).get("dev", []))
    names = {_norm(re.split(r"[\s<>=~!\[;]", spec, maxsplit=1)[0]) for spec in wanted}
    assert names - OURS - set(_locked()) == set()


def test_the_product_wheel_holds_no_sandbox_and_no_benchmarks(tmp_path):
    # Build from a copy: a build in the checkout would leave metadata there.
    source = tmp_path / "src"
    shutil.copytree(
        REPO_ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".venv", ".hotrod", ".git", "target", "__pycache__", "*.egg-info"
        ),
    )
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-cache-dir",
            "--quiet",
            "--wheel-dir",
            str(tmp_path / "dist"),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    [wheel] = (tmp_path / "dist").glob("hotrod_analytics-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert tops == {"hotrod", "warehouse", "extractors", "orchestration"}
    # the warehouse migrations ship with the product (SQL files and the Alembic environment)
    assert "warehouse/migrations/sql/0001_baseline/002_raw_tables.sql" in names
    assert "warehouse/migrations/versions/0001_baseline.py" in names
    assert "warehouse/migrations/script.py.mako" in names
    [entry_points] = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    declared = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "[hotrod.commands]" in declared and "sandbox" not in declared


def test_the_dev_distributions_plug_their_commands_and_the_sandbox_source_in():
    commands = {ep.name: ep.value for ep in cli.command_entry_points()}
    assert commands["sandbox"] == "sandbox.cli:register"
    assert commands["bench"] == "benchmarks.cli:register"
    assert {"db", "dbt", "run", "extract", "dagster", "docs", "privacy"} <= set(commands)


def test_a_command_that_fails_to_load_is_an_error(monkeypatch, capsys):
    broken = EntryPoint("broken", "no_such_module_here:register", cli.COMMAND_GROUP)
    monkeypatch.setattr(cli, "command_entry_points", lambda: [broken])
    assert cli.main(["db", "status"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("hotrod: error: command 'broken' (no_such_module_here:register)")


def test_a_dev_command_that_is_not_installed_is_named(monkeypatch, capsys):
    product = [ep for ep in cli.command_entry_points() if ep.name not in cli.DEV_COMMANDS]
    monkeypatch.setattr(cli, "command_entry_points", lambda: product)
    assert cli.main(["sandbox", "generate"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "hotrod: error: `hotrod sandbox` needs the sandbox "
        "(pip install --no-deps -e ./sandbox), not installed"
    ]
