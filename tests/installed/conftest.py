"""The hooktui a user installs: the built wheel in a virtualenv of its own, run from outside the checkout.

CI (`.ci/run`) builds the sdist from a clean copy of the checkout and, from the sdist, the wheel; installs the
wheel with its dependencies into a fresh virtualenv and names them here: `HOOKTUI_SDIST`, `HOOKTUI_WHEEL` and
`HOOKTUI_INSTALLED` (that virtualenv's `hooktui`). Without them (`python -m pytest` in a checkout), the session
builds both the same way and installs the wheel without its dependencies, into a virtualenv that borrows this
interpreter's site-packages for them — but never the editable checkout: `hookdeck_tui` must import from the
wheel's copy, which the fixture checks."""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

CHECKOUT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Installed:
    sdist: Path
    wheel: Path
    hooktui: Path  # the console script in the virtualenv

    @property
    def python(self) -> Path:
        return self.hooktui.parent / "python"

    def env(self, home: Path, **extra: str) -> dict[str, str]:
        """A user's environment: the virtualenv's bin first, a home of its own, nothing of the checkout's."""
        env = {key: value for key, value in os.environ.items()
               if key not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME") and not key.startswith("HOOKTUI_")}
        return {**env, "HOME": str(home), "XDG_DATA_HOME": str(home / ".local/share"),
                "XDG_CONFIG_HOME": str(home / ".config"), "PATH": f"{self.hooktui.parent}{os.pathsep}{env['PATH']}",
                "PYTHONUNBUFFERED": "1", **extra}


# what a clean copy lacks: setuptools would otherwise reuse a checkout's build/lib and egg-info/SOURCES.txt, and
# a file missing from the package data would still reach the wheel
NOT_IN_A_CLEAN_COPY = shutil.ignore_patterns(".git", "*.egg-info", "build", "dist", "__pycache__", ".pytest_cache",
                                             ".hypothesis", ".venv", "*.db", "*.db-*")


def _build_and_install(workdir: Path) -> Installed:
    source, dist = workdir / "source", workdir / "dist"
    shutil.copytree(CHECKOUT, source, ignore=NOT_IN_A_CLEAN_COPY)
    subprocess.run([sys.executable, "-m", "build", "--outdir", str(dist), str(source)], check=True,
                   capture_output=True, timeout=600)  # the sdist, then the wheel from the sdist
    (sdist,), (wheel,) = dist.glob("hookdeck_tui-*.tar.gz"), dist.glob("hookdeck_tui-*.whl")
    venv = workdir / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    # the dependencies come from this interpreter's site-packages, appended after the venv's own (a path line in a
    # .pth adds the directory without running the .pth files inside it, so the editable install stays out)
    (next(venv.glob("lib/python*/site-packages")) / "borrowed_dependencies.pth").write_text(
        "\n".join(site.getsitepackages()) + "\n")
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                    str(wheel)], check=True, timeout=300)
    return Installed(sdist, wheel, venv / "bin" / "hooktui")


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    if os.environ.get("HOOKTUI_INSTALLED"):
        sdist, wheel = os.environ.get("HOOKTUI_SDIST"), os.environ.get("HOOKTUI_WHEEL")
        assert sdist and wheel, "with HOOKTUI_INSTALLED, HOOKTUI_SDIST and HOOKTUI_WHEEL name what it came from"
        found = Installed(Path(sdist), Path(wheel), Path(os.environ["HOOKTUI_INSTALLED"]))
    else:
        found = _build_and_install(tmp_path_factory.mktemp("installed"))
    where = subprocess.run([str(found.python), "-c", "import hookdeck_tui; print(hookdeck_tui.__file__)"],
                           capture_output=True, text=True, check=True, cwd=found.hooktui.parent,
                           env=found.env(found.hooktui.parent)).stdout.strip()
    assert Path(where).resolve().is_relative_to(found.hooktui.parent.parent.resolve()), \
        f"the installed hooktui imports {where}, not the wheel's copy"
    assert not Path(where).resolve().is_relative_to(CHECKOUT)
    return found


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A user's home and working directory, outside the checkout."""
    (tmp_path / "home").mkdir()
    return tmp_path / "home"
