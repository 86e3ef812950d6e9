"""`make release` (scripts/release.py) in a throwaway repository: what it refuses and what it runs."""

from __future__ import annotations

import pytest

# release.py needs what `make release` runs with: the tool venv's antsibull-changelog brings it.
pytest.importorskip("semantic_version")

STUB_CHANGELOG = """#!/bin/sh
echo "antsibull-changelog $*" >> "$STUB_LOG"
"""
STUB_GALAXY = """#!/bin/sh
echo "ansible-galaxy $*" >> "$STUB_LOG"
mkdir -p .cache/release && touch .cache/release/vpsorg-cloud-1.1.0.tar.gz
"""


def refused(result) -> list[str]:
    assert result.returncode == 1, result.stdout
    return [line for line in result.stderr.splitlines() if line.startswith("release refused: ")]


def test_fresh_pages_a_clean_tree_and_a_new_version_pass(repo):
    result = repo.run("release.py", "--check")
    assert result.returncode == 0, result.stderr
    assert "release: 1.1.0 may be released" in result.stdout


def test_a_page_measured_on_older_code_is_refused(repo):
    repo.write("plugins/modules/thing.py", '"""A module, its docstring edited."""\n')
    repo.commit("Docstring")
    lines = refused(repo.run("release.py", "--check"))
    assert len(lines) == 2
    assert lines[0].startswith("release refused: docs/benchmarks.md was measured on other code than this checkout's")
    assert lines[0].endswith("plugins/modules/thing.py changed since): regenerate it with `make bench` and commit it")
    assert lines[1].startswith("release refused: docs/fault-tolerance.md was measured on other code")
    assert lines[1].endswith("regenerate it with `make faults` and commit it")


def test_measuring_again_lifts_the_refusal(repo):
    repo.write("plugins/modules/thing.py", '"""A module, its docstring edited."""\n')
    repo.commit("Docstring")
    repo.measure()
    assert repo.run("release.py", "--check").returncode == 0


def test_a_dirty_tree_is_refused(repo):
    repo.write("README.md", "# vpsorg.cloud, edited\n")
    repo.write("notes.txt", "new\n")
    lines = refused(repo.run("release.py", "--check"))
    assert lines == [
        "release refused: the working tree has uncommitted changes (README.md, notes.txt): commit or stash them"
    ]


@pytest.mark.parametrize("version", ["1.0.0", "0.9.0", "1.0.0-rc.1"])
def test_a_version_not_newer_than_the_last_release_is_refused(repo, version):
    repo.write("galaxy.yml", f"namespace: vpsorg\nname: cloud\nversion: {version}\n")
    repo.commit("Version")
    lines = refused(repo.run("release.py", "--check"))
    assert lines == [
        f"release refused: galaxy.yml's version {version} is not newer than the last release in "
        "changelogs/changelog.yaml (1.0.0): raise it in galaxy.yml"
    ]


def test_the_first_release_needs_no_earlier_one(repo):
    repo.write("changelogs/changelog.yaml", "ancestor: null\nreleases: {}\n")
    repo.commit("No release yet")
    assert repo.run("release.py", "--check").returncode == 0


def stubs(tmp_path):
    """antsibull-changelog and ansible-galaxy stand-ins that log their arguments to the returned file."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in (("antsibull-changelog", STUB_CHANGELOG), ("ansible-galaxy", STUB_GALAXY)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    return bin_dir, tmp_path / "calls.log"


def test_a_release_runs_the_changelog_release_and_builds_the_tarball(repo, tmp_path):
    bin_dir, log = stubs(tmp_path)
    result = repo.run("release.py", path=bin_dir, STUB_LOG=str(log))
    assert result.returncode == 0, result.stderr
    assert log.read_text().splitlines() == [
        "antsibull-changelog release --version 1.1.0",
        "ansible-galaxy collection build --force --output-path .cache/release .",
    ]
    assert result.stdout.splitlines()[-1] == ".cache/release/vpsorg-cloud-1.1.0.tar.gz"


def test_a_refused_release_runs_nothing(repo, tmp_path):
    bin_dir, log = stubs(tmp_path)
    repo.write("plugins/modules/thing.py", '"""Changed and not measured."""\n')
    repo.commit("Change")
    result = repo.run("release.py", path=bin_dir, STUB_LOG=str(log))
    assert result.returncode == 1
    assert not log.exists()
