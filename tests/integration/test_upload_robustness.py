"""Uploads under pressure: racing writers, parallel quota, clients that go away, a full
disk, an unavailable ledger, a restart; and a server where uploads are not configured."""
import concurrent.futures
import os
import socket
import subprocess
import time

import pytest
import requests

from conftest import eventually, make_accessible, mint, new_dir
from scripts.services.httpd import Httpd
from upload_helpers import bearer, stored_files, temporary_files, unique_scope

# The full-disk and ledger tests provoke error-level lines on purpose.
pytestmark = pytest.mark.expected_errors(r"ARTF021[034]")


def put(httpd, path, data, token):
    return requests.put(f"{httpd.url}/{path}", data=data, headers=bearer(token), timeout=60)


def parallel(count, work):
    with concurrent.futures.ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(work, range(count)))


def test_racing_uploads_of_one_path_leave_one_winner(httpd, artifact_root):
    scope = unique_scope()
    token = mint(scope)
    bodies = [f"writer {i}\n".encode() * 5000 for i in range(16)]
    statuses = parallel(16, lambda i: put(httpd, scope + "race.txt", bodies[i], token).status_code)
    assert statuses.count(201) == 1, statuses
    assert statuses.count(409) == 15, statuses
    winner = bodies[statuses.index(201)]
    with open(os.path.join(artifact_root, scope, "race.txt"), "rb") as stored:
        assert stored.read() == winner
    assert not temporary_files(os.path.join(artifact_root, scope))


def test_racing_identical_uploads_all_succeed_once(httpd, artifact_root):
    scope = unique_scope()
    token = mint(scope, max_files=1)
    statuses = parallel(12, lambda i: put(httpd, scope + "same.txt", b"same bytes\n" * 1000, token).status_code)
    assert statuses.count(201) == 1 and statuses.count(200) == 11, statuses
    assert not temporary_files(os.path.join(artifact_root, scope))


def test_parallel_uploads_never_exceed_the_quota(httpd, artifact_root):
    scope = unique_scope()
    files_token = mint(scope, max_files=5)
    statuses = parallel(24, lambda i: put(httpd, f"{scope}files/{i}.txt", b"x" * 1000, files_token).status_code)
    assert statuses.count(201) == 5 and statuses.count(413) == 19, statuses
    assert len(os.listdir(os.path.join(artifact_root, scope, "files"))) == 5
    bytes_token = mint(scope, max_bytes=10 * 1000)
    statuses = parallel(30, lambda i: put(httpd, f"{scope}bytes/{i}.txt", b"y" * 1000, bytes_token).status_code)
    assert statuses.count(201) == 10 and statuses.count(413) == 20, statuses
    assert len(os.listdir(os.path.join(artifact_root, scope, "bytes"))) == 10
    assert not temporary_files(os.path.join(artifact_root, scope))


def start_partial_upload(httpd, artifact_root, scope, token, declared, sent):
    """A PUT declaring `declared` bytes that sends only `sent`: returns the open socket once
    the server has created the upload's temporary file."""
    head = (f"PUT /{scope}partial.log HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Length: {declared}\r\n\r\n").encode()
    sock = socket.create_connection(("127.0.0.1", httpd.port))
    sock.sendall(head + os.urandom(sent))
    assert eventually(lambda: temporary_files(os.path.join(artifact_root, scope)), seconds=10), \
        "the upload never started"
    return sock


def test_client_that_disconnects_mid_body_leaves_nothing_and_is_not_charged(httpd, artifact_root):
    scope = unique_scope()
    token = mint(scope, max_bytes=3 * 1024 * 1024)
    before = stored_files(artifact_root)
    with start_partial_upload(httpd, artifact_root, scope, token, 3 * 1024 * 1024, 1024 * 1024):
        pass
    eventually(lambda: not temporary_files(os.path.join(artifact_root, scope)), seconds=10)
    assert stored_files(artifact_root) == before
    # The whole quota is still there.
    assert put(httpd, scope + "partial.log", b"z" * (3 * 1024 * 1024), token).status_code == 201


