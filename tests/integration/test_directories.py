"""Empty directories: a PUT of a path ending with '/' (no body) makes that directory, on the
filesystem store and in the catalogue, so a build's tree keeps the directories Zuul's
manifest lists with no children; artifacts-upload sends the empty directories of a tree so."""
import json
import os

import pytest
import requests

from conftest import mint
from test_upload_tool import make_tree, upload
from upload_helpers import bearer, unique_scope


@pytest.fixture(scope="module")
def server(each_store):
    return each_store


def entries(server, directory):
    response = requests.get(f"{server.url}/{directory}?format=json")
    assert response.status_code == 200, response.text
    return {entry["name"]: entry["type"] for entry in response.json()["entries"]}


def test_a_put_of_a_directory_path_makes_it(server):
    scope = unique_scope("dirs")
    token = mint(scope)
    made = requests.put(f"{server.url}/{scope}logs/empty/", headers=bearer(token))
    assert made.status_code == 201, made.text
    assert made.json() == {"path": f"{scope}logs/empty/", "type": "directory", "url": made.headers["Location"]}
    assert made.headers["Location"].endswith(f"/{scope}logs/empty/")
    assert entries(server, f"{scope}logs/") == {"empty": "directory"}
    assert entries(server, f"{scope}logs/empty/") == {}
    # Made again (a retry): 200, nothing changes.
    again = requests.put(f"{server.url}/{scope}logs/empty/", headers=bearer(token))
    assert again.status_code == 200 and "Location" not in again.headers
    # Files go into it as into any directory.
    assert requests.put(f"{server.url}/{scope}logs/empty/a.txt", data=b"a", headers=bearer(token)).status_code == 201
    assert entries(server, f"{scope}logs/empty/") == {"a.txt": "file"}


def test_a_directory_is_refused_what_a_file_would_be(server):
    scope = unique_scope("dirs")
    token = mint(scope)
    body = requests.put(f"{server.url}/{scope}with-body/", data=b"bytes", headers=bearer(token))
    assert body.status_code == 400 and body.json()["error"] == "bad_request"
    assert requests.get(f"{server.url}/{scope}with-body/").status_code == 404
    outside = requests.put(f"{server.url}/{scope[:-1]}-other/x/", headers=bearer(token))
    assert outside.status_code == 403 and outside.json()["error"] == "out_of_scope"
    assert requests.put(f"{server.url}/{scope}taken.txt", data=b"file", headers=bearer(token)).status_code == 201
    over_a_file = requests.put(f"{server.url}/{scope}taken.txt/", headers=bearer(token))
    assert over_a_file.status_code == 409 and over_a_file.json()["error"] == "not_a_directory", over_a_file.text
    assert requests.get(f"{server.url}/{scope}taken.txt").content == b"file"
    anonymous = requests.put(f"{server.url}/{scope}anonymous/")
    assert anonymous.status_code == 401


def test_a_new_directory_counts_as_a_file_of_the_quota(server):
    """A token that bounds its files bounds its directories: a worker cannot make inodes
    without limit."""
    scope = unique_scope("dirs")
    token = mint(scope, max_files=2)
    assert requests.put(f"{server.url}/{scope}one/", headers=bearer(token)).status_code == 201
    assert requests.put(f"{server.url}/{scope}one/", headers=bearer(token)).status_code == 200  # not charged again
    assert requests.put(f"{server.url}/{scope}a.txt", data=b"a", headers=bearer(token)).status_code == 201
    refused = requests.put(f"{server.url}/{scope}two/", headers=bearer(token))
    assert refused.status_code == 413 and refused.json()["error"] == "quota_exceeded"
    assert requests.get(f"{server.url}/{scope}two/").status_code == 404
    sealed = requests.post(f"{server.url}/{scope}?seal", headers=bearer(token))
    assert sealed.status_code == 200
    late = requests.put(f"{server.url}/{scope}late/", headers=bearer(token))
    assert late.status_code == 410


def test_artifacts_upload_keeps_the_empty_directories_of_a_tree(server, tmp_path):
    scope = unique_scope("dirs")
    source = make_tree(str(tmp_path / "tree"), {"job-output.txt": b"output\n", "logs/a.txt": b"a\n"})
    for empty in ("logs/empty", "deep/er/est", "zuul-info"):
        os.makedirs(os.path.join(source, empty))
    result = upload("--seal", f"{server.url}/{scope}", source, env={"ARTIFACTS_TOKEN": mint(scope)})
    assert result.returncode == 0, result.stderr
    manifest = requests.get(f"{server.url}/{scope}zuul-manifest.json").json()

    def shape(tree):
        return {entry["name"]: shape(entry["children"]) if "children" in entry else "file" for entry in tree}
    assert shape(manifest["tree"]) == {
        "deep": {"er": {"est": {}}}, "logs": {"empty": {}, "a.txt": "file"}, "zuul-info": {},
        "job-output.txt": "file"}
    assert json.loads(requests.get(f"{server.url}/{scope}deep/er/?format=json").text)["entries"][0]["name"] == "est"
