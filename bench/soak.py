"""Driver of bench/soak: two httpd servers sharing one MariaDB and one Swift all-in-one
(ArtifactsStore swift), a mixed load of builds (each mints a token, uploads files to both
servers, reads them and indexes back, seals) and, on a timeline, the faults of production:
mariadbd frozen with SIGSTOP, the Swift proxy killed and started again, a graceful restart
of both servers. Clients retry a 503 (or a connection error) the way CI uploaders do.

Printed at the end: the invariants' verdicts (every acknowledged upload readable byte-exact
from both servers; no catalogue row without its object and no object without its row; no
claim left past its lease; each token's usage equal to its rows), status histograms and
p50/p99 latencies per phase, and the children's RSS over time."""
import collections
import gzip
import hashlib
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import requests

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
sys.path.insert(0, os.path.join(REPO, "scripts"))
from scripts.services.catalogue_import import CONTAINER, sql_bytes, storage_config  # noqa: E402
from scripts.services.httpd import Httpd, make_accessible  # noqa: E402
from scripts.services.mariadb import MariaDB  # noqa: E402
from scripts.services.swift import Swift  # noqa: E402
import artifacts_token  # noqa: E402

KEY = b"soak-secret-0123456789abcdef0123456789"
CONFIG = """
<Directory "{root}">
    Require all granted
</Directory>
ArtifactsRoot "{root}"
ArtifactsStateDir "{state}"
ArtifactsTokenKey soak "{key}"
ArtifactsKind logs "*.txt" "*.log" "*.json" "*.gz"
ArtifactsMaxFileSize 64M
LimitRequestBody 0
<Location "/">
    ArtifactsEngine On
    ArtifactsHtmlify "*.txt" "*.log"
</Location>
{storage}
"""
# A 503 or a broken connection is retried for this long, as an uploader would.
RETRY_SECONDS = 45
LEASE_SECONDS = 15


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.phase = "warm-up"
        self.events = []  # (phase, kind, status, seconds)
        self.acknowledged = {}  # path -> sha256
        self.tokens = set()
        self.gave_up = 0

    def record(self, kind, status, seconds):
        with self.lock:
            self.events.append((self.phase, kind, status, seconds))


def request(recorder, kind, method, url, **kwargs):
    started = time.monotonic()
    try:
        response = requests.request(method, url, timeout=60, **kwargs)
        status = response.status_code
    except requests.RequestException:
        response, status = None, "conn-error"
    recorder.record(kind, status, time.monotonic() - started)
    return response, status


def with_retries(recorder, kind, method, urls, **kwargs):
    """Sends until an answer other than 503 or a broken connection, alternating servers."""
    deadline = time.monotonic() + RETRY_SECONDS
    attempt = 0
    while True:
        response, status = request(recorder, kind, method, urls[attempt % len(urls)], **kwargs)
        attempt += 1
        if status not in (503, "conn-error") or time.monotonic() > deadline:
            return response, status
        time.sleep(1)


def build_loop(recorder, servers, stop, worker):
    rng = random.Random(worker)
    number = 0
    while not stop.is_set():
        number += 1
        scope = f"soak/w{worker}/b{number}-{rng.randrange(1 << 30):08x}/"
        jti = f"soak-{worker}-{number}-{rng.randrange(1 << 30)}"
        token = artifacts_token.mint(KEY, "soak", scope, ["logs"], jti=jti, max_bytes=200 << 20, max_files=100)
        with recorder.lock:
            recorder.tokens.add(jti)
        headers = {"Authorization": f"Bearer {token}"}
        urls = [s.url for s in servers]
        rng.shuffle(urls)
        stored = []
        for i in range(rng.randrange(5, 15)):
            if stop.is_set():
                break
            name = f"logs/f{i}.txt"
            data = os.urandom(rng.randrange(200, 50_000)).hex().encode()
            extra = {}
            body = data
            if rng.random() < 0.3:
                body, extra = gzip.compress(data, 1), {"Content-Encoding": "gzip"}
            response, status = with_retries(recorder, "upload", "PUT", [f"{u}/{scope}{name}" for u in urls],
                                             data=body, headers={**headers, **extra})
            if status in (200, 201):
                with recorder.lock:
                    recorder.acknowledged[scope + name] = (hashlib.sha256(data).hexdigest(), bool(extra))
                stored.append(name)
            else:
                with recorder.lock:
                    recorder.gave_up += 1
            for _ in range(3):
                if stored:
                    request(recorder, "read", "GET", f"{rng.choice(urls)}/{scope}{rng.choice(stored)}",
                            headers={"Accept-Encoding": "identity"})
            request(recorder, "index", "GET", f"{rng.choice(urls)}/{scope}logs/?format=json")
        if not stop.is_set():
            with_retries(recorder, "seal", "POST", [f"{u}/{scope}?seal" for u in urls], headers=headers)


