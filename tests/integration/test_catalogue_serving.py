"""Serving from the catalogue and Swift: a path the catalogue knows is streamed
from Swift with Range and conditional requests passed through; a directory it knows gets
an index from the catalogue merged with the filesystem; what it does not know is the
filesystem's, as before."""
import gzip
import hashlib
import json
import os
import re
import subprocess
import uuid

import pytest
import requests

from conftest import main_config
from storage_helpers import CONTAINER, Catalogued, start_httpd, storage_config
from test_htmlify import get_page
from test_serve import write

# A catalogue row whose object is gone is logged as a warning, not an error.
pytestmark = pytest.mark.expected_errors()


@pytest.fixture(scope="module")
def catalogued(mariadb, swift):
    return Catalogued(mariadb, swift)


@pytest.fixture(scope="module")
def server(workdir, artifact_root, mariadb, swift):
    server = start_httpd(workdir, "httpd-catalogue",
                         main_config(workdir, artifact_root,
                                     storage_config(workdir, mariadb, swift) + "LogLevel warn artifacts:debug\n"))
    yield server
    server.stop()


def index_names(server, path):
    response = requests.get(f"{server.url}/{path}", params={"format": "json"})
    assert response.status_code == 200, response.text
    return sorted(entry["name"] for entry in response.json()["entries"])


@pytest.fixture
def prefix():
    return f"cat/{uuid.uuid4().hex[:10]}/"


def test_file_is_streamed_from_swift(server, catalogued, prefix):
    data = os.urandom(300_000)
    catalogued.put(prefix + "build/blob.bin", data, content_type="application/octet-stream", mtime=1_700_000_000)
    response = requests.get(f"{server.url}/{prefix}build/blob.bin")
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["Content-Length"] == str(len(data))
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["ETag"] == '"' + hashlib.md5(data).hexdigest() + '"'
    assert "Last-Modified" in response.headers
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_head_asks_swift_and_sends_no_body(server, catalogued, prefix):
    data = catalogued.put(prefix + "h.txt", "head me\n")
    response = requests.head(f"{server.url}/{prefix}h.txt")
    assert response.status_code == 200
    assert response.headers["Content-Length"] == str(len(data))
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.content == b""


def test_ranges_are_passed_to_swift(server, catalogued, prefix):
    data = catalogued.put(prefix + "r.log", bytes(range(256)) * 40, content_type="text/plain")
    response = requests.get(f"{server.url}/{prefix}r.log", headers={"Range": "bytes=10-19"})
    assert response.status_code == 206
    assert response.content == data[10:20]
    assert response.headers["Content-Range"] == f"bytes 10-19/{len(data)}"
    suffix = requests.get(f"{server.url}/{prefix}r.log", headers={"Range": "bytes=-5"})
    assert suffix.status_code == 206 and suffix.content == data[-5:]
    beyond = requests.get(f"{server.url}/{prefix}r.log", headers={"Range": f"bytes={len(data) + 10}-"})
    assert beyond.status_code == 416


