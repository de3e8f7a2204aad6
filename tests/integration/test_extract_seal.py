"""POST ?extract (a tar or tar.gz stored member by member, all or nothing) and POST ?seal
(zuul-manifest.json, then the token is burnt)."""
import hashlib
import io
import json
import os
import tarfile

import pytest
import requests

from conftest import mint
from upload_helpers import bearer, stored_files, temporary_files, unique_scope


def make_tar(members, mode="w:gz"):
    """members: (name, data) for regular files, (name, tarfile type, link target) for the rest."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as tar:
        for member in members:
            info = tarfile.TarInfo(member[0])
            if len(member) == 2:
                info.size = len(member[1])
                tar.addfile(info, io.BytesIO(member[1]))
            else:
                info.type = member[1]
                info.linkname = member[2]
                tar.addfile(info)
    return buffer.getvalue()


def extract(httpd, directory, body, token):
    return requests.post(f"{httpd.url}/{directory}?extract", data=body, headers=bearer(token), timeout=60)


def test_extract_stores_every_member(httpd, artifact_root):
    scope = unique_scope()
    files = {"job-output.txt": b"job\n", "logs/a.log": b"a" * 5000, "logs/deeper/b.json": b"{}",
             "dist.tar.gz": os.urandom(3000)}
    body = make_tar([("./", tarfile.DIRTYPE, "")] + list(files.items()))
    response = extract(httpd, scope, body, mint(scope, kinds=["logs", "tarballs"]))
    assert response.status_code == 201, response.text
    reply = response.json()
    assert reply["path"] == scope
    listed = {entry["path"]: entry for entry in reply["files"]}
    assert set(listed) == {scope + name for name in files}
    for name, data in files.items():
        assert listed[scope + name]["sha256"] == hashlib.sha256(data).hexdigest()
        assert listed[scope + name]["size"] == len(data)
        assert requests.get(listed[scope + name]["url"]).content == data
    assert not temporary_files(os.path.join(artifact_root, scope))
    # The same archive again is an idempotent retry.
    assert extract(httpd, scope, body, mint(scope, kinds=["logs", "tarballs"])).status_code == 200


def test_plain_tar_into_a_subdirectory(httpd):
    scope = unique_scope()
    body = make_tar([("x.txt", b"x")], mode="w")
    response = extract(httpd, scope + "sub/dir/", body, mint(scope))
    assert response.status_code == 201
    assert response.json()["files"][0]["path"] == scope + "sub/dir/x.txt"


@pytest.mark.parametrize("bad_member, status, code, words", [
    (("link", tarfile.SYMTYPE, "/etc/passwd"), 400, "bad_archive", "symbolic link"),
    (("hard", tarfile.LNKTYPE, "good.txt"), 400, "bad_archive", "hard link"),
    (("dev", tarfile.CHRTYPE, ""), 400, "bad_archive", "character device"),
    (("blk", tarfile.BLKTYPE, ""), 400, "bad_archive", "block device"),
    (("fifo", tarfile.FIFOTYPE, ""), 400, "bad_archive", "FIFO"),
    (("/etc/cron.d/evil.txt", b"x"), 400, "bad_archive", "absolute"),
    (("../../evil.txt", b"x"), 400, "bad_archive", "'..'"),
    (("a/../../evil.txt", b"x"), 400, "bad_archive", "'..'"),
    (("evil.exe", b"x"), 403, "wrong_kind", "evil.exe"),
])
def test_one_bad_member_refuses_the_whole_archive(httpd, artifact_root, bad_member, status, code, words):
    scope = unique_scope()
    before = stored_files(artifact_root)
    body = make_tar([("good.txt", b"good"), ("sub/good2.txt", b"good too"), bad_member, ("after.txt", b"x")])
    response = extract(httpd, scope, body, mint(scope))
    assert response.status_code == status, response.text
    assert response.json()["error"] == code
    assert words in response.json()["message"]
    assert stored_files(artifact_root) == before
    assert not os.path.exists(os.path.join(artifact_root, scope))


def test_archive_over_quota_or_out_of_scope_stores_nothing(httpd, artifact_root):
    scope = unique_scope()
    before = stored_files(artifact_root)
    body = make_tar([("a.txt", b"a" * 600), ("b.txt", b"b" * 600)])
    response = extract(httpd, scope, body, mint(scope, max_bytes=1000))
    assert response.status_code == 413 and response.json()["error"] == "quota_exceeded"
    response = extract(httpd, scope, make_tar([("a.txt", b"a"), ("b.txt", b"b")]), mint(scope, max_files=1))
    assert response.status_code == 413 and response.json()["error"] == "quota_exceeded"
    response = extract(httpd, "t/", body, mint(scope))
    assert response.status_code == 403 and response.json()["error"] == "out_of_scope"
    response = extract(httpd, scope, b"this is not a tar archive at all" * 100, mint(scope))
    assert response.status_code == 400 and response.json()["error"] == "bad_archive"
    assert stored_files(artifact_root) == before


def test_archive_retry_at_a_full_quota_is_200(httpd, artifact_root):
    scope = unique_scope()
    body = make_tar([("a.txt", b"a" * 600), ("sub/b.txt", b"b" * 400)])
    token = mint(scope, max_bytes=1000, max_files=2)
    assert extract(httpd, scope, body, token).status_code == 201
    again = extract(httpd, scope, body, token)
    assert again.status_code == 200, again.text
    assert [entry["path"] for entry in again.json()["files"]] == [scope + "a.txt", scope + "sub/b.txt"]
    over = extract(httpd, scope, make_tar([("c.txt", b"c")]), token)
    assert over.status_code == 413 and over.json()["error"] == "quota_exceeded"


def test_archive_conflicting_with_a_stored_file_stores_nothing(httpd, artifact_root):
    scope = unique_scope()
    token = mint(scope)
    assert requests.put(f"{httpd.url}/{scope}b.txt", data=b"first", headers=bearer(token)).status_code == 201
    before = stored_files(artifact_root)
    response = extract(httpd, scope, make_tar([("a.txt", b"a"), ("b.txt", b"second")]), token)
    assert response.status_code == 409 and response.json()["error"] == "exists"
    assert stored_files(artifact_root) == before


def test_seal_writes_a_zuul_manifest_and_burns_the_token(httpd, artifact_root):
    scope = unique_scope()
    token = mint(scope, kinds=["logs", "tarballs"])
    extract(httpd, scope, make_tar([("job-output.txt", b"job\n"), ("logs/devstack.log.txt.gz", b"\x1f\x8b..."),
                                    ("logs/etc/nova.conf.txt", b"[DEFAULT]\n")]), token)
    response = requests.post(f"{httpd.url}/{scope}?seal", headers=bearer(token))
    assert response.status_code == 200, response.text
    reply = response.json()
    assert reply["path"] == scope + "zuul-manifest.json" and reply["sealed"] is True
    manifest = requests.get(reply["url"]).json()
    assert manifest["index_links"] is False
    tree = manifest["tree"]
    assert [entry["name"] for entry in tree] == ["logs", "job-output.txt"]
    logs = tree[0]
    assert logs["mimetype"] == "application/directory" and logs["encoding"] is None
    assert [entry["name"] for entry in logs["children"]] == ["etc", "devstack.log.txt.gz"]
    compressed = logs["children"][1]
    assert compressed["mimetype"] == "text/plain" and compressed["encoding"] == "gzip"
    assert compressed["size"] == 5 and isinstance(compressed["last_modified"], int)
    assert tree[1] == {"name": "job-output.txt", "mimetype": "text/plain", "encoding": None,
                       "last_modified": tree[1]["last_modified"], "size": 4}
    with open(os.path.join(artifact_root, scope, "zuul-manifest.json"), "rb") as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == reply["sha256"]
    before = stored_files(artifact_root)
    again = requests.post(f"{httpd.url}/{scope}?seal", headers=bearer(token))
    assert again.status_code == 410 and again.json()["error"] == "sealed"
    late = extract(httpd, scope, make_tar([("late.txt", b"x")]), token)
    assert late.status_code == 410
    assert stored_files(artifact_root) == before


def test_seal_of_an_empty_scope_and_of_another_path(httpd, artifact_root):
    scope = unique_scope()
    token = mint(scope)
    wrong = requests.post(f"{httpd.url}/{scope}sub/?seal", headers=bearer(token))
    assert wrong.status_code == 403 and wrong.json()["error"] == "out_of_scope"
    response = requests.post(f"{httpd.url}/{scope}?seal", headers=bearer(token))
    assert response.status_code == 200
    assert json.loads(requests.get(response.json()["url"]).content) == {"tree": [], "index_links": False}
