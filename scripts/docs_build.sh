#!/usr/bin/env bash
# Build the collection's HTML documentation site the way collection docsites are built:
# antsibull-docs sphinx-init for vpsorg.cloud, antsibull-docs collection for the plugin, role
# and index pages, then Sphinx with the Ansible theme. The guides (every docs/*.md, in the
# sections and order scripts/docs_pages.py names: the user guides first, getting started at their
# head, and the pages about how the collection is measured in a section of their own), the event
# source (antsibull-docs has no page type for it) and the changelog are added by
# scripts/docs_pages.py. Nothing is fetched: intersphinx is switched off.
#
# Usage: scripts/docs_build.sh <docs venv bin> <output dir>
# Writes <output dir>/html (the site) and <output dir>/sphinx-warnings.log. The collection must
# be on ANSIBLE_COLLECTIONS_PATH (make collection-link).
set -euo pipefail

bin=$1
out=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$bin:$PATH"

src="$out/src"
rm -rf "$src" "$out/html" "$out/changelog"
# antsibull-docs refuses a destination that others may write to.
mkdir -p "$src/rst" && chmod 755 "$src" && chmod 700 "$src/rst"

antsibull-docs sphinx-init --use-current --fail-on-error --no-add-antsibull-docs-version \
    --dest-dir "$src" --project vpsorg.cloud --copyright "vpsorg.cloud contributors" \
    --title "vpsorg.cloud documentation" --html-short-title vpsorg.cloud vpsorg.cloud >/dev/null
antsibull-docs --config-file "$src/antsibull-docs.cfg" collection --use-current --fail-on-error \
    --cleanup everything --dest-dir "$src/rst" vpsorg.cloud >/dev/null

# The changelog as antsibull-changelog renders a release, from a copy: releasing rewrites
# changelog.yaml and removes the fragments.
mkdir -p "$out/changelog"
cp -r "$here/changelogs" "$here/galaxy.yml" "$out/changelog/"
version=$(sed -n 's/^version: *//p' "$here/galaxy.yml")
(
    cd "$out/changelog"
    antsibull-changelog release --version "$version" >/dev/null 2>&1
    antsibull-changelog generate --output changelog.rst --output-format rst
)

"$bin/python" "$here/scripts/docs_pages.py" --repo "$here" --src "$src" \
    --changelog "$out/changelog/changelog.rst" --version "$version"

# Warnings go to a log the gate reads after the browser check, so a broken page is both
# reported by Sphinx and seen in the browser.
sphinx-build -b html -q -c "$src" -w "$out/sphinx-warnings.log" "$src/rst" "$out/html"
echo "docs: $out/html/index.html ($(find "$out/html" -name '*.html' | wc -l) pages)"
