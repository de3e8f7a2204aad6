"""Index edge cases that touch the error log or the protocol: unreadable directories,
HEAD, methods the index does not take."""
import os

import pytest
import requests

pytestmark = pytest.mark.expected_errors(r"ARTF0102: cannot read directory .*/locked")


def test_head_of_an_index_has_headers_only(httpd, artifact_root):
    os.makedirs(os.path.join(artifact_root, "edge", "head"), exist_ok=True)
    for path in ("edge", "edge/head"):
        os.chmod(os.path.join(artifact_root, path), 0o755)
    reply = requests.head(f"{httpd.url}/edge/head/")
    assert reply.status_code == 200
    assert reply.headers["Content-Type"] == "text/html; charset=utf-8"
    assert reply.content == b""


def test_index_refuses_other_methods(httpd):
    reply = requests.delete(f"{httpd.url}/edge/head/")
    assert reply.status_code == 405
    assert "GET" in reply.headers["Allow"]


@pytest.mark.skipif(os.geteuid() != 0, reason="needs httpd children running as another user than the tree's owner")
def test_unreadable_directory_is_403_and_logged(httpd, artifact_root):
    locked = os.path.join(artifact_root, "edge", "locked")
    os.makedirs(locked, exist_ok=True)
    os.chmod(locked, 0o711)  # traversable, not listable by www-data
    start = httpd.log_size()
    reply = requests.get(f"{httpd.url}/edge/locked/")
    assert reply.status_code == 403
    assert "ARTF0102: cannot read directory" in httpd.log_since(start)
