"""A real browser (Debian's chromium, headless) over a container written the way zuul-jobs'
upload-logs-swift writes it, served in listing mode: directory markers navigate as
directories, each directory shows its index.html, texts stored gzip-encoded under their own
names show as text (a .txt as a log page), and raw .gz of a text or an HTML file show as
what they hold instead of downloading."""
import gzip

import pytest

from test_htmlify_browser import chromium
from test_serve import write
from test_zuul_layout import build_prefix, server, upload_like_zuul_jobs  # noqa: F401  (the listing server)

# The listing server's pages are fetched under ASan by test_zuul_layout: the browser's part is
# left to the plain run.
pytestmark = pytest.mark.heavy


def dom(tmp_path, url):
    result = chromium(tmp_path, "--dump-dom", url)
    return result.stdout.decode("utf-8", "replace")


def test_a_browser_reads_a_zuul_jobs_upload(server, swift, tmp_path, artifact_root):  # noqa: F811
    prefix = build_prefix()
    upload_like_zuul_jobs(swift, prefix, {
        "job-output.txt": b"2026-12-01 06:00:00.000 | TASK [run tests]\n2026-12-01 06:00:01.000 | ok: all passed\n",
        "zuul-info/inventory.yaml": b"all:\n  hosts:\n    controller: {}\n",
        "logs/syslog.txt.gz": gzip.compress(b"Dec  1 06:00:00 controller kernel: booted\n"),
        "logs/console.html.gz": gzip.compress(b"<!DOCTYPE html><html><body><h1 id=c>console</h1></body></html>"),
    })
    url = f"{server.url}/{prefix}"
    # The directory named without its slash (a marker's name) lands on the directory's index.html.
    top = dom(tmp_path, url.rstrip("/"))
    assert 'href="job-output.txt"' in top and 'href="logs/syslog.txt.gz"' in top
    # The module's index lists the markers as the directories they stand for.
    index = dom(tmp_path, url + "logs/?format=html")
    assert 'href="./syslog.txt.gz"' in index and "index.html" in index
    top_index = dom(tmp_path, url + "?format=html")
    assert 'href="./logs/"' in top_index and 'href="./zuul-info/"' in top_index
    # A text stored gzip-encoded under its own name: a log page, every line there.
    page = dom(tmp_path, url + "job-output.txt")
    assert "<li" in page and "ok: all passed" in page and "TASK [run tests]" in page
    # YAML (no log page configured for it): shown as text.
    assert "controller: {}" in dom(tmp_path, url + "zuul-info/inventory.yaml")
    # Raw .gz of a text and of an HTML document: shown as what they hold, not downloaded.
    assert "kernel: booted" in dom(tmp_path, url + "logs/syslog.txt.gz")
    assert '<h1 id="c">console</h1>' in dom(tmp_path, url + "logs/console.html.gz")
    # A legacy tree on disk: job-output.json.gz shows as the JSON it holds.
    legacy = build_prefix()
    write(artifact_root, legacy + "job-output.json.gz", gzip.compress(b'[{"playbook": "base/pre.yaml"}]'))
    assert "base/pre.yaml" in dom(tmp_path, f"{server.url}/{legacy}job-output.json.gz")
