"""The production store under database faults (issue 12): two servers share MariaDB and
Swift, and the connection to MariaDB is lost at chosen statements (a protocol-aware TCP
proxy, sql_fault_proxy.py) or mariadbd is frozen with SIGSTOP while uploads are in
flight. After each case the invariants are checked with independent clients
(python-swiftclient, the mariadb client):
- every 2xx upload reads back with its SHA-256 from both servers;
- no catalogue row without its object, no object without its row;
- each token's usage equals its rows;
- no claim is left; a retry succeeds within seconds."""
import hashlib
import os
import signal
import threading
import time
import uuid

import pytest
import requests
import swiftclient

from conftest import eventually, main_config, mint, new_dir
from sql_fault_proxy import SqlFaultProxy
from storage_helpers import CONTAINER, sql_bytes, start_httpd, storage_config
from upload_helpers import bearer, tar_of, unique_scope

# Lost connections are what these tests provoke; each is logged.
pytestmark = pytest.mark.expected_errors(r"ARTF0213", r"ARTF0217", r"ARTF0218", r"ARTF0220", r"ARTF0221",
                                         r"ARTF0222", r"ARTF0401")

QUOTA = {"max_bytes": 50_000_000, "max_files": 1000}
# After a lost connection a server's pool stands back for this long (it cannot tell a
# dropped connection from a dead server), answering 503 at once.
RETRY_INTERVAL = 1


def arm(proxy, pattern, action, **options):
    """Arms a fault once an earlier one's stand-back is over, so the request reaches it."""
    time.sleep(RETRY_INTERVAL + 0.2)
    proxy.arm(pattern, action, **options)


@pytest.fixture(scope="module")
def proxy(mariadb):
    proxy = SqlFaultProxy(mariadb.port)
    yield proxy
    proxy.close()


def config(workdir, mariadb, swift, root, port):
    settings = (mariadb.catalogue_directive().replace(f"port={mariadb.port}", f"port={port}") +
                f" read-timeout=3 connect-timeout=2 retry-interval={RETRY_INTERVAL}")
    storage = storage_config(workdir, mariadb, swift, "ArtifactsStore swift\n")
    return main_config(workdir, root, storage.replace(mariadb.catalogue_directive(), settings))


@pytest.fixture(scope="module")
def servers(workdir, mariadb, swift, proxy):
    """Two servers through the proxy, each with its own filesystem root."""
    started = []
    try:
        for name in ("faults-a", "faults-b"):
            root = new_dir(workdir, name + "-root")
            started.append(start_httpd(workdir, "httpd-" + name, config(workdir, mariadb, swift, root, proxy.port)))
        yield started
    finally:
        for server in started:
            server.stop()


@pytest.fixture(scope="module")
def objects(swift):
    return swift.connection()


def sha(data):
    return hashlib.sha256(data).hexdigest()


def object_exists(objects, container, name):
    try:
        objects.head_object(container, name)
        return True
    except swiftclient.ClientException as error:
        if error.http_status == 404:
            return False
        raise


def container_objects(objects, prefix):
    """(container, name) of every object below prefix, in the store's container and its twin."""
    found = set()
    for container in (CONTAINER, CONTAINER + "-overwrites"):
        try:
            _, listing = objects.get_container(container, prefix=prefix, full_listing=True)
        except swiftclient.ClientException as error:
            if error.http_status == 404:
                continue
            raise
        found.update((container, entry["name"]) for entry in listing)
    return found


