"""What Zuul really uploads (issue 13), served in listing mode (ArtifactsSwiftListing On,
no catalogue): a container written the way zuul-jobs' upload-logs-swift writes it, with
python-swiftclient, not by the module:
- a 0-byte object of type application/directory for every directory, the build prefix
  included, named without a trailing slash;
- an index.html in every directory;
- text files gzip-compressed under their own name with Content-Encoding: gzip;
- *.gz files raw, typed by their inner type, without Content-Encoding;
- X-Delete-After on every object; the container readable (.r:*,.rlistings) with
  X-Container-Meta-Web-Index: index.html."""
import gzip
import json
import mimetypes
import subprocess
import uuid

import pytest
import requests

from storage_helpers import start_listing_httpd
from test_serve import write

CONTAINER = "zuul-logs"


@pytest.fixture(scope="module")
def server(workdir, artifact_root, swift):
    server = start_listing_httpd(workdir, artifact_root, swift, "httpd-zuul-layout", CONTAINER)
    yield server
    server.stop()


def upload_like_zuul_jobs(swift, prefix, files):
    """`files`: path below the build prefix -> bytes; directories get markers and index.html."""
    connection = swift.connection()
    connection.put_container(CONTAINER, headers={"X-Container-Read": ".r:*,.rlistings",
                                                 "X-Container-Meta-Web-Index": "index.html"})
    keep = {"X-Delete-After": str(30 * 86400)}
    directories = {""}
    for path in files:
        parts = path.split("/")[:-1]
        directories.update("/".join(parts[:i]) for i in range(1, len(parts) + 1))
    for directory in sorted(directories):
        marker = (prefix + directory).rstrip("/")
        connection.put_object(CONTAINER, marker, b"", content_type="application/directory", headers=keep)
        listing = "".join(f'<a href="{name}">{name}</a>\n' for name in sorted(files))
        connection.put_object(CONTAINER, f"{prefix}{directory + '/' if directory else ''}index.html",
                              gzip.compress(listing.encode()), content_type="text/html",
                              headers={**keep, "Content-Encoding": "gzip"})
    for path, data in files.items():
        guessed, encoding = mimetypes.guess_type(path)
        content_type = guessed or "text/plain"
        compressible = content_type.startswith("text/") or content_type in ("application/json", "image/svg+xml")
        if encoding or not compressible:
            # *.gz (and whatever is not text) as it is, typed by its inner type.
            connection.put_object(CONTAINER, prefix + path, data, content_type=content_type, headers=keep)
        else:
            connection.put_object(CONTAINER, prefix + path, gzip.compress(data), content_type=content_type,
                                  headers={**keep, "Content-Encoding": "gzip"})


def build_prefix():
    return f"{uuid.uuid4().hex[:2]}/{uuid.uuid4().hex[:6]}/1/check/tox-py311/{uuid.uuid4().hex[:7]}/"


def test_directory_markers_are_the_directories_they_stand_for(server, swift):
    prefix = build_prefix()
    upload_like_zuul_jobs(swift, prefix, {"job-output.txt": b"output\n", "logs/etc/hosts": b"127.0.0.1\n",
                                          "logs/syslog.txt.gz": gzip.compress(b"syslog\n")})
    index = requests.get(f"{server.url}/{prefix}?format=json").json()["entries"]
    entries = {entry["name"]: entry for entry in index}
    assert sorted(entries) == ["index.html", "job-output.txt", "logs"]
    assert entries["logs"]["type"] == "directory" and entries["logs"]["href"] == "logs/"
    logs = {e["name"]: e["type"] for e in requests.get(f"{server.url}/{prefix}logs/?format=json").json()["entries"]}
    assert logs == {"etc": "directory", "index.html": "file", "syslog.txt.gz": "file"}
    # The marker's name answers as a directory does: 301 to the name with its slash.
    for method in ("GET", "HEAD"):
        for name in ("logs", "logs/etc", ""):
            url = f"{server.url}/{prefix}{name}".rstrip("/")
            response = requests.request(method, url, allow_redirects=False)
            assert response.status_code == 301, (method, name, response.status_code)
            assert response.headers["Location"].endswith(url[len(server.url):] + "/")
    html = requests.get(f"{server.url}/{prefix}logs/?format=html", headers={"Accept": "text/html"}).text
    assert 'href="./etc/"' in html


