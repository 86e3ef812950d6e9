"""Check that an execution environment built from this collection gets exactly the expected deps.

Runs `ansible-builder introspect --sanitize` over the collections tree (the same discovery
ansible-builder does when it builds an EE) and compares the Python requirements it collects
with the expected package names. System packages (bindep) must be empty unless expected.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def requirement_names(path: Path) -> list[str]:
    if not path.exists():
        return []
    names = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        match = NAME.match(line)
        if match:
            names.append(match.group(1).lower().replace("_", "-"))
    return sorted(names)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--builder", required=True, help="path to the ansible-builder executable")
    parser.add_argument("--collections", required=True, help="directory holding ansible_collections/")
    parser.add_argument("--expect", nargs="*", default=[], help="expected Python package names")
    parser.add_argument("--expect-system", nargs="*", default=[], help="expected bindep entries")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        pip_file, bindep_file = Path(tmp, "requirements.txt"), Path(tmp, "bindep.txt")
        proc = subprocess.run(
            [
                args.builder,
                "introspect",
                "--sanitize",
                "--write-pip",
                str(pip_file),
                "--write-bindep",
                str(bindep_file),
                args.collections,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        print(proc.stdout, end="")
        if proc.returncode != 0:
            print(proc.stderr, end="", file=sys.stderr)
            return proc.returncode
        python = requirement_names(pip_file)
        system = requirement_names(bindep_file)

    expected_python = sorted(name.lower() for name in args.expect)
    expected_system = sorted(name.lower() for name in args.expect_system)
    ok = True
    if python != expected_python:
        print(f"ee-check: python requirements are {python}, expected exactly {expected_python}", file=sys.stderr)
        ok = False
    if system != expected_system:
        print(f"ee-check: system requirements are {system}, expected exactly {expected_system}", file=sys.stderr)
        ok = False
    if ok:
        print(f"ee-check: python requirements {python}, system requirements {system or 'none'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
