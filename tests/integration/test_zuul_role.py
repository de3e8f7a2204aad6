"""The Zuul roles (zuul/roles/) run by a real ansible-playbook (Debian's ansible-core) against
localhost, with a `zuul` variable shaped like a real build's and Zuul's documented
zuul_return interface (tests/integration/zuul_stand_in): upload-logs-artifacts stores the
executor's log root under the path zuul-jobs computes, seals it and returns the log URL and
the manifest; mint-artifacts-token hands a node-side upload a token for that path only."""
import json
import os
import shutil
import subprocess
import time
import urllib.parse
import uuid

import pytest
import requests

from conftest import KEYS, mint
from scripts.services.httpd import REPO
from test_upload_tool import make_tree, upload
from upload_helpers import bearer

ROLES = os.path.join(REPO, "zuul", "roles")
STAND_IN = os.path.join(os.path.dirname(__file__), "zuul_stand_in")


def zuul_vars(log_root, **overrides):
    build = uuid.uuid4().hex
    change = str(900000 + int(build[:4], 16))
    zuul = {"build": build, "change": change, "patchset": "3", "pipeline": "check", "job": "tox-py311",
            "project": {"canonical_name": "opendev.org/example/project"}, "branch": "master",
            "executor": {"log_root": str(log_root)}}
    zuul.update(overrides)
    return zuul


def expected_path(zuul):
    return f"{zuul['change'][-2:]}/{zuul['change']}/{zuul['patchset']}/{zuul['pipeline']}/{zuul['job']}/{zuul['build'][:7]}/"


def run_playbook(tmp_path, server, zuul, role="upload-logs-artifacts", key=None, tasks=(), **variables):
    """ansible-playbook of one play on localhost: the role, then `tasks`. Returns (process, results)."""
    jobdir = tmp_path / f"job-{zuul['build'][:7]}-{len(list(tmp_path.glob('job-*')))}"
    (jobdir / "work").mkdir(parents=True)
    extra = {"zuul": zuul, "artifacts_url": f"{server.url}/",
             "artifacts_key": key if key is not None else {"kid": "k2026a", "key": KEYS["k2026a"].decode()},
             "ansible_python_interpreter": "/usr/bin/python3", **variables}
    (jobdir / "vars.json").write_text(json.dumps(extra))
    play = [{"hosts": "localhost", "gather_facts": False, "roles": [role], "tasks": list(tasks)}]
    (jobdir / "play.yaml").write_text(json.dumps(play))
    home = jobdir / "home"
    home.mkdir()
    environment = {**os.environ, "ANSIBLE_ROLES_PATH": ROLES, "ANSIBLE_ACTION_PLUGINS": os.path.join(STAND_IN, "action_plugins"),
                   "ANSIBLE_NOCOLOR": "1", "ANSIBLE_LOCAL_TEMP": str(jobdir / "tmp"), "HOME": str(home),
                   "ANSIBLE_RETRY_FILES_ENABLED": "0", "ZUUL_JOBDIR": str(jobdir)}
    ansible = shutil.which("ansible-playbook")
    assert ansible, "ansible-playbook is missing: scripts/setup test installs ansible-core"
    process = subprocess.run([ansible, "-i", "localhost,", "-c", "local", "-e", f"@{jobdir / 'vars.json'}",
                              str(jobdir / "play.yaml")], capture_output=True, text=True, env=environment,
                             timeout=300)
    results_file = jobdir / "work" / "results.json"
    results = json.loads(results_file.read_text()) if results_file.exists() else None
    return process, results


def log_root(tmp_path, name="logs"):
    root = make_tree(str(tmp_path / name), {
        "job-output.txt": b"2026-12-01 06:00:00.000 | TASK [run tests]\n" * 200,
        "job-output.json": b'[{"playbook": "base/pre.yaml"}]',
        "zuul-info/inventory.yaml": b"all:\n  hosts: {}\n",
        "logs/controller/syslog.txt": b"Dec  1 06:00:00 controller kernel: booted\n",
        "logs/controller/dist.tar.gz": b"\x1f\x8b\x08\x00tarball bytes",
    })
    os.makedirs(os.path.join(root, "logs", "empty"))
    os.symlink("controller/syslog.txt", os.path.join(root, "logs", "latest-syslog.txt"))
    return root


