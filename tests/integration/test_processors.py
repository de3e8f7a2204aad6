"""The processor chain at ingest, on the filesystem store and on Swift with the catalogue:
ArtifactsCompress stores plain text uploads gzip-compressed, transparently for readers and
for the client that sent them."""
import gzip
import hashlib
import os
import re
import subprocess

import requests

from conftest import mint
from test_upload_tool import UPLOAD_CLI
from upload_helpers import bearer, unique_scope


def log_text(lines=20000):
    return "".join(f"2026-11-25 21:50:{n % 60:02d}.{n % 1000:03d} 4242 INFO nova.compute [-] line {n % 97}\n"
                   for n in range(lines)).encode()


def test_a_plain_log_is_stored_gzip_and_read_back_as_sent(each_store, httpd, artifact_root):
    scope = unique_scope("compressed/t")
    token = mint(scope)
    text = log_text()
    url = f"{each_store.url}/{scope}job-output.txt"
    put = requests.put(url, data=text, headers={**bearer(token), "X-Artifact-Sha256": hashlib.sha256(text).hexdigest()})
    assert put.status_code == 201, put.text
    # The reply speaks of the bytes the client sent, which it can check.
    assert put.json()["size"] == len(text) and put.json()["sha256"] == hashlib.sha256(text).hexdigest()
    if each_store is httpd:
        stored = os.path.join(artifact_root, scope, "job-output.txt.gz")
        assert not os.path.exists(os.path.join(artifact_root, scope, "job-output.txt"))
        with open(stored, "rb") as packed:
            assert gzip.decompress(packed.read()) == text
        assert os.path.getsize(stored) < len(text) // 5
    plain = requests.get(url, headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and plain.content == text and "Content-Encoding" not in plain.headers
    taking = requests.get(url, headers={"Accept-Encoding": "gzip"}, stream=True)
    assert taking.headers["Content-Encoding"] == "gzip"
    packed = taking.raw.read()
    assert len(packed) < len(text) // 5 and gzip.decompress(packed) == text
    # A retry of the same plain bytes is the same object: 200, nothing charged again.
    again = requests.put(url, data=text, headers=bearer(token))
    assert again.status_code == 200, again.text
    assert again.json()["sha256"] == hashlib.sha256(text).hexdigest()
    other = requests.put(url, data=text + b"more\n", headers=bearer(token))
    assert other.status_code == 409 and other.json()["error"] == "exists"
    # Not named by the patterns, sent gzip already, or below ArtifactsCompress Off: as sent.
    json_put = requests.put(f"{each_store.url}/{scope}data.json", data=b"{}\n" * 1000, headers=bearer(token))
    assert json_put.status_code == 201
    sent = gzip.compress(b"already compressed\n" * 100)
    encoded = requests.put(f"{each_store.url}/{scope}sent.txt", data=sent,
                           headers={**bearer(token), "Content-Encoding": "gzip"})
    assert encoded.status_code == 201 and encoded.json()["sha256"] == hashlib.sha256(sent).hexdigest()
    sealed = requests.post(f"{each_store.url}/{scope}?seal", headers=bearer(token))
    assert sealed.status_code == 200, sealed.text
    manifest = requests.get(f"{each_store.url}/{scope}zuul-manifest.json").json()
    encodings = {entry["name"]: entry.get("encoding") for entry in manifest["tree"]}
    # As for any file stored gzip: listed under its .gz name, which serves the raw bytes.
    assert encodings == {"job-output.txt.gz": "gzip", "data.json": None, "sent.txt.gz": "gzip"}, encodings
    if each_store is httpd:
        assert os.path.exists(os.path.join(artifact_root, scope, "data.json"))

    off_scope = unique_scope("compressed/off/t")
    off = requests.put(f"{each_store.url}/{off_scope}job-output.txt", data=text, headers=bearer(mint(off_scope)))
    assert off.status_code == 201
    if each_store is httpd:
        assert os.path.getsize(os.path.join(artifact_root, off_scope, "job-output.txt")) == len(text)
    listing = requests.get(f"{each_store.url}/{off_scope}", params={"format": "json"}).json()
    assert [(entry["name"], entry["size"]) for entry in listing["entries"]] == [("job-output.txt", len(text))]


def test_the_upload_tool_checks_its_replies_against_what_it_sent(each_store, workdir):
    scope = unique_scope("compressed/tool")
    tree = os.path.join(workdir, "compress-tree-" + scope.split("/")[-2])
    os.makedirs(os.path.join(tree, "logs"))
    with open(os.path.join(tree, "logs", "job-output.txt"), "wb") as out:
        out.write(log_text(5000))
    done = subprocess.run([UPLOAD_CLI, "--seal", f"{each_store.url}/{scope}", tree],
                          env={**os.environ, "ARTIFACTS_TOKEN": mint(scope)}, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert requests.get(f"{each_store.url}/{scope}logs/job-output.txt").content == log_text(5000)


FAILING_LOG = (
    b"2026-11-25 21:50:01.123 4242 INFO nova.compute [-] Starting\n"
    b"2026-11-25 21:50:01.200 4242 WARNING nova.compute [-] Careful\n"
    b"2026-11-25 21:50:02.456 4242 ERROR nova.compute [-] Boom\n"
    b"Traceback (most recent call last):\n"
    b"2026-11-25 21:50:02.500 4242 CRITICAL nova [-] Dead\n"
    b"2026-11-25 21:50:03.000 4242 ERROR nova.compute [-] Again\n")
FAILING_SUMMARY = {"lines": 6, "levels": {"INFO": 1, "WARNING": 1, "ERROR": 2, "CRITICAL": 1},
                   "first_error": 3, "first_critical": 5}


def upload_build(server, scope):
    """A build of forty logs, one of them failing (and sent gzip-encoded), sealed."""
    token = mint(scope)
    for number in range(39):
        put = requests.put(f"{server.url}/{scope}logs/service-{number:02d}.txt",
                           data=b"2026-11-25 21:50:01.123 4242 INFO svc [-] fine\n" * (number + 1), headers=bearer(token))
        assert put.status_code == 201, put.text
    failing = requests.put(f"{server.url}/{scope}logs/job-output.txt", data=gzip.compress(FAILING_LOG),
                           headers={**bearer(token), "Content-Encoding": "gzip"})
    assert failing.status_code == 201, failing.text
    binary = requests.put(f"{server.url}/{scope}logs/data.json", data=b'{"ERROR": 1}\n', headers=bearer(token))
    assert binary.status_code == 201
    assert requests.post(f"{server.url}/{scope}?seal", headers=bearer(token)).status_code == 200


def test_a_log_summary_is_counted_at_upload_and_shown_by_index_and_manifest(each_store, httpd, artifact_root):
    scope = unique_scope("summary")
    upload_build(each_store, scope)
    # The failing log is stored gzip (from its Content-Encoding): listed as its .gz name.
    listing = requests.get(f"{each_store.url}/{scope}logs/", params={"format": "json"}).json()
    summaries = {entry["name"]: entry.get("summary") for entry in listing["entries"]}
    assert summaries["job-output.txt.gz"] == FAILING_SUMMARY
    assert summaries["service-04.txt"] == {"lines": 5, "levels": {"INFO": 5}, "first_error": None,
                                           "first_critical": None}
    assert summaries["data.json"] is None  # not a log ArtifactsHtmlify names
    page = requests.get(f"{each_store.url}/{scope}logs/", headers={"Accept": "text/html"}).text
    badges = re.findall(r'<a class="lv (\w)" href="([^"]+)"[^>]*>([^<]+)</a>', page)
    assert badges == [("C", "./job-output.txt.gz?level=CRITICAL#L5", "1 CRITICAL"),
                      ("E", "./job-output.txt.gz?level=ERROR#L3", "2 ERROR"),
                      ("W", "./job-output.txt.gz?level=WARNING", "1 WARNING")]
    # The badge's link is the log page at that level.
    target = requests.get(f"{each_store.url}/{scope}logs/job-output.txt.gz?level=ERROR",
                          headers={"Accept": "text/html"}).text
    assert 'id=L3' in target and 'id=L5' in target and 'id=L1>' not in target
    manifest = requests.get(f"{each_store.url}/{scope}zuul-manifest.json").json()
    logs = next(entry for entry in manifest["tree"] if entry["name"] == "logs")
    by_name = {entry["name"]: entry for entry in logs["children"]}
    assert by_name["job-output.txt.gz"]["summary"] == FAILING_SUMMARY
    assert "summary" not in by_name["data.json"]
    if each_store is httpd:
        stored = os.path.join(artifact_root, scope, "logs", "job-output.txt.gz")
        assert os.getxattr(stored, "user.artifacts.summary") == \
            b"lines=6 INFO=1 WARNING=1 ERROR=2 CRITICAL=1 first_error=3 first_critical=5"


def test_a_compressed_log_is_summarised_from_its_plain_bytes(each_store):
    scope = unique_scope("compressed/summary")
    token = mint(scope)
    put = requests.put(f"{each_store.url}/{scope}job-output.txt", data=FAILING_LOG, headers=bearer(token))
    assert put.status_code == 201, put.text
    listing = requests.get(f"{each_store.url}/{scope}", params={"format": "json"}).json()
    assert [entry.get("summary") for entry in listing["entries"]] == [FAILING_SUMMARY]


def test_a_long_log_is_summarised_beside_the_upload(each_store):
    """Past its first few MiB a log's summary is counted on a thread of its own: the counts
    of a 30 MB log, sent in a stream of chunks of uneven size, are exact all the same."""
    scope = unique_scope("summary/long")
    token = mint(scope)
    block = (b"2026-11-25 21:50:01.123 4242 INFO nova.compute [-] spawned\n" * 97 +
             b"2026-11-25 21:50:01.124 4242 WARNING nova.compute [-] slow\n" * 2 +
             b"2026-11-25 21:50:01.125 4242 ERROR nova.compute [-] failed\n")
    blocks = 30 * 1000 * 1000 // len(block)

    def chunks():
        for number in range(blocks):
            cut = 1 + number % 50 if number % 3 == 0 else len(block)  # never an empty chunk: that ends the body
            yield block[:cut]
            if cut < len(block):
                yield block[cut:]
    put = requests.put(f"{each_store.url}/{scope}job-output.txt", data=chunks(), headers=bearer(token), timeout=120)
    assert put.status_code == 201, put.text
    assert put.json()["size"] == len(block) * blocks
    listing = requests.get(f"{each_store.url}/{scope}", params={"format": "json"}).json()
    assert [entry.get("summary") for entry in listing["entries"]] == [
        {"lines": 100 * blocks, "levels": {"INFO": 97 * blocks, "WARNING": 2 * blocks, "ERROR": blocks},
         "first_error": 100, "first_critical": None}]
