"""artifacts-prune swift against the real MariaDB and Swift, after uploads through the module:
each kind of garbage (rows past their expiry or older than the cutoff with their objects and
the directory rows they empty, orphaned objects, token rows of expired tokens, claims of
uploads that died) goes, and what must stay stays (live rows, young objects, objects a row
or a claim names, tokens that may still upload, live claims). A catalogue and a container of
their own: the orphan pass removes whatever no row names."""
import os
import subprocess

import pymysql
import pytest
import requests
import swiftclient

from conftest import mint
from storage_helpers import OwnCatalogue
from upload_helpers import bearer

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PRUNE_CLI = os.environ.get("ARTIFACTS_PRUNE_BIN", os.path.join(REPO, "build", "artifacts-prune"))
DATABASE = "prune_catalogue"
CONTAINER = "prune-artifacts"


class Site(OwnCatalogue):
    def __init__(self, workdir, mariadb, swift):
        super().__init__(workdir, mariadb, swift, "prune-swift", DATABASE, CONTAINER)

    def prune(self, *args):
        return subprocess.run([PRUNE_CLI, "swift", "--catalogue", self.catalogue, "--swift", self.swift_settings,
                               "--container", CONTAINER, "--list", *args], capture_output=True, text=True, timeout=120)

    def upload(self, scope, names):
        token = mint(scope)
        for name in names:
            response = requests.put(f"{self.server.url}/{scope}{name}", data=f"{name}\n".encode(),
                                    headers=bearer(token), timeout=30)
            assert response.status_code == 201, response.text

    def rows(self, prefix):
        return {row[0] for row in self.sql(f"SELECT path FROM artifacts WHERE path LIKE '{prefix}%'")}

    def has_object(self, name, container=CONTAINER):
        try:
            self.swift.head_object(container, name)
            return True
        except swiftclient.ClientException as e:
            assert e.http_status == 404
            return False


@pytest.fixture(scope="module")
def site(workdir, mariadb, swift):
    site = Site(workdir, mariadb, swift)
    yield site
    site.server.stop()


