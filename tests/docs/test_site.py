"""The built documentation site and the report, opened in a real headless Chromium.

Every page reachable from the front page and from the report is loaded over HTTP; the
test fails on an image that did not load, a link to a page or file that is not there,
and a link to an anchor that the target page does not have. It keeps screenshots of the
front pages in ``build/screenshots/`` (CI's artefact).

It needs the built site (``make docs``) and Debian's ``chromium`` and
``chromium-driver``; without them it is skipped, unless ``BAYESCOLLAPSE_BROWSER_CHECK=1``
(``make docs-check``, CI) makes their absence a failure.
"""

import functools
import http.server
import os
import shutil
import threading
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "build" / "docs"
SHOTS = ROOT / "build" / "screenshots"
CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
#: the flags the machine's notes give for Chromium on a closed network, as root
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1000",
)
BROKEN_IMAGES = (
    "return [...document.images].filter(i => !(i.complete && i.naturalWidth > 0))"
    ".map(i => i.currentSrc || i.src)"
)
LINKS = "return [...document.querySelectorAll('a[href]')].map(a => a.href)"
IDS = "return [...document.querySelectorAll('[id], a[name]')].map(e => e.id || e.name)"


def _missing() -> str | None:
    if not (SITE / "index.html").exists():
        return "no built site: run make docs"
    for path in (CHROMIUM, DRIVER):
        if shutil.which(path) is None:
            return f"no {path}: apt-get install chromium chromium-driver"
    return None


@pytest.fixture(scope="module")
def site():
    """Serve build/docs on a free localhost port; yield its base URL."""
    why = _missing()
    if why:
        if os.environ.get("BAYESCOLLAPSE_BROWSER_CHECK") == "1":
            pytest.fail(why)
        pytest.skip(why)
    handler = functools.partial(QuietHandler, directory=str(SITE))
    server = QuietServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # the browser drops connections it no longer needs (broken pipes)


@pytest.fixture(scope="module")
def browser(site):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    yield driver
    driver.quit()


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def crawl(browser, base: str, starts: list[str]) -> dict:
    """Load every HTML page reachable from ``starts``; return what each page holds."""
    pages, queue = {}, list(starts)
    while queue:
        url = queue.pop()
        if url in pages:
            continue
        browser.get(url)
        links = browser.execute_script(LINKS)
        pages[url] = {
            "title": browser.title,
            "broken_images": browser.execute_script(BROKEN_IMAGES),
            "links": links,
            "ids": set(browser.execute_script(IDS)),
            "not_found": _status(url) != 200,
        }
        for link in links:
            target = urldefrag(link).url
            if target.startswith(base) and target.endswith(".html") and target not in pages:
                queue.append(target)
    return pages


def problems(pages: dict, base: str) -> list[str]:
    """Broken images, links to missing pages or files, and links to missing anchors."""
    found, statuses = [], {}
    for url, page in pages.items():
        where = url.removeprefix(base)
        if page["not_found"]:
            found.append(f"{where}: page not found")
        found += [f"{where}: image did not load: {src}" for src in page["broken_images"]]
        for link in page["links"]:
            target, anchor = urldefrag(link)
            if not target.startswith(base):
                continue  # another site: the machine is offline, and it is not ours
            if target.endswith(".html"):
                if target not in pages or pages[target]["not_found"]:
                    found.append(f"{where}: link to a missing page: {link}")
                elif anchor and anchor not in pages[target]["ids"]:
                    found.append(f"{where}: link to a missing anchor: {link}")
            else:
                if target not in statuses:
                    statuses[target] = _status(target)
                if statuses[target] != 200:
                    found.append(f"{where}: link to a missing file: {link}")
    return found


def test_site_and_report_have_no_broken_images_links_or_anchors(site, browser):
    starts = [urljoin(site, "index.html"), urljoin(site, "report/index.html")]
    pages = crawl(browser, site, starts)
    paths = {urlparse(u).path for u in pages}
    # the crawl reached every part of the site, so a clean result means something
    for part in ("/guide/", "/auto_examples/", "/theory/", "/_generated/cli.html", "/api.html"):
        assert any(part in p for p in paths), f"the crawl never reached {part}"
    assert "/report/index.html" in paths and len(pages) >= 30
    found = problems(pages, site)
    assert not found, "\n".join(found)

    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, start in zip(("site", "report"), starts, strict=True):
        browser.get(start)
        assert browser.save_screenshot(str(SHOTS / f"{name}.png"))


def test_the_check_catches_a_broken_image_link_and_anchor(site, browser, tmp_path):
    # planted: the same crawl over a page with one of each defect must name all three
    bad = SITE / "_planted_defects.html"
    bad.write_text(
        "<html><body><img src='no-such.png'><a href='index.html#no-such-anchor'>a</a>"
        "<a href='no-such-page.html'>b</a><a href='index.html'>c</a></body></html>"
    )
    try:
        start = urljoin(site, bad.name)
        pages = crawl(browser, site, [start])
        found = [p for p in problems(pages, site) if p.startswith(bad.name)]
    finally:
        bad.unlink()
    assert any("image did not load" in p for p in found), found
    assert any("missing anchor" in p and "no-such-anchor" in p for p in found), found
    assert any("missing page" in p and "no-such-page" in p for p in found), found
    assert len(found) == 3, found
