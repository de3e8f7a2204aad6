"""Driver of bench/swift: a MariaDB server and a Swift all-in-one started as the tests
start them, one httpd with the catalogue and Swift configured (/, mod_artifacts) and an
Alias with mod_autoindex (/plain) over the same 10,000-file tree on disk."""
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from scripts.services.catalogue_import import CONTAINER, Catalogued, storage_config  # noqa: E402
from scripts.services.httpd import Httpd, make_accessible  # noqa: E402
from scripts.services.mariadb import MariaDB  # noqa: E402
from scripts.services.swift import Swift  # noqa: E402

CONFIG = """
LoadModule autoindex_module {modules}/mod_autoindex.so
<Directory "{tree}">
    Require all granted
    Options +Indexes
</Directory>
IndexOptions FancyIndexing HTMLTable VersionSort NameWidth=* Charset=UTF-8
Alias "/plain" "{tree}"
<Directory "{root}">
    Require all granted
</Directory>
ArtifactsRoot "{root}"
<Location "/art">
    ArtifactsEngine On
</Location>
{storage}
"""


def curl(url, headers=()):
    """(seconds to first byte, bytes per second) of one GET, body to /dev/null."""
    command = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{time_starttransfer} %{speed_download}"]
    for header in headers:
        command += ["-H", header]
    status, first_byte, speed = subprocess.run(command + [url], capture_output=True, text=True,
                                               check=True).stdout.split()
    if status != "200":
        raise RuntimeError(f"{url}: HTTP {status}")
    return float(first_byte), float(speed)


def curl_total(url, headers=()):
    command = ["curl", "-s", "-o", "/dev/null", "-w", "%{time_total}"]
    for header in headers:
        command += ["-H", header]
    return float(subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout)


