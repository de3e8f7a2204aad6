"""Uploads with ArtifactsStore swift (issue 5): the same API and guarantees as the
filesystem store. Every check looks at Swift through python-swiftclient and at the
catalogue through the mariadb client, not through the module."""
import gzip
import hashlib
import os
import signal
import subprocess
import threading
import time
import uuid

import pytest
import requests
import swiftclient

from conftest import eventually, main_config, mint
from storage_helpers import CONTAINER, sql_bytes, start_httpd, storage_config
from upload_helpers import bearer, tar_of, unique_scope

pytestmark = pytest.mark.expected_errors(r"ARTF0215", r"ARTF0213")


def store_config(workdir, mariadb, swift, artifact_root, extra=""):
    return main_config(workdir, artifact_root,
                       storage_config(workdir, mariadb, swift, "ArtifactsStore swift\nArtifactsRetention 30d\n" + extra))


@pytest.fixture(scope="module")
def server(workdir, artifact_root, mariadb, swift):
    server = start_httpd(workdir, "httpd-swift-store", store_config(workdir, mariadb, swift, artifact_root))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def second(workdir, artifact_root, mariadb, swift):
    """Another server sharing MariaDB and Swift (its own filesystem root)."""
    from conftest import new_dir
    other_root = new_dir(workdir, "second-root")
    server = start_httpd(workdir, "httpd-swift-second", store_config(workdir, mariadb, swift, other_root))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def objects(swift):
    return swift.connection()


def swift_object(objects, path):
    try:
        return objects.get_object(CONTAINER, path)
    except swiftclient.ClientException as error:
        if error.http_status == 404:
            return None
        raise


def row(mariadb, path):
    rows = mariadb.query("SELECT size, sha256, container, object, content_encoding, jti, expires_at "
                         f"FROM artifacts WHERE path = {sql_bytes(path)}")
    return rows[0] if rows else None


def usage(mariadb, jti):
    rows = mariadb.query(f"SELECT bytes_used, files_used, sealed_at FROM tokens WHERE jti = {sql_bytes(jti)}")
    return rows[0] if rows else None


def test_put_stores_in_swift_and_catalogue(server, objects, mariadb, artifact_root):
    scope = unique_scope("swift")
    data = os.urandom(200_000)
    response = requests.put(f"{server.url}/{scope}build/blob.tar.gz", data=data,
                            headers=bearer(mint(scope, kinds=("tarballs",), jti="j-" + scope[6:18])))
    assert response.status_code == 201, response.text
    reply = response.json()
    assert reply["size"] == len(data) and reply["sha256"] == hashlib.sha256(data).hexdigest()
    assert response.headers["Location"].endswith(f"/{scope}build/blob.tar.gz")
    headers, body = swift_object(objects, f"{scope}build/blob.tar.gz")
    assert body == data
    assert headers["etag"] == hashlib.md5(data).hexdigest()
    assert "x-delete-at" in headers  # ArtifactsRetention 30d
    size, sha, container, obj, encoding, jti, expires = row(mariadb, f"{scope}build/blob.tar.gz")
    assert (int(size), sha, container, obj, encoding) == (len(data), reply["sha256"], CONTAINER,
                                                          f"{scope}build/blob.tar.gz", "")
    assert abs(int(expires) - (time.time() + 30 * 86400)) < 120
    assert not os.path.exists(os.path.join(artifact_root, scope))  # nothing on the filesystem
    served = requests.get(f"{server.url}/{scope}build/blob.tar.gz")
    assert served.content == data
    assert [e["name"] for e in requests.get(f"{server.url}/{scope}?format=json").json()["entries"]] == ["build"]


