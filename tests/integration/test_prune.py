"""artifacts-prune on the filesystem store, after real uploads through the module: what is
old goes (by its seal when the build was sealed, else by its time), an upload in progress
and everything younger stay, ledger records of long-expired tokens go, and two prunes never
run at once. A server of its own: the run that pretends to be 40 days later empties its tree."""
import fcntl
import os
import subprocess
import time

import pytest
import requests

from conftest import main_config, mint, new_dir
from scripts.services.httpd import Httpd
from upload_helpers import bearer

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PRUNE_CLI = os.environ.get("ARTIFACTS_PRUNE_BIN", os.path.join(REPO, "build", "artifacts-prune"))
DAY = 86400


@pytest.fixture(scope="module")
def site(workdir):
    home = new_dir(workdir, "prune")
    root = new_dir(home, "artifacts")
    server = Httpd(new_dir(home, "httpd"), new_dir(home, "docroot"))
    server.write_config(main_config(home, root))
    server.start()
    yield server, root, os.path.join(home, "state")
    server.stop()


def prune(root, state, *args):
    command = [PRUNE_CLI, "fs", "--root", root, "--older-than", "30d", *args]
    if state:
        command += ["--state-dir", state]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def age(path, days):
    when = time.time() - days * DAY
    os.utime(path, (when, when), follow_symlinks=False)


def upload(server, scope, names, token):
    for name in names:
        response = requests.put(f"{server.url}/{scope}{name}", data=f"{name}\n".encode(),
                                headers=bearer(token), timeout=30)
        assert response.status_code == 201, response.text


def age_tree(top, days):
    for directory, subdirectories, files in os.walk(top, topdown=False):
        for name in files + subdirectories:
            age(os.path.join(directory, name), days)
    age(top, days)


def ledger_records(state):
    ledger = os.path.join(state, "ledger")
    return sorted(os.path.join(shard, name) for shard in os.listdir(ledger) if len(shard) == 2
                  for name in os.listdir(os.path.join(ledger, shard)))


def left(root):
    found = set()
    for directory, subdirectories, files in os.walk(root):
        for name in files:
            found.add(os.path.relpath(os.path.join(directory, name), root))
        for name in subdirectories:
            found.add(os.path.relpath(os.path.join(directory, name), root) + "/")
    return found


def test_what_is_old_goes_and_what_is_alive_stays(site):
    server, root, state = site
    sealed_token, open_token = mint("builds/sealed/"), mint("builds/open/")
    upload(server, "builds/sealed/", ["job-output.txt", "logs/a.txt"], sealed_token)
    assert requests.post(f"{server.url}/builds/sealed/?seal", headers=bearer(sealed_token),
                         timeout=30).status_code == 200
    upload(server, "builds/open/", ["job-output.txt", "logs/b.txt"], open_token)
    # Every file looks 40 days old (an archive's members keep their times); so does a legacy tree.
    for top in ("builds/sealed", "builds/open"):
        age_tree(os.path.join(root, top), 40)
    for name, days in (("legacy/12/345/old.txt", 40), ("legacy/12/345/logs/older.txt", 50),
                       ("legacy/12/346/new.txt", 2)):
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as legacy:
            legacy.write("legacy\n")
    age_tree(os.path.join(root, "legacy/12/345"), 45)
    age(os.path.join(root, "legacy/12/346/new.txt"), 2)
    records_before = ledger_records(state)
    assert len(records_before) == 2

    dry = prune(root, state, "--dry-run", "--list")
    assert dry.returncode == 0, dry.stderr
    assert "would remove legacy/12/345/" in dry.stdout.splitlines()
    assert os.path.exists(os.path.join(root, "legacy/12/345/old.txt"))

    result = prune(root, state)
    assert result.returncode == 0, result.stderr
    assert "removed 2 files (14 bytes) and 2 directories" in result.stdout, result.stdout
    assert left(root) == {
        "builds/", "builds/sealed/", "builds/sealed/job-output.txt", "builds/sealed/logs/",
        "builds/sealed/logs/a.txt", "builds/sealed/zuul-manifest.json",
        "builds/open/", "builds/open/job-output.txt", "builds/open/logs/", "builds/open/logs/b.txt",
        "legacy/", "legacy/12/", "legacy/12/346/", "legacy/12/346/new.txt"}
    assert ledger_records(state) == records_before
    # Served as before; the pruned file is gone from the index too.
    assert requests.get(f"{server.url}/builds/sealed/logs/a.txt", timeout=30).text == "logs/a.txt\n"
    assert requests.get(f"{server.url}/legacy/12/345/old.txt", timeout=30).status_code == 404
    # The open token still uploads into its scope.
    upload(server, "builds/open/", ["logs/c.txt"], open_token)

    # Forty days on, both tokens have long expired: their builds go, and their records.
    later = prune(root, state, "--now", str(int(time.time()) + 40 * DAY))
    assert later.returncode == 0, later.stderr
    assert "2 ledger records of expired tokens removed" in later.stdout, later.stdout
    assert left(root) == set()
    assert ledger_records(state) == []
    assert os.path.isdir(root)


def test_an_upload_in_progress_keeps_its_scope_and_its_parents(site):
    server, root, state = site
    scope = "inflight/job/"
    token = mint(scope)
    upload(server, scope, ["started.txt"], token)
    age_tree(os.path.join(root, "inflight"), 60)
    os.makedirs(os.path.join(root, "inflight/other"))
    age_tree(os.path.join(root, "inflight/other"), 60)
    result = prune(root, state)
    assert result.returncode == 0, result.stderr
    assert os.path.exists(os.path.join(root, scope, "started.txt"))
    assert not os.path.exists(os.path.join(root, "inflight/other"))
    upload(server, scope, ["finished.txt"], token)


def test_one_prune_at_a_time(site):
    _, root, state = site
    os.makedirs(os.path.join(root, "locked"), exist_ok=True)
    victim = os.path.join(root, "locked", "old.txt")
    with open(victim, "w") as old:
        old.write("old\n")
    age(victim, 90)
    with open(os.path.join(state, "prune.lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        result = prune(root, state)
        assert result.returncode == 0
        assert "another prune" in result.stderr
        assert os.path.exists(victim)
    assert prune(root, state).returncode == 0
    assert not os.path.exists(victim)


def test_usage_errors_say_what_is_wrong(site):
    _, root, state = site
    for args, message in ((["fs", "--root", root], "--older-than"),
                          (["fs", "--root", root, "--older-than", "soon"], "duration"),
                          (["nfs"], "unknown store")):
        result = subprocess.run([PRUNE_CLI, *args], capture_output=True, text=True, timeout=30)
        assert result.returncode == 2 and message in result.stderr, result.stderr
    missing = prune(os.path.join(root, "no-such-directory"), None)
    assert missing.returncode == 1 and "cannot open" in missing.stderr
