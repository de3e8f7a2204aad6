"""Serving the filesystem store: files through Apache's core handler, directories
through our index, compressed logs transparently, CORS."""
import email.utils
import gzip
import html.parser
import http.client
import os
import subprocess

import pytest
import requests

from conftest import measures_memory

# Apache itself refuses ../ beyond the root before any module runs, and says so at error level.
pytestmark = pytest.mark.expected_errors(r"AH10244: invalid URI path")


def write(root, relative, data, mtime=None):
    path = os.path.join(root, relative)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    for parent in _parents(root, os.path.dirname(path)):
        os.chmod(parent, 0o755)
    with open(path, "wb") as out:
        out.write(data if isinstance(data, bytes) else data.encode())
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def _parents(root, directory):
    while directory.startswith(root) and directory != root:
        yield directory
        directory = os.path.dirname(directory)


class Links(html.parser.HTMLParser):
    """The rows of an index page: (href, text) of every link in the table body."""

    def __init__(self):
        super().__init__()
        self.rows = []
        self._in_body = False
        self._href = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        if tag == "tbody":
            self._in_body = True
        elif tag == "a" and self._in_body:
            self._href = dict(attrs)["href"]
            self._text = ""

    def handle_endtag(self, tag):
        if tag == "tbody":
            self._in_body = False
        elif tag == "a" and self._href is not None:
            self.rows.append((self._href, self._text))
            self._href = None

    def handle_data(self, data):
        if self._href is not None:
            self._text += data


def index_links(text):
    parser = Links()
    parser.feed(text)
    return parser.rows


@pytest.fixture(scope="module")
def job(artifact_root):
    base = "serve/job1"
    write(artifact_root, f"{base}/job-output.txt", "line 1\nline 2\n" * 500, mtime=1700000000)
    write(artifact_root, f"{base}/big.bin", os.urandom(300_000), mtime=1700000300)
    write(artifact_root, f"{base}/small.json", '{"a": 1}', mtime=1700000200)
    write(artifact_root, f"{base}/logs/controller/syslog.txt", "kernel: hello\n", mtime=1700000100)
    write(artifact_root, f"{base}/zuul-info/inventory.yaml", "all: {}\n", mtime=1700000100)
    write(artifact_root, f"{base}/editor.swp", "swap", mtime=1700000100)
    write(artifact_root, f"{base}/.artifacts-tmp-1234-partial.txt", "partial", mtime=1700000100)
    return base


def test_file_is_served_by_the_core_handler(httpd, artifact_root, job):
    reply = requests.get(f"{httpd.url}/{job}/job-output.txt")
    assert reply.status_code == 200
    assert reply.content == open(os.path.join(artifact_root, job, "job-output.txt"), "rb").read()
    assert reply.headers["Content-Length"] == str(len(reply.content))
    assert reply.headers["Content-Type"].startswith("text/plain")
    assert reply.headers["Accept-Ranges"] == "bytes"
    assert reply.headers["ETag"]
    assert email.utils.parsedate_to_datetime(reply.headers["Last-Modified"]).timestamp() == 1700000000


def test_head_has_headers_and_no_body(httpd, job):
    reply = requests.head(f"{httpd.url}/{job}/big.bin")
    assert reply.status_code == 200
    assert reply.headers["Content-Length"] == "300000"
    assert reply.content == b""


def test_range_request(httpd, artifact_root, job):
    data = open(os.path.join(artifact_root, job, "big.bin"), "rb").read()
    reply = requests.get(f"{httpd.url}/{job}/big.bin", headers={"Range": "bytes=1000-1999"})
    assert reply.status_code == 206
    assert reply.headers["Content-Range"] == "bytes 1000-1999/300000"
    assert reply.content == data[1000:2000]


def test_conditional_requests(httpd, job):
    url = f"{httpd.url}/{job}/small.json"
    first = requests.get(url)
    assert requests.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    assert requests.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]}).status_code == 304
    assert requests.get(url, headers={"If-None-Match": '"other"'}).status_code == 200


def test_missing_file_is_404(httpd, job):
    assert requests.get(f"{httpd.url}/{job}/nope.txt").status_code == 404
    assert requests.get(f"{httpd.url}/{job}/nodir/nope.txt").status_code == 404


