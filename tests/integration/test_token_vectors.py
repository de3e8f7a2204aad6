"""The shared token vectors of tests/vectors/ (also run by the CppUnit tests) through
scripts/artifacts_token.py, and tokens crossing between the Python and C++ minters."""
import json
import os
import subprocess
import time

import pytest
import requests

import artifacts_token
from conftest import KEYS, mint
from scripts.services.httpd import REPO
from upload_helpers import bearer, unique_scope

VECTORS = os.path.join(REPO, "tests", "vectors", "tokens.json")
TOKEN_CLI = os.environ.get("ARTIFACTS_TOKEN_BIN", os.path.join(REPO, "build", "artifacts-token"))

with open(VECTORS) as vectors_file:
    SHARED = json.load(vectors_file)


@pytest.mark.parametrize("vector", SHARED["vectors"], ids=[v["name"] for v in SHARED["vectors"]])
def test_python_gives_each_vector_its_verdict(vector):
    try:
        artifacts_token.verify(vector["token"], SHARED["keys"], now=SHARED["now"], leeway=SHARED["leeway"],
                               max_lifetime=SHARED["max_lifetime"])
        verdict = "ok"
    except artifacts_token.TokenError as error:
        verdict = error.code
        assert str(error)
    assert verdict == vector["expect"]


@pytest.fixture(scope="module")
def key_files(workdir):
    return {kid: os.path.join(workdir, "keys", kid + ".key") for kid in KEYS}


def cli(*args, stdin=None):
    return subprocess.run([TOKEN_CLI, *args], capture_output=True, text=True, input=stdin)


def test_cli_verifies_the_shared_vectors_too(tmp_path):
    keys = []
    for kid, secret in SHARED["keys"].items():
        path = tmp_path / f"{kid}.key"
        path.write_text(secret + "\n")
        keys += ["--key", f"{kid}={path}"]
    for vector in SHARED["vectors"]:
        result = cli("verify", *keys, "--now", str(SHARED["now"]), "--leeway", "60", "--max-lifetime", "86400",
                     vector["token"])
        if vector["expect"] == "ok":
            assert result.returncode == 0, (vector["name"], result.stdout)
        else:
            assert result.returncode == 1, vector["name"]
            assert result.stdout.startswith(f"refused: {vector['expect']}:"), (vector["name"], result.stdout)


def test_python_mints_and_cpp_verifies(httpd, key_files):
    scope = unique_scope()
    token = mint(scope, kinds=["logs", "tarballs"], max_bytes=5000, max_files=7, ip=["127.0.0.0/8"], build="b-1",
                 job="tempest-full")
    result = cli("verify", "--key", f"k2026a={key_files['k2026a']}", token)
    assert result.returncode == 0, result.stdout
    claims = json.loads(result.stdout.splitlines()[1])
    assert claims["scope"] == scope and claims["max_files"] == 7 and claims["job"] == "tempest-full"
    assert requests.put(f"{httpd.url}/{scope}py.txt", data=b"x", headers=bearer(token)).status_code == 201


def test_cpp_mints_and_python_and_the_module_verify(httpd, key_files):
    scope = unique_scope()
    result = cli("mint", "--kid", "k2026b", "--key-file", key_files["k2026b"], "--scope", scope, "--kinds",
                 "logs,tarballs", "--ttl", "10m", "--max-bytes", "1M", "--ip", "127.0.0.1/32", "--build", "b-2")
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    claims = artifacts_token.verify(token, KEYS)
    assert claims["scope"] == scope and claims["kinds"] == ["logs", "tarballs"]
    assert claims["max_bytes"] == 1024 * 1024 and claims["ip"] == ["127.0.0.1/32"]
    assert 590 <= claims["exp"] - time.time() <= 600
    assert len(claims["jti"]) == 32
    assert requests.put(f"{httpd.url}/{scope}cpp.tgz", data=b"x", headers=bearer(token)).status_code == 201
    inspected = cli("inspect", token)
    assert inspected.returncode == 0 and "not verified" in inspected.stdout and scope in inspected.stdout


def test_python_command_line_mints_and_verifies(key_files):
    minted = subprocess.run(["/usr/bin/python3", os.path.join(REPO, "scripts", "artifacts_token.py"), "mint",
                             "--kid", "k2026a", "--key-file", key_files["k2026a"], "--scope", "9/x/", "--kinds",
                             "logs"], capture_output=True, text=True, check=True)
    token = minted.stdout.strip()
    verified = subprocess.run(["/usr/bin/python3", os.path.join(REPO, "scripts", "artifacts_token.py"), "verify",
                               "--key", f"k2026a={key_files['k2026a']}", token], capture_output=True, text=True)
    assert verified.returncode == 0 and json.loads(verified.stdout)["scope"] == "9/x/"
    wrong = subprocess.run(["/usr/bin/python3", os.path.join(REPO, "scripts", "artifacts_token.py"), "verify",
                            "--key", f"k2026b={key_files['k2026b']}", token], capture_output=True, text=True)
    assert wrong.returncode == 1 and wrong.stdout.startswith("refused: unknown_kid")


def test_cli_refuses_bad_usage(key_files):
    assert cli("mint", "--kid", "k", "--key-file", key_files["k2026a"]).returncode == 2
    assert cli("mint", "--kid", "k", "--key-file", key_files["k2026a"], "--scope", "no-slash",
               "--kinds", "logs").returncode == 2
    assert cli("frobnicate").returncode == 2
    missing = cli("mint", "--kid", "k", "--key-file", "/nonexistent", "--scope", "a/", "--kinds", "logs")
    assert missing.returncode == 1 and "cannot read key file" in missing.stderr
