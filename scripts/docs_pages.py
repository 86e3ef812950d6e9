"""Add to an antsibull-docs Sphinx source tree what antsibull-docs does not write itself.

- the guides: every docs/*.md (with the images and example files they link), rendered by
  myst-parser, in two sections of the root page: the user guides in GUIDES, in the order a
  reader needs them (getting started first), and the pages about how the collection is measured
  and tested in MEASURED; a docs/*.md named in neither stops the build, so a new page is placed
  on purpose;
- a page for each ansible-rulebook event source (extensions/eda/plugins/event_source), from its
  DOCUMENTATION and EXAMPLES, laid out like antsibull-docs' plugin pages (options table,
  examples); antsibull-docs has no page type for event sources;
- the changelog as antsibull-changelog rendered it;
- the root page with the guides, the collection, the event sources and the changelog, and the
  Sphinx settings the site needs (myst-parser, no intersphinx: the build never goes online).
"""

from __future__ import annotations

import argparse
import ast
import shutil
import zlib
from pathlib import Path

import yaml
from antsibull_docs_parser.parser import Context, parse
from antsibull_docs_parser.rst import to_rst_plain

EVENT_SOURCES = "extensions/eda/plugins/event_source"

# The guides (docs/<name>.md), in the order a new user reads them: install and a first run, then
# the tasks from the most common on. Listed on the root page first, under "Guides".
GUIDES = ("getting-started", "fleet", "inventory", "pipelines", "controller", "events")
# How the collection is measured and tested: in a section of their own, after the reference.
MEASURED = ("benchmarks", "fault-tolerance", "request-costs", "mutation")

# Labels of the Ansible documentation that antsibull-docs' pages refer to (the inventory cache
# options, the common return values, the configuration settings). The real site resolves them
# with intersphinx over the network; this build resolves them from a local inventory of just
# these, so the links still lead to docs.ansible.com and nothing is fetched.
ANSIBLE_DOCS = "https://docs.ansible.com/projects/ansible/devel/"
ANSIBLE_LABELS = {
    "ansible_configuration_settings": ("reference_appendices/config.html", "Ansible Configuration Settings"),
    "common_return_values": ("reference_appendices/common_return_values.html", "Return Values"),
}
ANSIBLE_ENVVARS = (
    "ANSIBLE_CACHE_PLUGIN",
    "ANSIBLE_CACHE_PLUGIN_CONNECTION",
    "ANSIBLE_CACHE_PLUGIN_PREFIX",
    "ANSIBLE_CACHE_PLUGIN_TIMEOUT",
)
INVENTORY = "ansible_devel.inv"

CONF_EXTRA = """
# Added by scripts/docs_pages.py: Markdown guides, and no network at build time.
extensions.append('myst_parser')
intersphinx_mapping = {'ansible_devel': (ANSIBLE_DOCS, INVENTORY)}
source_suffix = {'.rst': 'restructuredtext', '.md': 'markdown'}
myst_heading_anchors = 3
suppress_warnings = ['myst.header']
"""


def write_inventory(path: Path) -> None:
    """A Sphinx (intersphinx) inventory, version 2, of ANSIBLE_LABELS and ANSIBLE_ENVVARS."""
    lines = [f"{name} std:label -1 {uri} {title}" for name, (uri, title) in ANSIBLE_LABELS.items()]
    lines += [f"{name} std:envvar 1 reference_appendices/config.html#envvar-$ -" for name in ANSIBLE_ENVVARS]
    header = "# Sphinx inventory version 2\n# Project: Ansible\n# Version: devel\n"
    header += "# The remainder of this file is compressed using zlib.\n"
    path.write_bytes(header.encode() + zlib.compress("\n".join(lines).encode() + b"\n"))


def rst_text(text: str | list[str]) -> str:
    """Ansible markup (C(), O(), E() ...) as reStructuredText."""
    return to_rst_plain(parse(text, Context()), par_sep="\n\n")


def indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line if line else "" for line in text.splitlines())


def heading(text: str, char: str, over: bool = False) -> str:
    line = char * len(text)
    return f"{line}\n{text}\n{line}\n" if over else f"{text}\n{line}\n"


def plugin_strings(path: Path) -> dict[str, str]:
    """DOCUMENTATION and EXAMPLES of a plugin file, read without importing it."""
    found = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if name in ("DOCUMENTATION", "EXAMPLES") and isinstance(node.value, ast.Constant):
                found[name] = node.value.value
    missing = {"DOCUMENTATION", "EXAMPLES"} - found.keys()
    if missing:
        raise SystemExit(f"{path}: no {' or '.join(sorted(missing))} string")
    return found


OPTION_TABLE = """.. list-table::
  :width: 100%
  :widths: auto
  :header-rows: 1
  :class: longtable ansible-option-table

  * - Parameter
    - Comments

"""
# antsibull-docs' option cells, so the theme styles the event source's table like a module's.
OPTION_NAME_CELL = """  * - .. raw:: html

        <div class="ansible-option-cell">
        <div class="ansibleOptionAnchor" id="parameter-{name}"></div>

      .. _{label}__parameter-{name}:

      .. rst-class:: ansible-option-title

      **{name}**

      .. raw:: html

        <a class="ansibleOptionLink" href="#parameter-{name}" title="Permalink to this option"></a>

      .. ansible-option-type-line::

        :ansible-option-type:`{type}`

      .. raw:: html

        </div>

    - .. raw:: html

        <div class="ansible-option-cell">

"""
OPTION_CELL_END = """
      .. raw:: html

        </div>
"""


# Type names as antsibull-docs shows them on plugin pages.
TYPE_NAMES = {"str": "string", "int": "integer", "bool": "boolean", "dict": "dictionary"}


def yaml_value(value: object) -> str:
    return yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip()


def option_rows(label: str, options: dict) -> str:
    rows = []
    for name, spec in options.items():
        kind = spec.get("type", "str")
        cell = [OPTION_NAME_CELL.format(name=name, label=label, type=TYPE_NAMES.get(kind, kind))]
        cell.append(indent(rst_text(spec["description"]), "      ") + "\n")
        if spec.get("choices"):
            cell.append("\n      .. rst-class:: ansible-option-line\n\n      :ansible-option-choices:`Choices:`\n\n")
            cell += [f"      - :ansible-option-choices-entry:`{yaml_value(c)}`\n" for c in spec["choices"]]
        if "default" in spec:
            default = yaml_value(spec["default"])
            cell.append(
                "\n      .. rst-class:: ansible-option-line\n\n"
                f"      :ansible-option-default-bold:`Default:` :ansible-option-default:`{default}`\n"
            )
        cell.append(OPTION_CELL_END)
        rows.append("".join(cell))
    return "\n".join(rows)


def event_source_page(fqcn: str, strings: dict[str, str]) -> str:
    doc = yaml.safe_load(strings["DOCUMENTATION"])
    title = f"{fqcn} event source -- {rst_text(doc['short_description']).rstrip('.')}"
    label = f"ansible_collections.{fqcn}_event_source"
    parts = [
        f".. _{label}:\n",
        heading(title, "*", over=True),
        "An `ansible-rulebook <https://ansible.readthedocs.io/projects/rulebook/>`_ event source of the "
        "vpsorg.cloud collection. Use it in a rulebook as :literal:`" + fqcn + "`.\n",
        heading("Synopsis", "-"),
        "\n".join("- " + indent(rst_text(par), "  ").lstrip() for par in doc["description"]) + "\n",
        heading("Parameters", "-"),
        OPTION_TABLE + option_rows(label, doc.get("options", {})),
    ]
    if doc.get("notes"):
        parts += [heading("Notes", "-"), "\n".join("- " + rst_text(n) for n in doc["notes"]) + "\n"]
    parts += [
        heading("Examples", "-"),
        ".. code-block:: yaml+jinja\n\n" + indent(strings["EXAMPLES"].strip("\n"), "    ") + "\n",
    ]
    return "\n".join(parts)


