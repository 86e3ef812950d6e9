"""What a measured page measured: the commit and the fingerprint of the code, stated on the page.

docs/benchmarks.md and docs/fault-tolerance.md are measurements of the collection, the simulator
and the scripts that drive them. Near its top each page says, in a visible line, the commit that
was checked out when it was measured (git HEAD, "with uncommitted changes" when the measured files
differed from it) and a SHA-256 over the measured files (their git-visible paths and contents):

    Measured on commit `<40 hex>`[ with uncommitted changes], code fingerprint `<64 hex>` (...).

A code change does not make a page wrong to keep: the page still says which code it measured.
Only a release needs pages measured on the code it ships (scripts/release.py, `make release`).

    page_fingerprint.py line PAGE        the line to put on the page (the report scripts call line())
    page_fingerprint.py check [PAGE..]   `make docs-current`: exit 1 when a page has no well-formed
                                         line or names a commit that is not in this checkout's history;
                                         a page measured on other code than this checkout's is a note
    page_fingerprint.py fresh [PAGE..]   exit 1 also when a page was measured on other code (a release)
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
            # Every test that records fault rows (the fault_row fixture), as `make faults` runs them.
            *sorted(
                str(path.relative_to(REPO))
                for path in (REPO / "tests" / "integration").glob("test_*.py")
                if "fault_row" in path.read_text(encoding="utf-8")
            ),
            "tests/integration/fault_rows.py",
            "tests/integration/conftest.py",
            "tests/integration/callback_plugins",
            "scripts/fault_report.py",
        ),
        "make faults",
    ),
}
DIRTY = " with uncommitted changes"
LINE = re.compile(
    r"^Measured on commit `(?P<commit>[0-9a-f]{40})`(?P<dirty>" + DIRTY + r")?, "
    r"code fingerprint `(?P<digest>[0-9a-f]{64})`",
    re.MULTILINE,
)


def _git(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=REPO, capture_output=True, check=check)


def _files(sources) -> list[str]:
    """The git-visible files under ``sources`` (tracked, or new and not ignored), sorted."""
    listed = _git("ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", *sources).stdout.decode()
    return sorted({name for name in listed.split("\0") if name and (REPO / name).is_file()})


def fingerprint(page: str) -> str:
    digest = hashlib.sha256()
    for name in _files(PAGES[page][0]):
        digest.update(name.encode() + b"\0" + (REPO / name).read_bytes() + b"\0")
    return digest.hexdigest()


def head() -> str:
    return _git("rev-parse", "--verify", "HEAD^{commit}").stdout.decode().strip()


def uncommitted(page: str) -> bool:
    """Whether a file the page measures differs from HEAD (changed, added or deleted)."""
    return bool(_git("status", "--porcelain", "--untracked-files=all", "--", *PAGES[page][0]).stdout.strip())


def line(page: str) -> str:
    """The line a report script writes near the top of ``page``, for the code checked out now."""
    return (
        f"Measured on commit `{head()}`{DIRTY if uncommitted(page) else ''}, "
        f"code fingerprint `{fingerprint(page)}` (SHA-256 of the files it measured, scripts/page_fingerprint.py)."
    )


def stated(page: str) -> re.Match | None:
    """The commit + fingerprint line of ``page``, or None when it has none."""
    path = REPO / page
    return LINE.search(path.read_text()) if path.is_file() else None


def in_history(commit: str) -> bool:
    if _git("cat-file", "-e", f"{commit}^{{commit}}", check=False).returncode != 0:
        return False
    return _git("merge-base", "--is-ancestor", commit, "HEAD", check=False).returncode == 0


def changed_since(commit: str, page: str) -> list[str]:
    """The measured files that differ between ``commit`` and the working tree (new ones included)."""
    sources = PAGES[page][0]
    changed = _git("diff", "--name-only", "-z", commit, "--", *sources).stdout.decode().split("\0")
    new = _git("ls-files", "-z", "--others", "--exclude-standard", "--", *sources).stdout.decode().split("\0")
    return sorted({name for name in changed + new if name})


def _some(names: list[str], shown: int = 4) -> str:
    more = len(names) - shown
    return ", ".join(names[:shown]) + (f" and {more} more" if more > 0 else "")


def problems(pages, *, fresh: bool = False) -> tuple[list[str], list[str]]:
    """(problems, notes) for ``pages``: with ``fresh`` a page measured on other code is a problem."""
    found, notes = [], []
    for page in pages:
        command = PAGES[page][1]
        match = stated(page)
        if match is None:
            found.append(
                f"{page} does not say what it measured (no line 'Measured on commit `<sha>`, code fingerprint "
                f"`<sha256>` (...).'): regenerate it with `{command}`"
            )
            continue
        commit = match["commit"]
        if not in_history(commit):
            shallow = _git("rev-parse", "--is-shallow-repository").stdout.decode().strip() == "true"
            found.append(
                f"{page} says it was measured on commit {commit}, which is not in this checkout's history"
                + (" (this clone is shallow: git fetch --unshallow)" if shallow else "")
                + f": regenerate it with `{command}`"
            )
            continue
        if match["digest"] != fingerprint(page):
            changed = changed_since(commit, page)
            since = f"{_some(changed)} changed since" if changed else "the measured files differ"
            message = (
                f"{page} was measured on other code than this checkout's (commit {commit[:12]}"
                f"{match['dirty'] or ''}; {since}): regenerate it with `{command}`"
            )
            if fresh:
                found.append(f"{message} and commit it")
            else:
                notes.append(f"{message} before a release")
    return found, notes


def main(argv) -> int:
    if len(argv) == 2 and argv[0] == "line" and argv[1] in PAGES:
        print(line(argv[1]))
        return 0
    if argv and argv[0] in ("check", "fresh") and all(page in PAGES for page in argv[1:]):
        pages = argv[1:] or sorted(PAGES)
        found, notes = problems(pages, fresh=argv[0] == "fresh")
        for note in notes:
            print(f"note: {note}")
        for problem in found:
            print(f"error: {problem}", file=sys.stderr)
        if not found:
            what = "match the code of this checkout" if argv[0] == "fresh" else "say the commit and code they measured"
            print(f"measured pages {what}: {', '.join(pages)}")
        return 1 if found else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
