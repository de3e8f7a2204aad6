"""Driver of bench/upload: one httpd, URL spaces over directories of the same disk:
/dav (mod_dav + mod_dav_fs, `Dav On`), /art (mod_artifacts with a token, the default
ArtifactsSync On), /art-nosync (ArtifactsSync Off: no fsync, as mod_dav_fs) and
/art-compress (ArtifactsCompress: stored gzip). wrk sends PUTs of a fixed body to fresh
names; each round starts from an empty directory and a flushed page cache, so one side's
writeback does not slow the other. The "1 MiB logs" case sends a generated CI log
(tests/data/make_logs.py) rather than one repeated byte; at the end a log set (the
generated one and the machine's own /var/log) is uploaded through /art-compress and the
disk it takes is compared with its size; and a 100 MB log is PUT with curl to /art and to
/art-summary (ArtifactsHtmlify: its summary is counted as it arrives), in alternating rounds."""
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "data"))
import artifacts_token  # noqa: E402
import make_logs  # noqa: E402
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
<Location "/art-nosync">
    ArtifactsEngine On
    ArtifactsSync Off
</Location>
<Location "/art-compress">
    ArtifactsEngine On
    ArtifactsCompress "*.bin" "*.txt" "*.log"
</Location>
<Location "/art-summary">
    ArtifactsEngine On
    ArtifactsHtmlify "*.txt"
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
    {body}
    {header}
end
function request()
    counter = counter + 1
    return wrk.format(nil, "{base}" .. prefix .. "-" .. counter .. ".bin")
end
"""


def wrk(server, base, size, seconds, connections, header, workdir, body_file=None):
    script = os.path.join(workdir, "put.lua")
    body = (f'local f = io.open("{body_file}", "rb"); wrk.body = f:read("*a"); f:close()' if body_file
            else f'wrk.body = string.rep("x", {size})')
    with open(script, "w") as out:
        out.write(LUA.format(body=body, base=base, header=header))
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", script, server.url + base]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{base}: {errors.group(1)} error responses\n{out}")
    return rate


def empty(directory):
    """Removes what a run stored; requests wrk left in flight may still be finishing."""
    for _ in range(100):
        shutil.rmtree(directory, ignore_errors=True)
        if not os.path.exists(directory):
            break
        time.sleep(0.1)
    os.makedirs(directory)
    make_accessible(directory)
    os.sync()


def curl_put(url, path, headers=()):
    command = ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{time_total}", "-T", path, url]
    for header in headers:
        command[1:1] = ["-H", header]
    status, seconds = subprocess.run(command, capture_output=True, text=True, check=True).stdout.split()
    if status not in ("200", "201", "204"):
        raise RuntimeError(f"{url}: HTTP {status}")
    return float(seconds)


def one_gigabyte(server, workdir, root, token):
    """PUTs 1 GiB with curl through both handlers; the children's peak RSS around ours."""
    big = os.path.join(workdir, "1g.bin")
    with open(big, "wb") as out:
        block = os.urandom(1 << 20)
        for _ in range(1024):
            out.write(block)
    curl_put(server.url + "/art/up/warm.bin", os.path.join(workdir, "bench.key"), [f"Authorization: Bearer {token}"])
    before = server.peak_rss_kib()
    art_seconds = curl_put(server.url + "/art/up/1g.bin", big, [f"Authorization: Bearer {token}"])
    after_art = server.peak_rss_kib()
    dav_seconds = curl_put(server.url + "/dav/1g.bin", big)
    os.unlink(big)
    empty(os.path.join(root, "art", "up"))
    empty(os.path.join(root, "dav"))
    return (f"1 GiB PUT with curl: mod_dav {1024 / dav_seconds:.0f} MB/s, ours {1024 / art_seconds:.0f} MB/s; "
            f"children's peak RSS {before / 1024:.1f} MB before, {after_art / 1024:.1f} MB after ours "
            f"(+{(after_art - before) / 1024:.1f} MB)")


def disk_saved(server, workdir, root, token):
    """Uploads a log set through /art-compress; its size against the disk its files take."""
    logs = os.path.join(workdir, "logset")
    os.makedirs(logs)
    make_logs.make_set(logs, 4 << 20)
    sources = [os.path.join(logs, name) for name in sorted(os.listdir(logs))]
    for name in sorted(os.listdir("/var/log")):
        path = os.path.join("/var/log", name)
        if os.path.isfile(path) and os.access(path, os.R_OK) and not name.endswith(".gz") and \
                os.path.getsize(path) > 0 and (name.endswith(".log") or "." not in name):
            sources.append(path)
    sent = stored = 0
    for number, path in enumerate(sources):
        url = f"{server.url}/art-compress/up/set/{number}-{os.path.basename(path).replace('.', '_')}.txt"
        curl_put(url, path, [f"Authorization: Bearer {token}"])
        sent += os.path.getsize(path)
    for directory, _, names in os.walk(os.path.join(root, "art", "up", "set")):
        stored += sum(os.stat(os.path.join(directory, name)).st_blocks * 512 for name in names)
    empty(os.path.join(root, "art", "up"))
    return (f"log set of {len(sources)} files, {sent / 1e6:.1f} MB (generated CI logs and this machine's /var/log): "
            f"{stored / 1e6:.1f} MB on disk with ArtifactsCompress, {sent / max(stored, 1):.1f}x smaller, "
            f"{100 * (1 - stored / sent):.0f}% saved")