def write_event_sources(repo: Path, rst: Path) -> list[str]:
    pages = []
    for path in sorted((repo / EVENT_SOURCES).glob("*.py")):
        if path.name.startswith("_"):
            continue
        fqcn = f"vpsorg.cloud.{path.stem}"
        target = rst / "event_sources" / f"{path.stem}.rst"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(event_source_page(fqcn, plugin_strings(path)), encoding="utf-8")
        pages.append(f"event_sources/{path.stem}")
    return pages


def copy_guides(repo: Path, rst: Path) -> None:
    """docs/*.md with what they link to (images, docs/examples/); their relative links keep working."""
    guides = rst / "guides"
    guides.mkdir(parents=True, exist_ok=True)
    for path in sorted((repo / "docs").iterdir()):
        if path.is_file() and path.suffix in (".md", ".png", ".svg", ".yml", ".yaml"):
            shutil.copy2(path, guides / path.name)
    if (repo / "docs" / "examples").is_dir():
        shutil.copytree(repo / "docs" / "examples", guides / "examples")


def guide_sections(repo: Path) -> tuple[list[str], list[str]]:
    """The guide pages (guides/<name>) of the two sections, in order; exits naming a docs/*.md in neither."""
    present = {path.stem for path in (repo / "docs").glob("*.md")}
    unplaced = sorted(present - set(GUIDES) - set(MEASURED))
    if unplaced:
        raise SystemExit(
            "scripts/docs_pages.py: docs/" + ", docs/".join(f"{name}.md" for name in unplaced) + " is in no section "
            "of the site: add it to GUIDES (user guides, in reading order) or MEASURED"
        )
    return [f"guides/{name}" for name in GUIDES if name in present], [
        f"guides/{name}" for name in MEASURED if name in present
    ]


def toctree(caption: str, pages: list[str], maxdepth: int = 1) -> str:
    entries = "\n".join(f"   {page}" for page in pages)
    return f""".. toctree::
   :maxdepth: {maxdepth}
   :caption: {caption}

{entries}
"""


def root_index(event_sources: list[str], version: str, guides: list[str], measured: list[str]) -> str:
    return f""".. _docsite_root_index:

{heading(f"vpsorg.cloud {version}", "=")}
The Ansible collection for VPS.org servers: modules, a dynamic inventory, a fleet role and an
Event-Driven Ansible event source.

{toctree("Guides:", guides)}
{toctree("Collection:", ["collections/vpsorg/cloud/index"], maxdepth=2)}
{toctree("Event sources (ansible-rulebook):", event_sources)}
{toctree("How it is measured:", measured)}
{toctree("Changelog:", ["changelog"])}
.. toctree::
   :maxdepth: 1
   :caption: Indexes:
   :glob:

   collections/index_*
   collections/environment_variables
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, required=True)
    parser.add_argument("--src", type=Path, required=True, help="the sphinx-init directory (conf.py, rst/)")
    parser.add_argument("--changelog", type=Path, required=True)
    parser.add_argument("--version", required=True)
    args = parser.parse_args()

    rst = args.src / "rst"
    guides, measured = guide_sections(args.repo)
    copy_guides(args.repo, rst)
    event_sources = write_event_sources(args.repo, rst)
    shutil.copy2(args.changelog, rst / "changelog.rst")
    (rst / "index.rst").write_text(root_index(event_sources, args.version, guides, measured), encoding="utf-8")
    write_inventory(args.src / INVENTORY)
    with (args.src / "conf.py").open("a", encoding="utf-8") as conf:
        inventory = str((args.src / INVENTORY).resolve())
        conf.write(CONF_EXTRA.replace("ANSIBLE_DOCS", repr(ANSIBLE_DOCS)).replace("INVENTORY", repr(inventory)))


if __name__ == "__main__":
    main()
