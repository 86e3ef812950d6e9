"""Check that an execution environment built from this collection gets exactly the expected deps.

Runs `ansible-builder introspect --sanitize` over the collections tree (the same discovery
ansible-builder does when it builds an EE) and compares the Python requirements it collects
with the expected package names. System packages (bindep) must be empty unless expected.

With --definition (the example execution and decision environments of docs/controller.md), each
definition also goes through `ansible-builder create` (a build context, no container engine), and
the context's own introspect script runs over this collection as the image build's builder stage
would: the requirements the image would install must hold the collection's, the definition's own,
and for a decision environment (one that installs ansible-rulebook) a Java 17+ runtime and ansible.eda.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
JAVA = re.compile(r"^java-(\d+)-openjdk")


def requirement_names(path: Path) -> list[str]:
    return names(path.read_text().splitlines()) if path.exists() else []


def names(lines) -> list[str]:
    """Package names of requirement lines (comments and blank lines skipped), normalised and sorted."""
    found = (NAME.match(line.split("#", 1)[0]) for line in lines)
    return sorted({match.group(1).lower().replace("_", "-") for match in found if match})


def check_definition(builder: str, definition: Path, collections: str, collection_python: list[str]) -> list[str]:
    """Problems of one execution / decision environment definition (empty when it is sound)."""
    spec = yaml.safe_load(definition.read_text())
    deps = spec.get("dependencies", {})
    with tempfile.TemporaryDirectory(prefix="ee-context-") as tmp:
        context = Path(tmp)
        created = subprocess.run(
            [builder, "create", "-f", str(definition), "-c", str(context), "--output-filename", "Containerfile"],
            capture_output=True,
            text=True,
            check=False,
        )
        if created.returncode != 0:
            return [f"ansible-builder create failed: {created.stderr or created.stdout}"]
        build = context / "_build"
        # The builder stage of the image: introspect the installed collections, merged with the definition's own.
        pip_out, bindep_out = context / "pip.txt", context / "bindep.txt"
        user_pip, user_bindep = build / "requirements.txt", build / "bindep.txt"
        command = [sys.executable, str(build / "scripts" / "introspect.py"), "introspect"]
        command += [f"--user-pip={user_pip}"] if user_pip.exists() else []
        command += [f"--user-bindep={user_bindep}"] if user_bindep.exists() else []
        command += [f"--write-pip={pip_out}", f"--write-bindep={bindep_out}", collections]
        introspected = subprocess.run(command, capture_output=True, text=True, check=False)
        if introspected.returncode != 0:
            return [f"the context's introspect.py failed: {introspected.stderr}"]
        pip, system = requirement_names(pip_out), requirement_names(bindep_out)
        galaxy = (
            yaml.safe_load((build / "requirements.yml").read_text()) if (build / "requirements.yml").exists() else {}
        )
        collections_listed = sorted(c["name"] for c in (galaxy or {}).get("collections", []))
        containerfile = (context / "Containerfile").read_text()
    problems = []
    base = spec.get("images", {}).get("base_image", {}).get("name")
    if f'ARG EE_BASE_IMAGE="{base}"' not in containerfile:
        problems.append(f"the Containerfile does not start from the base image {base}")
    if "vpsorg.cloud" not in collections_listed:
        problems.append(f"the image installs the collections {collections_listed}, not vpsorg.cloud")
    missing = sorted((set(collection_python) | set(names(deps.get("python", [])))) - set(pip))
    if missing:
        problems.append(f"the image's Python requirements {pip} lack {missing}")
    if "ansible-rulebook" in pip:
        javas = [int(m.group(1)) for name in system if (m := JAVA.match(name))]
        if not javas or max(javas) < 17:
            problems.append(f"a decision environment needs a Java 17+ runtime; system packages are {system}")
        if "ansible.eda" not in collections_listed:
            problems.append("a decision environment should install ansible.eda beside vpsorg.cloud")
    kind = "decision" if "ansible-rulebook" in pip else "execution"
    print(
        f"ee-check: {definition} ({kind} environment from {base}): collections {collections_listed}, python {pip}, "
        f"system {system or 'none'}"
    )
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--builder", required=True, help="path to the ansible-builder executable")
    parser.add_argument("--collections", required=True, help="directory holding ansible_collections/")
    parser.add_argument("--expect", nargs="*", default=[], help="expected Python package names")
    parser.add_argument("--expect-system", nargs="*", default=[], help="expected bindep entries")
    parser.add_argument("--definition", action="append", default=[], type=Path, help="an EE / DE definition (v3)")
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
    for definition in args.definition:
        for problem in check_definition(args.builder, definition, args.collections, python):
            print(f"ee-check: {definition}: {problem}", file=sys.stderr)
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
