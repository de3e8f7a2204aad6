"""artifacts-upload against the real module: a 10,000-file tree over 8 connections checked
byte for byte, gzip on the fly, sealing, retries through an outage, and failures that say
which file and why."""
import filecmp
import gzip
import os
import pty
import subprocess
import threading
import time

import pytest
import requests

from conftest import mint
from scripts.services.httpd import REPO
from upload_helpers import temporary_files, unique_scope

# The outage test makes the ledger unavailable on purpose.
pytestmark = pytest.mark.expected_errors(r"ARTF021[03]")

UPLOAD_CLI = os.environ.get("ARTIFACTS_UPLOAD_BIN", os.path.join(REPO, "build", "artifacts-upload"))


def upload(*args, token=None, env=None, timeout=600):
    environment = dict(os.environ, **(env or {}))
    command = [UPLOAD_CLI, *(["--token", token] if token else []), *args]
    return subprocess.run(command, capture_output=True, text=True, env=environment, timeout=timeout)


def make_tree(base, files):
    for relative, data in files.items():
        path = os.path.join(base, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as out:
            out.write(data)
    return base


@pytest.mark.heavy
def test_ten_thousand_files_over_eight_connections(httpd, artifact_root, tmp_path):
    scope = unique_scope()
    files = {f"logs/{i // 500:02d}/file-{i:05d}.txt": (f"line {i}\n" * (i % 50 + 1)).encode() for i in range(10000)}
    files["job-output.json"] = os.urandom(300000)
    source = make_tree(str(tmp_path / "tree"), files)
    started = time.monotonic()
    result = upload("--parallel", "8", f"{httpd.url}/{scope}", source, token=mint(scope))
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == f"{httpd.url}/{scope}"
    assert "10001 stored, 0 already there, 0 failed" in result.stderr
    stored = os.path.join(artifact_root, scope)
    comparison = filecmp.dircmp(source, stored)
    mismatched = []

    def walk(cmp, prefix=""):
        mismatched.extend(prefix + name for name in cmp.left_only + cmp.right_only + cmp.diff_files)
        _, differing, errors = filecmp.cmpfiles(cmp.left, cmp.right, cmp.common_files, shallow=False)
        mismatched.extend(prefix + name for name in differing + errors)
        for name, sub in cmp.subdirs.items():
            walk(sub, prefix + name + "/")

    walk(comparison)
    assert mismatched == []
    assert len(files) == sum(len(names) for _, _, names in os.walk(stored))
    sample = "logs/07/file-03999.txt"
    assert requests.get(f"{httpd.url}/{scope}{sample}").content == files[sample]
    assert not temporary_files(os.path.join(artifact_root, scope))
    print(f"10,001 files uploaded in {elapsed:.1f} s")
    # Everything again: every file is an idempotent 200.
    again = upload("--parallel", "8", "--quiet", f"{httpd.url}/{scope}", source, token=mint(scope))
    assert again.returncode == 0, again.stderr[-2000:]


def test_gzip_and_seal(httpd, artifact_root, tmp_path):
    scope = unique_scope()
    text = "".join(f"2026-11-25 10:00:00.{i:03d} {i} INFO x [-] {os.urandom(6).hex()}\n" for i in range(5000))
    source = make_tree(str(tmp_path / "tree"), {"job-output.txt": text.encode(), "dist.tar.gz": b"\x1f\x8b binary",
                                                "zuul-info/inventory.yaml": b"all: {}\n"})
    token_file = tmp_path / "token"
    token_file.write_text(mint(scope, kinds=["logs", "tarballs"]) + "\n")
    result = upload("--gzip", "--seal", "--token-file", str(token_file), f"{httpd.url}/{scope}", source)
    assert result.returncode == 0, result.stderr
    directory = os.path.join(artifact_root, scope)
    assert sorted(os.listdir(directory)) == ["dist.tar.gz", "job-output.txt.gz", "zuul-info", "zuul-manifest.json"]
    with gzip.open(os.path.join(directory, "job-output.txt.gz")) as stored:
        assert stored.read().decode() == text
    assert requests.get(f"{httpd.url}/{scope}job-output.txt", headers={"Accept-Encoding": "identity"}).text == text
    with open(os.path.join(directory, "dist.tar.gz"), "rb") as stored:
        assert stored.read() == b"\x1f\x8b binary"
    manifest = requests.get(f"{httpd.url}/{scope}zuul-manifest.json").json()
    assert [entry["name"] for entry in manifest["tree"]] == ["zuul-info", "dist.tar.gz", "job-output.txt.gz"]
    # The token is burnt: a second run fails, naming the file and the reason.
    late = make_tree(str(tmp_path / "late"), {"late.txt": b"x"})
    again = upload("--token-file", str(token_file), f"{httpd.url}/{scope}", late)
    assert again.returncode == 1
    assert "FAILED late.txt: 410" in again.stderr and "sealed" in again.stderr


def test_token_from_the_environment_and_failures_per_file(httpd, tmp_path):
    scope = unique_scope()
    source = make_tree(str(tmp_path / "tree"), {"ok.txt": b"ok", "bad.exe": b"no", "sub/also-ok.log": b"ok"})
    result = upload(f"{httpd.url}/{scope}", source, env={"ARTIFACTS_TOKEN": mint(scope)})
    assert result.returncode == 1
    assert "FAILED bad.exe: 403 \"wrong_kind\"" in result.stderr
    assert "2 stored, 0 already there, 1 failed" in result.stderr
    assert requests.get(f"{httpd.url}/{scope}sub/also-ok.log").content == b"ok"
    missing = upload(f"{httpd.url}/{scope}", source, env={"ARTIFACTS_TOKEN": ""})
    assert missing.returncode == 2 and "no token" in missing.stderr


def test_links_to_files_inside_the_tree_are_followed(httpd, tmp_path):
    """As zuul-jobs' uploaders: a link to a file in the tree is sent as that file's bytes
    under the link's name; a link out of the tree, a dangling one and a link to a directory
    are skipped."""
    scope = unique_scope()
    outside = make_tree(str(tmp_path / "outside"), {"secret.txt": b"not for upload"})
    source = make_tree(str(tmp_path / "tree"), {"logs/real.txt": b"the real log\n", "sub/x.txt": b"x"})
    os.symlink("logs/real.txt", os.path.join(source, "latest.txt"))
    os.symlink(os.path.join(outside, "secret.txt"), os.path.join(source, "leak.txt"))
    os.symlink("nowhere.txt", os.path.join(source, "dangling.txt"))
    os.symlink("sub", os.path.join(source, "subdir-link"))
    result = upload(f"{httpd.url}/{scope}", source, env={"ARTIFACTS_TOKEN": mint(scope)})
    assert result.returncode == 0, result.stderr
    assert requests.get(f"{httpd.url}/{scope}latest.txt").content == b"the real log\n"
    for skipped in ("leak.txt", "dangling.txt", "subdir-link/x.txt"):
        assert requests.get(f"{httpd.url}/{scope}{skipped}").status_code == 404, skipped
    assert "3 stored" in result.stderr


@pytest.mark.heavy
def test_retries_through_an_outage(httpd, tmp_path, workdir):
    if os.geteuid() != 0:
        pytest.skip("the outage is a ledger the httpd children cannot open")
    scope = unique_scope()
    source = make_tree(str(tmp_path / "tree"), {f"f{i}.txt": b"x" * i for i in range(20)})
    ledger = os.path.join(workdir, "state", "ledger")
    mode = os.stat(ledger).st_mode
    os.chmod(ledger, 0)
    threading.Timer(1.5, os.chmod, (ledger, mode)).start()
    result = upload("--parallel", "4", f"{httpd.url}/{scope}", source, token=mint(scope))
    os.chmod(ledger, mode)
    assert result.returncode == 0, result.stderr
    assert "retrying in" in result.stderr and "unavailable" in result.stderr
    assert "20 stored" in result.stderr


def test_gives_up_after_the_retries_when_nobody_listens(tmp_path):
    source = make_tree(str(tmp_path / "tree"), {"a.txt": b"a"})
    with __import__("socket").socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = upload("--retries", "2", f"http://127.0.0.1:{port}/x/", source, token="art1.k.e30.AA")
    assert result.returncode == 1
    assert "FAILED a.txt" in result.stderr and "after 2 attempts" in result.stderr


@pytest.mark.heavy
def test_progress_bar_on_a_terminal(httpd, tmp_path):
    scope = unique_scope()
    source = make_tree(str(tmp_path / "tree"), {f"f{i}.txt": b"y" * 1000 for i in range(50)})
    pid, terminal = pty.fork()
    if pid == 0:
        os.execv(UPLOAD_CLI, [UPLOAD_CLI, "--token", mint(scope), f"{httpd.url}/{scope}", source])
    output = b""
    while True:
        try:
            chunk = os.read(terminal, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    text = output.decode()
    assert "\r[" in text and "50/50 files" in text
    assert text.rstrip().splitlines()[-1] == f"{httpd.url}/{scope}"
