"""Session fixtures: real services started once, on 127.0.0.1, in a temporary directory,
and stopped by PID. After each test module the httpd error log is scanned: an error line
nobody expected fails the run."""
import os
import re
import shutil
import sys
import tempfile
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "scripts"))
from scripts.services.httpd import Httpd, make_accessible, sanitizer_report_dir  # noqa: E402
from scripts.services.mariadb import MariaDB  # noqa: E402
from scripts.services.swift import Swift  # noqa: E402
import artifacts_token  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "data"))
import make_logs  # noqa: E402

# Upload keys: k2026a is current, k2026b the previous one still accepted (rotation).
KEYS = {"k2026a": b"integration-secret-a-0123456789abcdef", "k2026b": b"integration-secret-b-0123456789abcdef"}


def pytest_configure(config):
    config.addinivalue_line("markers", "expected_errors(pattern): error-log lines this module provokes on purpose")
    config.addinivalue_line("markers", "heavy: long tests of volume (the client tool, 100,000 members) and the "
                                       "headless-browser tests, that the sanitized run leaves to the plain one")


@pytest.fixture(scope="session")
def workdir():
    path = tempfile.mkdtemp(prefix="mod_artifacts-it-")
    make_accessible(path)
    yield path
    if os.environ.get("KEEP_TEST_DIRS") != "1":
        shutil.rmtree(path, ignore_errors=True)


def new_dir(parent, name):
    path = os.path.join(parent, name)
    os.makedirs(path, exist_ok=True)
    make_accessible(path)
    return path


@pytest.fixture(scope="session")
def artifact_root(workdir):
    """The tree ArtifactsRoot points at; tests add what they need below it."""
    return new_dir(workdir, "artifacts")


MAIN_CONFIG = """
<Directory "{root}">
    Require all granted
    Options FollowSymLinks
</Directory>
ArtifactsRoot "{root}"
ArtifactsStateDir "{state}"
ArtifactsTokenKey k2026a "{keys}/k2026a.key"
ArtifactsTokenKey k2026b "{keys}/k2026b.key"
ArtifactsKind logs "*.txt" "*.log" "*.html" "*.json" "*.yaml" "*.xml" "*.gz"
ArtifactsKind tarballs "*.tar.gz" "*.tgz" "*.whl"
ArtifactsMaxFileSize 64M
LimitRequestBody 0
<Location "/">
    ArtifactsEngine On
    ArtifactsCORS *
    ArtifactsIndexIgnore "*.swp" "*~"
    ArtifactsHtmlify "*.txt" "*.log" "*.txt.gz" "*.log.gz"
</Location>
<Location "/private">
    ArtifactsIndex Off
</Location>
<Location "/compressed">
    ArtifactsCompress "*.txt" "*.log"
</Location>
<Location "/compressed/off">
    ArtifactsCompress Off
</Location>
"""


def main_config(workdir, artifact_root, extra=""):
    """The suite's configuration; `extra` is appended (tests that need more directives)."""
    keys = os.path.join(workdir, "keys")
    if not os.path.isdir(keys):
        os.makedirs(keys)
        for kid, secret in KEYS.items():
            with open(os.path.join(keys, kid + ".key"), "wb") as key_file:
                key_file.write(secret + b"\n")
    return MAIN_CONFIG.format(root=artifact_root, state=os.path.join(workdir, "state"), keys=keys) + extra


def eventually(check, seconds=20):
    """Polls check() until it returns something true or `seconds` passed; returns the last result."""
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.2)


def mint(scope, kinds=("logs",), kid="k2026a", **claims):
    """A token for the suite's keys (see scripts/artifacts_token.py for the claims)."""
    return artifacts_token.mint(KEYS[kid], kid, scope, list(kinds), **claims)


@pytest.fixture(scope="session")
def httpd(workdir, artifact_root):
    server_dir = new_dir(workdir, "httpd")
    docroot = new_dir(workdir, "docroot")
    server = Httpd(server_dir, docroot)
    server.write_config(main_config(workdir, artifact_root))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module", params=["filesystem", "swift"])
def each_store(request, httpd, workdir, artifact_root):
    """The upload API's two stores in turn: the filesystem (the main httpd), then Swift with
    the catalogue (a server of the test module's own)."""
    if request.param == "filesystem":
        yield httpd
        return
    from storage_helpers import start_httpd, storage_config
    mariadb, swift = request.getfixturevalue("mariadb"), request.getfixturevalue("swift")
    name = "httpd-" + request.module.__name__.replace("_", "-") + "-swift"
    server = start_httpd(workdir, name, main_config(
        workdir, artifact_root, storage_config(workdir, mariadb, swift, "ArtifactsStore swift\n")))
    yield server
    server.stop()


@pytest.fixture(autouse=True, scope="module")
def error_log_is_clean(request, httpd):
    """Fails the module when httpd logged an error that no test declared."""
    start = httpd.log_size()
    yield
    marker = request.node.get_closest_marker("expected_errors")
    allowed = [re.compile(p) for p in marker.args] if marker else []
    unexpected = [line for line in httpd.error_lines_since(start)
                  if not any(p.search(line) for p in allowed)]
    assert not unexpected, "unexpected lines in httpd's error log:\n" + "\n".join(unexpected)
    reports = sanitizer_reports()
    assert not reports, "AddressSanitizer/UndefinedBehaviorSanitizer reports:\n" + "\n".join(reports)


def sanitizer_reports():
    """The reports of a sanitized module's run so far (none when the module is not sanitized)."""
    directory = sanitizer_report_dir()
    if not directory or not os.path.isdir(directory):
        return []
    reports = []
    for name in sorted(os.listdir(directory)):
        with open(os.path.join(directory, name), errors="replace") as report:
            reports.append(f"--- {name}\n" + report.read()[:20000])
    return reports


# Tests that measure memory freed and reused across requests: under AddressSanitizer, freed
# memory is held in its quarantines (256 MB, and 1 MB per thread) to catch uses after free,
# so RSS grows by design there. Measured: 60 listings of 30,000 entries raised the children's
# RSS from 36 to 169 MiB with the module built with ASan; with both quarantines off
# (ARTIFACTS_ASAN_OPTIONS=quarantine_size_mb=0:thread_local_quarantine_size_kb=0) from 44 to
# 58 MiB, flattening, as the plain build (11 to 27 MiB). Tests of streams stay flat under ASan
# too and keep running there.
measures_memory = pytest.mark.skipif(bool(sanitizer_report_dir()),
                                     reason="RSS under AddressSanitizer includes its quarantine")


@pytest.fixture(scope="session")
def mariadb(workdir):
    """A MariaDB server with the catalogue schema, started on first use."""
    server = MariaDB(new_dir(workdir, "mariadb"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def swift(workdir):
    """A Swift all-in-one (tempauth, memcached), started on first use."""
    aio = Swift(new_dir(workdir, "swift"))
    aio.start()
    yield aio
    aio.stop()


@pytest.fixture(scope="module")
def samples(artifact_root):
    """The generated sample logs, 2 MiB each, in htmlify/samples/ below the root: name to bytes."""
    directory = new_dir(os.path.join(artifact_root, "htmlify"), "samples")
    written = make_logs.make_set(directory, 2 << 20)
    for name in os.listdir(directory):
        os.chmod(os.path.join(directory, name), 0o644)
    return written