def files_below(root):
    found = {}
    for directory, _, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            with open(path, "rb") as data:
                found[os.path.relpath(path, root)] = data.read()
    return found


def test_the_role_stores_the_log_root_seals_it_and_returns_it_to_zuul(httpd, tmp_path):
    root = log_root(tmp_path)
    zuul = zuul_vars(root)
    process, results = run_playbook(tmp_path, httpd, zuul, artifacts_kinds=["logs", "tarballs"])
    assert process.returncode == 0, process.stdout + process.stderr
    path = expected_path(zuul)
    base = f"{httpd.url}/{path}"
    # Every file of the log root, under the path zuul-jobs computes, byte for byte (a link
    # inside the tree as the file it names).
    for relative, data in files_below(root).items():
        served = requests.get(base + relative, headers={"Accept-Encoding": "identity", "Accept": "*/*"})
        assert served.status_code == 200 and served.content == data, relative
    # What upload-logs-swift returns: the log URL and the manifest as an artifact.
    assert results == {"zuul": {"log_url": base, "artifacts": [
        {"name": "Zuul Manifest", "url": "zuul-manifest.json", "metadata": {"type": "zuul_manifest"}}]}}
    manifest_url = urllib.parse.urljoin(results["zuul"]["log_url"], results["zuul"]["artifacts"][0]["url"])
    manifest = requests.get(manifest_url).json()

    def shape(tree):
        return {entry["name"]: shape(entry["children"]) if "children" in entry else entry["size"] for entry in tree}

    def local_shape(directory):
        """The log root as the manifest must show it: texts were sent compressed, so they are
        name.gz there (as the filesystem store keeps them), of their compressed size."""
        entries = {}
        for name in os.listdir(directory):
            path = os.path.join(directory, name)
            if os.path.isdir(path):
                entries[name] = local_shape(path)
            elif name.endswith((".txt", ".json", ".yaml")):
                entries[name + ".gz"] = "compressed"
            else:
                entries[name] = os.path.getsize(path)
        return entries
    tree = shape(manifest["tree"])
    assert 0 < tree["job-output.txt.gz"] < len(b"2026-12-01 06:00:00.000 | TASK [run tests]\n" * 200)

    def mark_compressed(expected, actual):
        return {name: (mark_compressed(value, actual.get(name, {})) if isinstance(value, dict)
                       else "compressed" if name.endswith((".txt.gz", ".json.gz", ".yaml.gz")) else value)
                for name, value in expected.items()}
    assert mark_compressed(tree, tree) == local_shape(root)
    assert tree["logs"]["empty"] == {}
    # A second run of the same build is refused: its token is the build's, and it is sealed.
    again, _ = run_playbook(tmp_path, httpd, zuul, artifacts_kinds=["logs", "tarballs"])
    assert again.returncode != 0
    assert "410 sealed" in again.stdout, again.stdout


def test_a_dry_run_lists_and_uploads_nothing(httpd, tmp_path):
    root = log_root(tmp_path)
    zuul = zuul_vars(root)
    process, results = run_playbook(tmp_path, httpd, zuul, artifacts_dry_run=True,
                                    tasks=[{"debug": {"var": "artifacts_upload_results.files"}}])
    assert process.returncode == 0, process.stdout + process.stderr
    path = expected_path(zuul)
    assert f"{path}logs/empty/" in process.stdout and f"{path}job-output.txt" in process.stdout
    assert results is None
    assert requests.get(f"{httpd.url}/{path}").status_code == 404


