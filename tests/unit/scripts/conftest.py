"""A throwaway git repository laid out like the collection, with this checkout's scripts in it.

The scripts find their repository from their own path, so the tests run copies of them inside
the temporary repository, as `make docs-current` and `make release` run them here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[3] / "scripts"
# An outer git (a hook, a worktree) must not point the temporary repository's git elsewhere.
ENV = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
IDENTITY = ("-c", "user.name=Test", "-c", "user.email=test@example.invalid", "-c", "commit.gpgsign=false")
CHANGELOG = """\
ancestor: null
releases:
  1.0.0:
    changes:
      release_summary: First.
    release_date: '2026-01-01'
"""


class Repo:
    def __init__(self, path: Path):
        self.path = path

    def git(self, *args: str) -> str:
        return subprocess.run(
            ["git", *IDENTITY, *args],
            cwd=self.path,
            env=ENV,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()

    def write(self, name: str, text: str) -> None:
        path = self.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    def commit(self, message: str) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        return self.git("rev-parse", "HEAD")

    def run(self, script: str, *args: str, path: Path | None = None, **extra: str) -> subprocess.CompletedProcess:
        """The script run in the repository; ``path`` goes first on PATH, ``extra`` adds to the environment."""
        env = dict(ENV, **extra)
        if path:
            env["PATH"] = f"{path}{os.pathsep}{env['PATH']}"
        return subprocess.run(
            [sys.executable, str(self.path / "scripts" / script), *args],
            cwd=self.path,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    def line(self, page: str) -> str:
        result = self.run("page_fingerprint.py", "line", page)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    def measure(self) -> None:
        """What `make bench` and `make faults` do to the pages, then a commit of them."""
        self.write("docs/benchmarks.md", f"# Benchmarks\n\n{self.line('docs/benchmarks.md')}\n\n| numbers |\n")
        self.write("docs/fault-tolerance.md", f"# Faults\n\n{self.line('docs/fault-tolerance.md')}\n\n| rows |\n")
        self.commit("Pages measured")


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    made = Repo(tmp_path / "collection")
    made.path.mkdir()
    made.git("init", "-q", "-b", "main")
    (made.path / "scripts").mkdir()
    for script in ("page_fingerprint.py", "release.py"):
        shutil.copy(SCRIPTS / script, made.path / "scripts" / script)
    made.write(".gitignore", ".cache/\n__pycache__/\n")
    made.write("galaxy.yml", "namespace: vpsorg\nname: cloud\nversion: 1.1.0\n")
    made.write("changelogs/changelog.yaml", CHANGELOG)
    made.write("README.md", "# vpsorg.cloud\n")
    made.write("plugins/modules/thing.py", '"""A module."""\n')
    made.write("tests/integration/test_faults.py", "def test_fault():\n    pass\n")
    made.commit("Code")
    made.measure()
    return made