def test_rows_past_their_expiry_go_with_their_objects(site):
    site.upload("exp/", ["a/one.txt", "a/two.txt", "b/keep.txt", "top.txt"])
    site.sql("UPDATE artifacts SET expires_at = UNIX_TIMESTAMP() - 10 WHERE path IN ('exp/a/one.txt', 'exp/a/two.txt')")
    dry = site.prune("--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would remove exp/a/one.txt" in dry.stdout.splitlines()
    assert site.rows("exp/") == {"exp/", "exp/a/", "exp/a/one.txt", "exp/a/two.txt", "exp/b/", "exp/b/keep.txt",
                                 "exp/top.txt"}
    result = site.prune()
    assert result.returncode == 0, result.stderr
    assert "removed 2 rows and objects (20 bytes), 1 directory rows" in result.stdout, result.stdout
    assert site.rows("exp/") == {"exp/", "exp/b/", "exp/b/keep.txt", "exp/top.txt"}
    assert not site.has_object("exp/a/one.txt") and not site.has_object("exp/a/two.txt")
    assert site.has_object("exp/b/keep.txt")
    assert requests.get(f"{site.server.url}/exp/b/keep.txt", timeout=30).text == "b/keep.txt\n"
    assert requests.get(f"{site.server.url}/exp/a/one.txt", timeout=30).status_code == 404
    listing = requests.get(f"{site.server.url}/exp/?format=json", timeout=30).json()
    assert sorted(entry["name"] for entry in listing["entries"]) == ["b", "top.txt"]


def test_older_than_takes_rows_by_their_time(site):
    site.upload("aged/", ["old/x.txt", "new/y.txt"])
    site.sql("UPDATE artifacts SET mtime = UNIX_TIMESTAMP() - 40 * 86400 WHERE path = 'aged/old/x.txt'")
    assert "aged/old/x.txt" not in site.prune().stdout  # without --older-than only expiry counts
    result = site.prune("--older-than", "30d")
    assert result.returncode == 0, result.stderr
    assert site.rows("aged/") == {"aged/", "aged/new/", "aged/new/y.txt"}
    assert not site.has_object("aged/old/x.txt") and site.has_object("aged/new/y.txt")


def test_orphaned_objects_go_once_old_enough(site):
    site.upload("orph/", ["named.txt"])
    site.swift.put_object(CONTAINER, "orph/lost.txt", b"no row names me\n")
    site.swift.put_object(CONTAINER, "orph/claimed.txt", b"an upload is writing my row\n")
    site.sql("INSERT INTO uploads_in_progress (path, jti, owner, started_at, lease_until) VALUES "
             f"('orph/claimed.txt', 'j', '{'c' * 32}', UNIX_TIMESTAMP(), UNIX_TIMESTAMP() + 600)")
    site.swift.put_container(CONTAINER + "-overwrites")
    site.swift.put_object(CONTAINER + "-overwrites", "orph/named.txt", b"an overwrite's leftover twin\n")
    young = site.prune("--orphans")
    assert young.returncode == 0, young.stderr
    assert site.has_object("orph/lost.txt"), "an object younger than the grace is not an orphan yet"
    result = site.prune("--orphans", "--orphan-grace", "0")
    assert result.returncode == 0, result.stderr
    assert not site.has_object("orph/lost.txt")
    assert not site.has_object("orph/named.txt", CONTAINER + "-overwrites")
    assert site.has_object("orph/named.txt") and site.has_object("orph/claimed.txt")
    assert f"removed {CONTAINER}/orph/lost.txt" in result.stdout.splitlines()
    assert requests.get(f"{site.server.url}/orph/named.txt", timeout=30).text == "named.txt\n"
    site.sql("DELETE FROM uploads_in_progress WHERE path = 'orph/claimed.txt'")


def test_expired_tokens_and_stale_claims_go(site):
    site.upload("tok/", ["live.txt"])
    site.sql(f"""
        INSERT INTO tokens (jti, expires_at) VALUES ('expired', UNIX_TIMESTAMP() - 1000);
        INSERT INTO tokens (jti, first_seen) VALUES ('v2-old', NOW() - INTERVAL 2 DAY);
        INSERT INTO tokens (jti) VALUES ('v2-new');
        INSERT INTO tokens (jti, expires_at, bytes_used, files_used) VALUES
            ('claimer', UNIX_TIMESTAMP() + 3600, 100, 1);
        INSERT INTO uploads_in_progress (path, jti, owner, started_at, lease_until, reserved_bytes, reserved_files)
            VALUES ('claim/dead.txt', 'claimer', '{'d' * 32}', UNIX_TIMESTAMP() - 9000, UNIX_TIMESTAMP() - 7200,
                    100, 1),
                   ('claim/alive.txt', 'claimer', '{'a' * 32}', UNIX_TIMESTAMP(), UNIX_TIMESTAMP() + 600, 0, 0);
    """)
    result = site.prune()
    assert result.returncode == 0, result.stderr
    tokens = {row[0] for row in site.sql("SELECT jti FROM tokens")}
    assert "expired" not in tokens and "v2-old" not in tokens
    assert {"v2-new", "claimer"} <= tokens
    # The token of the upload above may still upload: its row stays, with its scope and expiry.
    assert site.sql("SELECT COUNT(*) FROM tokens WHERE scope = 'tok/' AND expires_at > UNIX_TIMESTAMP()") == [["1"]]
    claims = {row[0] for row in site.sql("SELECT path FROM uploads_in_progress")}
    assert claims == {"claim/alive.txt"}
    # What the dead upload reserved went back to its token.
    assert site.sql("SELECT bytes_used, files_used FROM tokens WHERE jti = 'claimer'") == [["0", "0"]]
    assert "1 stale claims" in result.stdout, result.stdout
    site.sql("DELETE FROM uploads_in_progress")


def test_one_prune_per_catalogue(site):
    site.upload("locked/", ["x.txt"])
    site.sql("UPDATE artifacts SET expires_at = UNIX_TIMESTAMP() - 10 WHERE path = 'locked/x.txt'")
    holder = pymysql.connect(unix_socket=site.mariadb.socket, user="root", database=DATABASE)
    try:
        with holder.cursor() as cursor:
            cursor.execute(f"SELECT GET_LOCK('artifacts-prune:{DATABASE}', 0)")
            assert cursor.fetchone()[0] == 1
        result = site.prune()
        assert result.returncode == 0 and "another prune" in result.stderr
        assert site.rows("locked/") == {"locked/", "locked/x.txt"}
    finally:
        holder.close()
    assert site.prune().returncode == 0
    assert site.rows("locked/") == set()


def test_bad_settings_say_what_is_wrong(site):
    result = subprocess.run([PRUNE_CLI, "swift", "--catalogue", "host=127.0.0.1 user=x", "--swift",
                             site.swift_settings, "--container", CONTAINER], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "--catalogue" in result.stderr, result.stderr
