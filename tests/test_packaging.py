"""A built wheel carries everything docqa reads at run time, and works outside the checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project built as a wheel (no download: the test environment's setuptools)."""
    out = tmp_path_factory.mktemp("wheel")
    # A copy of the sources (links kept as links): building in place would leave build/.
    source = out / "source"
    skip = shutil.ignore_patterns(".*", "index", "build", "dist", "artifacts", "*.egg-info")
    shutil.copytree(REPO, source, symlinks=True, ignore=skip)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(out), str(source)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    (built,) = out.glob("docqa-*.whl")
    return built


def test_the_wheel_carries_prompts_static_files_and_calibration_text(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        "app/prompt_templates/answer.yaml",
        "app/prompt_templates/condense.yaml",
        "app/server/static/embed.js",
        "app/server/static/docs.js",
        "app/embeddings/calibration.txt",
    }
    assert expected <= names
    # Product code only: benchmarks and test support stay in the checkout.
    assert not [n for n in names if n.startswith(("tests/", "app/bench/"))]


def test_a_clean_venv_with_the_wheel_starts_in_llm_mode(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
         "--no-deps", str(wheel)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    # The dependencies come from the test environment's site-packages, read as a plain
    # folder: its .pth files (this checkout's editable install among them) are not run.
    site = Path(
        subprocess.check_output(
            [str(python), "-c", "import site; print(site.getsitepackages()[0])"], text=True
        ).strip()
    )
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", "utf-8")
    script = (
        "import app.settings as s\n"
        "from app.service import DocQA\n"
        "assert 'site-packages' in s.__file__, s.__file__\n"
        "settings = s.Settings(answerer='llm', llm_provider='openai', llm_model='m',\n"
        "                      llm_base_url='http://127.0.0.1:9/v1', _env_file=None)\n"
        "DocQA(settings).check_answerer()\n"
        "print(settings.prompts_dir)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCQA_")}
    done = subprocess.run(
        [str(python), "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith(str(site))
