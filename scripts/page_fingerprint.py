"""Fingerprints of the code a generated page measured, embedded in the page and checked by `make test`.

docs/benchmarks.md and docs/fault-tolerance.md are measurements of the collection, the simulator
and the scripts that drive them. Each page carries a SHA-256 over those files (their git-visible
paths and contents); `check` recomputes it and fails, naming the command that regenerates the
page, when the code changed since the page was made.

    page_fingerprint.py line PAGE      the line to embed (used by the report scripts)
    page_fingerprint.py check [PAGE..] exit 1 when a page is missing or out of date
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = ("plugins", "roles", "simulator/vps_sim", "tests/integration/harness.py", "scripts/page_fingerprint.py")
# page -> (the files it measured, the command that regenerates it)
PAGES = {
    "docs/benchmarks.md": (
        # extensions/eda: benchmarks/bench_events.py measures the event source.
        (*SHARED, "benchmarks", "simulator/bench", "scripts/bench_report.py", "playbooks", "extensions/eda"),
        "make bench",
    ),
    "docs/fault-tolerance.md": (
        (
            *SHARED,
            "tests/integration/test_faults.py",
            "tests/integration/fault_rows.py",
            "tests/integration/test_lost_answers.py",
            "tests/integration/test_not_the_api.py",
            "tests/integration/test_hostile_inputs.py",
            "tests/integration/test_environment.py",
            "tests/integration/test_rate_limited_runs.py",
            "tests/integration/test_inventory_rate_limit.py",
            "tests/integration/conftest.py",
            "tests/integration/callback_plugins",
            "scripts/fault_report.py",
        ),
        "make faults",
    ),
}
LINE = re.compile(r"^<!-- sources fingerprint: (?P<digest>[0-9a-f]{64}) -->$", re.MULTILINE)


def _files(sources) -> list[str]:
    """The git-visible files under ``sources`` (tracked, or new and not ignored), sorted."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", *sources],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return sorted({name for name in listed.split("\0") if name and (REPO / name).is_file()})


def fingerprint(page: str) -> str:
    digest = hashlib.sha256()
    for name in _files(PAGES[page][0]):
        digest.update(name.encode() + b"\0" + (REPO / name).read_bytes() + b"\0")
    return digest.hexdigest()


def line(page: str) -> str:
    return f"<!-- sources fingerprint: {fingerprint(page)} -->"


def problems(pages) -> list[str]:
    found = []
    for page in pages:
        sources, command = PAGES[page]
        path = REPO / page
        match = LINE.search(path.read_text()) if path.exists() else None
        if match is None:
            found.append(f"{page} has no sources fingerprint: regenerate it with `{command}`")
        elif match["digest"] != fingerprint(page):
            found.append(
                f"{page} was generated from other code than this checkout's ({', '.join(sources)} changed since): "
                f"regenerate it with `{command}` and commit it"
            )
    return found


def main(argv) -> int:
    if len(argv) == 2 and argv[0] == "line":
        print(line(argv[1]))
        return 0
    if argv and argv[0] == "check":
        found = problems(argv[1:] or sorted(PAGES))
        for problem in found:
            print(f"error: {problem}", file=sys.stderr)
        if not found:
            print(f"generated pages match the code they measured: {', '.join(argv[1:] or sorted(PAGES))}")
        return 1 if found else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
