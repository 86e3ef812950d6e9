"""Cut a release of the collection (`make release`): the changelog release and the tarball.

Refuses, exit 1, naming what to do, when:
- the working tree has uncommitted changes (a release is one commit's code);
- a measured page (docs/benchmarks.md, docs/fault-tolerance.md) was measured on other code than
  this checkout's (scripts/page_fingerprint.py): it names the page and the command that
  regenerates it;
- galaxy.yml's version is not newer than the last release in changelogs/changelog.yaml.
Then runs `antsibull-changelog release --version <galaxy.yml's version>` and
`ansible-galaxy collection build` into .cache/release/ and prints the tarball's path; the
changelog changes are left to commit and tag. `--check` runs the refusals only.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import page_fingerprint
import yaml
from semantic_version import Version

REPO = page_fingerprint.REPO
OUT = ".cache/release"


def uncommitted() -> list[str]:
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"], cwd=REPO, capture_output=True, check=True
    )
    return [entry[3:] for entry in status.stdout.decode().splitlines() if entry]


def galaxy() -> dict:
    return yaml.safe_load((REPO / "galaxy.yml").read_text())


def released() -> list[Version]:
    changelog = yaml.safe_load((REPO / "changelogs/changelog.yaml").read_text()) or {}
    return sorted(Version(str(version)) for version in changelog.get("releases") or {})


def refusals() -> list[str]:
    found = []
    dirty = uncommitted()
    if dirty:
        more = f" and {len(dirty) - 5} more" if len(dirty) > 5 else ""
        found.append(f"the working tree has uncommitted changes ({', '.join(dirty[:5])}{more}): commit or stash them")
    stale, _notes = page_fingerprint.problems(sorted(page_fingerprint.PAGES), fresh=True)
    found += stale
    version = str(galaxy().get("version"))
    try:
        new = Version(version)
    except ValueError:
        found.append(f"galaxy.yml's version {version!r} is not a semantic version")
    else:
        last = released()
        if last and new <= last[-1]:
            found.append(
                f"galaxy.yml's version {new} is not newer than the last release in changelogs/changelog.yaml "
                f"({last[-1]}): raise it in galaxy.yml"
            )
    return found


def release() -> int:
    meta = galaxy()
    version = str(meta["version"])
    print(f"release: {meta['namespace']}.{meta['name']} {version}")
    steps = (
        ["antsibull-changelog", "release", "--version", version],
        ["ansible-galaxy", "collection", "build", "--force", "--output-path", OUT, "."],
    )
    for step in steps:
        print("+ " + " ".join(step), flush=True)
        rc = subprocess.run(step, cwd=REPO, check=False).returncode
        if rc != 0:
            print(f"release: `{' '.join(step)}` failed (exit {rc})", file=sys.stderr)
            return rc
    tarball = Path(OUT) / f"{meta['namespace']}-{meta['name']}-{version}.tar.gz"
    if not (REPO / tarball).is_file():
        print(f"release: ansible-galaxy did not write {tarball}", file=sys.stderr)
        return 1
    print(tarball)
    return 0


def main(argv) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only check that a release may be cut; change nothing")
    args = parser.parse_args(argv)
    found = refusals()
    for problem in found:
        print(f"release refused: {problem}", file=sys.stderr)
    if found:
        return 1
    if args.check:
        print(f"release: {galaxy()['version']} may be released (clean tree, measured pages current, new version)")
        return 0
    return release()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