def test_directory_without_slash_redirects(httpd, job):
    reply = requests.get(f"{httpd.url}/{job}/logs?C=S;O=D", allow_redirects=False)
    assert reply.status_code == 301
    assert reply.headers["Location"] == f"{httpd.url}/{job}/logs/?C=S;O=D"


def test_html_index_lists_directories_first(httpd, job):
    reply = requests.get(f"{httpd.url}/{job}/", headers={"Accept": "text/html"})
    assert reply.status_code == 200
    assert reply.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Accept" in reply.headers["Vary"]
    assert reply.text.startswith("<!DOCTYPE html>")
    assert f"<title>Index of /{job}/</title>" in reply.text
    names = [text for _, text in index_links(reply.text)]
    assert names == ["../", "logs/", "zuul-info/", "big.bin", "job-output.txt", "small.json"]


def test_index_hides_temporary_and_ignored_files(httpd, job):
    text = requests.get(f"{httpd.url}/{job}/").text
    assert "artifacts-tmp" not in text
    assert "editor.swp" not in text
    assert requests.get(f"{httpd.url}/{job}/.artifacts-tmp-1234-partial.txt").status_code == 404


@pytest.mark.parametrize("query, expected", [
    ("C=N;O=D", ["zuul-info/", "logs/", "small.json", "job-output.txt", "big.bin"]),
    ("C=S;O=A", ["logs/", "zuul-info/", "small.json", "job-output.txt", "big.bin"]),
    ("C=S;O=D", ["zuul-info/", "logs/", "big.bin", "job-output.txt", "small.json"]),
    ("C=M;O=A", ["logs/", "zuul-info/", "job-output.txt", "small.json", "big.bin"]),
    ("C=M;O=D", ["zuul-info/", "logs/", "big.bin", "small.json", "job-output.txt"]),
])
def test_index_sorts_like_mod_autoindex(httpd, artifact_root, job, query, expected):
    # Directories share an mtime set by the test run: they order by name among themselves.
    for directory in ("logs", "zuul-info"):
        os.utime(os.path.join(artifact_root, job, directory), (1600000000, 1600000000))
    text = requests.get(f"{httpd.url}/{job}/?{query}").text
    names = [text for _, text in index_links(text)][1:]
    assert names == expected


@pytest.mark.parametrize("how", ["accept", "query"])
def test_json_index(httpd, job, how):
    if how == "accept":
        reply = requests.get(f"{httpd.url}/{job}/", headers={"Accept": "application/json"})
    else:
        reply = requests.get(f"{httpd.url}/{job}/?format=json")
    assert reply.status_code == 200
    assert reply.headers["Content-Type"] == "application/json"
    body = reply.json()
    assert body["path"] == f"/{job}/"
    by_name = {entry["name"]: entry for entry in body["entries"]}
    assert set(by_name) == {"logs", "zuul-info", "big.bin", "job-output.txt", "small.json"}
    assert by_name["big.bin"] == {"name": "big.bin", "href": "big.bin", "type": "file", "size": 300000,
                                  "mtime": "2023-11-14T22:18:20Z", "content_type": "application/octet-stream"}
    assert by_name["job-output.txt"]["content_type"] == "text/plain"
    assert by_name["logs"]["type"] == "directory"
    assert by_name["logs"]["href"] == "logs/"


@pytest.mark.parametrize("query", ["", "?format=json"])
def test_indexes_are_gzip_encoded_for_clients_that_take_it(httpd, artifact_root, query):
    for number in range(3000):
        write(artifact_root, f"serve/many/job-output-{number:04d}.txt", "x")
    url = f"{httpd.url}/serve/many/{query}"
    taking = requests.get(url, headers={"Accept-Encoding": "gzip"}, stream=True)
    wire = taking.raw.read(decode_content=False)
    assert taking.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in taking.headers["Vary"]
    plain = requests.get(url, headers={"Accept-Encoding": "identity"}, stream=True)
    body = plain.raw.read(decode_content=False)
    assert "Content-Encoding" not in plain.headers
    assert gzip.decompress(wire) == body and len(wire) * 8 < len(body)
    head = requests.head(url, headers={"Accept-Encoding": "gzip"})
    assert head.headers["Content-Encoding"] == "gzip" and "Content-Length" not in head.headers


