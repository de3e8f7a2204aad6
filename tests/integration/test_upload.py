"""PUT: every status of the upload API with its JSON body, and that a refused
upload stores nothing."""
import gzip
import hashlib
import json
import os
import time

import pytest
import requests

from conftest import eventually, make_accessible, mint, new_dir
from upload_helpers import bearer, raw_request, stored_files, temporary_files, unique_scope


def put(httpd, path, data, token=None, headers=None):
    all_headers = dict(headers or {})
    if token is not None:
        all_headers.update(bearer(token))
    return requests.put(httpd.url + "/" + path, data=data, headers=all_headers, timeout=30)


def assert_refused(response, status, code, root, before):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["error"] == code
    assert isinstance(body["message"], str) and len(body["message"]) > 10
    assert stored_files(root) == before, "a refused upload left something behind"
    return body


def test_put_stores_the_file_and_answers_its_checksum(httpd, artifact_root):
    scope = unique_scope()
    data = b"2026-11-25 10:00:00.000 1 INFO nova [-] started\n" * 100
    response = put(httpd, scope + "logs/job-output.txt", data, mint(scope))
    assert response.status_code == 201
    body = response.json()
    assert body == {"path": scope + "logs/job-output.txt", "size": len(data),
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "url": f"{httpd.url}/{scope}logs/job-output.txt"}
    assert response.headers["Location"] == body["url"]
    assert requests.get(body["url"]).content == data
    with open(os.path.join(artifact_root, scope, "logs", "job-output.txt"), "rb") as stored:
        assert stored.read() == data
    assert not temporary_files(os.path.join(artifact_root, scope))


def test_identical_reupload_is_200_and_other_content_is_409(httpd, artifact_root):
    scope = unique_scope()
    token = mint(scope)
    assert put(httpd, scope + "a.txt", b"one", token).status_code == 201
    again = put(httpd, scope + "a.txt", b"one", token)
    assert again.status_code == 200
    assert again.json()["sha256"] == hashlib.sha256(b"one").hexdigest()
    before = stored_files(artifact_root)
    body = assert_refused(put(httpd, scope + "a.txt", b"two", token), 409, "exists", artifact_root, before)
    assert "a.txt" in body["message"]
    assert requests.get(f"{httpd.url}/{scope}a.txt").content == b"one"


def test_overwrite_token_replaces(httpd, artifact_root):
    scope = unique_scope()
    assert put(httpd, scope + "a.txt", b"one", mint(scope)).status_code == 201
    assert put(httpd, scope + "a.txt", b"two", mint(scope, overwrite=True)).status_code == 201
    assert requests.get(f"{httpd.url}/{scope}a.txt").content == b"two"
    assert not temporary_files(os.path.join(artifact_root, scope))


def test_chunked_body(httpd, artifact_root):
    scope = unique_scope()
    pieces = [os.urandom(10000) for _ in range(20)]
    response = put(httpd, scope + "chunked.log", iter(pieces), mint(scope))
    assert response.status_code == 201
    assert response.json()["size"] == 200000
    assert requests.get(f"{httpd.url}/{scope}chunked.log").content == b"".join(pieces)


def access_log_mentioning(httpd, text):
    with open(os.path.join(httpd.workdir, "access.log")) as access:
        log = access.read()
    return log if text in log else ""


def test_query_token_is_accepted_and_kept_out_of_the_access_log(httpd):
    scope = unique_scope()
    token = mint(scope)
    response = requests.put(f"{httpd.url}/{scope}q.txt?token={token}", data=b"x")
    assert response.status_code == 201
    signature = token.rsplit(".", 1)[1]
    # httpd writes the access log after the answer is sent.
    log = eventually(lambda: access_log_mentioning(httpd, f"/{scope}q.txt?token="), seconds=10)
    assert log
    assert signature not in log
    with open(httpd.error_log) as errors:
        assert signature not in errors.read()


# --- 401: no, bad or expired token -------------------------------------------------------