def children_rss(server):
    total = []
    for pid in server.children():
        try:
            with open(f"/proc/{pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total.append(int(line.split()[1]) // 1024)
        except OSError:
            pass
    return total


def freeze_mariadb(mariadb, seconds):
    mariadb.process.send_signal(signal.SIGSTOP)
    time.sleep(seconds)
    mariadb.process.send_signal(signal.SIGCONT)


def kill_swift_proxy(swift, seconds):
    process = swift.processes.pop("proxy")
    process.kill()
    process.wait()
    time.sleep(seconds)
    swift.start_server("proxy")


def graceful(servers):
    for server in servers:
        server.process.send_signal(signal.SIGUSR1)


def objects_below(connection, prefix):
    found = set()
    for container in (CONTAINER, CONTAINER + "-overwrites"):
        try:
            _, listing = connection.get_container(container, prefix=prefix, full_listing=True)
        except Exception as error:  # noqa: BLE001 - a container that does not exist holds nothing
            if getattr(error, "http_status", None) == 404:
                continue
            raise
        found.update((container, entry["name"]) for entry in listing)
    return found


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def check(recorder, servers, mariadb, swift):
    verdicts = []
    lost = 0
    for path, (sha256, compressed) in sorted(recorder.acknowledged.items()):
        for server in servers:
            response = requests.get(f"{server.url}/{path}", headers={"Accept-Encoding": "identity"}, timeout=30)
            if response.status_code != 200 or hashlib.sha256(response.content).hexdigest() != sha256:
                lost += 1
    verdicts.append(("acknowledged uploads read back byte-exact from both servers",
                     f"{len(recorder.acknowledged)} files x 2 servers, {lost} lost", lost == 0))
    rows = mariadb.query("SELECT path, container, object, size, jti FROM artifacts "
                         "WHERE path LIKE 'soak/%' AND is_directory = 0")
    named = {(container, name) for _, container, name, _, _ in rows}
    stored = objects_below(swift.connection(), "soak/")
    dangling, orphans = named - stored, stored - named
    verdicts.append(("catalogue rows whose object is missing", f"{len(dangling)} of {len(named)}", not dangling))
    verdicts.append(("objects no row names", f"{len(orphans)} of {len(stored)}", not orphans))
    stuck = mariadb.query("SELECT COUNT(*) FROM uploads_in_progress WHERE lease_until < UNIX_TIMESTAMP()")[0][0]
    left = mariadb.query("SELECT COUNT(*) FROM uploads_in_progress")[0][0]
    verdicts.append(("claims past their lease", f"{stuck} ({left} claims left)", stuck == "0"))
    charged = collections.defaultdict(lambda: [0, 0])
    for path, _, _, size, jti in rows:
        if not path.endswith("/zuul-manifest.json"):
            charged[jti][0] += int(size)
            charged[jti][1] += 1
    reserved = collections.defaultdict(lambda: [0, 0])
    for jti, reserved_bytes, reserved_files in mariadb.query(
            "SELECT jti, SUM(reserved_bytes), SUM(reserved_files) FROM uploads_in_progress GROUP BY jti"):
        reserved[jti] = [int(reserved_bytes), int(reserved_files)]
    usage = {jti: [int(b), int(f)] for jti, b, f in mariadb.query(
        "SELECT jti, bytes_used, files_used FROM tokens WHERE jti LIKE 'soak-%'")}
    wrong = [jti for jti in recorder.tokens
             if usage.get(jti, [0, 0]) != [charged[jti][0] + reserved[jti][0], charged[jti][1] + reserved[jti][1]]]
    verdicts.append(("tokens whose usage is not their rows plus live reservations",
                     f"{len(wrong)} of {len(recorder.tokens)}", not wrong))
    return verdicts


def main():
    duration = int(sys.argv[1]) if len(sys.argv) > 1 else 150
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    workdir = tempfile.mkdtemp(prefix="mod_artifacts-bench-soak-")
    make_accessible(workdir)
    services, servers = [], []
    try:
        for name in ("mariadb", "swift", "a", "b", "root-a", "root-b", "state-a", "state-b"):
            os.makedirs(os.path.join(workdir, name))
            make_accessible(os.path.join(workdir, name))
        mariadb = MariaDB(os.path.join(workdir, "mariadb"))
        mariadb.start()
        services.append(mariadb)
        swift = Swift(os.path.join(workdir, "swift"))
        swift.start()
        services.append(swift)
        key = os.path.join(workdir, "soak.key")
        with open(key, "wb") as key_file:
            key_file.write(KEY + b"\n")
        os.chmod(key, 0o644)
        for name in ("a", "b"):
            server = Httpd(os.path.join(workdir, name), os.path.join(workdir, "root-" + name))
            server.write_config(CONFIG.format(
                root=os.path.join(workdir, "root-" + name), state=os.path.join(workdir, "state-" + name), key=key,
                storage=storage_config(workdir, mariadb, swift, "ArtifactsStore swift\n")))
            server.start()
            servers.append(server)
        recorder = Recorder()
        stop = threading.Event()
        threads = [threading.Thread(target=build_loop, args=(recorder, servers, stop, w), daemon=True)
                   for w in range(workers)]
        # The faults, as fractions of the run: (start, name, action).
        timeline = [(0.15, "mariadb-freeze-15s", lambda: freeze_mariadb(mariadb, 15)),
                    (0.45, "swift-proxy-killed-5s", lambda: kill_swift_proxy(swift, 5)),
                    (0.70, "graceful-restart", lambda: graceful(servers))]
        rss = []
        aborted = []  # (phase, MariaDB's Aborted_clients when it began)

        def mark(phase):
            recorder.phase = phase
            aborted.append((phase, int(mariadb.root_sql("SHOW GLOBAL STATUS LIKE 'Aborted_clients'")[0][1])))
        mark("warm-up")
        started = time.monotonic()
        for thread in threads:
            thread.start()
        next_fault = 0
        while time.monotonic() - started < duration:
            elapsed = time.monotonic() - started
            if next_fault < len(timeline) and elapsed >= timeline[next_fault][0] * duration:
                _, name, action = timeline[next_fault]
                mark(name)
                action()
                mark(f"after {name}")
                next_fault += 1
            if not rss or elapsed - rss[-1][0] >= 10:
                rss.append((elapsed, [children_rss(server) for server in servers]))
            time.sleep(0.5)
        mark("draining")
        stop.set()
        for thread in threads:
            thread.join(RETRY_SECONDS + 70)
        took = time.monotonic() - started
        rss.append((took, [children_rss(server) for server in servers]))
        # Claims of uploads that failed while the database was away end with their lease.
        time.sleep(LEASE_SECONDS + 2)
        verdicts = check(recorder, servers, mariadb, swift)
        mark("end")
        aborted_in = {phase: after - before for (phase, before), (_, after) in zip(aborted, aborted[1:])}

        print(f"\nbench/soak: {duration} s of load, {workers} clients, two servers, MariaDB + Swift all-in-one;"
              f" {len(recorder.events)} requests, {len(recorder.acknowledged)} uploads acknowledged,"
              f" {recorder.gave_up} given up after {RETRY_SECONDS} s of retries\n")
        print("invariants")
        for name, figure, good in verdicts:
            print(f"  {'PASS' if good else 'FAIL'}  {name}: {figure}")
        print("  info  connections MariaDB counted as aborted, per phase: " +
              ", ".join(f"{phase} {count}" for phase, count in aborted_in.items()))
        print("\nper phase: statuses, and latency p50 / p99 in ms")
        phases = list(dict.fromkeys(phase for phase, *_ in recorder.events))
        for phase in phases:
            events = [e for e in recorder.events if e[0] == phase]
            statuses = collections.Counter(str(status) for _, _, status, _ in events)
            print(f"  {phase:28} {len(events):6} requests  " +
                  " ".join(f"{status}:{count}" for status, count in sorted(statuses.items())))
            for kind in ("upload", "read", "index", "seal"):
                times = [seconds * 1000 for _, k, _, seconds in events if k == kind]
                if times:
                    print(f"      {kind:8} {len(times):6}  p50 {statistics.median(times):8.1f}"
                          f"  p99 {percentile(times, 0.99):8.1f}")
        print("\nchildren's RSS in MiB (server a | server b)")
        for elapsed, sizes in rss:
            print(f"  t={elapsed:6.0f} s   a: {sizes[0]}   b: {sizes[1]}")
        return 0 if all(good for _, _, good in verdicts) else 1
    finally:
        for server in servers:
            server.stop()
        for service in reversed(services):
            service.stop()
        if os.environ.get("KEEP_BENCH_DIR") != "1":
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