def test_browser_accept_gets_html(httpd, job):
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    reply = requests.get(f"{httpd.url}/{job}/", headers={"Accept": accept})
    assert reply.headers["Content-Type"].startswith("text/html")


def test_index_html_is_served_when_present(httpd, artifact_root):
    write(artifact_root, "serve/site/index.html", "<html><body>report</body></html>")
    write(artifact_root, "serve/site/other.txt", "x")
    reply = requests.get(f"{httpd.url}/serve/site/")
    assert reply.status_code == 200
    assert reply.text == "<html><body>report</body></html>"
    assert reply.headers["Content-Type"].startswith("text/html")


def test_top_of_tree_has_no_parent_link(httpd, job):
    links = index_links(requests.get(f"{httpd.url}/").text)
    assert ("../", "../") not in links
    assert ("./serve/", "serve/") in links


def test_index_off_refuses_listing_but_serves_files(httpd, artifact_root):
    write(artifact_root, "private/secret.txt", "s")
    assert requests.get(f"{httpd.url}/private/").status_code == 403
    assert requests.get(f"{httpd.url}/private/secret.txt").text == "s"


def test_cors_on_files_and_indexes(httpd, job):
    assert requests.get(f"{httpd.url}/{job}/small.json").headers["Access-Control-Allow-Origin"] == "*"
    assert requests.get(f"{httpd.url}/{job}/").headers["Access-Control-Allow-Origin"] == "*"
    assert requests.get(f"{httpd.url}/{job}/nope").headers["Access-Control-Allow-Origin"] == "*"


HOSTILE_NAMES = [
    b"<script>alert(1)<\\script>.txt",
    b"<img src=x onerror=alert(1)>.txt",
    b"quote\"d 'single'.txt",
    b"spaces in name.txt",
    b"100% done.log",
    b"caf\xc3\xa9 \xe2\x82\xac.txt",
    b"bad\xffutf8.txt",
    b"javascript:alert(1)",
    b"hash#and?query.txt",
    b"\"><b>bold</b>.txt".replace(b"/", b"|"),
]


def test_hostile_names_are_escaped_and_their_links_work(httpd, artifact_root):
    directory = os.path.join(artifact_root, "serve", "hostile")
    os.makedirs(directory, exist_ok=True)
    os.chmod(directory, 0o755)
    for number, name in enumerate(HOSTILE_NAMES):
        with open(os.path.join(os.fsencode(directory), name), "wb") as out:
            out.write(b"content %d" % number)
    reply = requests.get(f"{httpd.url}/serve/hostile/")
    assert reply.status_code == 200
    page = reply.content
    assert b"<script>" not in page
    assert b"<img" not in page and b"<b>" not in page
    assert b"&lt;script&gt;alert(1)&lt;\\script&gt;.txt" in page
    assert b"quote&quot;d &#39;single&#39;.txt" in page
    assert b"caf\xc3\xa9 \xe2\x82\xac.txt" in page
    assert b"bad\xef\xbf\xbdutf8.txt" in page
    links = index_links(page.decode())
    assert len(links) == len(HOSTILE_NAMES) + 1
    for href, _ in links[1:]:
        assert href.startswith("./") and ":" not in href and "#" not in href and "?" not in href
        fetched = requests.get(f"{httpd.url}/serve/hostile/{href[2:]}")
        assert fetched.status_code == 200, href
        assert fetched.content.startswith(b"content ")
    served = {requests.get(f"{httpd.url}/serve/hostile/{href[2:]}").content for href, _ in links[1:]}
    assert served == {b"content %d" % n for n in range(len(HOSTILE_NAMES))}


def test_hostile_names_in_json(httpd):
    body = requests.get(f"{httpd.url}/serve/hostile/?format=json").json()
    names = {entry["name"] for entry in body["entries"]}
    assert "<script>alert(1)<\\script>.txt" in names
    assert "caf\u00e9 \u20ac.txt" in names
    assert "bad\ufffdutf8.txt" in names


