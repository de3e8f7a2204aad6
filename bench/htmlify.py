"""Driver of bench/htmlify: one httpd; /art/plain/big.txt is a plain log, /art/gz/big.txt
exists only as big.txt.gz. Each case is fetched whole with curl, raw, as a page and as
?format=ndjson, in alternating rounds; throughput is MB of uncompressed log per second."""
import os
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
<Directory "{root}">
    Require all granted
</Directory>
ArtifactsRoot "{root}"
<Location "/art">
    ArtifactsEngine On
    ArtifactsHtmlify "*.txt" "*.txt.gz"
</Location>
"""
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
ENGINE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "build", "bench", "htmlify-engine")


def fetch(url, accept, encoding="identity"):
    """Seconds and bytes on the wire of one whole GET (curl discards the body undecoded)."""
    out = subprocess.run(["curl", "-sf", "-o", "/dev/null", "-w", "%{time_total} %{size_download}",
                          "-H", f"Accept: {accept}", "-H", f"Accept-Encoding: {encoding}", url],
                         capture_output=True, text=True, check=True).stdout
    seconds, size = out.split()
    return float(seconds), int(size)


def main():
    size_mb = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    workdir = tempfile.mkdtemp(prefix="mod_artifacts-bench-")
    make_accessible(workdir)
    root = os.path.join(workdir, "tree")
    for directory in ("plain", "gz"):
        os.makedirs(os.path.join(root, directory))
    log_path = os.path.join(root, "plain", "big.txt")
    with open(log_path, "wb") as out:
        make_logs.stream(size_mb * 1000 * 1000, out)
    with open(log_path, "rb") as source, open(os.path.join(root, "gz", "big.txt.gz"), "wb") as packed:
        subprocess.run(["gzip", "-6", "-c"], stdin=source, stdout=packed, check=True)
    for directory, _, _ in os.walk(root):
        os.chmod(directory, 0o755)
    log_mb = os.path.getsize(log_path) / 1e6
    server = Httpd(workdir, root)
    server.write_config(CONFIG.format(root=root))
    server.start()
    try:
        print(f"bench/htmlify: {log_mb:.0f} MB generated log (tests/data/make_logs.py), one GET at a time with curl, "
              f"median of {rounds} alternating rounds, httpd {server.url} (mpm_event)")
        print(f"{'source':8} {'raw MB/s':>9} {'page MB/s':>10} {'page/raw':>9} {'page size':>10} "
              f"{'gz page MB/s':>13} {'gz page size':>13} {'ndjson MB/s':>12} {'ndjson/page':>12} {'peak RSS':>9}")
        for label, path in (("plain", "/art/plain/big.txt"), ("gzip", "/art/gz/big.txt")):
            url = server.url + path
            fetch(url, "*/*")  # page cache and workers warm
            raw_runs, page_runs, gz_runs, ndjson_runs = [], [], [], []
            page_bytes = gz_bytes = 0
            for _ in range(rounds):
                raw_runs.append(fetch(url, "*/*")[0])
                seconds, page_bytes = fetch(url, BROWSER)
                page_runs.append(seconds)
                seconds, gz_bytes = fetch(url, BROWSER, "gzip")
                gz_runs.append(seconds)
                ndjson_runs.append(fetch(url + "?format=ndjson", "*/*")[0])
            raw_rate = log_mb / statistics.median(raw_runs)
            page_rate = log_mb / statistics.median(page_runs)
            gz_rate = log_mb / statistics.median(gz_runs)
            ndjson_rate = log_mb / statistics.median(ndjson_runs)
            print(f"{label:8} {raw_rate:9.0f} {page_rate:10.0f} {page_rate / raw_rate:9.2f} "
                  f"{page_bytes / 1e6 / log_mb:9.2f}x {gz_rate:13.0f} {gz_bytes / 1e6 / log_mb:12.3f}x "
                  f"{ndjson_rate:12.0f} {ndjson_rate / page_rate:12.2f} "
                  f"{server.peak_rss_kib() / 1024:7.1f}MB", flush=True)
        print("raw: the core handler's bytes (gzip: decoded by the module's ARTIFACTS_GUNZIP for a client without gzip); "
              "page: HTMLIFY's page; ndjson: ?format=ndjson, uncompressed; gz page: the same for a browser (Accept-Encoding: gzip), "
              "sizes are bytes on the wire per byte of log; MB/s are of log; "
              "peak RSS: largest VmHWM of the httpd children")
    finally:
        server.stop()
    try:
        print(subprocess.run([ENGINE, log_path, str(rounds)], capture_output=True, text=True, check=True).stdout, end="")
        print(subprocess.run([ENGINE, log_path, str(rounds), "level=ERROR"], capture_output=True, text=True,
                             check=True).stdout.replace("engine:", "engine, ?level=ERROR:"), end="")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