def test_retry_is_idempotent_and_conflicts_are_refused(server, objects, mariadb):
    scope = unique_scope("swift")
    token = mint(scope)
    url = f"{server.url}/{scope}job-output.txt"
    assert requests.put(url, data=b"first\n", headers=bearer(token)).status_code == 201
    again = requests.put(url, data=b"first\n", headers=bearer(token))
    assert again.status_code == 200, again.text
    other = requests.put(url, data=b"second\n", headers=bearer(token))
    assert other.status_code == 409 and other.json()["error"] == "exists"
    assert swift_object(objects, f"{scope}job-output.txt")[1] == b"first\n"
    replaced = requests.put(url, data=b"second\n", headers=bearer(mint(scope, overwrite=True)))
    assert replaced.status_code == 201
    assert requests.get(url, headers={"Accept": "*/*"}).content == b"second\n"


def test_an_overwrite_never_writes_over_the_object_its_row_names(server, objects, mariadb):
    """The new bytes go to the container's twin (or back), and the replaced object is
    deleted once the new row is committed."""
    scope = unique_scope("swift")
    url = f"{server.url}/{scope}job-output.txt"
    twin = CONTAINER + "-overwrites"
    token = mint(scope, overwrite=True)
    assert requests.put(url, data=b"first\n", headers=bearer(token)).status_code == 201
    for content, now_in, gone_from in ((b"second\n", twin, CONTAINER), (b"third\n", CONTAINER, twin)):
        response = requests.put(url, data=content, headers=bearer(token))
        assert response.status_code == 201, response.text
        size, sha, container, obj = row(mariadb, f"{scope}job-output.txt")[:4]
        assert (container, obj, sha) == (now_in, f"{scope}job-output.txt", hashlib.sha256(content).hexdigest())
        assert objects.get_object(now_in, obj)[1] == content
        with pytest.raises(swiftclient.ClientException) as missing:
            objects.get_object(gone_from, obj)
        assert missing.value.http_status == 404
        assert requests.get(url, headers={"Accept": "*/*"}).content == content


def requests_waiting_at(port):
    """How many connections to 127.0.0.1:port hold bytes the server has not read yet."""
    out = subprocess.run(["ss", "-Htn", "state", "established", f"( sport = :{port} )"],
                         capture_output=True, text=True, check=True).stdout
    return sum(1 for line in out.splitlines() if int(line.split()[0]) > 0)


@pytest.mark.parametrize("stored, accept_encoding", [
    pytest.param("plain", "gzip", id="plain"),
    pytest.param("gzip", "gzip", id="gzip-as-stored"),
    pytest.param("gzip", "identity", id="gzip-decoded"),
])
def test_a_reader_racing_an_overwrite_gets_the_new_file(server, swift, objects, mariadb, stored, accept_encoding):
    """A reader read the row, then an overwrite committed its new row and deleted the object
    the old row named, and only then did the reader ask Swift: it gets the new file, not a 404.
    The Swift proxy is stopped (SIGSTOP) while the rows change, so the reader's request waits
    in the proxy's socket between its catalogue lookup and Swift's answer."""
    scope = unique_scope("swift")
    path = f"{scope}job-output.txt"
    url = f"{server.url}/{path}"
    token = mint(scope, overwrite=True)

    def upload(content):
        if stored == "gzip":
            headers = {**bearer(token), "Content-Encoding": "gzip"}
            return requests.put(url, data=gzip.compress(content), headers=headers).status_code
        return requests.put(url, data=content, headers=bearer(token)).status_code

    def read():
        # requests decodes a gzip answer, as a browser would.
        return requests.get(url, headers={"Accept": "*/*", "Accept-Encoding": accept_encoding}, timeout=60)

    assert upload(b"first\n") == 201
    assert upload(b"second\n") == 201
    twin = CONTAINER + "-overwrites"
    assert row(mariadb, path)[2] == twin
    # The row as a reader that came just before the overwrite's commit read it: its object is gone.
    mariadb.query(f"UPDATE artifacts SET container = '{CONTAINER}' WHERE path = {sql_bytes(path)}")
    assert read().status_code == 404
    proxy = swift.processes["proxy"]
    answer = {}
    proxy.send_signal(signal.SIGSTOP)
    try:
        reader = threading.Thread(target=lambda: answer.update(reply=read()))
        reader.start()
        assert eventually(lambda: requests_waiting_at(swift.proxy_port) > 0, seconds=10), \
            "the reader's request never reached the Swift proxy"
        mariadb.query(f"UPDATE artifacts SET container = '{twin}' WHERE path = {sql_bytes(path)}")
    finally:
        proxy.send_signal(signal.SIGCONT)
    reader.join(60)
    reply = answer["reply"]
    assert reply.status_code == 200, reply.text
    assert reply.content == b"second\n"
    assert reply.headers.get("Content-Encoding") == ("gzip" if stored == "gzip" and accept_encoding == "gzip"
                                                     else None)


