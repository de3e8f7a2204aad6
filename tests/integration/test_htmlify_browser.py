"""A real browser (Debian's chromium, headless) loads a rendered log page: the page must
load, be coloured by level, and highlight the line a #L link points at, with no script."""
import os
import re
import shutil
import subprocess

import pytest
from PIL import Image

# The pages these fetch are fetched under ASan by test_htmlify and test_processors: the
# browser's part is left to the plain run.
pytestmark = pytest.mark.heavy


ERROR_BACKGROUND = (0xFF, 0xEC, 0xEC)
CRITICAL_BACKGROUND = (0xBB, 0x00, 0x00)
WARNING_BACKGROUND = (0xFF, 0xF6, 0xDD)
TARGET_BACKGROUND = (0xFF, 0xEF, 0x7A)
BAR_BACKGROUND = (0xF3, 0xF3, 0xF3)


def chromium(tmp_path, *arguments):
    binary = shutil.which("chromium")
    assert binary, "chromium is missing: scripts/setup test installs it"
    command = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
               "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}", *arguments]
    return subprocess.run(command, capture_output=True, timeout=120, env={**os.environ, "HOME": str(tmp_path)})


def screenshot(tmp_path, url, size):
    path = tmp_path / f"shot-{size[0]}-{len(list(tmp_path.glob('shot-*')))}.png"
    chromium(tmp_path, f"--screenshot={path}", f"--window-size={size[0]},{size[1]}", url)
    assert path.exists(), "chromium wrote no screenshot"
    return Image.open(path).convert("RGB")


def pixels_of(image, colour):
    return sum(count for count, pixel in image.getcolors(maxcolors=1 << 24) if pixel == colour)


@pytest.fixture
def page_url(httpd, samples):  # noqa: F811
    return f"{httpd.url}/htmlify/samples/screen-n-cpu.txt"


def test_browser_loads_the_page_without_script(tmp_path, page_url):
    dom = chromium(tmp_path, "--dump-dom", page_url + "?level=WARNING").stdout.decode()
    assert "<nav>" in dom and "<ol>" in dom
    assert 'class="E"' in dom and 'class="W"' in dom
    assert "<script" not in dom


@pytest.mark.parametrize("size", [(1200, 900), (390, 844)], ids=["desktop", "phone"])
def test_page_is_coloured_by_level(tmp_path, page_url, size):
    image = screenshot(tmp_path, page_url + "?level=WARNING", size)
    area = size[0] * size[1]
    assert pixels_of(image, BAR_BACKGROUND) > area * 0.01, "the sticky bar is not drawn"
    assert pixels_of(image, ERROR_BACKGROUND) + pixels_of(image, CRITICAL_BACKGROUND) > area * 0.02, \
        "no ERROR or CRITICAL line is coloured"
    assert pixels_of(image, WARNING_BACKGROUND) > area * 0.02, "no WARNING line is coloured"


def test_targeted_line_is_highlighted(tmp_path, page_url):
    # A page shorter than the window: headless chromium's screenshots of a scrolled page are
    # offset by the scroll, so the target is chosen where nothing needs to scroll.
    image = screenshot(tmp_path, page_url + "?limit=20#L12", (1200, 900))
    assert pixels_of(image, TARGET_BACKGROUND) > 1200 * 10, "the #L12 line is not highlighted"
    plain = screenshot(tmp_path, page_url + "?limit=20", (1200, 900))
    assert pixels_of(plain, TARGET_BACKGROUND) == 0


def shown_numbers(tmp_path, url):
    """The line numbers a reader sees (CSS draws them from the list's counter), read back from
    chromium's PDF of the page: (numbers at the start of printed rows, ids of the lines)."""
    pdf = tmp_path / f"page-{len(list(tmp_path.glob('page-*')))}.pdf"
    chromium(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", url)
    assert pdf.exists(), "chromium printed no PDF"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True).stdout.decode()
    dom = chromium(tmp_path, "--dump-dom", url).stdout.decode()
    return [int(n) for n in re.findall(r"(?m)^\s*(\d+) ", text)], [int(n) for n in re.findall(r'<li[^>]* id="L(\d+)"', dom)]


@pytest.mark.parametrize("query", ["?limit=40", "?level=WARNING&limit=40"], ids=["all", "filtered"])
def test_line_numbers_shown_are_the_lines_numbers(tmp_path, page_url, query):
    printed, ids = shown_numbers(tmp_path, page_url + query)
    assert len(ids) == 40
    if query == "?limit=40":
        assert ids == list(range(1, 41))
    # Each line's number is printed at the start of its row, in order (rows that wrap
    # may start with digits of their own: the numbers are looked for in order).
    rest = iter(printed)
    assert all(number in rest for number in ids), (ids, printed[:60])
