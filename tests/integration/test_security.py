"""The trust boundary: what an untrusted worker (holding a token) or any code running as
the httpd user can make the server do. Each test is one class of attack, and asserts the
status, the body, what is on disk and the error log."""
import os
import subprocess

import pytest

from conftest import new_dir

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root: httpd's parent runs as root only then")


def as_httpd_user(command):
    subprocess.run(["runuser", "-u", "www-data", "--", "sh", "-c", command], check=True)


def test_records_the_httpd_user_writes_never_steer_what_root_deletes(httpd, workdir):
    """The parent sweeps the records of uploads in flight as root; www-data writes them."""
    root_only = new_dir(workdir, "root-only")
    os.chown(root_only, 0, 0)
    victims = {"victim": b"root's", ".artifacts-tmp-0123456789abcdef": b"looks like ours"}
    for name, content in victims.items():
        with open(os.path.join(root_only, name), "wb") as victim:
            victim.write(content)
    pending = os.path.join(workdir, "state", "pending")
    forged = "".join(f"{root_only}\\t\\t{name}\\n" for name in victims)
    forged += f"/\\t{root_only[1:]}/\\tvictim\\n"
    as_httpd_user(f"printf '{forged}' > {pending}/1-0 && printf '{forged}' > {pending}/2-0.new")
    httpd.reconfigure(httpd.body)  # a restart sweeps, as the parent's monitor does every minute
    for name, content in victims.items():
        with open(os.path.join(root_only, name), "rb") as victim:
            assert victim.read() == content
    assert not os.path.exists(f"{pending}/1-0"), "the forged record was not even read"