def check_invariants(servers, objects, mariadb, scope, jti, acknowledged, claims_may_remain=False):
    """`acknowledged`: path -> bytes of every upload answered 2xx."""
    for path, data in acknowledged.items():
        for server in servers:
            response = requests.get(f"{server.url}/{path}", headers={"Accept-Encoding": "identity"}, timeout=10)
            assert response.status_code == 200, (server.url, path, response.status_code)
            assert sha(response.content) == sha(data)
    rows = mariadb.query("SELECT path, container, object, size FROM artifacts "
                         f"WHERE path LIKE {sql_bytes(scope + '%')} AND is_directory = 0")
    named = {(container, name) for _, container, name, _ in rows}
    stored = container_objects(objects, scope)
    assert named == stored, f"rows name {sorted(named)}, Swift holds {sorted(stored)}"
    assert {path for path, *_ in rows} >= set(acknowledged)
    usage = mariadb.query(f"SELECT bytes_used, files_used FROM tokens WHERE jti = {sql_bytes(jti)}")
    used = [int(value) for value in usage[0]] if usage else [0, 0]
    claims = mariadb.query("SELECT reserved_bytes, reserved_files, lease_until - UNIX_TIMESTAMP() "
                           f"FROM uploads_in_progress WHERE path LIKE {sql_bytes(scope + '%')}")
    if not claims_may_remain:
        assert claims == []
    # A claim lives no longer than its lease (15 s) unless renewed by a live upload.
    assert all(int(left) <= 15 for *_, left in claims), claims
    # Usage is what the rows hold plus what live claims reserved (the seal's manifest is free).
    charged = [row for row in rows if not row[0].endswith("/zuul-manifest.json")]
    assert used == [sum(int(size) for *_, size in charged) + sum(int(b) for b, *_ in claims),
                    len(charged) + sum(int(f) for _, f, _ in claims)], (used, rows, claims)


def put(server, path, data, token, timeout=30):
    return requests.put(f"{server.url}/{path}", data=data, headers=bearer(token), timeout=timeout)


def retry_until_stored(server, path, data, token, seconds):
    """PUT until a 2xx or `seconds` passed; returns (response, seconds taken)."""
    started = time.monotonic()
    while True:
        response = put(server, path, data, token)
        if response.status_code < 300 or time.monotonic() - started > seconds:
            return response, time.monotonic() - started
        time.sleep(0.5)


# The statements of a PUT into Swift, each lost before or after the server ran it.
STATEMENTS = {
    "claim": (r"INSERT .*INTO uploads_in_progress", None),
    "reservation": (r"^UPDATE tokens", r"uploads_in_progress"),
    "row": (r"INSERT INTO artifacts", None),
    "charge": (r"^UPDATE tokens", r"INSERT INTO artifacts"),
    "commit": (r"^COMMIT", r"INSERT INTO artifacts"),
}


@pytest.mark.parametrize("action", ["drop_before", "drop_after"])
@pytest.mark.parametrize("statement", sorted(STATEMENTS))
def test_a_lost_statement_leaves_no_trace_or_a_readable_file(servers, objects, mariadb, proxy, statement, action):
    first, second = servers
    scope = unique_scope("fault")
    jti = "j-" + uuid.uuid4().hex
    token = mint(scope, jti=jti, **QUOTA)
    data = f"{statement} {action}\n".encode() * 5000
    pattern, within = STATEMENTS[statement]
    arm(proxy, pattern, action, within=within)
    response = put(first, scope + "lost.txt", data, token)
    proxy.disarm()
    fired = any(sql for _, sql in proxy.fired if re_search(pattern, sql))
    assert fired, f"the fault at {statement} never fired: {response.status_code} {response.text}"
    acknowledged = {}
    if response.status_code < 300:
        acknowledged[scope + "lost.txt"] = data
    else:
        assert response.status_code == 503, response.text
        assert response.headers.get("Retry-After")
    # Whatever the answer was, the state is whole: read back, no dangling row or object.
    check_invariants(servers, objects, mariadb, scope, jti, acknowledged)
    # A retry from the other server stores (or confirms) the file at once.
    retried, waited = retry_until_stored(second, scope + "lost.txt", data, token, 10)
    assert retried.status_code in (200, 201), retried.text
    assert waited < 5
    check_invariants(servers, objects, mariadb, scope, jti, {scope + "lost.txt": data})


def re_search(pattern, text):
    import re
    return re.search(pattern, text, re.IGNORECASE) is not None


def test_a_commit_the_server_applied_but_the_client_never_heard_is_answered_as_stored(servers, objects, mariadb,
                                                                                       proxy):
    first, second = servers
    scope = unique_scope("fault")
    jti = "j-" + uuid.uuid4().hex
    token = mint(scope, jti=jti, **QUOTA)
    data = b"committed while the answer was lost\n" * 2000
    arm(proxy, r"^COMMIT", "stall_after", within=r"INSERT INTO artifacts", stall=5)
    response = put(first, scope + "applied.txt", data, token)
    proxy.disarm()
    # The row was committed: the upload is stored, and its answer says so.
    assert response.status_code == 201, response.text
    check_invariants(servers, objects, mariadb, scope, jti, {scope + "applied.txt": data})