@pytest.fixture(scope="module")
def compressed(artifact_root):
    # Realistic entropy: mod_deflate refuses to inflate beyond DeflateInflateRatioLimit (200).
    original = "".join(f"2026-11-25 10:00:{n % 60:02d}.{n % 1000:03d} {1000 + n % 7} INFO nova.api "
                       f"[req-{os.urandom(16).hex()}] GET /v2.1/servers/{os.urandom(8).hex()} status {200 + n % 5}\n"
                       for n in range(2000)).encode()
    packed = gzip.compress(original)
    write(artifact_root, "serve/gz/screen-n-api.txt.gz", packed)
    return original, packed


def test_gzip_sibling_sent_compressed_to_clients_that_accept_it(httpd, compressed):
    original, packed = compressed
    reply = requests.get(f"{httpd.url}/serve/gz/screen-n-api.txt", headers={"Accept-Encoding": "gzip"}, stream=True)
    raw = reply.raw.read(decode_content=False)
    assert reply.status_code == 200
    assert reply.headers["Content-Encoding"] == "gzip"
    assert reply.headers["Content-Type"].startswith("text/plain")
    assert "Accept-Encoding" in reply.headers["Vary"]
    assert raw == packed


def test_gzip_sibling_inflated_for_clients_that_do_not(httpd, compressed):
    original, _ = compressed
    reply = requests.get(f"{httpd.url}/serve/gz/screen-n-api.txt", headers={"Accept-Encoding": "identity"})
    assert reply.status_code == 200
    assert "Content-Encoding" not in reply.headers
    assert reply.headers["Content-Type"].startswith("text/plain")
    assert reply.content == original
    compressed_etag = requests.head(f"{httpd.url}/serve/gz/screen-n-api.txt",
                                    headers={"Accept-Encoding": "gzip"}).headers["ETag"]
    assert reply.headers.get("ETag") != compressed_etag


def test_plain_curl_gets_the_inflated_log(httpd, compressed):
    original, _ = compressed
    out = subprocess.run(["curl", "-sf", f"{httpd.url}/serve/gz/screen-n-api.txt"], capture_output=True, check=True)
    assert out.stdout == original


def test_a_log_that_compresses_a_thousandfold_reaches_curl_whole(httpd, artifact_root):
    """Apache's own INFLATE gives up past an inflate ratio of 200 and cuts the answer short;
    the module decodes itself, so a repetitive log arrives whole under default settings."""
    original = b"2026-11-25 10:00:00.000 DEBUG oslo_service.loopingcall [-] Running periodic task\n" * 200_000
    packed = gzip.compress(original, 9)
    assert len(original) / len(packed) > 200
    write(artifact_root, "serve/gz-ratio/job-output.txt.gz", packed)
    out = subprocess.run(["curl", "-sS", "--fail", "-D", "-", "-o", "-", f"{httpd.url}/serve/gz-ratio/job-output.txt"],
                         capture_output=True)
    assert out.returncode == 0, out.stderr
    head, _, body = out.stdout.partition(b"\r\n\r\n")
    assert body == original
    assert b"content-encoding" not in head.lower()


def test_decoded_answers_have_their_own_validators_and_no_ranges(httpd, compressed):
    """The decoded bytes are another representation: a Range of the stored bytes would be
    garbage to this client, so it gets the whole body (200); its ETag differs from the
    stored one, and revalidating with it gives 304."""
    original, packed = compressed
    url = f"{httpd.url}/serve/gz/screen-n-api.txt"
    identity = {"Accept-Encoding": "identity"}
    ranged = requests.get(url, headers={**identity, "Range": "bytes=0-99"})
    assert ranged.status_code == 200 and ranged.content == original
    assert "Content-Range" not in ranged.headers and ranged.headers.get("Accept-Ranges") == "none"
    etag = ranged.headers["ETag"]
    stored = requests.head(url, headers={"Accept-Encoding": "gzip"})
    assert etag.endswith('-gunzip"') and stored.headers["ETag"] != etag
    again = requests.get(url, headers={**identity, "If-None-Match": etag})
    assert again.status_code == 304 and again.headers["ETag"] == etag
    changed = requests.get(url, headers={**identity, "If-None-Match": '"other-gunzip"'})
    assert changed.status_code == 200 and changed.content == original
    head = requests.head(url, headers=identity)
    assert head.status_code == 200 and head.headers["ETag"] == etag
    assert "Content-Length" not in head.headers and "Content-Encoding" not in head.headers
    # Those that take gzip still get ranges of the stored bytes.
    taking = requests.get(url, headers={"Accept-Encoding": "gzip", "Range": "bytes=0-99"}, stream=True)
    assert taking.status_code == 206 and taking.raw.read(decode_content=False) == packed[:100]


