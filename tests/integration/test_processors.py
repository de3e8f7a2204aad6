"""The processor chain at ingest, on the filesystem store and on Swift with the catalogue:
ArtifactsCompress stores plain text uploads gzip-compressed, transparently for readers and
for the client that sent them."""
import gzip
import hashlib
import os
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