@pytest.mark.parametrize("make_token, reason", [
    (lambda scope: None, "no token"),
    (lambda scope: "not-a-token", "not of the form"),
    (lambda scope: mint(scope)[:-3] + ("AAA" if not mint(scope).endswith("AAA") else "BBB"), "signature"),
    (lambda scope: mint(scope).replace("art1.k2026a.", "art1.k1999x.", 1), "not known"),
    (lambda scope: mint(scope, exp=int(time.time()) - 3600), "expired"),
    (lambda scope: mint(scope, nbf=int(time.time()) + 3600), "not valid before"),
    (lambda scope: mint(scope, ttl=30 * 86400), "longer than this server allows"),
], ids=["missing", "garbage", "tampered-signature", "unknown-kid", "expired", "not-yet-valid", "lifetime-cap"])
def test_bad_tokens_are_401(httpd, artifact_root, make_token, reason):
    scope = unique_scope()
    before = stored_files(artifact_root)
    response = put(httpd, scope + "x.txt", b"data", make_token(scope))
    body = assert_refused(response, 401, "invalid_token", artifact_root, before)
    assert reason in body["message"]
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer error="invalid_token", error_description="')
    assert reason in challenge


def test_tampered_claims_are_401(httpd, artifact_root):
    import base64
    good = mint("t/mine/")
    _, kid, _, sig = good.split(".")
    forged_claims = base64.urlsafe_b64encode(json.dumps(
        {"scope": "t/", "exp": int(time.time()) + 60, "kinds": ["logs"], "jti": "x"}).encode()).rstrip(b"=").decode()
    before = stored_files(artifact_root)
    response = put(httpd, "t/victim.txt", b"data", f"art1.{kid}.{forged_claims}.{sig}")
    assert_refused(response, 401, "invalid_token", artifact_root, before)


def test_rotated_key_is_still_accepted(httpd):
    scope = unique_scope()
    assert put(httpd, scope + "old-key.txt", b"x", mint(scope, kid="k2026b")).status_code == 201


# --- 400: paths are rejected, never cleaned ----------------------------------------------

@pytest.mark.parametrize("suffix, problem", [
    ("../escape.txt", "'..'"),
    ("a/../../escape.txt", "'..'"),
    ("%2e%2e/escape.txt", "'..'"),
    ("%2E%2E%2Fescape.txt", "'..'"),
    ("..%2fescape.txt", "'..'"),
    ("./x.txt", "'.'"),
    ("a//x.txt", "empty segment"),
    ("a%2f%2fx.txt", "empty segment"),
    ("a\\x.txt", "backslash"),
    ("a%5c..%5cx.txt", "backslash"),
    ("x%00.txt", "NUL"),
    ("x%0a.txt", "control character"),
    ("%c0%ae%c0%ae/x.txt", "UTF-8"),
    ("%ff.txt", "UTF-8"),
    ("x%zz.txt", "'%'"),
    (".artifacts-tmp-1234", "temporary"),
])
def test_bad_paths_are_400(httpd, artifact_root, suffix, problem):
    scope = unique_scope()
    before = stored_files(artifact_root)
    status, headers, body = raw_request(httpd, "PUT", f"/{scope}{suffix}", bearer(mint(scope)), b"data")
    assert status == 400, body
    assert headers["Content-Type"].startswith("application/json")
    reply = json.loads(body)
    assert reply["error"] == "bad_path"
    assert problem in reply["message"]
    assert stored_files(artifact_root) == before


def test_double_slash_at_the_start_is_refused(httpd, artifact_root):
    before = stored_files(artifact_root)
    status, _, body = raw_request(httpd, "PUT", "//t/x.txt", bearer(mint("t/")), b"data")
    assert status == 400 and json.loads(body)["error"] == "bad_path"
    assert stored_files(artifact_root) == before


def test_encoded_slash_is_a_separator(httpd, artifact_root):
    scope = unique_scope()
    status, _, body = raw_request(httpd, "PUT", f"/{scope}sub%2Fx.txt", bearer(mint(scope)), b"data")
    assert status == 201, body
    assert json.loads(body)["path"] == scope + "sub/x.txt"
    assert os.path.isfile(os.path.join(artifact_root, scope, "sub", "x.txt"))


def test_put_with_a_body_to_a_directory_path_is_400(httpd, artifact_root):
    """A PUT of a path ending with '/' makes that directory; with a body it is a mistake
    (a file name left out), refused, and nothing is made."""
    scope = unique_scope()
    before = stored_files(artifact_root)
    assert_refused(put(httpd, scope + "dir/", b"x", mint(scope)), 400, "bad_request", artifact_root, before)
    assert not os.path.exists(os.path.join(artifact_root, scope, "dir"))


