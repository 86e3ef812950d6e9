"""Mutation testing (mutmut 3) of plugins/module_utils and plugins/modules against tests/unit.

The collection is imported as ``ansible_collections.vpsorg.cloud``; mutmut names a module after its
path below the directory it runs in. So the run happens in a work directory holding a copy of the
collection at ``ansible_collections/vpsorg/cloud`` (mutmut copies that into ``mutants/`` and mutates
it there) and a conftest.py that points Ansible's collection loader at the mutated copy.

Writes docs/mutation.md: per file, mutants, killed, survived (with the ones reviewed as equivalent
set apart, from the reviewed list) and the kill ratio of the non-equivalent ones against the 85 %
target. The last line is ``N killed of M mutants``.

    mutation.py --work DIR --out docs/mutation.md --equivalent tests/mutation [--only FILE ...]
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
COLLECTION = Path("ansible_collections/vpsorg/cloud")
MUTATED = ("plugins/module_utils", "plugins/modules")
COPIED = (
    "plugins",
    "tests/unit",
    "tests/integration/harness.py",
    "tests/integration/compat.py",
    "extensions",
    "scripts",
    "galaxy.yml",
    "meta",
)
TARGET = 0.85
# mutmut's exit codes per mutant: 1 and 3 are kills (a test failed), 0 survived, 33/5 means no
# test reached the mutated function, the rest are timeouts and the like (counted as survivors).
KILLED = {1, 3}
TIMEOUT = {36, 24, -24, 152, 255}
NO_TESTS = {5, 33}

PYPROJECT = """\
[tool.mutmut]
source_paths = ["{collection}/plugins"]
only_mutate = [{only}]
also_copy = [
    "{collection}/tests", "{collection}/extensions", "{collection}/scripts", "{collection}/galaxy.yml",
    "{collection}/meta", "conftest.py",
]
pytest_add_cli_args_test_selection = ["{collection}/tests/unit"]
pytest_add_cli_args = ["-p", "no:cacheprovider", "-q"]
use_git_change_detection = false

