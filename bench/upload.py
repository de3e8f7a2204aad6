"""Driver of bench/upload: one httpd, two URL spaces over directories of the same disk:
/dav (mod_dav + mod_dav_fs, `Dav On`) and /art (mod_artifacts with a token). wrk sends
PUTs of a fixed body to fresh names; each round deletes what the previous one stored."""
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts"))
import artifacts_token  # noqa: E402
from scripts.services.httpd import Httpd, make_accessible  # noqa: E402

SECRET = b"benchmark-secret-0123456789abcdef"

CONFIG = """
LoadModule dav_module {modules}/mod_dav.so
LoadModule dav_fs_module {modules}/mod_dav_fs.so
DavLockDB "{workdir}/davlock"
LimitRequestBody 0
<Directory "{root}">
    Require all granted
</Directory>
Alias "/dav" "{root}/dav"
<Location "/dav">
    Dav On
</Location>
ArtifactsRoot "{root}/art"
ArtifactsStateDir "{workdir}/state"
ArtifactsTokenKey bench "{workdir}/bench.key"
ArtifactsKind logs "*.txt" "*.bin"
ArtifactsMaxFileSize 2G
<Location "/art">
    ArtifactsEngine On
</Location>
"""

# One wrk thread numbers its requests; every thread has a prefix of its own.
LUA = """
local counter = 0
local threads = 0
function setup(thread)
    threads = threads + 1
    thread:set("prefix", "t" .. threads)
end
function init(args)
    wrk.method = "PUT"
    wrk.body = string.rep("x", {size})
    {header}
end
function request()
    counter = counter + 1
    return wrk.format(nil, "{base}" .. prefix .. "-" .. counter .. ".bin")
end
"""


def wrk(server, base, size, seconds, connections, header, workdir):
    script = os.path.join(workdir, "put.lua")
    with open(script, "w") as out:
        out.write(LUA.format(size=size, base=base, header=header))
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", script, server.url + base]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{base}: {errors.group(1)} error responses\n{out}")
    return rate


def empty(directory):
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)
    make_accessible(directory)


def curl_put(url, path, headers=()):
    command = ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{time_total}", "-T", path, url]
    for header in headers:
        command[1:1] = ["-H", header]
    status, seconds = subprocess.run(command, capture_output=True, text=True, check=True).stdout.split()
    if status not in ("200", "201", "204"):
        raise RuntimeError(f"{url}: HTTP {status}")
    return float(seconds)


def main():
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    connections = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    workdir = tempfile.mkdtemp(prefix="mod_artifacts-bench-upload-", dir=os.environ.get("BENCH_DIR", "/var/tmp"))
    make_accessible(workdir)
    root = os.path.join(workdir, "tree")
    for side in ("dav", "art"):
        os.makedirs(os.path.join(root, side))
    for directory, _, _ in os.walk(root):
        make_accessible(directory)
    with open(os.path.join(workdir, "bench.key"), "wb") as key:
        key.write(SECRET)
    token = artifacts_token.mint(SECRET, "bench", "up/", ["logs"], ttl=3 * 3600)
    server = Httpd(workdir, root, extra_modules=())
    server.write_config(CONFIG.format(root=root, workdir=workdir, modules="/usr/lib/apache2/modules"))
    server.start()
    try:
        print(f"bench/upload: wrk -t2 -c{connections} -d{seconds}s PUTs to fresh names, median of {rounds} "
              f"alternating rounds per case; files on {root}")
        # The 1 GiB upload first, while the children's high-water mark is still low.
        big = os.path.join(workdir, "1g.bin")
        with open(big, "wb") as out:
            block = os.urandom(1 << 20)
            for _ in range(1024):
                out.write(block)
        curl_put(server.url + "/art/up/warm.bin", os.path.join(workdir, "bench.key"),
                 [f"Authorization: Bearer {token}"])
        before = server.peak_rss_kib()
        art_seconds = curl_put(server.url + "/art/up/1g.bin", big, [f"Authorization: Bearer {token}"])
        after_art = server.peak_rss_kib()
        dav_seconds = curl_put(server.url + "/dav/1g.bin", big)
        os.unlink(big)
        empty(os.path.join(root, "art", "up"))
        empty(os.path.join(root, "dav"))
        print(f"1 GiB PUT with curl: mod_dav {1024 / dav_seconds:.0f} MB/s, ours {1024 / art_seconds:.0f} MB/s; "
              f"children's peak RSS {before / 1024:.1f} MB before, {after_art / 1024:.1f} MB after ours "
              f"(+{(after_art - before) / 1024:.1f} MB)")
        cases = [("1 MiB files", 1 << 20), ("64 MiB files", 64 << 20), ("4 KiB files", 4096)]
        print(f"{'case':16} {'mod_dav req/s':>14} {'ours req/s':>11} {'mod_dav MB/s':>13} {'ours MB/s':>10} "
              f"{'ours/dav':>9} {'peak RSS':>9}")
        header = f'wrk.headers["Authorization"] = "Bearer {token}"'
        for label, size in cases:
            wrk(server, "/dav/", size, 1, connections, "", workdir)
            wrk(server, "/art/up/", size, 1, connections, header, workdir)
            dav_runs, art_runs = [], []
            for _ in range(rounds):
                empty(os.path.join(root, "dav"))
                dav_runs.append(wrk(server, "/dav/", size, seconds, connections, "", workdir))
                empty(os.path.join(root, "art", "up"))
                art_runs.append(wrk(server, "/art/up/", size, seconds, connections, header, workdir))
            dav_rate, art_rate = statistics.median(dav_runs), statistics.median(art_runs)
            megabytes = size / (1 << 20)
            print(f"{label:16} {dav_rate:14.0f} {art_rate:11.0f} {dav_rate * megabytes:13.1f} "
                  f"{art_rate * megabytes:10.1f} {art_rate / dav_rate:9.2f} {server.peak_rss_kib() / 1024:7.1f}MB",
                  flush=True)
        print("ours: token verified, ledger charged under its lock, file and directory fsync'ed, published by rename;"
              " mod_dav_fs: no fsync")
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
