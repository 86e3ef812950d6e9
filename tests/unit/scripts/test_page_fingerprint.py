"""`make docs-current` (scripts/page_fingerprint.py check) and the line the report scripts write."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "scripts"))
import page_fingerprint


def test_a_page_measured_on_this_code_passes(repo):
    result = repo.run("page_fingerprint.py", "check")
    assert result.returncode == 0, result.stderr
    assert "note:" not in result.stdout
    assert "measured pages say the commit and code they measured" in result.stdout


def test_a_code_change_lands_without_measuring_again(repo):
    repo.write("plugins/modules/thing.py", '"""A module, its docstring edited."""\n')
    repo.commit("Docstring")
    result = repo.run("page_fingerprint.py", "check")
    assert result.returncode == 0, result.stderr
    assert "note: docs/benchmarks.md was measured on other code than this checkout's" in result.stdout
    assert "plugins/modules/thing.py changed since): regenerate it with `make bench` before a release" in result.stdout


def test_the_line_names_head_and_says_when_the_measured_code_was_uncommitted(repo):
    head = repo.git("rev-parse", "HEAD")
    assert repo.line("docs/benchmarks.md").startswith(f"Measured on commit `{head}`, code fingerprint `")
    repo.write("README.md", "# Not measured\n")
    assert " with uncommitted changes" not in repo.line("docs/benchmarks.md")
    repo.write("plugins/modules/other.py", '"""New, not committed."""\n')
    line = repo.line("docs/benchmarks.md")
    assert line.startswith(f"Measured on commit `{head}` with uncommitted changes, code fingerprint `")
    assert page_fingerprint.LINE.search(line)


def test_a_page_that_does_not_say_what_it_measured_fails(repo):
    repo.write("docs/benchmarks.md", "# Benchmarks\n\n<!-- sources fingerprint: " + "0" * 64 + " -->\n")
    result = repo.run("page_fingerprint.py", "check")
    assert result.returncode == 1
    assert "error: docs/benchmarks.md does not say what it measured" in result.stderr
    assert "regenerate it with `make bench`" in result.stderr
    assert "docs/fault-tolerance.md" not in result.stderr


@pytest.mark.parametrize("where", ["unknown", "side branch"])
def test_a_commit_outside_the_history_fails(repo, where):
    if where == "unknown":
        line = f"Measured on commit `{'0' * 40}`, code fingerprint `{'0' * 64}` (made up)."
    else:
        repo.git("checkout", "-q", "-b", "side")
        repo.write("plugins/modules/thing.py", '"""Never merged."""\n')
        repo.commit("Side")
        line = repo.line("docs/fault-tolerance.md")
        repo.git("checkout", "-q", "main")
    repo.write("docs/fault-tolerance.md", f"# Faults\n\n{line}\n")
    result = repo.run("page_fingerprint.py", "check")
    assert result.returncode == 1
    assert "error: docs/fault-tolerance.md says it was measured on commit" in result.stderr
    assert "which is not in this checkout's history: regenerate it with `make faults`" in result.stderr


def test_fresh_fails_on_a_page_measured_on_other_code(repo):
    # A test that records fault rows is what the fault page measures.
    repo.write("tests/integration/test_faults.py", "def test_fault(fault_row):\n    assert fault_row\n")
    repo.commit("Fault test")
    result = repo.run("page_fingerprint.py", "fresh")
    assert result.returncode == 1
    assert "error: docs/fault-tolerance.md was measured on other code" in result.stderr
    assert "docs/benchmarks.md" not in result.stderr  # the benchmarks do not measure the fault tests


def test_the_fault_report_writes_the_line_under_its_title():
    import fault_report

    row = {"scenario": "R1", "outcome": "passed", "runs": 1, "requests": 10, "error_faults": 3}
    row.update(latency_spikes=0, failed_tasks=0, duplicates=0, token_occurrences=0)
    lines = fault_report.render([row]).splitlines()
    match = page_fingerprint.LINE.match(lines[2])
    assert lines[0] == "# Fault tolerance, measured" and match
    assert match["commit"] == page_fingerprint.head()
    assert match["digest"] == page_fingerprint.fingerprint(fault_report.PAGE)


def test_the_benchmark_report_writes_the_line_near_its_top(tmp_path):
    pytest.importorskip("matplotlib")
    import bench_report

    text, _images = bench_report.build([], tmp_path / "benchmarks.md", [])
    match = page_fingerprint.LINE.search(text)
    assert match and text.index(match[0]) < text.index("## Machine and versions")
    assert match["commit"] == page_fingerprint.head()
    assert match["digest"] == page_fingerprint.fingerprint(bench_report.PAGE)