[tool.pytest.ini_options]
# The work directory is the root, so its conftest.py (the collection loader) is loaded.
"""

CONFTEST = '''\
"""Load ``ansible_collections.vpsorg.cloud`` from this directory (mutmut's mutants/ copy)."""

from pathlib import Path

from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder

_AnsibleCollectionFinder(paths=[str(Path(__file__).resolve().parent)])._install()
'''


def prepare(work: Path) -> None:
    if work.exists():
        shutil.rmtree(work)
    target = work / COLLECTION
    for relative in COPIED:
        source = REPO / relative
        if source.is_dir():
            shutil.copytree(source, target / relative, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif source.exists():
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / relative)
    only = ", ".join(f'"{COLLECTION}/{path}/*.py"' for path in MUTATED)
    (work / "pyproject.toml").write_text(PYPROJECT.format(collection=COLLECTION, only=only))
    (work / "conftest.py").write_text(CONFTEST)


def mutant_glob(file: str) -> str:
    """mutmut's name pattern for every mutant of one source file (repo-relative path)."""
    module = (COLLECTION / file).with_suffix("").as_posix().replace("/", ".")
    return f"{module}.*"


def run_mutmut(work: Path, children: int, only: list[str]) -> None:
    # The suite runs once per mutant: property tests use a smaller example budget (tests/unit/plugins/conftest.py).
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", VPSORG_HYPOTHESIS_PROFILE="vpsorg-mutation")
    env.pop("PYTHONPATH", None)
    mutmut = [sys.executable, "-m", "mutmut"]
    names = [mutant_glob(file) for file in only]
    subprocess.run([*mutmut, "run", "--max-children", str(children), *names], cwd=work, env=env, check=True)


def verdicts(work: Path) -> dict[str, dict[str, int | None]]:
    """Per source file (repo-relative), each mutant's exit code, from mutmut's .meta files."""
    found = {}
    for meta in sorted((work / "mutants" / COLLECTION / "plugins").rglob("*.py.meta")):
        relative = meta.relative_to(work / "mutants" / COLLECTION).as_posix().removesuffix(".meta")
        if not relative.startswith(MUTATED):
            continue
        found[relative] = json.loads(meta.read_text())["exit_code_by_key"]
    return found


def function_sources(mutated_file: Path) -> dict[str, list[str]]:
    """Every function in mutmut's mutated copy of a file (originals and mutants), as stripped lines."""
    source = mutated_file.read_text()
    lines = source.splitlines()
    found = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            body = lines[node.lineno : node.end_lineno]  # without the def line, which names the mutant
            found[node.name] = [line.strip() for line in body]
    return found


def changed_lines(name: str, functions: dict[str, list[str]]) -> list[str]:
    """The lines of mutant ``name`` that are not in the original function (what mutmut changed)."""
    short = name.split(".")[-1]
    original = functions.get(short.rsplit("__mutmut_", 1)[0] + "__mutmut_orig", [])
    mutant = functions.get(short, [])
    return [line for line in mutant if line not in original] or ["(a line removed)"]


def load_equivalent(path: Path) -> list[dict]:
    """The reviewed equivalent mutants: one YAML file, or every *.yml file of a directory."""
    files = sorted(path.glob("*.yml")) if path.is_dir() else [path] if path.exists() else []
    reviewed = []
    for file in files:
        data = yaml.safe_load(file.read_text())
        reviewed += list((data or {}).get("equivalent") or [])
    return reviewed


def is_equivalent(file: str, name: str, lines: list[str], reviewed: list[dict]) -> dict | None:
    """The review entry for this mutant when its file (if named), name and mutated line all still match."""
    short = name.split(".")[-1]
    for entry in reviewed:
        if entry.get("file", file) != file:
            continue
        if entry["mutant"] == short and entry["line"].strip() in lines:
            return entry
    return None


def render(rows: list[dict], equivalents: list[tuple[str, str, dict]], survivors: list[tuple[str, str, str]]) -> str:
    total = sum(row["mutants"] for row in rows)
    killed = sum(row["killed"] for row in rows)
    lines = [
        "# Mutation testing",
        "",
        "`make mutation` (scripts/mutation.py) runs mutmut over `plugins/module_utils/` and `plugins/modules/`",
        "against the unit tests (`tests/unit`) and writes this page. A mutant is killed when a unit test fails",
        "with it; timeouts and mutants no test reaches count as survivors. Survivors reviewed as equivalent",
        "(no test could tell them apart from the original) are listed in `tests/mutation/*.yml` with",
        f"the reason, and left out of the ratio. Target: at least {TARGET:.0%} of the non-equivalent mutants",
        "killed in every file.",
        "",
        "| file | mutants | killed | survived | not reached by a test | timeout | equivalent | kill ratio | target |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in rows:
        scored = row["mutants"] - row["equivalent"]
        ratio = f"{row['killed'] / scored:.1%}" if scored else "no mutants"
        met = "-" if not scored else "met" if row["killed"] / scored >= TARGET else "MISSED"
        lines.append(
            f"| `{row['file']}` | {row['mutants']} | {row['killed']} | {row['survived']} | {row['no_tests']} | "
            f"{row['timeout']} | {row['equivalent']} | {ratio} | {met} |"
        )
    lines += ["", "## Survivors judged equivalent", ""]
    if equivalents:
        lines += ["| mutant | mutated line | why no test can tell |", "| --- | --- | --- |"]
        for _file, name, entry in equivalents:
            code = entry["line"].replace("|", "\\|")
            lines.append(f"| `{name.split('.')[-1]}` | `{code}` | {entry['reason']} |")
    else:
        lines.append("None.")
    lines += [
        "",
        "## Surviving mutants not (yet) judged equivalent",
        "",
        "Mutants no unit test reaches are only counted above (a whole function without unit tests).",
        "",
    ]
    if survivors:
        lines += ["| mutant | status | mutated line |", "| --- | --- | --- |"]
        lines += [
            f"| `{name.split('.')[-1]}` | {status} | `{line.replace('|', chr(92) + '|')}` |"
            for name, status, line in survivors
        ]
    else:
        lines.append("None.")
    lines += ["", f"{killed} killed of {total} mutants"]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, required=True, help="work directory (removed and rebuilt)")
    parser.add_argument("--out", type=Path, required=True, help="markdown page to write")
    parser.add_argument(
        "--equivalent", type=Path, required=True, help="reviewed equivalent mutants (YAML file or directory)"
    )
    parser.add_argument("--children", type=int, default=2, help="parallel mutmut workers (default 2)")
    parser.add_argument("--report-only", action="store_true", help="render the page from an earlier run in --work")
    parser.add_argument(
        "--only", nargs="+", metavar="FILE", default=[], help="mutate only these files (plugins/.../x.py)"
    )
    args = parser.parse_args()
    unknown = [file for file in args.only if not file.startswith(MUTATED) or not (REPO / file).is_file()]
    if unknown:
        parser.error(f"--only takes files below {' or '.join(MUTATED)}; not such a file: {', '.join(unknown)}")

    if not args.report_only:
        prepare(args.work)
        run_mutmut(args.work, args.children, args.only)
    reviewed = load_equivalent(args.equivalent)
    rows, equivalents, survivors = [], [], []
    for file, codes in verdicts(args.work).items():
        if args.only and file not in args.only:
            continue
        functions = function_sources(args.work / "mutants" / COLLECTION / file)
        counts = Counter()
        for name, code in codes.items():
            if code in KILLED:
                counts["killed"] += 1
                continue
            status = "no tests" if code in NO_TESTS else "timeout" if code in TIMEOUT else "survived"
            lines = changed_lines(name, functions)
            entry = is_equivalent(file, name, lines, reviewed) if status == "survived" else None
            if entry is not None:
                counts["equivalent"] += 1
                equivalents.append((file, name, entry))
                continue
            counts[status.replace(" ", "_")] += 1
            if status != "no tests":  # counted per file; listing each would bury the others
                survivors.append((name, status, lines[0]))
        rows.append(
            {
                "file": file,
                "mutants": len(codes),
                **{k: counts[k] for k in ("killed", "survived", "no_tests", "timeout", "equivalent")},
            }
        )
    if not rows:
        print("mutation: mutmut produced no results", file=sys.stderr)
        return 1
    text = render(rows, equivalents, survivors)
    args.out.write_text(text)
    print(text.rstrip().splitlines()[-1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