# --- 403: scope, kind, address, symlinks -------------------------------------------------

def test_outside_the_scope_is_403(httpd, artifact_root):
    scope = unique_scope()
    token = mint(scope)
    before = stored_files(artifact_root)
    sibling = scope.rstrip("/") + "x/file.txt"  # shares the prefix but not the "/" boundary
    for path in (sibling, "t/file.txt", "file.txt"):
        body = assert_refused(put(httpd, path, b"x", token), 403, "out_of_scope", artifact_root, before)
        assert scope in body["message"]


def test_wrong_kind_is_403(httpd, artifact_root):
    scope = unique_scope()
    before = stored_files(artifact_root)
    body = assert_refused(put(httpd, scope + "dist.tar.gz.exe", b"x", mint(scope)), 403, "wrong_kind",
                          artifact_root, before)
    assert "logs" in body["message"]
    assert_refused(put(httpd, scope + "dist.whl", b"x", mint(scope)), 403, "wrong_kind", artifact_root, before)
    assert put(httpd, scope + "dist.whl", b"x", mint(scope, kinds=["tarballs"])).status_code == 201


def test_ip_not_allowed_is_403(httpd, artifact_root):
    scope = unique_scope()
    before = stored_files(artifact_root)
    body = assert_refused(put(httpd, scope + "x.txt", b"x", mint(scope, ip=["192.0.2.0/24"])), 403,
                          "ip_not_allowed", artifact_root, before)
    assert "127.0.0.1" in body["message"]
    assert put(httpd, scope + "x.txt", b"x", mint(scope, ip=["10.0.0.0/8", "127.0.0.0/8"])).status_code == 201


def test_symlink_planted_in_the_scope_is_not_followed(httpd, artifact_root, workdir):
    scope = unique_scope()
    outside = os.path.join(workdir, "outside-" + scope.replace("/", "-"))
    os.makedirs(outside)
    with open(os.path.join(outside, "target.txt"), "wb") as target:
        target.write(b"outside")
    make_accessible(new_dir(artifact_root, scope))
    os.symlink(outside, os.path.join(artifact_root, scope, "planted"))
    os.symlink(os.path.join(outside, "target.txt"), os.path.join(artifact_root, scope, "file-link.txt"))
    before = stored_files(artifact_root)
    body = assert_refused(put(httpd, scope + "planted/x.txt", b"x", mint(scope)), 403, "symlink", artifact_root,
                          before)
    assert "symbolic link" in body["message"]
    assert_refused(put(httpd, scope + "file-link.txt", b"x", mint(scope)), 409, "exists", artifact_root, before)
    # Even overwriting replaces the link itself, never what it points to.
    assert put(httpd, scope + "file-link.txt", b"x", mint(scope, overwrite=True)).status_code == 201
    assert not os.path.islink(os.path.join(artifact_root, scope, "file-link.txt"))
    assert os.listdir(outside) == ["target.txt"]
    with open(os.path.join(outside, "target.txt"), "rb") as target:
        assert target.read() == b"outside"


# --- 410, 413, 415 -----------------------------------------------------------------------

def test_upload_after_seal_is_410(httpd, artifact_root):
    scope = unique_scope()
    token = mint(scope)
    assert put(httpd, scope + "a.txt", b"a", token).status_code == 201
    assert requests.post(f"{httpd.url}/{scope}?seal", headers=bearer(token)).status_code == 200
    before = stored_files(artifact_root)
    body = assert_refused(put(httpd, scope + "b.txt", b"b", token), 410, "sealed", artifact_root, before)
    assert "sealed" in body["message"]


def test_file_over_max_size_is_413(httpd, artifact_root):
    scope = unique_scope()
    before = stored_files(artifact_root)
    big = b"x" * (64 * 1024 * 1024 + 1)
    body = assert_refused(put(httpd, scope + "big.txt", big, mint(scope)), 413, "too_large", artifact_root, before)
    assert str(64 * 1024 * 1024) in body["message"]
    chunked = (big[i:i + 4 * 1024 * 1024] for i in range(0, len(big), 4 * 1024 * 1024))
    assert_refused(put(httpd, scope + "big.txt", chunked, mint(scope)), 413, "too_large", artifact_root, before)


