"""The lock files say what pyproject.toml says: each dependency pinned there is locked at the same
version, nothing is locked as a dependency of dxpia that pyproject.toml no longer names, and every
locked package carries the hashes of its files. After a change to pyproject.toml: bash scripts/lock.sh."""

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
RUNTIME = PROJECT["dependencies"]
TEST = RUNTIME + PROJECT["optional-dependencies"]["test"]


def pins(requirements: list[str]) -> dict[str, str]:
    """{canonical name: version} of pyproject.toml's requirements, each of which must be an exact pin."""
    pinned = {}
    for line in requirements:
        requirement = Requirement(line)
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", f"{line}: pyproject.toml pins every dependency with =="
        pinned[canonicalize_name(requirement.name)] = specifier.version
    return pinned


def read_lock(text: str) -> dict[str, dict]:
    """{canonical name: {"version", "hashes", "direct"}} of a lock file written by uv pip compile;
    "direct" when pyproject.toml itself asks for the package (its "# via" names dxpia)."""
    locked, current = {}, None
    for line in text.splitlines():
        if match := re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^ ;\\]+)", line):
            current = {"version": match[2], "hashes": 0, "direct": False}
            locked[canonicalize_name(match[1])] = current
        elif current is not None and line.strip().startswith("--hash=sha256:"):
            current["hashes"] += 1
        elif current is not None and line.strip().startswith("#") and line.rstrip().endswith("dxpia (pyproject.toml)"):
            current["direct"] = True
    return locked


def test_read_lock_reads_pins_hashes_and_what_pyproject_asks_for():
    text = """# header
django==5.2.19 \\
    --hash=sha256:aa \\
    --hash=sha256:bb
    # via
    #   -c requirements.lock
    #   dxpia (pyproject.toml)
pydyf==0.13.0 \\
    --hash=sha256:cc
    # via weasyprint
"""
    assert read_lock(text) == {
        "django": {"version": "5.2.19", "hashes": 2, "direct": True},
        "pydyf": {"version": "0.13.0", "hashes": 1, "direct": False},
    }


@pytest.mark.parametrize("lock_name, requirements", [("requirements.lock", RUNTIME), ("requirements-test.lock", TEST)])
def test_the_lock_pins_what_pyproject_pins(lock_name, requirements):
    locked = read_lock((ROOT / lock_name).read_text(encoding="utf-8"))
    wanted = pins(requirements)
    differing = {name: (version, locked.get(name, {}).get("version")) for name, version in wanted.items()
                 if locked.get(name, {}).get("version") != version}
    assert not differing, f"{lock_name} is out of date ({{name: (pyproject, lock)}}): run bash scripts/lock.sh\n{differing}"
    stale = sorted(name for name, entry in locked.items() if entry["direct"] and name not in wanted)
    assert not stale, f"{lock_name} still locks what pyproject.toml dropped: run bash scripts/lock.sh\n{stale}"
    unhashed = sorted(name for name, entry in locked.items() if entry["hashes"] == 0)
    assert not unhashed, f"{lock_name}: no hashes for {unhashed}"
    # The dependencies' own dependencies are locked too (they decide the PDF bytes).
    assert {"pydyf", "tinycss2", "fonttools", "cssselect2"} <= locked.keys()


def test_the_test_lock_installs_the_same_versions_as_the_runtime_lock():
    runtime = read_lock((ROOT / "requirements.lock").read_text(encoding="utf-8"))
    test = read_lock((ROOT / "requirements-test.lock").read_text(encoding="utf-8"))
    differing = {name: (entry["version"], test.get(name, {}).get("version"))
                 for name, entry in runtime.items() if test.get(name, {}).get("version") != entry["version"]}
    assert not differing