def wrk(url, seconds, connections, headers=()):
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s"]
    for header in headers:
        command += ["-H", header]
    out = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} error responses")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def compare_objects(label, ours_url, direct_url, token, rounds, report):
    auth = (f"X-Auth-Token: {token}",)
    curl(ours_url)
    curl(direct_url, auth)
    ours, direct = [], []
    for _ in range(rounds):  # alternating: this machine's throughput drifts between runs
        direct.append(curl(direct_url, auth))
        ours.append(curl(ours_url))
    ttfb_direct = statistics.median(t for t, _ in direct) * 1000
    ttfb_ours = statistics.median(t for t, _ in ours) * 1000
    speed_direct = statistics.median(s for _, s in direct) / 1e6
    speed_ours = statistics.median(s for _, s in ours) / 1e6
    report(f"{label:28} {speed_direct:10.1f} {speed_ours:10.1f} {speed_ours / speed_direct:8.2f}   "
           f"{ttfb_direct:8.1f} {ttfb_ours:8.1f}")


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    workdir = tempfile.mkdtemp(prefix="mod_artifacts-bench-swift-")
    make_accessible(workdir)
    services = []
    try:
        for name in ("mariadb", "swift", "httpd", "root", "tree"):
            os.makedirs(os.path.join(workdir, name))
            make_accessible(os.path.join(workdir, name))
        mariadb = MariaDB(os.path.join(workdir, "mariadb"))
        mariadb.start()
        services.append(mariadb)
        swift = Swift(os.path.join(workdir, "swift"))
        swift.start()
        services.append(swift)
        catalogued = Catalogued(mariadb, swift)
        print("bench/swift: preparing objects (1 KiB, 1 MiB, 64 MiB, 1 GiB) and a 10,000-entry directory", flush=True)
        catalogued.put("objects/1k.bin", os.urandom(1024), content_type="application/octet-stream")
        catalogued.put("objects/1m.bin", os.urandom(1 << 20), content_type="application/octet-stream")
        catalogued.put_large("objects/64m.bin", 64 << 20)
        catalogued.put_large("objects/1g.bin", 1 << 30)
        tree = os.path.join(workdir, "tree")
        os.makedirs(os.path.join(tree, "dir10000"))
        now = int(time.time())
        rows = []
        for number in range(10000):
            name = f"job-output-{number:05d}.txt"
            size = number * 37 % 5000
            with open(os.path.join(tree, "dir10000", name), "w") as out:
                out.write("x" * size)
            rows.append((f"dir10000/{name}", size, now))
        os.chmod(os.path.join(tree, "dir10000"), 0o755)
        catalogued.add_rows(rows)

        server = Httpd(os.path.join(workdir, "httpd"), os.path.join(workdir, "root"))
        storage = storage_config(workdir, mariadb, swift)
        server.write_config(CONFIG.format(modules="/usr/lib/apache2/modules", tree=tree,
                                          root=os.path.join(workdir, "root"), storage=storage))
        server.start()
        services.append(server)
        token = swift.connection().get_auth()[1]
        direct = f"{swift.storage_url}/{CONTAINER}"

        print(f"\nGET through mod_artifacts (proxy) vs straight from the Swift proxy; median of {rounds} "
              "alternating curl runs")
        print(f"{'object':28} {'Swift MB/s':>10} {'ours MB/s':>10} {'ours/Swift':>8}   "
              f"{'TTFB ms Swift':>8} {'ours':>8}")
        compare_objects("1 MiB", f"{server.url}/art/objects/1m.bin", f"{direct}/objects/1m.bin", token,
                        rounds * 4, print)
        compare_objects("64 MiB", f"{server.url}/art/objects/64m.bin", f"{direct}/objects/64m.bin", token,
                        rounds, print)

        print("\nWhat a request costs: median total time of 40 sequential curl GETs (after 5 to warm up)")
        for label, name in (("1 KiB", "1k.bin"), ("1 MiB", "1m.bin")):
            auth = (f"X-Auth-Token: {token}",)
            for _ in range(5):
                curl(f"{direct}/objects/{name}", auth)
                curl(f"{server.url}/art/objects/{name}")
            swift_times, our_times = [], []
            for _ in range(40):
                swift_times.append(curl_total(f"{direct}/objects/{name}", auth))
                our_times.append(curl_total(f"{server.url}/art/objects/{name}"))
            s_ms, o_ms = statistics.median(swift_times) * 1000, statistics.median(our_times) * 1000
            print(f"{label:28} Swift {s_ms:6.2f} ms   ours {o_ms:6.2f} ms   ours adds {o_ms - s_ms:5.2f} ms "
                  f"(Swift/ours {s_ms / o_ms:.2f})")

        print(f"\n1 MiB object under load: wrk -t2 -c8 -d5s, median of {rounds} alternating rounds")
        wrk(f"{server.url}/art/objects/1m.bin", 1, 8)
        swift_rates, our_rates = [], []
        for _ in range(rounds):
            swift_rates.append(wrk(f"{direct}/objects/1m.bin", 5, 8, (f"X-Auth-Token: {token}",)))
            our_rates.append(wrk(f"{server.url}/art/objects/1m.bin", 5, 8))
        s, o = statistics.median(swift_rates), statistics.median(our_rates)
        print(f"{'1 MiB, 8 connections':28} Swift {s:7.1f} req/s   ours {o:7.1f} req/s   ours/Swift {o / s:.2f}")

        print(f"\n10,000-entry index: catalogue (ours) vs mod_autoindex on the same tree on disk; wrk -t2 -c8 -d5s, "
              f"median of {rounds} rounds")
        plain, ours_html, ours_json = [], [], []
        wrk(f"{server.url}/art/dir10000/", 1, 8)
        for _ in range(rounds):
            plain.append(wrk(f"{server.url}/plain/dir10000/", 5, 8))
            ours_html.append(wrk(f"{server.url}/art/dir10000/", 5, 8))
            ours_json.append(wrk(f"{server.url}/art/dir10000/?format=json", 5, 8))
        p = statistics.median(plain)
        print(f"{'mod_autoindex (disk)':28} {p:8.1f} req/s")
        print(f"{'ours, HTML (catalogue)':28} {statistics.median(ours_html):8.1f} req/s   "
              f"ours/apache {statistics.median(ours_html) / p:.2f}")
        print(f"{'ours, JSON (catalogue)':28} {statistics.median(ours_json):8.1f} req/s   "
              f"ours/apache {statistics.median(ours_json) / p:.2f}")

        print("\nPeak RSS of the httpd children (VmHWM) while 1 GiB streams from Swift through the module")
        before = server.peak_rss_kib()
        started = time.monotonic()
        _, speed = curl(f"{server.url}/art/objects/1g.bin")
        after = server.peak_rss_kib()
        print(f"before {before / 1024:.1f} MiB, after {after / 1024:.1f} MiB (+{(after - before) / 1024:.1f} MiB); "
              f"1 GiB in {time.monotonic() - started:.1f} s ({speed / 1e6:.0f} MB/s)")
    finally:
        for service in reversed(services):
            service.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
