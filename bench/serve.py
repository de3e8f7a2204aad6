"""Driver of bench/serve: one httpd, two URL spaces over the same directory:
/plain (Alias, core handler, mod_autoindex) and /art (mod_artifacts)."""
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from scripts.services.httpd import Httpd, make_accessible  # noqa: E402

CONFIG = """
LoadModule autoindex_module {modules}/mod_autoindex.so
<Directory "{root}">
    Require all granted
    Options +Indexes
</Directory>
IndexOptions FancyIndexing HTMLTable VersionSort NameWidth=* Charset=UTF-8
Alias "/plain" "{root}"
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


def main():
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    connections = int(sys.argv[2]) if len(sys.argv) > 2 else 16
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
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
        print("peak RSS: the largest VmHWM of the httpd children so far (one httpd serves both sides)")
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
