"""Failure behaviour (issues 5 and 12): with MariaDB down, what the filesystem has is
served from it and every other path answers 503 with Retry-After (a 404 would be a lie
that caches keep), and the error log says so once, not per request; with Swift down, its
objects answer 503 with Retry-After while the filesystem is still served; both recover
without restarting httpd. The services are stopped and started again for real."""
import os
import signal
import time
import uuid

import pytest
import requests

from conftest import eventually, main_config, mint
from storage_helpers import Catalogued, start_httpd, storage_config
from test_serve import write

pytestmark = pytest.mark.expected_errors(r"ARTF0403", r"ARTF0402")


@pytest.fixture(scope="module")
def server(workdir, artifact_root, mariadb, swift):
    server = start_httpd(workdir, "httpd-outages",
                         main_config(workdir, artifact_root, storage_config(workdir, mariadb, swift)))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def catalogued(mariadb, swift):
    return Catalogued(mariadb, swift)


def test_database_down_falls_back_to_disk_and_recovers(server, catalogued, mariadb, artifact_root):
    prefix = f"outage/{uuid.uuid4().hex[:8]}/"
    catalogued.put(prefix + "both.txt", "from swift\n")
    catalogued.put(prefix + "swift-only.txt", "only in swift\n")
    catalogued.put(prefix + "sub/deeper.txt", "only in swift\n")
    write(artifact_root, prefix + "both.txt", "from disk\n")
    assert requests.get(f"{server.url}/{prefix}both.txt").text == "from swift\n"
    offset = server.log_size()
    mariadb.stop()
    try:
        for _ in range(5):
            assert requests.get(f"{server.url}/{prefix}both.txt", timeout=10).text == "from disk\n"
            missing = requests.get(f"{server.url}/{prefix}swift-only.txt", timeout=10)
            assert missing.status_code == 503 and missing.headers["Retry-After"] == "2"
            assert missing.headers["Cache-Control"] == "no-store"
            assert requests.head(f"{server.url}/{prefix}swift-only.txt", timeout=10).status_code == 503
            # A directory only the catalogue knows is not "not found" either.
            assert requests.get(f"{server.url}/{prefix}sub/", timeout=10).status_code == 503
        # The directory is on disk: its index shows what the disk has.
        index = requests.get(f"{server.url}/{prefix}?format=json", timeout=10)
        assert index.status_code == 200
        assert [entry["name"] for entry in index.json()["entries"]] == ["both.txt"]
        log = server.log_since(offset)
        assert "ARTF0401" in log
        # Rate-limited: one line per process for the whole outage, not one per request.
        assert log.count("ARTF0401") <= len(server.children())
    finally:
        mariadb.start()
    assert eventually(lambda: requests.get(f"{server.url}/{prefix}swift-only.txt").status_code == 200)
    # That answer came from one child; another that failed to connect during the outage
    # goes to the disk for up to retry-interval (2 s) after its failure.
    time.sleep(2.5)
    for _ in range(10):
        assert requests.get(f"{server.url}/{prefix}both.txt").text == "from swift\n"


def test_swift_down_answers_503_and_disk_is_still_served(server, catalogued, swift, artifact_root):
    prefix = f"outage/{uuid.uuid4().hex[:8]}/"
    catalogued.put(prefix + "object.txt", "in swift\n")
    write(artifact_root, prefix + "legacy.txt", "on disk\n")
    assert requests.get(f"{server.url}/{prefix}object.txt").text == "in swift\n"
    swift.stop_server("proxy")
    try:
        response = requests.get(f"{server.url}/{prefix}object.txt", timeout=10)
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "30"
        assert requests.get(f"{server.url}/{prefix}legacy.txt", timeout=10).text == "on disk\n"
        # The catalogue still lists what Swift holds.
        index = requests.get(f"{server.url}/{prefix}?format=json", timeout=10).json()
        assert sorted(entry["name"] for entry in index["entries"]) == ["legacy.txt", "object.txt"]
    finally:
        swift.start_server("proxy")
    assert eventually(lambda: requests.get(f"{server.url}/{prefix}object.txt").status_code == 200)


def test_unknown_schema_version_is_not_used(workdir, artifact_root, mariadb, swift):
    settings = mariadb.add_catalogue("future_catalogue")
    mariadb.root_sql("INSERT INTO schema_version (version, description) VALUES (5, 'from the future')",
                     database="future_catalogue")
    config = storage_config(workdir, mariadb, swift).replace(mariadb.catalogue_directive(), settings)
    server = start_httpd(workdir, "httpd-future-schema", main_config(workdir, artifact_root, config))
    try:
        prefix = f"schema/{uuid.uuid4().hex[:8]}/"
        write(artifact_root, prefix + "disk.txt", "on disk\n")
        assert requests.get(f"{server.url}/{prefix}disk.txt").text == "on disk\n"
        log = server.log_since(0)
        assert "ARTF0402" in log and "schema is version 5, this module reads 4" in log
    finally:
        server.stop()


