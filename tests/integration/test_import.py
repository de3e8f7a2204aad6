"""artifacts-import against the real MariaDB and Swift: a legacy tree (.gz siblings,
index.html, symlinks) moves into the catalogue and Swift and reads back the same through
the module, which answers each file from disk until its row exists; an import killed in the
middle resumes; a row holding other bytes is never overwritten. A catalogue, a container and
a tree of their own."""
import gzip
import hashlib
import os
import shutil
import signal
import subprocess

import pytest
import requests

from conftest import eventually, mint
from storage_helpers import OwnCatalogue
from upload_helpers import bearer

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
IMPORT_CLI = os.environ.get("ARTIFACTS_IMPORT_BIN", os.path.join(REPO, "build", "artifacts-import"))
DATABASE = "import_catalogue"
CONTAINER = "import-artifacts"


class Site(OwnCatalogue):
    def __init__(self, workdir, mariadb, swift):
        super().__init__(workdir, mariadb, swift, "import", DATABASE, CONTAINER)

    def command(self, *args):
        return [IMPORT_CLI, "--catalogue", self.catalogue, "--swift", self.swift_settings,
                "--container", CONTAINER, "--root", self.root, *args]

    def run(self, *args):
        return subprocess.run(self.command(*args), capture_output=True, text=True, timeout=300)

    def write(self, relative, data):
        path = os.path.join(self.root, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as out:
            out.write(data)
        os.chmod(path, 0o644)
        return data

    def get(self, relative, encoding="identity"):
        return requests.get(f"{self.server.url}/{relative}", timeout=30,
                            headers={"Accept": "*/*", "Accept-Encoding": encoding})


@pytest.fixture(scope="module")
def site(workdir, mariadb, swift):
    site = Site(workdir, mariadb, swift)
    yield site
    site.server.stop()


def test_a_legacy_tree_moves_into_swift_and_reads_the_same(site):
    log = b"2026-11-25 10:00:00.000 1 INFO nova [-] started\n" * 200
    tarball = os.urandom(5000)
    files = {
        "12/345/job-output.txt": log,
        "12/345/logs/screen-n-api.txt.gz": gzip.compress(log),
        "12/345/logs/index.html": b"<!doctype html><title>legacy index</title>\n",
        "12/345/dist.tar.gz": tarball,
        "12/345/both.txt": b"plain twin\n",
        "12/345/both.txt.gz": gzip.compress(b"compressed twin\n"),
    }
    for relative, data in files.items():
        site.write(relative, data)
    os.symlink("345/job-output.txt", os.path.join(site.root, "12/latest.txt"))
    os.symlink("/etc/hostname", os.path.join(site.root, "12/outside.txt"))
    os.symlink("345", os.path.join(site.root, "12/latest"))
    before = {path: site.get(path).content for path in (
        "12/345/job-output.txt", "12/345/logs/screen-n-api.txt", "12/345/logs/screen-n-api.txt.gz",
        "12/345/dist.tar.gz", "12/345/both.txt", "12/345/both.txt.gz", "12/latest.txt")}
    assert before["12/345/logs/screen-n-api.txt"] == log  # the disk answers name.txt from name.txt.gz
    index_before = sorted(e["name"] for e in site.get("12/345/?format=json").json()["entries"])

    dry = site.run("--dry-run", "12")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.startswith("would import 7 files"), dry.stdout
    assert site.sql("SELECT COUNT(*) FROM artifacts") == [["0"]]

    result = site.run("--delete-source", "--parallel", "3", "12")
    assert result.returncode == 0, result.stderr + result.stdout
    assert result.stdout.startswith("imported 7 files"), result.stdout
    assert "2 skipped" in result.stdout and "outside.txt" in result.stderr
    rows = {row[0]: row[1:] for row in site.sql(
        "SELECT path, content_encoding, content_type FROM artifacts WHERE is_directory = 0")}
    assert rows["12/345/logs/screen-n-api.txt"] == ["gzip", "text/plain"]
    assert rows["12/345/dist.tar.gz"] == ["", "application/gzip"]
    assert {"12/345/both.txt", "12/345/both.txt.gz", "12/latest.txt"} <= set(rows)
    # The sources went once their rows were committed; the skipped links stay.
    assert sorted(os.listdir(os.path.join(site.root, "12"))) == ["latest", "outside.txt"]
    for path, content in before.items():
        assert site.get(path).content == content, path
    assert site.get("12/345/logs/screen-n-api.txt", "gzip").headers.get("Content-Encoding") == "gzip"
    assert sorted(e["name"] for e in site.get("12/345/?format=json").json()["entries"]) == index_before
    row = site.sql("SELECT sha256, size FROM artifacts WHERE path = '12/345/dist.tar.gz'")[0]
    assert row == [hashlib.sha256(tarball).hexdigest(), str(len(tarball))]

    again = site.run("12")
    assert again.returncode == 0 and again.stdout.startswith("imported 0 files"), again.stdout


def test_an_import_killed_in_the_middle_resumes(site):
    total = 400
    for i in range(total):
        site.write(f"resume/{i % 20}/log-{i}.txt", f"line {i}\n".encode() * 50)
    process = subprocess.Popen(site.command("--parallel", "2", "resume"), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        assert eventually(lambda: int(site.sql(
            "SELECT COUNT(*) FROM artifacts WHERE path LIKE 'resume/%' AND is_directory = 0")[0][0]) >= 40, 60)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    done = int(site.sql("SELECT COUNT(*) FROM artifacts WHERE path LIKE 'resume/%' AND is_directory = 0")[0][0])
    assert done < total, "the import finished before it could be killed: make the tree larger"
    # Reads go on meanwhile: what has a row comes from Swift, the rest from the disk.
    assert site.get("resume/0/log-0.txt").content == b"line 0\n" * 50
    result = site.run("--parallel", "4", "resume")
    assert result.returncode == 0, result.stderr + result.stdout
    assert f"; {done} already catalogued" in result.stdout or f"imported {total - done} files" in result.stdout, \
        result.stdout
    assert site.sql("SELECT COUNT(*) FROM artifacts WHERE path LIKE 'resume/%' AND is_directory = 0") == \
        [[str(total)]]
    assert site.sql("SELECT COUNT(*) FROM uploads_in_progress") == [["0"]]
    shutil.rmtree(os.path.join(site.root, "resume"))
    for i in (0, 199, 399):
        assert site.get(f"resume/{i % 20}/log-{i}.txt").content == f"line {i}\n".encode() * 50


def test_a_row_with_other_bytes_is_never_overwritten(site):
    scope = "conflict/"
    response = requests.put(f"{site.server.url}/{scope}job-output.txt", data=b"uploaded through the module\n",
                            headers=bearer(mint(scope)), timeout=30)
    assert response.status_code == 201, response.text
    site.write("conflict/job-output.txt", b"an older copy on disk\n")
    site.write("conflict/other.txt", b"imported\n")
    result = site.run("--delete-source", "conflict")
    assert result.returncode == 1
    assert "conflict/job-output.txt: the catalogue holds other bytes there" in result.stderr
    assert site.get("conflict/job-output.txt").content == b"uploaded through the module\n"
    assert os.path.exists(os.path.join(site.root, "conflict/job-output.txt"))
    assert not os.path.exists(os.path.join(site.root, "conflict/other.txt"))
    assert site.get("conflict/other.txt").content == b"imported\n"


def test_imported_logs_get_the_summary_an_upload_would(site):
    failing = (b"2026-11-25 10:00:00.000 1 INFO nova [-] started\n"
               b"2026-11-25 10:00:01.000 1 ERROR nova [-] it broke\n"
               b"Traceback (most recent call last):\n")
    site.write("summary/job-output.txt", failing)
    site.write("summary/console.log.gz", gzip.compress(failing))
    site.write("summary/notes.rst", failing)
    site.write("summary/custom.out", failing)
    result = site.run("summary")
    assert result.returncode == 0, result.stderr
    listing = requests.get(f"{site.server.url}/summary/", params={"format": "json"}, timeout=30).json()
    summaries = {entry["name"]: entry.get("summary") for entry in listing["entries"]}
    expected = {"lines": 3, "levels": {"INFO": 1, "ERROR": 1}, "first_error": 2, "first_critical": None}
    assert summaries == {"job-output.txt": expected, "console.log.gz": expected, "notes.rst": None,
                         "custom.out": None}
    # --summarise names other logs (and replaces the defaults).
    site.write("summary2/custom.out", failing)
    site.write("summary2/job-output.txt", failing)
    result = site.run("--summarise", "*.out", "summary2")
    assert result.returncode == 0, result.stderr
    listing = requests.get(f"{site.server.url}/summary2/", params={"format": "json"}, timeout=30).json()
    assert {entry["name"]: entry.get("summary") for entry in listing["entries"]} == {
        "custom.out": expected, "job-output.txt": None}
    bad = site.run("--summarise", "logs/*.txt", "summary")
    assert bad.returncode == 2 and "without '/'" in bad.stderr


def test_usage_errors(site):
    result = subprocess.run([IMPORT_CLI, "--root", site.root], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "required" in result.stderr
    result = site.run("../escape")
    assert result.returncode == 2 and "not a path below the root" in result.stderr