def test_several_members_decode_whole_and_damage_is_never_a_whole_answer(httpd, artifact_root):
    """Files written before the module (cat a.gz b.gz, a copy cut short) are on disk as they
    are: several members decode whole; a damaged one is cut off where decoding fails, so no
    client takes a truncated log for a complete one."""
    first, second = b"first member\n" * 1000, b"second member\n" * 1000
    write(artifact_root, "serve/gz-legacy/joined.txt.gz", gzip.compress(first) + gzip.compress(second))
    identity = {"Accept-Encoding": "identity"}
    assert requests.get(f"{httpd.url}/serve/gz-legacy/joined.txt", headers=identity).content == first + second
    big = "".join(f"line {n} {os.urandom(20).hex()}\n" for n in range(20_000)).encode()
    packed = gzip.compress(big)
    write(artifact_root, "serve/gz-legacy/cut.txt.gz", packed[: len(packed) // 2])
    cut = subprocess.run(["curl", "-sS", "-o", "/dev/null", f"{httpd.url}/serve/gz-legacy/cut.txt"],
                         capture_output=True)
    assert cut.returncode == 18, cut.stderr  # a transfer closed with outstanding data
    write(artifact_root, "serve/gz-legacy/garbage.txt.gz", b"\x1f\x8b\x08\x00" + os.urandom(4000))
    log_start = httpd.log_size()
    garbage = requests.get(f"{httpd.url}/serve/gz-legacy/garbage.txt", headers=identity)
    assert garbage.status_code == 502
    assert "ARTF0306" in httpd.log_since(log_start)


def test_gz_name_of_a_text_is_sent_as_that_text(httpd, compressed, artifact_root):
    """A compressed log asked for by its .gz name is what it holds (its inner type), with
    Content-Encoding: gzip to clients that take gzip, decoded for the others (curl, wget,
    urllib), as logs.openstack.org served them. An archive stays the bytes it is."""
    original, packed = compressed
    url = f"{httpd.url}/serve/gz/screen-n-api.txt.gz"
    taking = requests.get(url, headers={"Accept-Encoding": "gzip"}, stream=True)
    assert taking.headers["Content-Type"].startswith("text/plain")
    assert taking.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in taking.headers["Vary"]
    assert taking.raw.read(decode_content=False) == packed
    plain = requests.get(url, headers={"Accept-Encoding": "identity"}, stream=True)
    assert plain.headers["Content-Type"].startswith("text/plain") and "Content-Encoding" not in plain.headers
    assert plain.raw.read(decode_content=False) == original
    out = subprocess.run(["curl", "-sf", url], capture_output=True, check=True)
    assert out.stdout == original
    head = requests.head(url, headers={"Accept-Encoding": "identity"})
    assert head.status_code == 200 and "Content-Encoding" not in head.headers
    write(artifact_root, "serve/gz/dist.tar.gz", gzip.compress(b"tar bytes"))
    archive = requests.get(f"{httpd.url}/serve/gz/dist.tar.gz", headers={"Accept-Encoding": "identity"}, stream=True)
    assert "Content-Encoding" not in archive.headers
    assert archive.raw.read(decode_content=False) == gzip.compress(b"tar bytes")


def test_gz_inner_types_are_the_operators_to_choose(workdir, artifact_root):
    from conftest import main_config
    from storage_helpers import start_httpd
    server = start_httpd(workdir, "httpd-gz-types", main_config(workdir, artifact_root, """
<Location "/serve/gz-json-only">
    ArtifactsGzipInnerTypes application/json
</Location>
<Location "/serve/gz-none">
    ArtifactsGzipInnerTypes None
</Location>
"""))
    try:
        for directory in ("gz-json-only", "gz-none"):
            write(artifact_root, f"serve/{directory}/a.txt.gz", gzip.compress(b"text"))
            write(artifact_root, f"serve/{directory}/b.json.gz", gzip.compress(b"[]"))
        identity = {"Accept-Encoding": "identity"}
        assert requests.get(f"{server.url}/serve/gz-json-only/b.json.gz", headers=identity).content == b"[]"
        assert requests.get(f"{server.url}/serve/gz-json-only/a.txt.gz", headers=identity).content == \
            gzip.compress(b"text")
        assert requests.get(f"{server.url}/serve/gz-none/b.json.gz", headers=identity).content == gzip.compress(b"[]")
    finally:
        server.stop()


def test_real_file_wins_over_gzip_sibling(httpd, artifact_root):
    write(artifact_root, "serve/both/a.txt", "plain")
    write(artifact_root, "serve/both/a.txt.gz", gzip.compress(b"compressed"))
    assert requests.get(f"{httpd.url}/serve/both/a.txt").text == "plain"


def raw_get(httpd, path):
    """Sends the path exactly as given, with no client-side normalisation."""
    connection = http.client.HTTPConnection("127.0.0.1", httpd.port, timeout=10)
    connection.putrequest("GET", path, skip_accept_encoding=True)
    connection.endheaders()
    reply = connection.getresponse()
    body = reply.read()
    connection.close()
    return reply.status, body


@pytest.mark.parametrize("path", [
    "/../../../etc/passwd",
    "/serve/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/serve/..%2f..%2f..%2fetc/passwd",
    "/serve/%2e%2e%5c%2e%2e%5cetc%5cpasswd",
    "/serve/%00/passwd",
])
def test_traversal_never_leaves_the_root(httpd, path):
    status, body = raw_get(httpd, path)
    assert status in (400, 403, 404)
    assert b"root:x:0:0" not in body


def test_ten_thousand_entries_list_completely(httpd, artifact_root):
    directory = os.path.join(artifact_root, "serve", "wide")
    os.makedirs(directory, exist_ok=True)
    os.chmod(directory, 0o755)
    for number in range(10_000):
        with open(os.path.join(directory, f"file-{number:05d}.txt"), "w") as out:
            out.write("x" * (number % 100))
    reply = requests.get(f"{httpd.url}/serve/wide/?format=json")
    assert reply.status_code == 200
    entries = reply.json()["entries"]
    assert len(entries) == 10_000
    assert entries[0]["name"] == "file-00000.txt" and entries[-1]["name"] == "file-09999.txt"
    assert entries[4321]["size"] == 21
    html_reply = requests.get(f"{httpd.url}/serve/wide/")
    assert html_reply.text.count("<tr><td class=\"name\">") == 10_000
    assert "Content-Length" not in html_reply.headers  # streamed, not assembled first


@measures_memory
def test_repeated_large_listings_keep_memory_flat(httpd, artifact_root):
    """A listing's memory goes back with its request: twelve listings of 30,000 entries,
    one after another, do not raise the children's high-water mark by more than a few MiB
    (held per worker thread in malloc arenas, it grew ~3.5 MiB a request)."""
    directory = os.path.join(artifact_root, "serve", "wider")
    os.makedirs(directory, exist_ok=True)
    os.chmod(directory, 0o755)
    for number in range(30_000):
        open(os.path.join(directory, f"a-name-longer-than-sso-{number:05d}.txt"), "w").close()
    url = f"{httpd.url}/serve/wider/"
    for _ in range(2):
        requests.get(url)
    before = httpd.peak_rss_kib()
    for _ in range(12):
        with requests.get(url, stream=True) as reply:
            for _ in reply.iter_content(65536):
                pass
    growth_mib = (httpd.peak_rss_kib() - before) / 1024
    assert growth_mib < 6, f"children's peak RSS grew by {growth_mib:.1f} MiB"