def test_a_hung_database_holds_no_worker(workdir, artifact_root, mariadb, swift, catalogued):
    """mariadbd stopped with SIGSTOP accepts connections but never answers: the lookup
    timeout (2 s by default) ends the first wait, then the pool stands back and requests
    are answered at once: from the disk when it has the file, 503 when it does not."""
    settings = mariadb.catalogue_directive() + " retry-interval=30"
    config = storage_config(workdir, mariadb, swift).replace(mariadb.catalogue_directive(), settings)
    server = start_httpd(workdir, "httpd-hung-db", main_config(workdir, artifact_root, config))
    try:
        prefix = f"hung/{uuid.uuid4().hex[:8]}/"
        catalogued.put(prefix + "both.txt", "from swift\n")
        catalogued.put(prefix + "swift-only.txt", "only in swift\n")
        write(artifact_root, prefix + "both.txt", "from disk\n")
        assert requests.get(f"{server.url}/{prefix}both.txt").text == "from swift\n"
        mariadb.process.send_signal(signal.SIGSTOP)
        try:
            started = time.monotonic()
            first = requests.get(f"{server.url}/{prefix}swift-only.txt", timeout=15)
            first_took = time.monotonic() - started
            assert first.status_code == 503 and first.headers["Retry-After"] == "30"
            started = time.monotonic()
            for _ in range(10):
                assert requests.get(f"{server.url}/{prefix}both.txt", timeout=15).text == "from disk\n"
                assert requests.get(f"{server.url}/{prefix}swift-only.txt", timeout=15).status_code == 503
            later_took = (time.monotonic() - started) / 20
            assert "ARTF0401" in server.log_since(0)
        finally:
            mariadb.process.send_signal(signal.SIGCONT)
        print(f"first answer in {first_took:.2f} s, later ones in {later_took * 1000:.1f} ms")
        # The lookup's own timeout (2 s), not the write timeout plus a reconnection (12 s).
        assert first_took < 4
        assert later_took < 0.5
    finally:
        server.stop()


def test_a_version_1_catalogue_upgraded_with_the_script_is_used(workdir, artifact_root, mariadb, swift):
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    mariadb.root_sql(f"""
        CREATE DATABASE v1_catalogue CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
        GRANT SELECT, INSERT, UPDATE, DELETE ON v1_catalogue.* TO '{mariadb.user}'@'127.0.0.1';
    """)
    with open(os.path.join(repo, "tests", "data", "schema-v1.sql")) as schema:
        mariadb.root_sql(schema.read(), database="v1_catalogue")
    scope = f"upgraded/{uuid.uuid4().hex[:8]}/"
    mariadb.root_sql("INSERT INTO uploads_in_progress (path, jti, started_at) VALUES "
                     f"('{scope}claim.txt', 'j', 1000)", database="v1_catalogue")
    for version in (2, 3, 4):
        with open(os.path.join(repo, "scripts", f"schema-upgrade-{version}.sql")) as upgrade:
            mariadb.root_sql(upgrade.read(), database="v1_catalogue")
    assert mariadb.root_sql("SELECT MAX(version) FROM schema_version", database="v1_catalogue") == [["4"]]
    # A claim of version 1 keeps the hour it had: its lease ran out long ago.
    assert mariadb.root_sql("SELECT lease_until FROM uploads_in_progress", database="v1_catalogue") == [["4600"]]
    settings = mariadb.catalogue_directive().replace(f"dbname={mariadb.database}", "dbname=v1_catalogue")
    config = storage_config(workdir, mariadb, swift, "ArtifactsStore swift\n").replace(
        mariadb.catalogue_directive(), settings)
    server = start_httpd(workdir, "httpd-upgraded", main_config(workdir, artifact_root, config))
    try:
        token = mint(scope)
        response = requests.put(f"{server.url}/{scope}claim.txt", data=b"upgraded\n",
                                headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 201, response.text
        assert requests.get(f"{server.url}/{scope}claim.txt").text == "upgraded\n"
        # The token's row says what artifacts-prune needs.
        assert mariadb.root_sql("SELECT scope, expires_at > UNIX_TIMESTAMP() FROM tokens WHERE jti != 'j'",
                                database="v1_catalogue") == [[scope, "1"]]
    finally:
        server.stop()
