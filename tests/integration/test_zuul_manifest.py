"""The seal's zuul-manifest.json is what zuul-jobs' generate-zuul-manifest writes for the
same tree (issue 13): {"tree": [...], "index_links": false}; directories first, then files,
each sorted by name; directories {name, mimetype "application/directory", encoding null,
children}; files {name, mimetype, encoding, last_modified, size}, with the mimetype and
encoding of Python's mimetypes.guess_type and text/plain when it knows none (so Zuul's UI
opens .yaml and extension-less logs in its viewer). The expected manifest is checked in
(tests/data/zuul-manifest-expected.json), written from that description; only
last_modified, a time, is compared by kind. The module adds one field of its own, a log's
"summary" (lines per level), which Zuul's viewer ignores: it is checked apart."""
import json
import os

import pytest
import requests

from conftest import mint
from upload_helpers import bearer, unique_scope

EXPECTED = os.path.join(os.path.dirname(__file__), "..", "data", "zuul-manifest-expected.json")

TREE = {
    "job-output.txt": b"output\n\n",
    "job-output.json": b"[]",
    "zuul-info/inventory.yaml": b"all: {}\n\n\n",
    "logs/index.html": b"<p>index</p>\n",
    "logs/syslog.txt.gz": b"\x1f\x8b" + b"7 bytes",
    "logs/x.gz": b"\x1f\x8b" + b"xyz",
    "logs/tox/py311.log": b"ok\n\n",
    "artifacts/pkg.tar.gz": b"\x1f\x8btar!",
    "artifacts/pkg.tgz": b"\x1f\x8bt",
    "artifacts/pkg-1.0-py3-none-any.whl": b"PK wheel"[:7],
}


def ordered(text):
    """The manifest as nested lists of (key, value) pairs, without the module's own "summary":
    key order counts, whitespace does not."""
    def pairs(items):
        return [(key, 0 if key == "last_modified" else value) for key, value in items if key != "summary"]
    return json.loads(text, object_pairs_hook=pairs)


@pytest.fixture(scope="module")
def server(each_store):
    return each_store


def test_the_seal_writes_what_zuul_jobs_writes(server):
    httpd = server
    scope = unique_scope("manifest")
    token = mint(scope, kinds=("logs", "tarballs"))
    for path, data in TREE.items():
        response = requests.put(f"{httpd.url}/{scope}{path}", data=data, headers=bearer(token))
        assert response.status_code == 201, (path, response.text)
    # An empty directory is part of the tree (PUT of its path with '/'): listed with no children.
    made = requests.put(f"{httpd.url}/{scope}logs/empty/", headers=bearer(token))
    assert made.status_code == 201, made.text
    sealed = requests.post(f"{httpd.url}/{scope}?seal", headers=bearer(token))
    assert sealed.status_code == 200, sealed.text
    manifest = requests.get(f"{httpd.url}/{scope}zuul-manifest.json").text
    with open(EXPECTED) as expected:
        assert ordered(manifest) == ordered(expected.read())
    # Every file carries a real modification time.
    times = []

    def collect(entries):
        for entry in entries:
            if "children" in entry:
                collect(entry["children"])
            else:
                times.append(entry["last_modified"])
    collect(json.loads(manifest)["tree"])
    assert len(times) == len(TREE) and all(t > 1_700_000_000 for t in times)
    # The logs ArtifactsHtmlify names carry their summary after Zuul's fields.
    top = {entry["name"]: entry for entry in json.loads(manifest)["tree"]}
    assert list(top["job-output.txt"])[-1] == "summary"
    assert top["job-output.txt"]["summary"] == {"lines": 2, "levels": {}, "first_error": None,
                                                "first_critical": None}
    assert "summary" not in top["job-output.json"]