@pytest.fixture
def small_disk(httpd, workdir):
    """A 1 MiB tmpfs served below /small, so that the store runs out of space."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mountpoint = new_dir(workdir, "small-disk")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mountpoint], check=True)
    make_accessible(mountpoint)
    original = httpd.body
    httpd.reconfigure(original + f"""
<Directory "{mountpoint}">
    Require all granted
</Directory>
<Location "/small">
    ArtifactsEngine On
    ArtifactsRoot "{mountpoint}"
</Location>
""")
    yield mountpoint
    httpd.reconfigure(original)
    subprocess.run(["umount", mountpoint], check=True)


def test_full_disk_is_507_and_leaves_nothing(httpd, small_disk):
    token = mint("job/")
    response = put(httpd, "small/job/huge.log", os.urandom(2 * 1024 * 1024), token)
    assert response.status_code == 507
    assert response.json()["error"] == "disk_full"
    assert stored_files(small_disk) == set()
    archive = put(httpd, "small/job/fits.log", os.urandom(100 * 1024), token)
    assert archive.status_code == 201
    assert stored_files(small_disk) == {"job/fits.log"}


def test_unavailable_ledger_is_503_with_retry_after(httpd, artifact_root, workdir):
    if os.geteuid() != 0:
        pytest.skip("the httpd children must run as another user than the test")
    scope = unique_scope()
    ledger = os.path.join(workdir, "state", "ledger")
    before = stored_files(artifact_root)
    mode = os.stat(ledger).st_mode
    os.chmod(ledger, 0)
    try:
        response = put(httpd, scope + "x.txt", b"x", mint(scope))
    finally:
        os.chmod(ledger, mode)
    assert response.status_code == 503
    assert response.json()["error"] == "unavailable"
    assert int(response.headers["Retry-After"]) > 0
    assert stored_files(artifact_root) == before
    assert put(httpd, scope + "x.txt", b"x", mint(scope)).status_code == 201


def test_ledger_survives_a_restart(httpd, artifact_root):
    scope = unique_scope()
    token = mint(scope, max_files=2)
    assert put(httpd, scope + "1.txt", b"1", token).status_code == 201
    assert requests.post(f"{httpd.url}/{scope}?seal", headers=bearer(mint(scope, jti="sealed-" + scope))).ok
    httpd.stop()
    httpd.start()
    assert put(httpd, scope + "2.txt", b"2", token).status_code == 201
    assert put(httpd, scope + "3.txt", b"3", token).status_code == 413
    assert put(httpd, scope + "4.txt", b"4", mint(scope, jti="sealed-" + scope)).status_code == 410


@pytest.fixture(scope="module")
def read_only_httpd(workdir, artifact_root):
    """An artifact server with no ArtifactsTokenKey: it serves but takes no uploads."""
    server = Httpd(new_dir(workdir, "httpd-read-only"), new_dir(workdir, "docroot-read-only"))
    server.write_config(f"""
<Directory "{artifact_root}">
    Require all granted
</Directory>
ArtifactsRoot "{artifact_root}"
<Location "/">
    ArtifactsEngine On
</Location>
""")
    server.start()
    yield server
    server.stop()
    assert not server.error_lines_since(0)


def test_uploads_are_405_where_not_configured(read_only_httpd, artifact_root):
    before = stored_files(artifact_root)
    response = put(read_only_httpd, "t/x.txt", b"x", mint("t/"))
    assert response.status_code == 405
    assert response.json()["error"] == "uploads_disabled"
    assert response.headers["Allow"] == "GET, HEAD"
    assert stored_files(artifact_root) == before
    assert requests.get(read_only_httpd.url + "/").status_code == 200



def test_temporary_file_of_a_killed_child_is_swept(httpd, artifact_root):
    scope = unique_scope()
    with start_partial_upload(httpd, artifact_root, scope, mint(scope), 10 * 1024 * 1024, 256 * 1024):
        for child in httpd.children():
            os.kill(child, 9)
        time.sleep(0.5)
        assert temporary_files(os.path.join(artifact_root, scope)), "nothing to sweep: the killed child cleaned up after all"
    httpd.reconfigure(httpd.body)  # a restart sweeps, as the parent does every minute
    assert not temporary_files(os.path.join(artifact_root, scope))
    assert not os.path.exists(os.path.join(artifact_root, scope, "partial.log"))