def test_the_disk_and_its_gz_sibling_come_before_the_container(server, swift, artifact_root):
    prefix = build_prefix()
    upload_like_zuul_jobs(swift, prefix, {"other.txt": b"in swift\n"})
    write(artifact_root, prefix + "legacy.txt.gz", gzip.compress(b"legacy log on disk\n"))
    response = requests.get(f"{server.url}/{prefix}legacy.txt", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200 and response.content == b"legacy log on disk\n"
    assert response.headers["Content-Encoding"] == "gzip"


def test_objects_stored_gzip_are_decoded_for_clients_without_gzip(server, swift):
    prefix = build_prefix()
    text = b"".join(b"2026-12-01 06:00:%02d.000 | ok: line %d\n" % (i % 60, i) for i in range(3000))
    upload_like_zuul_jobs(swift, prefix, {"job-output.txt": text})
    url = f"{server.url}/{prefix}job-output.txt"
    plain = requests.get(url, headers={"Accept-Encoding": "identity", "Accept": "*/*"}, stream=True)
    raw = plain.raw.read()
    assert raw == text and "Content-Encoding" not in plain.headers
    assert "Accept-Encoding" in plain.headers["Vary"]
    compressed = requests.get(url, headers={"Accept-Encoding": "gzip", "Accept": "*/*"}, stream=True)
    assert compressed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(compressed.raw.read()) == text
    # A range of the compressed bytes is no answer for this client: it gets the whole text.
    ranged = requests.get(url, headers={"Accept-Encoding": "identity", "Range": "bytes=0-99", "Accept": "*/*"},
                          stream=True)
    assert ranged.status_code == 200 and ranged.raw.read() == text
    assert "Content-Range" not in ranged.headers
    head = requests.head(url, headers={"Accept-Encoding": "identity"})
    assert head.status_code == 200 and "Content-Encoding" not in head.headers
    # With gzip accepted, a range is Swift's range of the stored bytes, as Swift's staticweb answers it.
    stored_range = requests.get(url, headers={"Accept-Encoding": "gzip", "Range": "bytes=0-9", "Accept": "*/*"},
                                stream=True)
    assert stored_range.status_code == 206 and len(stored_range.raw.read()) == 10


def test_a_repetitive_log_stored_gzip_reaches_curl_whole(server, swift):
    """A console log of one line repeated compresses past any inflate-ratio limit; plain curl
    gets it whole, and HEAD says what a GET would send (no stored length, no encoding)."""
    prefix = build_prefix()
    text = b"TASK [wait for the service] ok: [controller] retrying...\n" * 300_000
    upload_like_zuul_jobs(swift, prefix, {"job-output.txt": text})
    url = f"{server.url}/{prefix}job-output.txt"
    out = subprocess.run(["curl", "-sS", "--fail", "-o", "-", url], capture_output=True)
    assert out.returncode == 0 and out.stdout == text, out.stderr
    head = requests.head(url, headers={"Accept-Encoding": "identity"})
    assert "Content-Length" not in head.headers and head.headers["ETag"].endswith('-gunzip"')


def test_a_directory_holding_index_html_is_answered_by_it(server, swift):
    prefix = build_prefix()
    upload_like_zuul_jobs(swift, prefix, {"job-output.txt": b"output\n", "logs/a.txt": b"a\n"})
    swift.connection().put_object(CONTAINER, prefix + "bare/b.txt", b"b\n", content_type="text/plain")
    page = requests.get(f"{server.url}/{prefix}logs/", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    # upload_like_zuul_jobs writes the same page, naming every file, in each directory.
    assert page.text == '<a href="job-output.txt">job-output.txt</a>\n<a href="logs/a.txt">logs/a.txt</a>\n'
    # The module's own index is still there when asked for by name.
    names = [e["name"] for e in requests.get(f"{server.url}/{prefix}logs/?format=json").json()["entries"]]
    assert names == ["a.txt", "index.html"]
    # A directory without index.html gets the module's index.
    bare = requests.get(f"{server.url}/{prefix}bare/", headers={"Accept": "text/html"})
    assert bare.status_code == 200 and "b.txt" in bare.text and "<footer>" in bare.text


def test_the_operator_may_prefer_the_modules_index(workdir, artifact_root, swift):
    """ArtifactsIndexHtml Off: the module's index at every directory, index.html a file in
    it (on disk, with mod_dir's DirectoryIndex disabled as docs/configuration.md says)."""
    other = start_listing_httpd(workdir, artifact_root, swift, "httpd-zuul-no-index-html", CONTAINER,
                                extra="ArtifactsIndexHtml Off\nDirectoryIndex disabled\n")
    try:
        prefix = build_prefix()
        upload_like_zuul_jobs(swift, prefix, {"logs/a.txt": b"a\n"})
        write(artifact_root, "disk-index/index.html", "<p>hand-made</p>")
        for path in (f"{prefix}logs/", "disk-index/"):
            page = requests.get(f"{other.url}/{path}", headers={"Accept": "text/html"})
            assert page.status_code == 200 and "<footer>" in page.text, path
            assert 'href="./index.html"' in page.text, path
            assert requests.get(f"{other.url}/{path}index.html").status_code == 200
    finally:
        other.stop()


def test_index_details_of_a_swift_listing(server, swift):
    prefix = build_prefix()
    connection = swift.connection()
    connection.put_container(CONTAINER)
    connection.put_object(CONTAINER, prefix + "unmarked/x.txt", b"x\n", content_type="text/plain")
    entries = {e["name"]: e for e in requests.get(f"{server.url}/{prefix}?format=json").json()["entries"]}
    # A folder without a marker has no time of its own: not 1970.
    assert entries["unmarked"]["mtime"] is None
    html = requests.get(f"{server.url}/{prefix}?format=html").text
    assert "1970" not in html
    # Sizes are what Swift holds (a zuul-jobs text is stored compressed), and say so.
    files = requests.get(f"{server.url}/{prefix}unmarked/?format=json").json()["entries"]
    assert files[0]["size"] == 2 and files[0]["size_as_stored"] is True
    assert "bytes as stored in Swift" in requests.get(f"{server.url}/{prefix}unmarked/?format=html").text
    # ETags are quoted entity-tags, and If-None-Match with one is a 304.
    response = requests.get(f"{server.url}/{prefix}unmarked/x.txt", headers={"Accept": "*/*"})
    etag = response.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) == 34
    again = requests.get(f"{server.url}/{prefix}unmarked/x.txt", headers={"Accept": "*/*", "If-None-Match": etag})
    assert again.status_code == 304 and again.headers["ETag"] == etag


def test_zuul_web_ui_requests_succeed_with_cors(server, swift, artifact_root):
    """Zuul's build page fetches job-output.json.gz, then job-output.json, and the manifest,
    from another origin, with a browser's Accept-Encoding."""
    browser = {"Origin": "https://zuul.example.org", "Accept-Encoding": "gzip, deflate, br", "Accept": "*/*"}
    output = b'[{"playbook": "base/pre.yaml", "plays": []}]'
    manifest = b'{"tree": [], "index_links": false}'
    # A zuul-jobs upload in Swift: job-output.json gzip-encoded under its own name.
    prefix = build_prefix()
    upload_like_zuul_jobs(swift, prefix, {"job-output.json": output, "zuul-manifest.json": manifest})
    first = requests.get(f"{server.url}/{prefix}job-output.json.gz", headers=browser)
    assert first.status_code == 404 and first.headers["Access-Control-Allow-Origin"] == "*"
    second = requests.get(f"{server.url}/{prefix}job-output.json", headers=browser)
    assert second.status_code == 200 and second.json() == json.loads(output)
    assert second.headers["Access-Control-Allow-Origin"] == "*"
    assert second.headers["Content-Type"].startswith("application/json")
    assert requests.get(f"{server.url}/{prefix}zuul-manifest.json", headers=browser).json() == json.loads(manifest)
    # A legacy tree on disk: job-output.json.gz answers at once, as the JSON it holds.
    legacy = build_prefix()
    write(artifact_root, legacy + "job-output.json.gz", gzip.compress(output))
    direct = requests.get(f"{server.url}/{legacy}job-output.json.gz", headers=browser)
    assert direct.status_code == 200 and direct.headers["Content-Encoding"] == "gzip"
    assert direct.headers["Content-Type"].startswith("application/json")
    assert direct.json() == json.loads(output) and direct.headers["Access-Control-Allow-Origin"] == "*"


def test_raw_gz_objects_of_text_are_that_text(server, swift):
    prefix = build_prefix()
    syslog, tarball = gzip.compress(b"syslog line\n"), gzip.compress(b"tarball")
    upload_like_zuul_jobs(swift, prefix, {"logs/syslog.txt.gz": syslog, "logs/dist.tar.gz": tarball})
    url = f"{server.url}/{prefix}logs/syslog.txt.gz"
    plain = requests.get(url, headers={"Accept-Encoding": "identity", "Accept": "*/*"}, stream=True)
    assert plain.raw.read() == b"syslog line\n" and plain.headers["Content-Type"].startswith("text/plain")
    taking = requests.get(url, headers={"Accept-Encoding": "gzip", "Accept": "*/*"}, stream=True)
    assert taking.headers["Content-Encoding"] == "gzip" and taking.raw.read() == syslog
    archive = requests.get(f"{server.url}/{prefix}logs/dist.tar.gz", headers={"Accept-Encoding": "identity"},
                           stream=True)
    assert "Content-Encoding" not in archive.headers and archive.raw.read() == tarball