@pytest.mark.parametrize("how", ["put", "extract"])
def test_an_overwrite_refused_at_the_end_leaves_the_old_file(server, objects, mariadb, workdir, how):
    """The token is sealed while the overwrite's body arrives: the overwrite is refused
    (410), and the file, its row and its object are those from before."""
    scope = unique_scope("swift")
    token = mint(scope, overwrite=True)
    path = scope + "logs/job-output.txt"
    assert requests.put(f"{server.url}/{path}", data=b"old\n", headers=bearer(token)).status_code == 201
    before = row(mariadb, path)
    new = os.urandom(256 << 10)
    if how == "put":
        url, body = f"{server.url}/{path}", new
        # The upload has passed its early checks once it holds the path.
        started = lambda: mariadb.query(  # noqa: E731
            f"SELECT COUNT(*) FROM uploads_in_progress WHERE path = {sql_bytes(path)}") == [["1"]]
    else:
        url, body = f"{server.url}/{scope}?extract", tar_of({"logs/job-output.txt": new, "logs/other.txt": b"x"})
        staging = os.path.join(workdir, "state", "staging")
        started = lambda: any(files for _, _, files in os.walk(staging))  # noqa: E731
    sealed = threading.Event()

    def slow_body():
        yield body[:len(body) // 2]
        sealed.wait(30)
        yield body[len(body) // 2:]

    result = {}
    sender = threading.Thread(target=lambda: result.setdefault(
        "response", requests.request("PUT" if how == "put" else "POST", url, data=slow_body(),
                                     headers=bearer(token), timeout=60)))
    sender.start()
    try:
        assert eventually(started), "the upload did not start"
        seal = requests.post(f"{server.url}/{scope}?seal", headers=bearer(token), timeout=30)
        assert seal.status_code == 200, seal.text
    finally:
        sealed.set()
        sender.join()
    response = result["response"]
    assert response.status_code == 410 and response.json()["error"] == "sealed", response.text
    assert row(mariadb, path) == before
    assert objects.get_object(CONTAINER, path)[1] == b"old\n"
    with pytest.raises(swiftclient.ClientException):
        objects.get_object(CONTAINER + "-overwrites", path)
    assert swift_object(objects, scope + "logs/other.txt") is None
    assert requests.get(f"{server.url}/{path}", headers={"Accept": "*/*"}).content == b"old\n"


def test_gzip_upload_is_stored_compressed_and_served_either_way(server, objects, mariadb):
    scope = unique_scope("swift")
    text = b"2026-11-25 10:00:00.000 1 INFO x [-] hello\n" * 50
    packed = gzip.compress(text)
    response = requests.put(f"{server.url}/{scope}console.log", data=packed,
                            headers={**bearer(mint(scope)), "Content-Encoding": "gzip"})
    assert response.status_code == 201, response.text
    headers, body = swift_object(objects, f"{scope}console.log")
    assert body == packed and headers.get("content-encoding") == "gzip"
    assert row(mariadb, f"{scope}console.log")[4] == "gzip"
    plain = requests.get(f"{server.url}/{scope}console.log", headers={"Accept-Encoding": "identity"})
    assert plain.content == text
    compressed = requests.get(f"{server.url}/{scope}console.log", headers={"Accept-Encoding": "gzip"}, stream=True)
    assert compressed.headers["Content-Encoding"] == "gzip" and compressed.raw.read() == packed


@pytest.mark.parametrize("case", ["checksum", "not_gzip", "corrupt_gzip", "truncated_gzip", "too_large",
                                  "wrong_kind"])
def test_refused_uploads_leave_nothing(server, objects, mariadb, case):
    scope = unique_scope("swift")
    jti = "refused-" + uuid.uuid4().hex
    headers = bearer(mint(scope, jti=jti))
    name, data, expected = "file.txt", b"payload\n" * 10, 400
    if case == "checksum":
        headers["X-Artifact-Sha256"] = "0" * 64
    elif case == "not_gzip":
        headers["Content-Encoding"] = "gzip"
    elif case.endswith("_gzip"):
        # The magic is right, the stream is not: a CRC that does not match, or the end cut off.
        packed = gzip.compress(os.urandom(100_000))
        data = packed[:-8] + bytes([packed[-8] ^ 0x55]) + packed[-7:] if case == "corrupt_gzip" else packed[:-100]
        headers["Content-Encoding"] = "gzip"
    elif case == "too_large":
        data, expected = b"x" * (65 << 20), 413
    else:
        name, expected = "file.exe", 403
    response = requests.put(f"{server.url}/{scope}{name}", data=data, headers=headers)
    assert response.status_code == expected, response.text
    assert "error" in response.json()
    assert swift_object(objects, f"{scope}{name}") is None
    assert row(mariadb, f"{scope}{name}") is None
    used = usage(mariadb, jti)
    assert used is None or (used[0], used[1]) == ("0", "0")


def test_chunked_upload_over_quota_is_refused_and_not_charged(server, objects, mariadb):
    scope = unique_scope("swift")
    jti = "quota-" + uuid.uuid4().hex
    token = mint(scope, jti=jti, max_bytes=3 << 20)

    def chunks(total, size=256 << 10):
        for _ in range(total // size):
            yield b"q" * size

    small = requests.put(f"{server.url}/{scope}small.txt", data=chunks(1 << 20), headers=bearer(token))
    assert small.status_code == 201, small.text
    big = requests.put(f"{server.url}/{scope}big.txt", data=chunks(4 << 20), headers=bearer(token))
    assert big.status_code == 413 and big.json()["error"] == "quota_exceeded"
    assert swift_object(objects, f"{scope}big.txt") is None and row(mariadb, f"{scope}big.txt") is None
    assert usage(mariadb, jti)[:2] == [str(1 << 20), "1"]


def test_seal_writes_the_manifest_and_burns_the_token(server, objects, mariadb):
    scope = unique_scope("swift")
    token = mint(scope)
    for name in ("job-output.txt", "logs/a.log", "logs/sub/b.log"):
        assert requests.put(f"{server.url}/{scope}{name}", data=name.encode(), headers=bearer(token)).status_code == 201
    sealed = requests.post(f"{server.url}/{scope}?seal", headers=bearer(token))
    assert sealed.status_code == 200, sealed.text
    assert sealed.json()["sealed"] is True
    manifest = requests.get(f"{server.url}/{scope}zuul-manifest.json").json()
    top = manifest["tree"]
    assert [entry["name"] for entry in top] == ["logs", "job-output.txt"]
    assert [entry["name"] for entry in top[0]["children"]] == ["sub", "a.log"]
    assert swift_object(objects, f"{scope}zuul-manifest.json") is not None
    late = requests.put(f"{server.url}/{scope}late.txt", data=b"late", headers=bearer(token))
    assert late.status_code == 410
    assert swift_object(objects, f"{scope}late.txt") is None


def test_a_second_seal_replaces_the_manifest_through_the_twin_container(server, objects, mariadb):
    scope = unique_scope("swift")
    manifest = scope + "zuul-manifest.json"
    first, second = mint(scope), mint(scope)
    assert requests.put(f"{server.url}/{scope}a.txt", data=b"a", headers=bearer(first)).status_code == 201
    assert requests.post(f"{server.url}/{scope}?seal", headers=bearer(first)).status_code == 200
    assert row(mariadb, manifest)[2] == CONTAINER
    assert requests.put(f"{server.url}/{scope}b.txt", data=b"b", headers=bearer(second)).status_code == 201
    assert requests.post(f"{server.url}/{scope}?seal", headers=bearer(second)).status_code == 200
    assert row(mariadb, manifest)[2] == CONTAINER + "-overwrites"
    assert swift_object(objects, manifest) is None
    names = [entry["name"] for entry in requests.get(f"{server.url}/{manifest}").json()["tree"]]
    assert names == ["a.txt", "b.txt"]


def test_two_servers_share_catalogue_swift_and_ledger(server, second, objects, mariadb):
    scope = unique_scope("swift")
    token = mint(scope)
    assert requests.put(f"{server.url}/{scope}one.txt", data=b"via one\n", headers=bearer(token)).status_code == 201
    assert requests.get(f"{second.url}/{scope}one.txt", headers={"Accept": "*/*"}).text == "via one\n"
    assert requests.post(f"{second.url}/{scope}?seal", headers=bearer(token)).status_code == 200
    refused = requests.put(f"{server.url}/{scope}two.txt", data=b"via one\n", headers=bearer(token))
    assert refused.status_code == 410 and refused.json()["error"] == "sealed"


def test_parallel_uploads_through_two_servers_never_exceed_the_quota(server, second, objects, mariadb):
    scope = unique_scope("swift")
    jti = "parallel-" + uuid.uuid4().hex
    token = mint(scope, jti=jti, max_bytes=10 * 100_000, max_files=50)
    statuses = []
    lock = threading.Lock()

    def upload(i):
        target = server if i % 2 else second
        response = requests.put(f"{target.url}/{scope}f{i:02d}.txt", data=bytes([65 + i % 26]) * 100_000,
                                headers=bearer(token))
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(set(statuses)) == [201, 413]
    assert statuses.count(201) == 10
    rows = mariadb.query(f"SELECT COUNT(*), SUM(size) FROM artifacts WHERE jti = {sql_bytes(jti)}")
    assert rows[0] == ["10", str(10 * 100_000)]
    assert usage(mariadb, jti)[:2] == [str(10 * 100_000), "10"]
    listed = objects.get_container(CONTAINER, prefix=scope)[1]
    assert len(listed) == 10


def test_swift_killed_mid_upload_leaves_nothing(server, swift, objects, mariadb):
    scope = unique_scope("swift")
    jti = "killed-" + uuid.uuid4().hex
    token = mint(scope, jti=jti, max_bytes=1 << 30)
    stopped = threading.Event()

    def slow_body():
        for i in range(40):
            if i == 5:
                swift.stop_server("proxy")
                stopped.set()
            yield b"k" * (64 << 10)
            time.sleep(0.02)

    try:
        response = requests.put(f"{server.url}/{scope}killed.txt", data=slow_body(), headers=bearer(token),
                                timeout=60)
        assert response.status_code == 503, response.text
        assert response.headers["Retry-After"] == "30"
        assert response.json()["error"] == "unavailable"
    finally:
        if stopped.is_set():
            swift.start_server("proxy")
    assert row(mariadb, f"{scope}killed.txt") is None
    assert swift_object(swift.connection(), f"{scope}killed.txt") is None
    assert usage(mariadb, jti)[:2] == ["0", "0"]


def test_database_down_refuses_uploads_with_503(server, mariadb, objects):
    scope = unique_scope("swift")
    mariadb.stop()
    try:
        response = requests.put(f"{server.url}/{scope}x.txt", data=b"x", headers=bearer(mint(scope)), timeout=30)
        assert response.status_code == 503, response.text
        assert response.headers["Retry-After"] == "30"
    finally:
        mariadb.start()
    assert swift_object(objects, f"{scope}x.txt") is None
    # It recovers without a restart of httpd (after ArtifactsCatalogue's retry-interval, 2 s).
    def put_again():
        reply = requests.put(f"{server.url}/{scope}x.txt", data=b"x", headers=bearer(mint(scope)), timeout=30)
        return reply if reply.status_code != 503 else None

    retry = eventually(put_again)
    assert retry is not None, "uploads were still refused with 503 after 20 s"
    assert retry.status_code == 201, retry.text
    # That answer came from one child; another that failed to connect during the outage
    # refuses for up to retry-interval after its failure. Wait that out so the next tests
    # do not meet it.
    time.sleep(2.5)


def test_a_database_restart_costs_no_upload(server, mariadb, objects):
    """Connections pooled before a restart of MariaDB are dead afterwards; each is replaced
    by a fresh one within the same request, so no upload sees the restart."""
    scope = unique_scope("swift")
    token = mint(scope, max_files=200)

    def upload_in_parallel(names):
        results = {}
        threads = [threading.Thread(target=lambda n=name: results.__setitem__(
            n, requests.put(f"{server.url}/{scope}{n}", data=n.encode(), headers=bearer(token), timeout=30)))
            for name in names]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return results

    # Many threads at once leave many idle connections in the pool.
    warm = upload_in_parallel([f"warm-{i}.txt" for i in range(12)])
    assert {name: r.status_code for name, r in warm.items()} == {name: 201 for name in warm}
    mariadb.stop()
    mariadb.start()
    after = upload_in_parallel([f"after-{i}.txt" for i in range(12)])
    after.update((f"then-{i}.txt", requests.put(f"{server.url}/{scope}then-{i}.txt", data=b"x",
                                                headers=bearer(token), timeout=30)) for i in range(12))
    assert {name: (r.status_code, r.text) for name, r in after.items() if r.status_code != 201} == {}


def test_extract_stores_every_member_in_swift(server, objects, mariadb, workdir):
    scope = unique_scope("swift")
    members = {"logs/a.txt": b"a\n", "logs/deep/b.log": b"bb\n" * 1000, "c.json": b"{}"}
    response = requests.post(f"{server.url}/{scope}?extract", data=tar_of(members), headers=bearer(mint(scope)))
    assert response.status_code == 201, response.text
    assert sorted(f["path"] for f in response.json()["files"]) == sorted(scope + name for name in members)
    for name, data in members.items():
        assert swift_object(objects, scope + name)[1] == data
        assert row(mariadb, scope + name)[0] == str(len(data))
        assert requests.get(f"{server.url}/{scope}{name}", headers={"Accept": "*/*"}).content == data
    # Nothing stays in the staging area.
    staging = os.path.join(workdir, "state", "staging")
    assert [files for _, _, files in os.walk(staging) if files] == []
    again = requests.post(f"{server.url}/{scope}?extract", data=tar_of(members), headers=bearer(mint(scope)))
    assert again.status_code == 200, again.text


def test_extract_with_one_bad_member_stores_nothing(server, objects, mariadb):
    scope = unique_scope("swift")
    members = {"good.txt": b"good\n", "bad.exe": b"MZ"}
    response = requests.post(f"{server.url}/{scope}?extract", data=tar_of(members), headers=bearer(mint(scope)))
    assert response.status_code == 403, response.text
    assert swift_object(objects, scope + "good.txt") is None
    assert row(mariadb, scope + "good.txt") is None
    conflict_scope = unique_scope("swift")
    token = mint(conflict_scope)
    assert requests.put(f"{server.url}/{conflict_scope}x.txt", data=b"one", headers=bearer(token)).status_code == 201
    clash = requests.post(f"{server.url}/{conflict_scope}?extract", data=tar_of({"y.txt": b"y", "x.txt": b"two"}),
                          headers=bearer(token))
    assert clash.status_code == 409
    assert swift_object(objects, conflict_scope + "y.txt") is None
    assert swift_object(objects, conflict_scope + "x.txt")[1] == b"one"


def test_sharded_containers_spread_by_directory(workdir, artifact_root, mariadb, swift):
    server = start_httpd(workdir, "httpd-shards",
                         store_config(workdir, mariadb, swift, artifact_root, "ArtifactsSwiftContainerShards 16\n"))
    try:
        scope = unique_scope("shard")
        token = mint(scope)
        names = [f"d{i}/f.txt" for i in range(8)] + ["d0/g.txt"]
        for name in names:
            put = requests.put(f"{server.url}/{scope}{name}", data=name.encode(), headers=bearer(token))
            assert put.status_code == 201, put.text
        containers = {name: row(mariadb, scope + name)[2] for name in names}
        assert all(c.startswith(CONTAINER + "-") and len(c) == len(CONTAINER) + 4 for c in containers.values())
        assert len(set(containers.values())) > 1
        assert containers["d0/f.txt"] == containers["d0/g.txt"]  # one directory, one container
        connection = swift.connection()
        for name, container in containers.items():
            assert connection.get_object(container, scope + name)[1] == name.encode()
            assert requests.get(f"{server.url}/{scope}{name}", headers={"Accept": "*/*"}).text == name
    finally:
        server.stop()


def test_upload_renews_an_expired_swift_token_without_resending(server, swift, objects):
    from test_catalogue_serving import forget_swift_token
    scope = unique_scope("swift")
    token = mint(scope)
    assert requests.put(f"{server.url}/{scope}a.txt", data=b"a", headers=bearer(token)).status_code == 201
    forget_swift_token(swift, swift.connection().get_auth()[1])
    data = os.urandom(3 << 20)
    response = requests.put(f"{server.url}/{scope}b.bin.gz", data=iter([data[:1 << 20], data[1 << 20:]]),
                            headers=bearer(token))
    assert response.status_code == 201, response.text
    assert swift.connection().get_object(CONTAINER, f"{scope}b.bin.gz")[1] == data


def test_a_path_being_uploaded_elsewhere_is_retried_later(server, mariadb, objects):
    scope = unique_scope("swift")
    token = mint(scope)
    busy, stale = scope + "busy.txt", scope + "stale.txt"
    dead = "dead-" + scope[6:18]
    mariadb.query(f"INSERT INTO tokens (jti, bytes_used, files_used) VALUES ('{dead}', 1500, 2); "
                  "INSERT INTO uploads_in_progress (path, jti, owner, started_at, lease_until, reserved_bytes, "
                  f"reserved_files) VALUES ({sql_bytes(busy)}, 'other', REPEAT('a', 32), UNIX_TIMESTAMP(), "
                  f"UNIX_TIMESTAMP() + 60, 0, 0), ({sql_bytes(stale)}, '{dead}', REPEAT('b', 32), 1000, "
                  "UNIX_TIMESTAMP() - 1, 500, 1)")
    refused = requests.put(f"{server.url}/{busy}", data=b"x", headers=bearer(token))
    assert refused.status_code == 503 and refused.json()["error"] == "upload_in_progress"
    assert refused.headers["Retry-After"] == "30"
    assert swift_object(objects, busy) is None
    # A claim whose lease ran out belongs to an upload that died (or lost the database): it
    # is taken over, and what it had reserved of its token's quota is given back.
    assert requests.put(f"{server.url}/{stale}", data=b"y", headers=bearer(token)).status_code == 201
    assert usage(mariadb, dead) == ["1000", "1", "NULL"]
    mariadb.query(f"DELETE FROM uploads_in_progress WHERE path = {sql_bytes(busy)}")
    assert requests.put(f"{server.url}/{busy}", data=b"x", headers=bearer(token)).status_code == 201
    assert mariadb.query("SELECT COUNT(*) FROM uploads_in_progress WHERE path IN "
                         f"({sql_bytes(busy)}, {sql_bytes(stale)})") == [["0"]]
