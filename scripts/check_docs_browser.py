#!/usr/bin/env python3
"""Look at the built documentation site in a real browser (headless Chromium).

    python3 scripts/check_docs_browser.py [--install] [--build]

Loads the home page and the API reference page of docs/_build/html from
file:// URLs, lets the page scripts run, and checks the rendered DOM
(``chromium --headless --dump-dom``):

- the navigation: the sidebar's toctree links (getting started, the API
  reference...);
- the API entries: elements with the ids ``aiologic.Lock`` and
  ``aiologic.Lock.async_acquire``;
- highlighted code: elements of class ``highlight`` holding token ``span``s.

It keeps a screenshot of each page in docs/_build/screenshots/. With
``--install`` it installs Chromium from Debian's packages when no Chromium is
on PATH (``apt-get install -y chromium``; root on Debian); with ``--build``
it builds the site first (``python3 scripts/dev.py docs``) when it is not
built yet. Needs only the standard library. Exit code 0 when every check
passed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Dict, List, Optional, Tuple
from urllib.parse import urldefrag, urljoin

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "docs" / "_build" / "html"
SHOTS = ROOT / "docs" / "_build" / "screenshots"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
LIMIT = 120  # seconds per browser run
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def say(message: str) -> None:
    print(f"[browser] {message}", flush=True)


def find_browser() -> Optional[str]:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def install_browser() -> str:
    browser = find_browser()
    if browser:
        say(f"{browser} is already installed")
        return browser
    if shutil.which("apt-get") is None:
        raise SystemExit("no Chromium on PATH and no apt-get to install it: install Chromium and retry")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    say("installing Chromium from Debian's packages (apt-get install -y chromium chromium-driver)")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, stdin=subprocess.DEVNULL)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "chromium", "chromium-driver"],
        check=True,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    browser = find_browser()
    if browser is None:
        raise SystemExit("apt-get installed chromium, but no chromium is on PATH")
    return browser


def chromium(browser: str, profile: str, *args: str) -> str:
    cmd = [
        browser,
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--no-default-browser-check",
        f"--user-data-dir={profile}",
        "--hide-scrollbars",
        "--window-size=1280,1000",
        "--virtual-time-budget=5000",  # let the page's scripts run first
        *args,
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=LIMIT, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        raise SystemExit(f"{Path(browser).name} exited with {result.returncode}:\n{result.stderr[-3000:]}")
    return result.stdout


class Dom(HTMLParser):
    """What the checks need from a rendered page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: List[Tuple[str, List[str]]] = []
        self.ids: Dict[str, str] = {}
        self.sidebar_links: List[str] = []
        self.highlight_blocks = 0
        self.highlight_spans = 0

    def _inside(self, css_class: str) -> bool:
        return any(css_class in classes for _, classes in self.stack)

    def handle_starttag(self, tag: str, attrs: List[Tuple[str, Optional[str]]]) -> None:
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        if attributes.get("id"):
            self.ids[attributes["id"] or ""] = tag
        if tag == "a" and self._inside("sidebar-tree") and attributes.get("href"):
            self.sidebar_links.append(attributes["href"] or "")
        if "highlight" in classes:
            self.highlight_blocks += 1
        if tag == "span" and self._inside("highlight"):
            self.highlight_spans += 1
        if tag not in VOID:
            self.stack.append((tag, classes))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return


def check_page(browser: str, profile: str, page: str, shot: str, wanted_ids: List[str], needs_code: bool) -> List[str]:
    path = SITE / page
    if not path.exists():
        return [f"{page}: not built ({path} is missing)"]
    url = path.as_uri()
    dom = Dom()
    dom.feed(chromium(browser, profile, "--dump-dom", url))
    target = SHOTS / shot
    chromium(browser, profile, f"--screenshot={target}", url)
    problems = []
    say(
        f"{page}: {len(dom.sidebar_links)} sidebar links, {dom.highlight_blocks} highlighted blocks"
        f" with {dom.highlight_spans} token spans, {len(dom.ids)} ids; screenshot {target.relative_to(ROOT)}"
    )
    if len(dom.sidebar_links) < 10:
        problems.append(f"{page}: only {len(dom.sidebar_links)} links in the sidebar's toctree")
    targets = {urldefrag(urljoin(url, link))[0] for link in dom.sidebar_links}
    for expected in ("getting-started.html", "reference/index.html"):
        if (SITE / expected).as_uri() not in targets:
            problems.append(f"{page}: the sidebar has no link to {expected}")
    for wanted in wanted_ids:
        if wanted not in dom.ids:
            problems.append(f"{page}: no element with id {wanted!r}")
    if needs_code and (dom.highlight_blocks == 0 or dom.highlight_spans < 10):
        problems.append(f"{page}: no highlighted code (class 'highlight' with token spans)")
    if not target.exists() or target.stat().st_size < 10_000:
        problems.append(f"{page}: the screenshot {target} is missing or blank")
    return problems


def main(argv: List[str]) -> int:
    browser = install_browser() if "--install" in argv else find_browser()
    if browser is None:
        say("no Chromium on PATH (run with --install, or: apt-get install -y chromium)")
        return 1
    version = subprocess.run([browser, "--version"], capture_output=True, text=True, timeout=60).stdout.strip()
    say(f"browser: {browser} ({version})")
    if not (SITE / "index.html").exists():
        if "--build" not in argv:
            say(f"the site is not built ({SITE}): run python3 scripts/dev.py docs, or pass --build")
            return 1
        subprocess.run([sys.executable, str(ROOT / "scripts" / "dev.py"), "docs"], check=True, cwd=str(ROOT))
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems: List[str] = []
    with tempfile.TemporaryDirectory(prefix="aiologic-chromium-") as profile:
        problems += check_page(browser, profile, "index.html", "home.png", [], needs_code=True)
        problems += check_page(
            browser,
            profile,
            "reference/aiologic.html",
            "api-aiologic.png",
            ["aiologic.Lock", "aiologic.Lock.async_acquire", "aiologic.Queue"],
            needs_code=False,
        )
        problems += check_page(browser, profile, "getting-started.html", "getting-started.png", [], needs_code=True)
    for problem in problems:
        say(f"FAILED: {problem}")
    say("all checks passed" if not problems else f"{len(problems)} checks failed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
