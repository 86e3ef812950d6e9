"""Run galaxy-importer on a built collection tarball, as Galaxy / Automation Hub do on upload.

galaxy-importer exits 0 even when it logs warnings (ansible-lint findings, doc problems), so
this wrapper fails on any ERROR line and on any WARNING line that is not explained in
scripts/galaxy-importer-allowed-warnings.txt. The importer's tools (ansible-doc, ansible-lint)
are looked up on PATH, so its venv's bin/ goes first.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

ALLOWED = Path(__file__).with_name("galaxy-importer-allowed-warnings.txt")


def allowed_patterns() -> list[re.Pattern[str]]:
    """Each non-comment line is a regular expression; the comment above it says why."""
    if not ALLOWED.exists():
        return []
    lines = [line.strip() for line in ALLOWED.read_text().splitlines()]
    return [re.compile(line) for line in lines if line and not line.startswith("#")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--importer", required=True, help="python of the galaxy-importer venv")
    parser.add_argument("--config", required=True, help="galaxy-importer.cfg to use")
    parser.add_argument("tarball")
    args = parser.parse_args()

    tarball = Path(args.tarball).resolve()
    env = dict(os.environ)
    env["PATH"] = f"{Path(args.importer).parent}{os.pathsep}{env.get('PATH', '')}"
    env["GALAXY_IMPORTER_CONFIG"] = str(Path(args.config).resolve())
    # The importer writes importer_result.json to the working directory: keep it beside the tarball.
    proc = subprocess.run(
        [args.importer, "-m", "galaxy_importer.main", str(tarball)],
        cwd=tarball.parent,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    output = proc.stdout + proc.stderr
    print(output, end="")

    allowed = allowed_patterns()
    errors = [line for line in output.splitlines() if line.startswith("ERROR")]
    warnings = [
        line for line in output.splitlines() if line.startswith("WARNING") and not any(p.search(line) for p in allowed)
    ]
    if "Importer processing completed successfully" not in output:
        errors.append("galaxy-importer did not report a successful import")
    for line in errors + warnings:
        print(f"galaxy: {line}", file=sys.stderr)
    if proc.returncode != 0 or errors or warnings:
        print(
            f"galaxy: import failed: exit {proc.returncode}, {len(errors)} errors, "
            f"{len(warnings)} unexplained warnings",
            file=sys.stderr,
        )
        return proc.returncode or 1
    print(f"galaxy: {tarball.name} imported with no errors and no unexplained warnings")
    return 0


if __name__ == "__main__":
    sys.exit(main())
