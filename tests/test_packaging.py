"""The wheel holds the whole app: built from the checkout, installed into a fresh virtualenv outside it,
it runs Django's checks, migrates, seeds and renders the demonstration report as a PDF.

Offline and quick: the wheel is built with this interpreter's setuptools (--no-build-isolation,
--no-index), and the new virtualenv gets dxpia from the wheel alone (--no-deps) while a .pth file lends
it this virtualenv's site-packages for Django, WeasyPrint and the rest. About half a minute
(pytest -m packaging runs only this).
"""

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from pypdf import PdfReader

pytestmark = pytest.mark.packaging

ROOT = Path(__file__).resolve().parent.parent
# What the build reads from the checkout; the rest (caches, virtualenvs, local data) stays behind.
NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv", "var", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", "test-artifacts", "tests",
    "bench", "docs",
)


def run(args, **kwargs):
    result = subprocess.run(args, capture_output=True, text=True, timeout=300, **kwargs)
    assert result.returncode == 0, f"{' '.join(map(str, args))} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A virtualenv outside the checkout with dxpia installed from a freshly built wheel, and an
    environment that points everything dxpia writes into a temporary folder."""
    work = tmp_path_factory.mktemp("packaging")
    # A copy, not the checkout itself: setuptools builds in the source folder and keeps build/ between
    # runs, where a file left from an earlier build would hide one missing from this one.
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=NOT_COPIED)
    wheels = work / "wheels"
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index",
         "--wheel-dir", str(wheels), str(source)])
    shutil.rmtree(source)
    (wheel,) = wheels.glob("dxpia-*.whl")

    venv = work / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    site_packages = run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]).strip()
    # The dependencies come from this virtualenv (after the new one's own site-packages, so the wheel's
    # dxpia comes first); the editable dxpia of this virtualenv is not on that path (its .pth is not read).
    Path(site_packages, "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index", str(wheel)])

    home = work / "home"  # the working folder: neither the checkout nor the virtualenv
    home.mkdir()
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DXPIA_", "DJANGO_", "DATABASE_URL", "PYTHON"))}
    env["DXPIA_CACHE_DIR"] = str(work / "cache")
    return {"venv": venv, "home": home, "env": env, "site_packages": Path(site_packages)}


def manage(installed, *args):
    """dxpia-manage, the installed console script (manage.py is not in the wheel)."""
    return run([str(installed["venv"] / "bin" / "dxpia-manage"), *args], cwd=installed["home"], env=installed["env"])


def test_the_installed_app_is_the_wheel_not_the_checkout(installed):
    where = run([str(installed["venv"] / "bin" / "python"), "-c",
                 "import assessments, dxpia; print(dxpia.__file__); print(assessments.__file__)"],
                cwd=installed["home"], env=installed["env"]).split()
    assert all(Path(path).is_relative_to(installed["site_packages"]) for path in where), where


def test_the_installed_wheel_checks_migrates_seeds_and_renders_a_report(installed):
    assert "System check identified no issues" in manage(installed, "check")
    manage(installed, "migrate", "--noinput", "-v0")
    # No DATABASE_URL: the default SQLite file of an installed dxpia is under the virtualenv.
    assert (installed["venv"] / "var" / "dxpia" / "dxpia.sqlite3").is_file()
    manage(installed, "seed")
    assessment_id = manage(installed, "demo_assessment").strip()
    assert assessment_id.isdigit()

    pdf = installed["home"] / "report.pdf"
    manage(installed, "render_report", assessment_id, "-o", str(pdf))
    reader = PdfReader(pdf)
    assert len(reader.pages) > 3
    text = "".join(page.extract_text() for page in reader.pages[:2])
    assert "美里町" in text  # the demonstration assessment's municipality (架空の事業)

    # Static files ship too: collectstatic finds the app's own CSS (and Bootstrap from its package).
    manage(installed, "collectstatic", "--noinput", "-v0")
    static = installed["venv"] / "var" / "dxpia" / "static"
    assert (static / "css" / "dxpia.css").is_file() and (static / "bootstrap" / "css" / "bootstrap.min.css").is_file()