def test_quota_bytes_and_files_are_413(httpd, artifact_root):
    scope = unique_scope()
    token = mint(scope, max_bytes=1000, max_files=3)
    assert put(httpd, scope + "a.txt", b"a" * 600, token).status_code == 201
    before = stored_files(artifact_root)
    body = assert_refused(put(httpd, scope + "b.txt", b"b" * 401, token), 413, "quota_exceeded", artifact_root,
                          before)
    assert "1000 bytes" in body["message"]
    chunked = iter([b"b" * 200, b"b" * 201])
    assert_refused(put(httpd, scope + "b.txt", chunked, token), 413, "quota_exceeded", artifact_root, before)
    assert put(httpd, scope + "b.txt", b"b" * 400, token).status_code == 201
    assert put(httpd, scope + "c.txt", b"", token).status_code == 201
    before = stored_files(artifact_root)
    body = assert_refused(put(httpd, scope + "d.txt", b"", token), 413, "quota_exceeded", artifact_root, before)
    assert "3 files" in body["message"]
    # Idempotent retries are not charged again.
    assert put(httpd, scope + "a.txt", b"a" * 600, token).status_code == 200


def test_unsupported_content_encoding_is_415(httpd, artifact_root):
    scope = unique_scope()
    before = stored_files(artifact_root)
    assert_refused(put(httpd, scope + "x.txt", b"x", mint(scope), {"Content-Encoding": "br"}), 415,
                   "unsupported_encoding", artifact_root, before)


def test_gzip_upload_is_stored_compressed_and_served_both_ways(httpd, artifact_root):
    scope = unique_scope()
    text = "".join(f"2026-11-25 10:00:{i % 60:02d}.000 {i} INFO x [-] line {i} {os.urandom(8).hex()}\n"
                   for i in range(2000)).encode()
    compressed = gzip.compress(text)
    response = put(httpd, scope + "job-output.txt", compressed, mint(scope), {"Content-Encoding": "gzip"})
    assert response.status_code == 201
    assert response.json()["size"] == len(compressed)
    assert os.path.isfile(os.path.join(artifact_root, scope, "job-output.txt.gz"))
    assert not os.path.exists(os.path.join(artifact_root, scope, "job-output.txt"))
    plain = requests.get(f"{httpd.url}/{scope}job-output.txt", headers={"Accept-Encoding": "identity"})
    assert plain.content == text
    raw = requests.get(f"{httpd.url}/{scope}job-output.txt", headers={"Accept-Encoding": "gzip"}, stream=True)
    assert raw.headers["Content-Encoding"] == "gzip"
    assert raw.raw.read() == compressed
    before = stored_files(artifact_root)
    assert_refused(put(httpd, scope + "job-output.txt", text, mint(scope)), 409, "exists", artifact_root, before)
    assert_refused(put(httpd, scope + "other.txt", b"not gzip", mint(scope), {"Content-Encoding": "gzip"}), 400,
                   "bad_encoding", artifact_root, before)


def test_sha256_header_is_verified_before_the_file_is_visible(httpd, artifact_root):
    scope = unique_scope()
    data = b"checked content\n"
    before = stored_files(artifact_root)
    body = assert_refused(put(httpd, scope + "x.txt", data, mint(scope), {"X-Artifact-Sha256": "0" * 64}), 400,
                          "checksum_mismatch", artifact_root, before)
    assert hashlib.sha256(data).hexdigest() in body["message"]
    assert_refused(put(httpd, scope + "x.txt", data, mint(scope), {"X-Artifact-Sha256": "xyz"}), 400,
                   "bad_checksum", artifact_root, before)
    good = put(httpd, scope + "x.txt", data, mint(scope), {"X-Artifact-Sha256": hashlib.sha256(data).hexdigest().upper()})
    assert good.status_code == 201


def test_post_without_an_operation_is_400(httpd, artifact_root):
    scope = unique_scope()
    before = stored_files(artifact_root)
    response = requests.post(f"{httpd.url}/{scope}", data=b"x", headers=bearer(mint(scope)))
    assert_refused(response, 400, "unknown_operation", artifact_root, before)
