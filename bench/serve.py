"""Driver of bench/serve: one httpd, three URL spaces over the same directory:
/plain (Alias, core handler, mod_autoindex), /inflate (the same, with mod_deflate's INFLATE
on .gz files) and /art (mod_artifacts)."""
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "data"))
from scripts.services.httpd import Httpd, make_accessible  # noqa: E402
import make_logs  # noqa: E402

CONFIG = """
LoadModule autoindex_module {modules}/mod_autoindex.so
LoadModule deflate_module {modules}/mod_deflate.so
<Directory "{root}">
    Require all granted
    Options +Indexes
</Directory>
IndexOptions FancyIndexing HTMLTable VersionSort NameWidth=* Charset=UTF-8
Alias "/plain" "{root}"
Alias "/inflate" "{root}"
<Location "/inflate">
    # Apache's own way to decode a .gz for a client without gzip; its ratio limit is
    # raised so that it finishes.
    AddEncoding gzip .gz
    SetOutputFilter INFLATE
    DeflateInflateRatioLimit 1000000
    DeflateInflateRatioBurst 1000000
</Location>
ArtifactsRoot "{root}"
<Location "/art">
    ArtifactsEngine On
</Location>
"""


def wrk(url, seconds, connections, headers=()):
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for header in headers:
        command += ["-H", header]
    out = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} error responses")
    return rate


def fetch(url):
    """Seconds and decoded bytes of one whole GET by a client without gzip (curl)."""
    out = subprocess.run(["curl", "-sS", "--fail", "-o", "/dev/null", "-w", "%{time_total} %{size_download}",
                          "-H", "Accept-Encoding: identity", url], capture_output=True, text=True, check=True).stdout
    seconds, size = out.split()
    return float(seconds), int(size)


def decoding(server, log_bytes, rounds):
    """A .gz log fetched whole by a client without gzip: the module's decoding (foo.txt from
    foo.txt.gz) vs mod_deflate's INFLATE on the same file."""
    print(f"{'decoded for curl (MB/s of log)':34} {'INFLATE':>13} {'ours':>12} {'ours/apache':>12} {'peak RSS':>9}")
    ours_url, apache_url = server.url + "/art/gz/big.txt", server.url + "/inflate/gz/big.txt.gz"
    for url in (apache_url, ours_url):
        seconds, size = fetch(url)
        if size != log_bytes:
            raise RuntimeError(f"{url}: {size} bytes decoded, expected {log_bytes}")
    apache_runs, ours_runs = [], []
    for _ in range(rounds):
        apache_runs.append(fetch(apache_url)[0])
        ours_runs.append(fetch(ours_url)[0])
    apache_rate = log_bytes / 1e6 / statistics.median(apache_runs)
    ours_rate = log_bytes / 1e6 / statistics.median(ours_runs)
    print(f"{'.gz of a ' + str(round(log_bytes / 1e6)) + ' MB log':34} {apache_rate:13.0f} {ours_rate:12.0f} "
          f"{ours_rate / apache_rate:12.2f} {server.peak_rss_kib() / 1024:7.1f}MB", flush=True)


def main():
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    connections = int(sys.argv[2]) if len(sys.argv) > 2 else 16
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    log_mb = int(sys.argv[4]) if len(sys.argv) > 4 else 100
    workdir = tempfile.mkdtemp(prefix="mod_artifacts-bench-")
    make_accessible(workdir)
    root = os.path.join(workdir, "tree")
    os.makedirs(os.path.join(root, "files"))
    os.makedirs(os.path.join(root, "dir2000"))
    with open(os.path.join(root, "files", "4k.bin"), "wb") as out:
        out.write(os.urandom(4096))
    with open(os.path.join(root, "files", "1m.bin"), "wb") as out:
        out.write(os.urandom(1 << 20))
    for number in range(2000):
        with open(os.path.join(root, "dir2000", f"job-output-{number:04d}.txt"), "w") as out:
            out.write("x" * (number * 37 % 5000))
    os.makedirs(os.path.join(root, "gz"))
    log_path = os.path.join(workdir, "big.txt")
    with open(log_path, "wb") as out:
        make_logs.stream(log_mb * 1000 * 1000, out)
    with open(log_path, "rb") as source, open(os.path.join(root, "gz", "big.txt.gz"), "wb") as packed:
        subprocess.run(["gzip", "-6", "-c"], stdin=source, stdout=packed, check=True)
    log_bytes = os.path.getsize(log_path)
    os.unlink(log_path)
    for directory, _, _ in os.walk(root):
        os.chmod(directory, 0o755)
    server = Httpd(workdir, root)
    server.write_config(CONFIG.format(root=root, modules="/usr/lib/apache2/modules"))
    server.start()
    try:
        cases = [
            ("4 KiB file", "/plain/files/4k.bin", "/art/files/4k.bin", ()),
            ("1 MiB file", "/plain/files/1m.bin", "/art/files/1m.bin", ()),
            ("2,000-entry index, HTML", "/plain/dir2000/", "/art/dir2000/", ()),
            ("2,000-entry index, JSON (ours)", "/plain/dir2000/", "/art/dir2000/?format=json", ()),
        ]
        print(f"bench/serve: wrk -t2 -c{connections} -d{seconds}s, median of {rounds} alternating rounds per case, "
              f"httpd {server.url} (mpm_event)")
        print(f"{'case':34} {'apache req/s':>13} {'ours req/s':>12} {'ours/apache':>12} {'peak RSS':>9}")
        for label, plain, ours, headers in cases:
            # Warm both paths (page cache, worker threads) before measuring.
            wrk(server.url + plain, 1, connections, headers)
            wrk(server.url + ours, 1, connections, headers)
            # Alternate the two, several rounds, and compare medians: this machine's
            # throughput drifts by more than the differences being measured.
            apache_runs, ours_runs = [], []
            for _ in range(rounds):
                apache_runs.append(wrk(server.url + plain, seconds, connections, headers))
                ours_runs.append(wrk(server.url + ours, seconds, connections, headers))
            apache_rate, ours_rate = statistics.median(apache_runs), statistics.median(ours_runs)
            rss = server.peak_rss_kib() / 1024
            print(f"{label:34} {apache_rate:13.0f} {ours_rate:12.0f} {ours_rate / apache_rate:12.2f} {rss:7.1f}MB",
                  flush=True)
        decoding(server, log_bytes, rounds)
        print("peak RSS: the largest VmHWM of the httpd children so far (one httpd serves both sides)")
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
