"""Mirror the collection's git-visible files into a real ansible_collections/NS/NAME directory.

ansible-test resolves its working directory with os.getcwd(), which follows symlinks, so its
delegated (--venv) run cannot work from the symlinked collection tree. This copies exactly what
git sees (tracked plus untracked-but-not-ignored files, i.e. never .venv/ or tests/output/)
into DEST and removes files that disappeared, keeping DEST/tests/output so ansible-test's
venvs and caches survive between runs.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import subprocess
import sys
from pathlib import Path

KEEP = "tests/output"


def git_files(src: Path) -> set[str]:
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=src,
        capture_output=True,
        check=True,
    ).stdout
    names = {name for name in out.decode().split("\0") if name}
    # --cached also lists files deleted in the working tree but not yet committed.
    return {name for name in names if (src / name).is_file() and not name.startswith(KEEP + "/")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("src", type=Path)
    parser.add_argument("dest", type=Path)
    args = parser.parse_args()
    src, dest = args.src.resolve(), args.dest

    wanted = git_files(src)
    copied = 0
    for name in sorted(wanted):
        target = dest / name
        if target.is_file() and filecmp.cmp(src / name, target, shallow=False):
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src / name, target)
        copied += 1

    removed = 0
    for root, dirs, files in os.walk(dest, topdown=True):
        rel_root = Path(root).relative_to(dest)
        if rel_root.as_posix() == KEEP:
            dirs[:] = []
            continue
        for file in files:
            rel = (rel_root / file).as_posix()
            if rel not in wanted:
                (Path(root) / file).unlink()
                removed += 1
    for root, dirs, _files in os.walk(dest, topdown=False):
        for d in dirs:
            path = Path(root) / d
            rel = path.relative_to(dest).as_posix()
            if not (rel == KEEP or rel.startswith(KEEP + "/")) and not any(path.iterdir()):
                path.rmdir()
    print(f"sync_tree: {len(wanted)} files in {dest} ({copied} copied, {removed} removed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
