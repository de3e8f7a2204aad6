"""ArtifactsNotify against a real receiver (an HTTP server of the test's own on 127.0.0.1):
events after commit are signed, carry an idempotency key, and arrive at least once through a
receiver that is down, answers 500, is too slow, and then recovers, and through a graceful
restart of httpd; no upload waits for the receiver meanwhile."""
import fcntl
import hashlib
import hmac
import http.server
import json
import os
import signal
import statistics
import threading
import time

import pytest
import requests

from conftest import eventually, main_config, mint, new_dir
from scripts.services.ports import free_port
from storage_helpers import start_httpd
from upload_helpers import bearer, tar_of, unique_scope

KEY = b"notify-key-0123456789abcdef"


class Receiver:
    """A webhook receiver whose behaviour the test sets: "ok", "error" (500) or "slow"
    (answers after 15 s, longer than the sender waits). Down is simply not started."""

    def __init__(self, port):
        self.port = port
        self.mode = "ok"
        self.received = []  # (headers, body) of every request answered 2xx
        self.paths = []     # the path of every request
        self.attempts = 0
        self.server = None
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.attempts += 1
                receiver.paths.append(self.path)
                if receiver.mode == "slow":
                    time.sleep(15)
                    return
                if receiver.mode == "error":
                    self.send_response(500)
                    self.end_headers()
                    return
                receiver.received.append((dict(self.headers), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.handler = Handler

    def start(self):
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), self.handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def events(self):
        """Every delivered event whose signature is right: id to event."""
        delivered = {}
        for headers, body in self.received:
            expected = "sha256=" + hmac.new(KEY, body, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(headers["X-Artifacts-Signature"], expected):
                continue  # what a receiver does with a forgery
            event = json.loads(body)
            assert headers["X-Artifacts-Event-Id"] == event["id"]
            assert headers["X-Artifacts-Event"] == event["event"]
            delivered[event["id"]] = event
        return delivered


@pytest.fixture(scope="module")
def receiver():
    receiver = Receiver(free_port())
    yield receiver
    receiver.stop()


@pytest.fixture(scope="module")
def notifying(workdir, artifact_root, receiver):
    key_file = os.path.join(new_dir(workdir, "notify-keys"), "hook.key")
    with open(key_file, "wb") as out:
        out.write(KEY + b"\n")
    config = main_config(workdir, artifact_root).replace(
        f'ArtifactsStateDir "{os.path.join(workdir, "state")}"',
        f'ArtifactsStateDir "{new_dir(workdir, "notify-state")}"')
    config += f'ArtifactsNotify http://127.0.0.1:{receiver.port}/hook seal file "key-file={key_file}"\n'
    server = start_httpd(workdir, "httpd-notify", config)
    server.body = config
    yield server
    server.stop()


def upload_scope(server, files=10):
    """A scope of `files` logs, sealed; the seconds each upload took."""
    scope = unique_scope("events")
    token = mint(scope)
    took = []
    for number in range(files):
        started = time.monotonic()
        put = requests.put(f"{server.url}/{scope}log-{number}.txt", headers=bearer(token), timeout=30,
                           data=b"2026-11-25 21:50:01.123 1 ERROR x [-] boom\n" * (number + 1))
        took.append(time.monotonic() - started)
        assert put.status_code == 201, put.text
    started = time.monotonic()
    assert requests.post(f"{server.url}/{scope}?seal", headers=bearer(token), timeout=30).status_code == 200
    took.append(time.monotonic() - started)
    return scope, took


def p99(samples):
    return sorted(samples)[max(0, int(len(samples) * 0.99) - 1)]


def test_every_event_arrives_through_a_receiver_down_failing_slow_and_back(notifying, httpd, receiver):
    # Down: uploads go on as fast as without a receiver at all.
    scopes = []
    dead = []
    for _ in range(4):
        scope, took = upload_scope(notifying)
        scopes.append(scope)
        dead.extend(took)
    without = []
    for _ in range(4):
        without.extend(upload_scope(httpd)[1])
    print(f"\nupload latency, receiver dead: p50 {statistics.median(dead) * 1000:.1f} ms, "
          f"p99 {p99(dead) * 1000:.1f} ms; no ArtifactsNotify: p50 {statistics.median(without) * 1000:.1f} ms, "
          f"p99 {p99(without) * 1000:.1f} ms ({len(dead)} requests each)")
    assert max(dead) < 5, "an upload waited for the dead receiver"
    # Failing, then too slow, then back.
    receiver.mode = "error"
    receiver.start()
    assert eventually(lambda: receiver.attempts >= 3, seconds=30)
    receiver.mode = "slow"
    attempts = receiver.attempts
    assert eventually(lambda: receiver.attempts > attempts, seconds=60)
    receiver.mode = "ok"
    expected = {(scope, kind) for scope in scopes for kind in ["seal"] + [f"log-{n}.txt" for n in range(10)]}

    def arrived():
        return {(event["scope"], event["event"] if event["event"] == "seal" else event["path"][len(event["scope"]):])
                for event in receiver.events().values()}
    assert eventually(lambda: expected <= arrived(), seconds=120), sorted(expected - arrived())[:5]
    events = receiver.events()
    seal = next(event for event in events.values() if event["event"] == "seal" and event["scope"] == scopes[0])
    assert seal["files"] == 10 and seal["url"].endswith("/" + scopes[0])  # the manifest is not charged
    assert seal["summary"]["logs"] == 10 and seal["summary"]["failing"] == 10
    assert seal["summary"]["levels"] == {"ERROR": 55}
    one = next(event for event in events.values() if event.get("path") == scopes[0] + "log-2.txt")
    assert one["bytes"] == 3 * 43 and one["summary"]["first_error"] == 1 and one["jti"]
    assert notifying.log_since(0).count("ARTF0603") > 0  # the failed attempts were logged


def test_the_outbox_survives_a_graceful_restart(notifying, receiver, workdir, artifact_root):
    receiver.stop()
    scope, _ = upload_scope(notifying, files=2)
    notifying.reconfigure(notifying.body)
    receiver.mode = "ok"
    receiver.start()
    assert eventually(lambda: any(event["event"] == "seal" and event["scope"] == scope
                                  for event in receiver.events().values()), seconds=60)


def test_records_forged_into_the_outbox_are_neither_believed_nor_sent_elsewhere(notifying, receiver, workdir):
    """Code running as the httpd user can write into the outbox, but cannot sign: the
    signature is made by the child that committed, which holds the key. And the delivery
    process sends only to the receivers the configuration names."""
    receiver.mode = "ok"
    if receiver.server is None:
        receiver.start()
    outbox = os.path.join(workdir, "notify-state", "outbox")
    now = int(time.time())
    forged = {"hook": f"http://127.0.0.1:{receiver.port}/hook", "internal": f"http://127.0.0.1:{receiver.port}/admin"}
    for name, url in forged.items():
        body = json.dumps({"event": "seal", "id": "f" * 32, "scope": "forged/"})
        with open(os.path.join(outbox, f"{now:016x}-{name}.event"), "w") as out:
            out.write(f"artifacts-outbox 1\n{'f' * 32} seal sha256={'0' * 64} 0 {now} {now} {url}\n{body}\n")
    offset = notifying.log_size()
    assert eventually(lambda: not any(name.endswith(".event") for name in os.listdir(outbox)), seconds=30)
    assert "/admin" not in receiver.paths
    assert "which ArtifactsNotify no longer names: given up" in notifying.log_since(offset)
    assert not any(event["scope"] == "forged/" for event in receiver.events().values())
    assert any(b'"scope": "forged/"' in body for _, body in receiver.received)  # sent, and refused


def extract_and_seal(server, scope, token):
    """A tar of two logs, extracted into the scope, then the second again with a new one (one
    member stored already, byte for byte), then the seal."""
    first = tar_of({"a/one.txt": b"one\n", "a/two.txt": b"two\n"})
    again = tar_of({"a/two.txt": b"two\n", "b/three.txt": b"three\n"})
    for archive in (first, again):
        response = requests.post(f"{server.url}/{scope}?extract", data=archive, headers=bearer(token), timeout=30)
        assert response.status_code in (200, 201), response.text
    assert requests.post(f"{server.url}/{scope}?seal", headers=bearer(token), timeout=30).status_code == 200


def assert_member_events(events, scope):
    """One file event per member stored, none for the member that was there already."""
    files = sorted((event["path"], event["bytes"], event["sha256"]) for event in events if event["event"] == "file")
    assert files == [(f"{scope}a/one.txt", 4, hashlib.sha256(b"one\n").hexdigest()),
                     (f"{scope}a/two.txt", 4, hashlib.sha256(b"two\n").hexdigest()),
                     (f"{scope}b/three.txt", 6, hashlib.sha256(b"three\n").hexdigest())], files
    seal = next(event for event in events if event["event"] == "seal")
    assert seal["files"] == 3


def test_the_members_of_an_archive_have_file_events(notifying, receiver, workdir):
    receiver.mode = "ok"
    if receiver.server is None:
        receiver.start()
    scope = unique_scope("archive-events")
    extract_and_seal(notifying, scope, mint(scope))

    def of_scope():
        return [event for event in receiver.events().values() if event["scope"] == scope]
    assert eventually(lambda: len(of_scope()) == 4, seconds=30), of_scope()
    assert_member_events(of_scope(), scope)
    outbox = os.path.join(workdir, "notify-state", "outbox")
    assert eventually(lambda: not os.listdir(outbox)), os.listdir(outbox)  # nothing left pending


def holder_of(server, path):
    """The child of `server` that has `path` open."""
    for pid in server.children():
        try:
            if any(os.readlink(f"/proc/{pid}/fd/{fd}") == path for fd in os.listdir(f"/proc/{pid}/fd")):
                return pid
        except OSError:
            continue
    return None


def test_a_crash_between_an_event_and_its_commit_neither_loses_it_nor_sends_one_for_nothing(
        notifying, receiver, workdir):
    """The filesystem store's events are kept pending in the outbox before its commit and
    settled after it. A child killed while its commit waits for the token's ledger leaves a
    pending record and no file: it is removed, nothing is sent. A child that dies after its
    commit, before settling, leaves the same pending record with the file there: it is sent
    (with the event id it had, so a receiver that had it drops the copy)."""
    receiver.mode = "ok"
    if receiver.server is None:
        receiver.start()
    outbox = os.path.join(workdir, "notify-state", "outbox")
    scope = unique_scope("crash")
    jti = os.urandom(16).hex()
    token = mint(scope, jti=jti)
    first = requests.put(f"{notifying.url}/{scope}first.txt", headers=bearer(token), data=b"x\n", timeout=30)
    assert first.status_code == 201, first.text
    ledger = os.path.join(workdir, "notify-state", "ledger", hashlib.sha256(jti.encode()).hexdigest()[:2],
                          hashlib.sha256(jti.encode()).hexdigest())
    assert os.path.exists(ledger)

    def pending():
        return [name for name in os.listdir(outbox) if name.endswith(".pending")]

    def put_held(name):
        """A PUT whose commit waits for the ledger's lock, which the test holds: its pending
        record's name and the thread's result."""
        result = {}

        def put():
            try:
                result["response"] = requests.put(f"{notifying.url}/{scope}{name}", headers=bearer(token),
                                                  data=b"2026-11-25 21:50:01.123 1 ERROR x [-] boom\n", timeout=30)
            except requests.RequestException as error:
                result["error"] = error
        thread = threading.Thread(target=put)
        thread.start()
        assert eventually(lambda: len(pending()) == 1, seconds=10), os.listdir(outbox)
        return pending()[0], thread, result

    def age(name, content=None):
        path = os.path.join(outbox, name)
        if content is not None:
            with open(path, "wb") as out:
                out.write(content)
        old = time.time() - 120
        os.utime(path, (old, old))

    # Killed before its commit.
    offset = notifying.log_size()
    with open(ledger, "rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        name, thread, result = put_held("killed.txt")
        child = holder_of(notifying, ledger)
        assert child is not None
        os.kill(child, signal.SIGKILL)
        thread.join(30)
    assert "error" in result or result["response"].status_code >= 500
    assert requests.get(f"{notifying.url}/{scope}killed.txt", timeout=30).status_code == 404
    assert pending() == [name]
    age(name)
    assert eventually(lambda: not pending(), seconds=30)
    assert eventually(lambda: f"outbox file {name} was left by a request that ended before its commit: removed"
                      in notifying.log_since(offset))

    # Dead after its commit: the pending record as it was, the file stored.
    with open(ledger, "rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        name, thread, result = put_held("committed.txt")
        with open(os.path.join(outbox, name), "rb") as record:
            left = record.read()
    thread.join(30)
    assert result["response"].status_code == 201, result
    path = f"{scope}committed.txt"

    def deliveries():
        return [headers["X-Artifacts-Event-Id"] for headers, body in receiver.received
                if json.loads(body).get("path") == path]
    assert eventually(lambda: len(deliveries()) == 1, seconds=30)
    offset = notifying.log_size()
    age(name, left)
    assert eventually(lambda: len(deliveries()) == 2, seconds=30)
    assert deliveries()[0] == deliveries()[1]
    assert not pending()
    assert eventually(lambda: f"outbox file {name} was left by a request that ended after its commit: sent"
                      in notifying.log_since(offset))
    assert not any(event.get("path") == f"{scope}killed.txt" for event in receiver.events().values())


def test_events_of_the_swift_store_are_committed_in_the_catalogue(workdir, artifact_root, mariadb, swift, receiver):
    """With ArtifactsStore swift the outbox is the catalogue's table, written in the commit's
    own transaction: the state directory's stays empty."""
    from storage_helpers import storage_config
    key_file = os.path.join(workdir, "notify-keys", "hook.key")
    state = new_dir(workdir, "notify-swift-state")
    config = main_config(workdir, artifact_root, storage_config(workdir, mariadb, swift, "ArtifactsStore swift\n"))
    config = config.replace(f'ArtifactsStateDir "{os.path.join(workdir, "state")}"', f'ArtifactsStateDir "{state}"')
    config += f'ArtifactsNotify http://127.0.0.1:{receiver.port}/hook seal file "key-file={key_file}"\n'
    server = start_httpd(workdir, "httpd-notify-swift", config)
    try:
        receiver.stop()
        scope, _ = upload_scope(server, files=3)
        rows = mariadb.root_sql(f"SELECT kind, receiver FROM outbox WHERE body LIKE '%{scope}%'",
                                database=mariadb.database)
        assert sorted(row[0] for row in rows) == ["file", "file", "file", "seal"], rows
        assert not [name for name in os.listdir(os.path.join(state, "outbox")) if name.endswith(".event")]
        receiver.mode = "ok"
        receiver.start()

        def of_scope():
            return [event for event in receiver.events().values() if event["scope"] == scope]
        assert eventually(lambda: len(of_scope()) == 4, seconds=60), of_scope()
        seal = next(event for event in of_scope() if event["event"] == "seal")
        assert seal["files"] == 3 and seal["summary"]["levels"] == {"ERROR": 6}
        files = sorted(event["path"] for event in of_scope() if event["event"] == "file")
        assert files == [f"{scope}log-{n}.txt" for n in range(3)]
        assert eventually(lambda: not mariadb.root_sql(f"SELECT id FROM outbox WHERE body LIKE '%{scope}%'",
                                                       database=mariadb.database))
        archive_scope = unique_scope("archive-events")
        extract_and_seal(server, archive_scope, mint(archive_scope))

        def of_archive():
            return [event for event in receiver.events().values() if event["scope"] == archive_scope]
        assert eventually(lambda: len(of_archive()) == 4, seconds=60), of_archive()
        assert_member_events(of_archive(), archive_scope)
    finally:
        server.stop()
