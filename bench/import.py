"""Driver of bench/import. One tree (small logs of 1-8 KiB in 200 directories, a few large
files), uploaded into a fresh container by each side per round, alternating which goes
first:

  swift upload --object-threads 8 CONTAINER .        (python-swiftclient: objects only)
  artifacts-import --parallel 8 --root TREE          (objects, and a catalogue row each)

Both talk to the same Swift proxy; artifacts-import also writes the MariaDB catalogue."""
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from scripts.services.httpd import make_accessible  # noqa: E402
from scripts.services.mariadb import MariaDB  # noqa: E402
from scripts.services.swift import ACCOUNT, KEY, USER, Swift  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMPORT = os.path.join(REPO, "build", "artifacts-import")
THREADS = 8


def build_tree(root, small, large, large_mb):
    rng = random.Random(42)
    line = b"2026-11-25 10:00:00.000 1 INFO nova.compute.manager [req-1] instance spawned\n"
    total = 0
    for i in range(small):
        path = os.path.join(root, f"{i % 100:02d}", f"{900000 + i % 200}", "logs", f"log-{i}.txt")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        data = line * rng.randint(13, 105)  # 1-8 KiB
        with open(path, "wb") as out:
            out.write(data)
        total += len(data)
    block = os.urandom(1 << 20)
    for i in range(large):
        path = os.path.join(root, "large", f"image-{i}.qcow2")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as out:
            for _ in range(large_mb):
                out.write(block)
        total += large_mb << 20
    return small + large, total


def main():
    small = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    large = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    large_mb = int(sys.argv[3]) if len(sys.argv) > 3 else 50
    rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    workdir = tempfile.mkdtemp(prefix="mod_artifacts-bench-import-")
    make_accessible(workdir)
    services = []
    try:
        for name in ("mariadb", "swift", "tree"):
            os.makedirs(os.path.join(workdir, name))
            make_accessible(os.path.join(workdir, name))
        mariadb = MariaDB(os.path.join(workdir, "mariadb"))
        mariadb.start()
        services.append(mariadb)
        swift = Swift(os.path.join(workdir, "swift"))
        swift.start()
        services.append(swift)
        tree = os.path.join(workdir, "tree")
        files, size = build_tree(tree, small, large, large_mb)
        print(f"bench/import: {files} files, {size / 1e6:.0f} MB ({small} logs of 1-8 KiB, {large} of {large_mb} MiB); "
              f"{THREADS} threads each", flush=True)
        key_file = swift.credentials_file(os.path.join(workdir, "swift.key"))
        results = {"swift upload": [], "artifacts-import": []}
        for number in range(rounds):
            order = ["swift upload", "artifacts-import"] if number % 2 == 0 else ["artifacts-import", "swift upload"]
            for side in order:
                if side == "swift upload":
                    command = ["swift", "-A", swift.auth_url, "-U", f"{ACCOUNT}:{USER}", "-K", KEY, "upload",
                               "--object-threads", str(THREADS), f"plain-{number}", "."]
                    cwd = tree
                else:
                    database = f"import_{number}"
                    settings = mariadb.add_catalogue(database)
                    command = [IMPORT, "--catalogue", settings, "--swift", swift.swift_directive(key_file),
                               "--container", f"imported-{number}", "--root", tree, "--parallel", str(THREADS)]
                    cwd = None
                started = time.monotonic()
                done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
                if done.returncode != 0:
                    raise RuntimeError(f"{side} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
                seconds = time.monotonic() - started
                results[side].append(seconds)
                print(f"round {number + 1}: {side:16s} {seconds:6.1f} s  {files / seconds:7.0f} files/s  "
                      f"{size / 1e6 / seconds:6.1f} MB/s", flush=True)
            rows = mariadb.root_sql("SELECT COUNT(*) FROM artifacts WHERE is_directory = 0", database=f"import_{number}")
            assert rows == [[str(files)]], rows
        best = {side: min(times) for side, times in results.items()}
        print(f"best: swift upload {files / best['swift upload']:.0f} files/s, artifacts-import "
              f"{files / best['artifacts-import']:.0f} files/s; ratio (swift upload time / artifacts-import time): "
              f"{best['swift upload'] / best['artifacts-import']:.2f}x")
    finally:
        for service in reversed(services):
            service.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