def test_an_identical_retry_confirms_the_object_exists_before_it_says_stored(servers, objects, mariadb):
    first, second = servers
    scope = unique_scope("fault")
    jti = "j-" + uuid.uuid4().hex
    token = mint(scope, jti=jti, **QUOTA)
    data = b"the object went missing\n" * 100
    assert put(first, scope + "gone.txt", data, token).status_code == 201
    container, name = mariadb.query("SELECT container, object FROM artifacts "
                                     f"WHERE path = {sql_bytes(scope + 'gone.txt')}")[0]
    objects.delete_object(container, name)
    response = put(second, scope + "gone.txt", data, token)
    assert response.status_code == 201, response.text
    check_invariants(servers, objects, mariadb, scope, jti, {scope + "gone.txt": data})


def slow_body(data, pieces, pause):
    step = len(data) // pieces + 1
    for offset in range(0, len(data), step):
        yield data[offset:offset + step]
        time.sleep(pause)


def test_uploads_in_flight_when_mariadb_freezes_leave_nothing_behind(servers, objects, mariadb):
    """SIGSTOP while three bodies arrive, SIGCONT 8 s later: each upload is either
    acknowledged and readable, or refused and retried successfully within seconds."""
    first, second = servers
    scope = unique_scope("freeze")
    jti = "j-" + uuid.uuid4().hex
    token = mint(scope, jti=jti, **QUOTA)
    files = {f"{scope}f{i}.txt": f"frozen upload {i}\n".encode() * 30000 for i in range(3)}
    answers = {}

    def upload(path, data, server):
        try:
            answers[path] = requests.put(f"{server.url}/{path}", data=slow_body(data, 10, 0.3),
                                         headers=bearer(token), timeout=60).status_code
        except requests.RequestException as error:
            answers[path] = repr(error)

    threads = [threading.Thread(target=upload, args=(path, data, servers[i % 2]))
               for i, (path, data) in enumerate(files.items())]
    for thread in threads:
        thread.start()
    time.sleep(1.5)
    mariadb.process.send_signal(signal.SIGSTOP)
    try:
        time.sleep(8)
    finally:
        mariadb.process.send_signal(signal.SIGCONT)
    for thread in threads:
        thread.join(90)
    acknowledged = {path: files[path] for path, status in answers.items() if status in (200, 201)}
    # The claims of uploads that failed while the database was frozen could not be ended
    # then: they stay, with their reservations, until their lease runs out.
    check_invariants(servers, objects, mariadb, scope, jti, acknowledged, claims_may_remain=True)
    for i, (path, data) in enumerate(files.items()):
        response, waited = retry_until_stored(servers[(i + 1) % 2], path, data, token, 20)
        assert response.status_code in (200, 201), (path, response.text)
    print("answers during the freeze:", answers)
    check_invariants(servers, objects, mariadb, scope, jti, files)


@pytest.fixture(scope="module")
def direct(workdir, mariadb, swift):
    """One server talking to MariaDB directly (no proxy between)."""
    root = new_dir(workdir, "faults-direct-root")
    body = main_config(workdir, root, storage_config(workdir, mariadb, swift, "ArtifactsStore swift\n"))
    server = start_httpd(workdir, "httpd-faults-direct", body)
    server.body = body
    yield server
    server.stop()


def aborted_clients(mariadb):
    return int(mariadb.root_sql("SHOW GLOBAL STATUS LIKE 'Aborted_clients'")[0][1])


def busy_children(server, scope, token):
    """Opens pooled connections in the children: uploads and reads, a few at once."""
    def work(i):
        put(server, f"{scope}c{i}.txt", b"pooled\n", token)
        requests.get(f"{server.url}/{scope}c{i}.txt", timeout=10)
    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_a_graceful_restart_says_goodbye_to_the_database(direct, mariadb):
    scope = unique_scope("upkeep")
    token = mint(scope)
    busy_children(direct, scope, token)
    before = aborted_clients(mariadb)
    old_children = set(direct.children())
    direct.reconfigure(direct.body)
    assert eventually(lambda: not old_children & set(direct.children()))
    time.sleep(0.5)
    assert aborted_clients(mariadb) == before


def close_wait_to(pids, port):
    """Sockets of `pids` in CLOSE-WAIT towards 127.0.0.1:port."""
    inodes = set()
    for pid in pids:
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            continue
    found = 0
    with open("/proc/net/tcp") as table:
        for line in table.readlines()[1:]:
            fields = line.split()
            remote_port = int(fields[2].split(":")[1], 16)
            if fields[3] == "08" and remote_port == port and fields[9] in inodes:
                found += 1
    return found