def test_conditional_requests_are_passed_to_swift(server, catalogued, prefix):
    catalogued.put(prefix + "c.txt", "conditional\n")
    first = requests.get(f"{server.url}/{prefix}c.txt")
    etag = first.headers["ETag"]
    again = requests.get(f"{server.url}/{prefix}c.txt", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.headers["ETag"] == etag
    assert again.content == b""
    since = requests.get(f"{server.url}/{prefix}c.txt",
                         headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304
    other = requests.get(f"{server.url}/{prefix}c.txt", headers={"If-Match": '"0123"'})
    assert other.status_code == 412


def test_directory_index_comes_from_the_catalogue(server, catalogued, prefix):
    catalogued.put(prefix + "logs/a.txt", "a" * 10, mtime=1_700_000_000)
    catalogued.put(prefix + "logs/b.txt", "b" * 20, mtime=1_700_000_100)
    catalogued.put(prefix + "logs/sub/c.txt", "c")
    listing = requests.get(f"{server.url}/{prefix}logs/", params={"format": "json"}).json()
    entries = {entry["name"]: entry for entry in listing["entries"]}
    assert set(entries) == {"a.txt", "b.txt", "sub"}
    assert entries["b.txt"]["size"] == 20
    assert entries["sub"]["type"] == "directory"
    page = requests.get(f"{server.url}/{prefix}logs/", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "a.txt" in page.text and "sub/" in page.text


def test_directory_without_slash_is_redirected(server, catalogued, prefix):
    catalogued.put(prefix + "dir/x.txt", "x")
    response = requests.get(f"{server.url}/{prefix}dir", allow_redirects=False)
    assert response.status_code == 301
    assert response.headers["Location"].endswith(f"/{prefix}dir/")


def test_index_merges_catalogue_and_disk(server, catalogued, artifact_root, prefix):
    write(artifact_root, prefix + "mixed/legacy.txt", "on disk\n")
    write(artifact_root, prefix + "mixed/both.txt", "disk copy\n")
    catalogued.put(prefix + "mixed/new.txt", "in swift\n")
    catalogued.put(prefix + "mixed/both.txt", "swift copy\n")
    assert index_names(server, prefix + "mixed/") == ["both.txt", "legacy.txt", "new.txt"]
    assert requests.get(f"{server.url}/{prefix}mixed/legacy.txt").text == "on disk\n"
    # The catalogue answers first.
    assert requests.get(f"{server.url}/{prefix}mixed/both.txt").text == "swift copy\n"


def test_miss_falls_back_to_the_filesystem(server, artifact_root, prefix):
    write(artifact_root, prefix + "old/job-output.txt", "legacy log\n")
    response = requests.get(f"{server.url}/{prefix}old/job-output.txt")
    assert response.status_code == 200 and response.text == "legacy log\n"
    assert requests.get(f"{server.url}/{prefix}old/missing.txt").status_code == 404


def test_gzip_stored_object_is_transparent(server, catalogued, prefix):
    text = b"line one\nline two\n" * 100
    compressed = gzip.compress(text)
    catalogued.put(prefix + "z/job.txt", compressed, content_type="text/plain", encoding="gzip")
    taking = requests.get(f"{server.url}/{prefix}z/job.txt", headers={"Accept-Encoding": "gzip"}, stream=True)
    assert taking.headers["Content-Encoding"] == "gzip"
    assert taking.raw.read() == compressed
    plain = requests.get(f"{server.url}/{prefix}z/job.txt", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    assert plain.content == text
    # Asked for by its .gz name: the text it holds, compressed for clients that take gzip.
    by_name = requests.get(f"{server.url}/{prefix}z/job.txt.gz", headers={"Accept-Encoding": "gzip"}, stream=True)
    assert by_name.headers["Content-Encoding"] == "gzip" and by_name.headers["Content-Type"].startswith("text/plain")
    assert by_name.raw.read() == compressed
    raw = requests.get(f"{server.url}/{prefix}z/job.txt.gz", headers={"Accept-Encoding": "identity"})
    assert raw.content == text and "Content-Encoding" not in raw.headers
    # A HEAD says what the GET would send (there is no body to decode).
    head = requests.head(f"{server.url}/{prefix}z/job.txt", headers={"Accept-Encoding": "identity"})
    assert head.status_code == 200 and "Content-Encoding" not in head.headers


def test_htmlify_works_on_swift_objects(server, catalogued, prefix):
    log = "2026-11-25 10:00:00.000 123 ERROR nova.compute [req-1] it broke\nplain <b>line</b>\n"
    catalogued.put(prefix + "h/job-output.txt", log)
    catalogued.put(prefix + "h/console.log", gzip.compress(log.encode()), encoding="gzip")
    for name in ("job-output.txt", "console.log"):
        reply, page = get_page(f"{server.url}/{prefix}h/{name}")
        assert reply.headers["Content-Type"].startswith("text/html")
        assert reply.headers["Content-Encoding"] == "gzip"  # the page's, not the stored bytes'
        assert [(line["classes"][:1], line["text"]) for line in page.lines] == [
            (["ERROR"], "2026-11-25 10:00:00.000 123 ERROR nova.compute [req-1] it broke"),
            (["ERROR"], "plain <b>line</b>")]  # a line without a level continues the last
    raw = requests.get(f"{server.url}/{prefix}h/job-output.txt", headers={"Accept": "*/*"})
    assert raw.text == log


def test_ndjson_works_on_swift_objects(server, catalogued, prefix):
    log = ("2026-11-25 10:00:00.000 123 ERROR nova.compute [req-1] it broke\n"
           "Traceback (most recent call last):\n2026-11-25 10:00:01.500 123 INFO nova.compute [-] ok\n")
    catalogued.put(prefix + "n/job-output.txt", log)
    catalogued.put(prefix + "n/console.log", gzip.compress(log.encode()), encoding="gzip")
    expected = [
        {"@timestamp": "2026-11-25T10:00:00.000Z", "level": "ERROR", "line": 1, "message": log.splitlines()[0]},
        {"@timestamp": "2026-11-25T10:00:00.000Z", "level": "ERROR", "line": 2, "message": log.splitlines()[1]},
        {"@timestamp": "2026-11-25T10:00:01.500Z", "level": "INFO", "line": 3, "message": log.splitlines()[2]}]
    for name in ("job-output.txt", "console.log"):
        for encoding in ("gzip", "identity"):
            reply = requests.get(f"{server.url}/{prefix}n/{name}", params={"format": "ndjson"},
                                 headers={"Accept-Encoding": encoding})
            assert reply.status_code == 200, reply.text
            assert reply.headers["Content-Type"] == "application/x-ndjson; charset=utf-8"
            assert reply.headers.get("Content-Encoding") == (encoding if encoding == "gzip" else None)
            assert [json.loads(line) for line in reply.text.splitlines()] == expected, (name, encoding)
    errors = requests.get(f"{server.url}/{prefix}n/console.log", params={"format": "ndjson", "level": "ERROR"})
    assert [json.loads(line)["line"] for line in errors.text.splitlines()] == [1, 2]


def test_a_limited_log_page_stops_reading_from_swift(server, catalogued, prefix):
    size = 64 << 20
    line = b"2026-11-25 10:00:00.000 123 INFO nova.compute [req-1] a line of a long job\n"
    catalogued.put_large(prefix + "h/long-output.txt", size, pattern=line * 10000, content_type="text/plain")
    offset = server.log_size()
    reply, page = get_page(f"{server.url}/{prefix}h/long-output.txt", params={"limit": "5"}, timeout=30)
    assert [entry["text"] for entry in page.lines] == [line.decode().rstrip("\n")] * 5
    assert "stopped at the limit of 5 lines" in page.footer
    logged = re.search(r"ARTF0409: \S+ ended after (\d+) bytes from Swift", server.log_since(offset))
    assert logged, "the page did not say it stopped reading"
    assert int(logged.group(1)) < size // 8


def test_row_without_object_is_not_found_and_logged(server, catalogued, prefix):
    catalogued.put(prefix + "gone.txt", "x", in_swift=False)
    offset = server.log_size()
    assert requests.get(f"{server.url}/{prefix}gone.txt").status_code == 404
    assert "ARTF0404" in server.log_since(offset)


def test_expired_rows_are_neither_served_nor_listed(server, catalogued, artifact_root, prefix):
    catalogued.put(prefix + "exp/old.txt", "old", expires_at=1_000)
    catalogued.put(prefix + "exp/new.txt", "new")
    assert requests.get(f"{server.url}/{prefix}exp/old.txt").status_code == 404
    assert index_names(server, prefix + "exp/") == ["new.txt"]


def test_index_html_in_a_catalogue_directory_is_served(server, catalogued, prefix):
    catalogued.put(prefix + "site/index.html", "<h1>report</h1>", content_type="text/html")
    response = requests.get(f"{server.url}/{prefix}site/")
    assert response.status_code == 200 and response.text == "<h1>report</h1>"
    assert index_names(server, prefix + "site/") == ["index.html"]


def forget_swift_token(swift, token):
    """Removes a tempauth token from memcached (where Swift keeps it, under MD5 keys): from
    now on Swift answers 401 to it, as to an expired token."""
    import socket
    with socket.create_connection(("127.0.0.1", swift.ports["memcached"]), timeout=5) as sock:
        for key in (f"AUTH_/token/{token}", "AUTH_/user/test:tester"):
            sock.sendall(b"delete " + hashlib.md5(key.encode()).hexdigest().encode() + b"\r\n")
            assert sock.recv(100) == b"DELETED\r\n"


def test_an_expired_swift_token_is_renewed(server, catalogued, swift, prefix):
    catalogued.put(prefix + "t.txt", "token\n")
    assert requests.get(f"{server.url}/{prefix}t.txt").text == "token\n"
    # tempauth gives every client of one user the same token while it lives: the module's is this one.
    old_token = swift.connection().get_auth()[1]
    forget_swift_token(swift, old_token)
    assert requests.get(f"{swift.storage_url}/{CONTAINER}/{prefix}t.txt",
                        headers={"X-Auth-Token": old_token}).status_code == 401
    # The module's token is refused now: it can only answer by authenticating again.
    response = requests.get(f"{server.url}/{prefix}t.txt")
    assert response.status_code == 200 and response.text == "token\n"


def test_a_large_object_streams_with_flat_memory(server, catalogued, prefix):
    size = 256 << 20
    catalogued.put_large(prefix + "large.bin", size)
    requests.get(f"{server.url}/{prefix}large.bin", headers={"Range": "bytes=0-9"})  # children up and warm
    before = server.peak_rss_kib()
    response = requests.get(f"{server.url}/{prefix}large.bin", stream=True)
    received = sum(len(piece) for piece in response.iter_content(1 << 20))
    assert received == size
    growth = server.peak_rss_kib() - before
    assert growth < 8 * 1024, f"the children's peak RSS grew by {growth} KiB"


def test_connections_to_swift_are_reused(server, catalogued, swift, prefix):
    catalogued.put(prefix + "reuse.txt", "again\n")

    def httpd_connections():
        """Local ends of httpd's open connections to the Swift proxy."""
        out = subprocess.run(["ss", "-Htnp", "state", "established", f"( dport = :{swift.proxy_port} )"],
                             capture_output=True, text=True, check=True).stdout
        return {line.split()[2] for line in out.splitlines() if '"apache2"' in line}

    for _ in range(3):
        assert requests.get(f"{server.url}/{prefix}reuse.txt").status_code == 200
    before = httpd_connections()
    for _ in range(30):
        assert requests.get(f"{server.url}/{prefix}reuse.txt").text == "again\n"
    after = httpd_connections()
    assert after, "no connection to Swift stays open between requests"
    assert len(after - before) <= 2, f"30 requests opened {len(after - before)} new connections"