def summary_cost(server, workdir, root, token, rounds=15):
    """Median seconds of a 100 MB log PUT without and with the summary at ingest, in
    alternating rounds, and the median of each round's difference (the pairs share whatever
    else the machine was doing then)."""
    log = os.path.join(workdir, "log-100m.txt")
    with open(log, "wb") as out:
        make_logs.stream(100 * 1000 * 1000, out)
    runs = {"/art/up/": [], "/art-summary/up/": []}
    for number in range(rounds + 1):  # the first round warms up, unmeasured
        for base, seconds in runs.items():
            empty(os.path.join(root, "art", "up"))
            taken = curl_put(f"{server.url}{base}big-{number}.txt", log, [f"Authorization: Bearer {token}"])
            if number > 0:
                seconds.append(taken)
    plain, summarised = (statistics.median(seconds) for seconds in runs.values())
    difference = statistics.median(b - a for a, b in zip(*runs.values()))
    os.unlink(log)
    empty(os.path.join(root, "art", "up"))
    return (f"100 MB log PUT with curl, median of {rounds}: {plain:.3f} s without a summary, {summarised:.3f} s "
            f"with it (ArtifactsHtmlify), {100 * (summarised / plain - 1):+.1f}%; median difference of a round "
            f"{difference * 1000:+.0f} ms ({100 * difference / plain:+.1f}%)")


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
        if not os.environ.get("BENCH_CASES"):
            print(one_gigabyte(server, workdir, root, token))
        log_body = os.path.join(workdir, "log-1m.txt")
        with open(log_body, "wb") as out:
            make_logs.stream(1 << 20, out)
        cases = [("1 MiB files", 1 << 20, None), ("1 MiB logs", os.path.getsize(log_body), log_body),
                 ("64 MiB files", 64 << 20, None), ("4 KiB files", 4096, None)]
        only = os.environ.get("BENCH_CASES")
        if only:
            cases = [case for case in cases if case[0].split()[0] in only.split(",")]
        print(f"{'case':13} {'mod_dav req/s':>13} {'ours req/s':>10} {'no-sync req/s':>13} {'mod_dav MB/s':>12} "
              f"{'ours MB/s':>9} {'no-sync MB/s':>12} {'ours/dav':>8} {'no-sync/dav':>11} {'compress req/s':>14} "
              f"{'compress/ours':>13} {'peak RSS':>8}")
        header = f'wrk.headers["Authorization"] = "Bearer {token}"'
        sides = [("/dav/", "dav", ""), ("/art/up/", "art/up", header), ("/art-nosync/up/", "art/up", header),
                 ("/art-compress/up/", "art/up", header)]
        for label, size, body_file in cases:
            runs = [[] for _ in sides]
            for round_number in range(rounds + 1):  # the first round warms up, unmeasured
                for side, (base, directory, side_header) in enumerate(sides):
                    empty(os.path.join(root, directory))
                    rate = wrk(server, base, size, 1 if round_number == 0 else seconds, connections, side_header,
                               workdir, body_file)
                    if round_number > 0:
                        runs[side].append(rate)
            dav, ours, nosync, compress = (statistics.median(side_runs) for side_runs in runs)
            megabytes = size / (1 << 20)
            print(f"{label:13} {dav:13.0f} {ours:10.0f} {nosync:13.0f} {dav * megabytes:12.1f} {ours * megabytes:9.1f} "
                  f"{nosync * megabytes:12.1f} {ours / dav:8.2f} {nosync / dav:11.2f} {compress:14.0f} "
                  f"{compress / ours:13.2f} "
                  f"{server.peak_rss_kib() / 1024:6.1f}MB", flush=True)
        print("ours: token verified, ledger charged under its lock, file and directory fsync'ed, published by rename;"
              " no-sync: the same with ArtifactsSync Off; compress: ours with ArtifactsCompress (ISA-L level 2);"
              " mod_dav_fs: no fsync")
        print(disk_saved(server, workdir, root, token))
        print(summary_cost(server, workdir, root, token))
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
