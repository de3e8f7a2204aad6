"""A real browser (Debian's chromium, headless) shows a build's index: the failing log among
forty carries its CRITICAL, ERROR and WARNING badges, drawn in their colours on a desktop and
on a phone, with no script."""
import pytest

from test_htmlify_browser import chromium, pixels_of, screenshot
from test_processors import upload_build
from upload_helpers import unique_scope

# The pages these fetch are fetched under ASan by test_htmlify and test_processors: the
# browser's part is left to the plain run.
pytestmark = pytest.mark.heavy

CRITICAL_BADGE = (0xBB, 0x00, 0x00)
ERROR_BADGE = (0xFF, 0xD7, 0xD7)
WARNING_BADGE = (0xFF, 0xF1, 0xC7)


@pytest.fixture(scope="module")
def build_index(httpd):
    scope = unique_scope("summary-browser")
    upload_build(httpd, scope)
    return f"{httpd.url}/{scope}logs/"


def test_the_index_has_badges_and_no_script(tmp_path, build_index):
    dom = chromium(tmp_path, "--dump-dom", build_index).stdout.decode()
    assert dom.count('class="lv ') == 3
    assert 'href="./job-output.txt.gz?level=ERROR#L3"' in dom
    assert "<script" not in dom


@pytest.mark.parametrize("size", [(1200, 1400), (390, 1800)], ids=["desktop", "phone"])
def test_badges_are_drawn_in_their_colours(tmp_path, build_index, size):
    image = screenshot(tmp_path, build_index, size)
    for colour, name in ((CRITICAL_BADGE, "CRITICAL"), (ERROR_BADGE, "ERROR"), (WARNING_BADGE, "WARNING")):
        # A badge is some 60 by 18 pixels: at least a few hundred of its colour.
        assert pixels_of(image, colour) > 200, f"no {name} badge is drawn"