def test_refusals_fail_the_task_with_the_servers_message(httpd, tmp_path):
    root = log_root(tmp_path)
    # A wrong key: the server's 401 and its reason, once for all the files.
    wrong = run_playbook(tmp_path, httpd, zuul_vars(root), key={"kid": "k2026a", "key": "not-the-key-0123456789"})[0]
    assert wrong.returncode != 0
    assert "401 invalid_token" in wrong.stdout and "signature" in wrong.stdout and "Traceback" not in wrong.stdout
    assert "not-the-key-0123456789" not in wrong.stdout  # the secret is never printed
    # An unknown key id.
    unknown = run_playbook(tmp_path, httpd, zuul_vars(root), key={"kid": "k1999", "key": "0123456789abcdef0123"})[0]
    assert unknown.returncode != 0 and "401 invalid_token" in unknown.stdout
    # An expired token handed to the role (minted earlier, e.g. by mint-artifacts-token).
    zuul = zuul_vars(root)
    expired = mint(expected_path(zuul), exp=int(time.time()) - 3600)
    late = run_playbook(tmp_path, httpd, zuul, key={}, artifacts_token=expired)[0]
    assert late.returncode != 0 and "401 invalid_token" in late.stdout and "expired" in late.stdout
    # A kind the server does not allow this token: 403 and the file it concerns.
    wheel_root = make_tree(str(tmp_path / "wheel"), {"job-output.txt": b"ok\n", "dist/pkg-1.0-py3-none-any.whl": b"PK"})
    wrong_kind = run_playbook(tmp_path, httpd, zuul_vars(wheel_root), artifacts_kinds=["logs"])[0]
    assert wrong_kind.returncode != 0 and "403 wrong_kind" in wrong_kind.stdout
    assert "dist/pkg-1.0-py3-none-any.whl" in wrong_kind.stdout and "nothing sealed" in wrong_kind.stdout


def test_the_mint_role_gives_a_node_a_token_for_its_build_only(httpd, tmp_path):
    root = log_root(tmp_path)
    zuul, other = zuul_vars(root), zuul_vars(root)
    token_file = tmp_path / "token"
    process, _ = run_playbook(tmp_path, httpd, zuul, role="mint-artifacts-token", tasks=[
        {"copy": {"content": "{{ artifacts_token }}", "dest": str(token_file)}, "no_log": True},
        {"debug": {"msg": "upload to {{ artifacts_upload_url }}"}}])
    assert process.returncode == 0, process.stdout + process.stderr
    path = expected_path(zuul)
    assert f"upload to {httpd.url}/{path}" in process.stdout
    assert KEYS["k2026a"].decode() not in process.stdout
    token = token_file.read_text()
    # The node's own upload (artifacts-upload, our C++ tool) with that token.
    result = upload("--seal", f"{httpd.url}/{path}", root, env={"ARTIFACTS_TOKEN": token})
    assert result.returncode == 0, result.stderr
    assert requests.get(f"{httpd.url}/{path}zuul-manifest.json").status_code == 200
    # That token cannot write into another build's directory.
    elsewhere = requests.put(f"{httpd.url}/{expected_path(other)}job-output.txt", data=b"x", headers=bearer(token))
    assert elsewhere.status_code == 403 and elsewhere.json()["error"] == "out_of_scope"


@pytest.mark.parametrize("shape, expected", [
    ({"change": None, "newrev": "0123456789abcdef0123456789abcdef01234567"},
     "01/0123456789abcdef0123456789abcdef01234567/check/tox-py311/{build7}/"),
    ({"change": None}, "check/opendev.org/example/project/master/tox-py311/{build7}/"),
], ids=["ref-update", "periodic"])
def test_log_paths_of_refs_and_periodic_builds_are_zuul_jobs(httpd, tmp_path, shape, expected):
    root = make_tree(str(tmp_path / "small"), {"job-output.txt": b"ok\n"})
    zuul = zuul_vars(root)
    for key, value in shape.items():
        if value is None:
            zuul.pop(key)
            zuul.pop("patchset", None)
        else:
            zuul[key] = value
    process, results = run_playbook(tmp_path, httpd, zuul, artifacts_path_prefix="/periodic-logs/")
    assert process.returncode == 0, process.stdout + process.stderr
    path = "periodic-logs/" + expected.format(build7=zuul["build"][:7])
    assert results["zuul"]["log_url"] == f"{httpd.url}/{path}"
    assert requests.get(f"{httpd.url}/{path}job-output.txt").content == b"ok\n"
