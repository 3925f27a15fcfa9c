"""The README shows visitors the course and opens it on Binder at the start-here notebook."""

from __future__ import annotations

import re
import struct
from urllib.parse import parse_qs, urlsplit

from paths import ROOT

README = (ROOT / "README.md").read_text()
SCREENSHOT_MAX_BYTES = 300_000


def test_binder_badge_opens_start_here_in_jupyterlab() -> None:
    badge = re.search(r"\[!\[[^\]]*\]\(https://mybinder\.org/badge_logo\.svg\)\]\(([^)\s]+)\)", README)
    assert badge, "README has no Binder badge"
    url = urlsplit(badge.group(1))
    assert (url.scheme, url.netloc) == ("https", "mybinder.org")
    assert re.fullmatch(r"/v2/gh/[^/]+/[^/]+/[^/]+", url.path), "mybinder.org/v2/gh/OWNER/REPO/REF"
    urlpath = parse_qs(url.query)["urlpath"][0]
    assert urlpath == "lab/tree/notebooks/00-start-here.ipynb"
    assert (ROOT / urlpath.removeprefix("lab/tree/")).exists()


def test_readme_shows_a_screenshot_of_a_lesson_near_the_top() -> None:
    images = re.findall(r"!\[([^\]]+)\]\((docs/[^)\s]+\.png)\)", README)
    assert images, "README shows no screenshot from docs/"
    alt, target = images[0]
    assert len(alt.split()) >= 5, "the alt text says what the screenshot shows"
    assert README.index(target) < README.index("## Course map"), "the screenshot comes before the course map"
    png = (ROOT / target).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (1280, 800), "the browser tests' viewport: refresh it with `make screenshot`"
    assert len(png) < SCREENSHOT_MAX_BYTES, "keep the README light: make screenshot saves 256 colours"
