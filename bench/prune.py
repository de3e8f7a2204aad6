"""Driver of bench/prune. Builds one tree shaped like logs.openstack.org's (NN/CHANGE/PATCHSET/
pipeline/job/ directories, 100 files per build under logs/ subdirectories, half the builds 40
days old and half 2 days old), copies it, and times on the copies, alternating the order:

  find ROOT -mtime +30 -delete                      (the cron of today's log servers)
  artifacts-prune fs --root ROOT --older-than 30d   (eight threads, its default)

Both remove the same old files; find leaves the directories it emptied (their mtime is now
new), artifacts-prune removes them too. Caches are warm for both (the copy just read them)."""
import os
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PRUNE = os.path.join(REPO, "build", "artifacts-prune")
DAY = 86400


def build_tree(root, files):
    builds = max(1, files // 100)
    now = time.time()
    made = 0
    for build in range(builds):
        old = build % 2 == 0
        when = now - (40 if old else 2) * DAY
        top = os.path.join(root, f"{build % 100:02d}", f"{800000 + build}", "1", "check", f"job-{build % 7}")
        for i in range(100):
            directory = os.path.join(top, "logs", f"sub{i % 5}")
            os.makedirs(directory, exist_ok=True)
            path = os.path.join(directory, f"log-{i}.txt")
            with open(path, "w") as log:
                log.write("2026-11-25 10:00:00.000 1 INFO nova [-] line\n" * 4)
            os.utime(path, (when, when))
            made += 1
        for directory, subdirectories, _ in os.walk(top, topdown=False):
            os.utime(directory, (when, when))
    return made


def count(root):
    files = directories = 0
    for _, subdirectories, names in os.walk(root):
        files += len(names)
        directories += len(subdirectories)
    return files, directories


def timed(command):
    started = time.monotonic()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.monotonic() - started


def main():
    files = int(sys.argv[1]) if len(sys.argv) > 1 else 200000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    work = tempfile.mkdtemp(prefix="bench-prune-")
    try:
        source = os.path.join(work, "source")
        started = time.monotonic()
        made = build_tree(source, files)
        total_files, total_dirs = count(source)
        print(f"tree: {made} files, {total_dirs} directories, built in {time.monotonic() - started:.1f} s")
        results = {"find": [], "artifacts-prune": []}
        left = {}
        for round_number in range(rounds):
            order = ["find", "artifacts-prune"] if round_number % 2 == 0 else ["artifacts-prune", "find"]
            for tool in order:
                copy = os.path.join(work, tool)
                shutil.rmtree(copy, ignore_errors=True)
                subprocess.run(["cp", "-a", source, copy], check=True)
                subprocess.run(["sync"], check=True)
                if tool == "find":
                    command = ["find", copy, "-mtime", "+30", "-delete"]
                else:
                    command = [PRUNE, "fs", "--root", copy, "--older-than", "30d"]
                results[tool].append(timed(command))
                left[tool] = count(copy)
            print(f"round {round_number + 1}: " + ", ".join(f"{tool} {results[tool][-1]:.2f} s" for tool in order))
        best = {tool: min(times) for tool, times in results.items()}
        for tool in ("find", "artifacts-prune"):
            print(f"{tool:16s} best {best[tool]:.2f} s, left {left[tool][0]} files and {left[tool][1]} directories")
        print(f"ratio (find time / artifacts-prune time): {best['find'] / best['artifacts-prune']:.2f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