def test_connections_the_swift_proxy_closed_are_closed_here_too(direct, swift, mariadb):
    scope = unique_scope("upkeep")
    token = mint(scope)
    busy_children(direct, scope, token)
    swift.stop_server("proxy")
    swift.start_server("proxy")
    # The children's pooled connections to the old proxy: noticed and closed within seconds.
    children = direct.children()
    assert eventually(lambda: close_wait_to(children, swift.proxy_port) == 0, 6), \
        close_wait_to(children, swift.proxy_port)
    assert eventually(lambda: requests.get(f"{direct.url}/{scope}c0.txt").status_code == 200)


def test_the_index_the_manifest_and_serving_name_a_compressed_upload_alike(direct, mariadb):
    """One rule: a file uploaded gzip-compressed is listed as name.gz with its stored size
    (as on disk and in the seal's manifest), and name answers it decoded."""
    import gzip as gzip_module
    import json
    scope = unique_scope("naming")
    token = mint(scope)
    text = b"a compressed log line\n" * 400
    body = gzip_module.compress(text)
    headers = {**bearer(token), "Content-Encoding": "gzip"}
    assert requests.put(f"{direct.url}/{scope}p.txt", data=body, headers=headers).status_code == 201
    index = requests.get(f"{direct.url}/{scope}?format=json").json()["entries"]
    assert [(e["name"], e["size"], e.get("content_encoding"), e["content_type"]) for e in index] == \
        [("p.txt.gz", len(body), "gzip", "text/plain")]
    sealed = requests.post(f"{direct.url}/{scope}?seal", headers=bearer(token))
    assert sealed.status_code == 200, sealed.text
    manifest = json.loads(requests.get(f"{direct.url}/{scope}zuul-manifest.json").content)
    files = {entry["name"]: entry for entry in manifest["tree"]}
    assert set(files) == {"p.txt.gz"} and files["p.txt.gz"]["size"] == len(body)
    assert requests.get(f"{direct.url}/{scope}p.txt", headers={"Accept-Encoding": "identity"}).content == text
    by_name = requests.get(f"{direct.url}/{scope}p.txt.gz", headers={"Accept-Encoding": "gzip"}, stream=True)
    assert by_name.raw.read() == body


@pytest.mark.parametrize("action", ["drop_before", "drop_after"])
def test_an_archive_and_a_seal_whose_commit_is_lost(servers, objects, mariadb, proxy, action):
    first, second = servers
    scope = unique_scope("fault")
    jti = "j-" + uuid.uuid4().hex
    token = mint(scope, jti=jti, **QUOTA)
    members = {f"logs/m{i}.txt": f"member {i}\n".encode() * 100 for i in range(5)}
    stored = {scope + name: data for name, data in members.items()}
    arm(proxy, r"^COMMIT", action, within=r"INSERT INTO artifacts")
    archive = tar_of(members, compression="")
    response = requests.post(f"{first.url}/{scope}?extract", data=archive, headers=bearer(token), timeout=30)
    proxy.disarm()
    assert response.status_code in ((201,) if action == "drop_after" else (503,)), response.text
    check_invariants(servers, objects, mariadb, scope, jti, stored if response.status_code == 201 else {})
    retried = requests.post(f"{second.url}/{scope}?extract", data=archive, headers=bearer(token), timeout=30)
    assert retried.status_code in (200, 201), retried.text
    arm(proxy, r"^COMMIT", action, within=r"INSERT INTO artifacts")
    sealed = requests.post(f"{first.url}/{scope}?seal", headers=bearer(token), timeout=30)
    proxy.disarm()
    if action == "drop_after":
        assert sealed.status_code == 200, sealed.text
    else:
        assert sealed.status_code == 503, sealed.text
        sealed = requests.post(f"{second.url}/{scope}?seal", headers=bearer(token), timeout=30)
        assert sealed.status_code == 200, sealed.text
    manifest = requests.get(f"{second.url}/{scope}zuul-manifest.json", timeout=10)
    assert manifest.status_code == 200
    stored[scope + "zuul-manifest.json"] = manifest.content
    check_invariants(servers, objects, mariadb, scope, jti, stored)
