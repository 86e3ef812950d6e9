"""Open the built documentation site in headless Chromium (Playwright) and check it as a reader would.

Every HTML page is served over loopback HTTP and loaded in the browser: no console error, no
uncaught exception, no failed or off-machine request. Every plugin page the repository has a
plugin for (modules, inventory plugins, roles with an argument spec, event sources) must exist
and show what a reader comes for: its options table, its examples (highlighted, and valid YAML)
and, for modules, its return values. Every internal link and image of every page must resolve,
down to the #anchor. A search for vps_fleet must list the vps_fleet page. The root page must
open on the user guides in the order a reader needs them (getting started first), with the pages
about how the collection is measured and tested in a section of their own after the reference.
Screenshots of the root page, the module index and one module page are written for a reviewer.

Exit status 1 with one line per problem when anything fails; the counts are printed either way.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlsplit

import yaml
from playwright.sync_api import ConsoleMessage, Page, Response, sync_playwright

SEARCH_TERM = "vps_fleet"
SCREENSHOTS = {
    "index.png": "index.html",
    "module-index.png": "collections/index_module.html",
    "vps_server_module.png": "collections/vpsorg/cloud/vps_server_module.html",
}

# What a reader must find on each kind of plugin page (section ids antsibull-docs writes).
SECTIONS = {
    "module": ("parameters", "examples", "return-values"),
    "inventory": ("parameters", "examples"),
    "event_source": ("parameters", "examples"),
}

# The root page's sections as a reader meets them (scripts/docs_pages.py writes them): first the
# user guides, getting started first and then the tasks from the most common on; the pages about
# how the collection is measured and tested come in their own section, after the reference.
GUIDES_CAPTION = "Guides"
READER_GUIDES = ("getting-started", "fleet", "inventory", "pipelines", "controller", "events")
MEASURED_CAPTION = "How it is measured"
MEASURED_GUIDES = ("benchmarks", "fault-tolerance", "request-costs", "mutation")
REFERENCE_CAPTION = "Collection"

SECTIONS_JS = """() => [...document.querySelectorAll('div.toctree-wrapper')].map(w => ({
  caption: (w.querySelector('.caption-text') || {}).innerText || '',
  pages: [...w.querySelectorAll('li.toctree-l1 > a')].map(a => a.getAttribute('href').replace(/\\.html(#.*)?$/, '')),
}))"""

PAGE_FACTS_JS = """() => ({
  ids: [...document.querySelectorAll('[id]')].map(e => e.id)
        .concat([...document.querySelectorAll('a[name]')].map(e => e.name)),
  links: [...document.querySelectorAll('a[href]')].map(a => a.href),
  images: [...document.querySelectorAll('img')].map(i => ({src: i.src, ok: i.complete && i.naturalWidth > 0})),
})"""

SECTION_JS = """(id) => {
  const s = document.getElementById(id);
  if (!s) return null;
  const table = s.querySelector('table.ansible-option-table');
  const pre = s.querySelector('div.highlight pre');
  const visible = e => !!e && e.getBoundingClientRect().height > 0;
  return {
    table_rows: table && visible(table) ? table.querySelectorAll('tbody tr').length : 0,
    code: pre && visible(pre) ? pre.innerText : null,
    highlighted: pre ? pre.querySelectorAll('span[class]').length : 0,
  };
}"""

ROLE_JS = """() => [...document.querySelectorAll('section[id^="entry-point-"]')].map(s => ({
  id: s.id,
  table_rows: [...s.querySelectorAll('table.ansible-option-table tbody tr')].length,
}))"""


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    pages: int = 0
    plugin_pages: int = 0
    links: int = 0
    link_targets: set[str] = field(default_factory=set)
    external: set[str] = field(default_factory=set)

    def fail(self, page: str, message: str) -> None:
        self.problems.append(f"{page}: {message}")


def expected_plugin_pages(repo: Path) -> dict[str, str]:
    """Site path -> kind, for every plugin the repository ships."""
    pages = {}
    base = "collections/vpsorg/cloud"
    for path in sorted((repo / "plugins/modules").glob("*.py")):
        if not path.name.startswith("_"):
            pages[f"{base}/{path.stem}_module.html"] = "module"
    for path in sorted((repo / "plugins/inventory").glob("*.py")):
        if not path.name.startswith("_"):
            pages[f"{base}/{path.stem}_inventory.html"] = "inventory"
    for spec in sorted(repo.glob("roles/*/meta/argument_specs.y*ml")):
        pages[f"{base}/{spec.parent.parent.name}_role.html"] = "role"
    for path in sorted((repo / "extensions/eda/plugins/event_source").glob("*.py")):
        if not path.name.startswith("_"):
            pages[f"event_sources/{path.stem}.html"] = "event_source"
    return pages


def serve(site: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    class Server(http.server.ThreadingHTTPServer):
        def handle_error(self, request: object, client_address: object) -> None:
            # The browser drops connections it no longer needs (a page closed mid-load): not a finding.
            if not isinstance(sys.exc_info()[1], ConnectionError):
                super().handle_error(request, client_address)

    server = Server(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def watch(page: Page) -> list[str]:
    """Console errors, uncaught exceptions and failed requests of a page, as they happen."""
    seen: list[str] = []

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            seen.append(f"console error: {message.text}")

    def response(answer: Response) -> None:
        if answer.status >= 400:
            seen.append(f"HTTP {answer.status}: {answer.url}")

    page.on("console", console)
    page.on("response", response)
    page.on("pageerror", lambda exc: seen.append(f"uncaught exception: {exc}"))
    page.on("requestfailed", lambda request: seen.append(f"request failed: {request.url} ({request.failure})"))
    return seen


def check_plugin_page(page: Page, name: str, kind: str, report: Report) -> None:
    report.plugin_pages += 1
    if kind == "role":
        entry_points = page.evaluate(ROLE_JS)
        if not entry_points:
            report.fail(name, "no entry point documented")
        for entry in entry_points:
            if not entry["table_rows"]:
                report.fail(name, f"entry point {entry['id']} shows no options table")
        return
    for section in SECTIONS[kind]:
        facts = page.evaluate(SECTION_JS, section)
        if facts is None:
            report.fail(name, f"no '{section}' section")
        elif section == "examples":
            check_examples(name, facts, report)
        elif not facts["table_rows"]:
            report.fail(name, f"the '{section}' section shows no table")


def check_examples(name: str, facts: dict, report: Report) -> None:
    code = facts["code"]
    if not code or not code.strip():
        report.fail(name, "the examples section shows no code block")
        return
    if not facts["highlighted"]:
        report.fail(name, "the examples block is not syntax-highlighted (Sphinx could not lex it)")
    try:
        documents = [doc for doc in yaml.safe_load_all(code) if doc is not None]
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 1} ({code.splitlines()[where.line].strip()!r})" if where else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        report.fail(name, f"the examples block is not valid YAML{line}: {problem}")
        return
    if not documents:
        report.fail(name, "the examples block holds no YAML document")


def local_target(url: str, base: str, site: Path) -> tuple[Path, str] | None:
    """The file and anchor a same-site URL points at, or None for another site."""
    if not url.startswith(base):
        return None
    path, fragment = urldefrag(url)
    rel = unquote(urlsplit(path).path)[len(urlsplit(base).path) :]
    target = site / rel
    if rel == "" or rel.endswith("/"):
        target = target / "index.html"
    return target, fragment


def check_links(facts: dict[str, dict], base: str, site: Path, report: Report) -> None:
    ids = {str(site / name): set(page["ids"]) for name, page in facts.items()}
    for name, page in facts.items():
        for image in page["images"]:
            if not image["ok"]:
                report.fail(name, f"image does not load: {image['src']}")
        for url in page["links"]:
            if url.startswith(("mailto:", "javascript:")):
                continue
            report.links += 1
            target = local_target(url, base, site)
            if target is None:
                report.external.add(url)
                continue
            path, fragment = target
            report.link_targets.add(url)
            if not path.is_file():
                report.fail(name, f"broken link: {url[len(base) :]} (no such file)")
            elif fragment and path.suffix == ".html" and fragment not in ids.get(str(path), set()):
                report.fail(name, f"broken link: {url[len(base) :]} (no element with id '{fragment}')")


def check_guide_order(sections: list[dict], site: Path, report: Report) -> None:
    """The root page's sections (caption, top-level pages) against the order a reader needs."""
    captions = [section["caption"].strip().rstrip(":") for section in sections]
    pages = {caption: section["pages"] for caption, section in zip(captions, sections, strict=True)}
    if not captions or captions[0] != GUIDES_CAPTION:
        report.fail("index.html", f"opens on {captions[:1]!r}, not on the user guides ({GUIDES_CAPTION!r})")
    for caption, names in ((GUIDES_CAPTION, READER_GUIDES), (MEASURED_CAPTION, MEASURED_GUIDES)):
        expected = [f"guides/{name}" for name in names]
        if pages.get(caption) != expected:
            report.fail("index.html", f"section {caption!r} lists {pages.get(caption)}, expected {expected}")
    measured_first = (
        MEASURED_CAPTION in captions
        and REFERENCE_CAPTION in captions
        and captions.index(MEASURED_CAPTION) < captions.index(REFERENCE_CAPTION)
    )
    if measured_first:
        report.fail("index.html", f"section {MEASURED_CAPTION!r} comes before the reference {REFERENCE_CAPTION!r}")
    placed = set(READER_GUIDES) | set(MEASURED_GUIDES)
    for path in sorted((site / "guides").glob("*.html")):
        if path.stem not in placed:
            report.fail("index.html", f"guides/{path.name} is in neither {GUIDES_CAPTION!r} nor {MEASURED_CAPTION!r}")


def check_search(page: Page, base: str, report: Report) -> None:
    page.goto(f"{base}search.html?q={SEARCH_TERM}")
    try:
        page.wait_for_selector("ul.search li a", timeout=20_000)
        page.wait_for_function("() => document.querySelector('.search-summary')?.innerText.length > 0")
    except Exception:  # any timeout or navigation error is the finding
        report.fail("search.html", f"a search for {SEARCH_TERM} shows no result")
        return
    hits = page.eval_on_selector_all("ul.search li a", "links => links.map(a => a.href)")
    if not any(hit.split("#")[0].endswith(f"/{SEARCH_TERM}_module.html") for hit in hits):
        report.fail("search.html", f"a search for {SEARCH_TERM} does not list its page ({len(hits)} results)")


def run(site: Path, repo: Path, chromium: str, shots: Path) -> Report:
    report = Report()
    plugins = expected_plugin_pages(repo)
    for name in plugins:
        if not (site / name).is_file():
            report.fail(name, "no page for this plugin in the site")
    pages = sorted(str(p.relative_to(site)) for p in site.rglob("*.html") if not p.name.startswith("_"))
    server, base = serve(site)
    facts: dict[str, dict] = {}
    shots.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium)
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            # The site must be self-contained: anything it asks of another host is refused and reported.
            context.route(lambda url: not url.startswith(base), lambda route: route.abort())
            for name in pages:
                page = context.new_page()
                seen = watch(page)
                response = page.goto(base + name, wait_until="load")
                if response is None or response.status != 200:
                    report.fail(name, f"does not load (HTTP {response.status if response else 'no answer'})")
                facts[name] = page.evaluate(PAGE_FACTS_JS)
                if name in plugins:
                    check_plugin_page(page, name, plugins[name], report)
                if name == "index.html":
                    check_guide_order(page.evaluate(SECTIONS_JS), site, report)
                for shot, shot_page in SCREENSHOTS.items():
                    if name == shot_page:
                        page.screenshot(path=str(shots / shot), full_page=True)
                for message in seen:
                    report.fail(name, message)
                report.pages += 1
                page.close()
            check_search(context.new_page(), base, report)
            browser.close()
    finally:
        server.shutdown()
    check_links(facts, base, site, report)
    for shot, shot_page in SCREENSHOTS.items():
        if not (shots / shot).is_file():
            report.fail(shot_page, f"no screenshot written ({shot})")
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, required=True, help="the built HTML site")
    parser.add_argument("--repo", type=Path, required=True, help="the collection checkout")
    parser.add_argument("--chromium", required=True, help="the Chromium binary (Debian's /usr/bin/chromium)")
    parser.add_argument("--screenshots", type=Path, required=True)
    args = parser.parse_args()

    report = run(args.site, args.repo, args.chromium, args.screenshots)
    print(
        f"docs-site: {report.pages} pages loaded in Chromium ({report.plugin_pages} plugin pages checked for "
        f"options, examples and return values); {report.links} links checked ({len(report.link_targets)} distinct "
        f"internal targets, {len(report.external)} external links not followed); search for {SEARCH_TERM} checked"
    )
    for shot in SCREENSHOTS:
        print(f"screenshot: {args.screenshots / shot}")
    for problem in report.problems:
        print(f"FAIL {problem}", file=sys.stderr)
    if report.problems:
        print(f"docs-site: {len(report.problems)} problem(s)", file=sys.stderr)
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
